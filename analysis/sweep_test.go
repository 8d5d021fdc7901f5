package analysis_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/critsweep/critsweep/analysis"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
)

// anisotropicSweep is the exact-input sweep of issue 14's example spec at three ratios,
// with a fourth slice (r = 3) whose β grid lies below every crossing.
func anisotropicSweep(t *testing.T) []analysis.Point {
	var pts []analysis.Point
	for _, r := range []float64{0.5, 1, 2} {
		bc, _ := statmech.IsingCriticalBeta(r)
		pts = append(pts, exactPoints(t, kaufmanModel(r), ratio(r), []int{8, 12, 16}, bc*0.97, bc*1.03, 13)...)
	}
	bc, _ := statmech.IsingCriticalBeta(3)
	return append(pts, exactPoints(t, kaufmanModel(3), ratio(3), []int{8, 12, 16}, bc*0.8, bc*0.9, 6)...)
}

func isingOptions() *analysis.Options {
	return &analysis.Options{
		ExactBetaC: func(p analysis.Params) (float64, string, bool) {
			r, _ := p.Get(spec.ParamCouplingRatio)
			b, err := statmech.IsingCriticalBeta(r)
			return b, "sinh 2β·sinh 2βr = 1", err == nil
		},
		Anisotropy: func(p analysis.Params) (float64, bool) {
			r, _ := p.Get(spec.ParamCouplingRatio)
			z, err := statmech.IsingAnisotropyFactor(r)
			return z, err == nil
		},
	}
}

// TestAnalyzeSweep: every slice is analysed, the one without crossings says so and keeps
// its curves, and the phase boundary follows the exact line sinh 2β sinh 2βr = 1.
func TestAnalyzeSweep(t *testing.T) {
	sw, err := analysis.AnalyzeSweep(anisotropicSweep(t), isingOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Slices) != 4 {
		t.Fatalf("%d slices, want 4", len(sw.Slices))
	}
	for i, a := range sw.Slices {
		r, _ := a.Params.Get(spec.ParamCouplingRatio)
		if want := []float64{0.5, 1, 2, 3}[i]; r != want {
			t.Errorf("slice %d: coupling ratio %v, want %v", i, r, want)
		}
		if r == 3 {
			if a.OK() || a.Status != analysis.StatusNoCrossing || !strings.Contains(a.Problem, "σ_8 − σ_12") || len(a.Curves) == 0 {
				t.Errorf("r = 3: status %q, problem %q, %d curves; want no_crossing naming the pair, with its curves", a.Status, a.Problem, len(a.Curves))
			}
			continue
		}
		exact, _ := statmech.IsingCriticalBeta(r)
		if !a.OK() || math.Abs(a.BetaC-exact) > 2*a.BetaCError || math.Abs(a.BetaC-exact)/exact > 2e-4 {
			t.Errorf("r = %v: β_c = %v ± %v (%s), exact %v", r, a.BetaC, a.BetaCError, a.Status, exact)
		}
		if a.ExactBetaC == nil || *a.ExactBetaC != exact {
			t.Errorf("r = %v: ExactBetaC %v, want %v", r, a.ExactBetaC, exact)
		}
	}
	pb := sw.Boundary
	if pb.Parameter != spec.ParamCouplingRatio || len(pb.Series) != 0 || len(pb.Points) != 4 {
		t.Fatalf("phase boundary along %q, series %v, %d points", pb.Parameter, pb.Series, len(pb.Points))
	}
	for _, p := range pb.Points[:3] {
		if p.BetaC == nil || p.TC == nil || math.Abs(*p.TC - 1 / *p.BetaC) > 1e-12 || math.Abs(*p.TCError-*p.BetaCError/(*p.BetaC**p.BetaC)) > 1e-12 ||
			p.Deviation == nil || math.Abs(*p.Deviation) > 2 {
			t.Errorf("boundary point %v: β_c %v, T_c %v ± %v, deviation %v", p.Params, p.BetaC, p.TC, p.TCError, p.Deviation)
		}
	}
	if last := pb.Points[3]; last.Status != analysis.StatusNoCrossing || last.BetaC != nil {
		t.Errorf("r = 3 on the boundary: %+v, want no β_c", last)
	}
	var b bytes.Buffer
	if err := pb.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0][:5], ",") != "coupling_ratio,tau,status,beta_c,beta_c_stderr" || rows[4][2] != "no_crossing" || rows[4][3] != "" {
		t.Errorf("CSV:\n%v", rows)
	}
}

// TestSweepJSON checks the JSON a slice encodes to: params as an object, the headline
// numbers, and nulls where nothing could be estimated; a single crossing says its
// finite-size shift is not estimated.
func TestSweepJSON(t *testing.T) {
	pts := anisotropicSweep(t)
	// One more slice with a single crossing: r = 1.5 at two sizes.
	bc, _ := statmech.IsingCriticalBeta(1.5)
	pts = append(pts, exactPoints(t, kaufmanModel(1.5), ratio(1.5), []int{8, 12}, bc*0.97, bc*1.03, 13)...)
	sw, err := analysis.AnalyzeSweep(pts, isingOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sw)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Slices []map[string]any `json:"slices"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, s := range got.Slices {
		params := s["params"].(map[string]any)
		for _, k := range []string{"params", "status", "beta_c", "beta_c_stderr", "beta_c_systematic", "beta_c_error", "t_c",
			"nu", "nu_stderr", "nu_systematic", "central_charge", "central_charge_stderr", "twist_dimension", "twist_dimension_stderr",
			"finite_size_shift_estimated", "crossings", "curves"} {
			if _, ok := s[k]; !ok {
				t.Errorf("slice %v lacks %q", params, k)
			}
		}
		switch params["coupling_ratio"] {
		case 3.0:
			if s["beta_c"] != nil || s["nu"] != nil || s["status"] != "no_crossing" {
				t.Errorf("slice without crossings: beta_c %v, nu %v, status %v; want null, null, no_crossing", s["beta_c"], s["nu"], s["status"])
			}
		case 1.5:
			if s["beta_c_systematic"] != nil || s["finite_size_shift_estimated"] != false || s["beta_c"] == nil ||
				!strings.Contains(strings.Join(toStrings(s["notes"]), " "), "finite-size shift is not estimated") {
				t.Errorf("single crossing: beta_c %v, systematic %v, shift estimated %v, notes %v", s["beta_c"], s["beta_c_systematic"], s["finite_size_shift_estimated"], s["notes"])
			}
		case 0.5:
			if _, ok := params["tau"]; !ok || s["beta_c_systematic"] == nil || s["anisotropy_factor"] == nil || s["central_charge"] == nil {
				t.Errorf("r = 0.5: params %v, systematic %v, anisotropy %v, c %v", params, s["beta_c_systematic"], s["anisotropy_factor"], s["central_charge"])
			}
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestWriteSweepPlots writes the sweep's figures: a folder per slice (the slice without
// crossings included, with its curves) and the phase diagram. Set CRITSWEEP_PLOT_DIR to
// keep them for a look.
func TestWriteSweepPlots(t *testing.T) {
	dir := os.Getenv("CRITSWEEP_PLOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	sw, err := analysis.AnalyzeSweep(anisotropicSweep(t), isingOptions())
	if err != nil {
		t.Fatal(err)
	}
	paths, err := analysis.WriteSweepPlots(dir, sw)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "phase_diagram.png"),
		filepath.Join(dir, "coupling_ratio-3_tau-0", "sigma.png"),
		filepath.Join(dir, "coupling_ratio-0.5_tau-0", "extrapolation.svg"),
	}
	for _, w := range want {
		if !slices.Contains(paths, w) {
			t.Errorf("WriteSweepPlots wrote %v, not %s", paths, w)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "phase_diagram.png"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width < 600 || len(b) < 10_000 {
		t.Errorf("phase_diagram.png: %d bytes, %v, %v", len(b), cfg, err)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "phase_diagram.svg"))
	for _, text := range []string{"exact critical line", "J_y/J_x", "T_c", "ordered"} {
		if !bytes.Contains(svg, []byte(text)) {
			t.Errorf("phase_diagram.svg does not say %q", text)
		}
	}
}

// TestLnLambdaError: the slice's error of ln λ/L against exact is the rms and the largest
// deviation of its points.
func TestLnLambdaError(t *testing.T) {
	bc := statmech.IsingBetaC
	pts := exactPoints(t, kaufmanModel(1), ratio(1), []int{6, 8}, bc*0.97, bc*1.03, 5)
	for i := range pts {
		exact := pts[i].LnLambdaPerSite.Mean
		pts[i].Exact = &analysis.Exact{LnLambdaPerSite: exact, Binder: math.NaN(), XiOverL: math.NaN(), BulkBinder: math.NaN(), BulkXiOverL: math.NaN()}
		pts[i].LnLambdaPerSite = analysis.Estimate{Mean: exact + []float64{3e-5, -4e-5}[i%2], StdErr: 1e-5}
	}
	a, err := analysis.Analyze(pts, &analysis.Options{Replicas: 20})
	if err != nil {
		t.Fatal(err)
	}
	// The points alternate +3e-5 and −4e-5 (up to the rounding of value + deviation).
	if a.LnLambdaErrorRMS == nil || math.Abs(*a.LnLambdaErrorRMS-math.Sqrt(12.5e-10)) > 1e-12 || math.Abs(*a.LnLambdaErrorMax-4e-5) > 1e-12 {
		t.Errorf("ln λ/L error: rms %v, max %v; want %v and 4e-5", val(a.LnLambdaErrorRMS), val(a.LnLambdaErrorMax), math.Sqrt(12.5e-10))
	}
}
