package analysis

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The β grid of the default sweep, and the sizes of the exact tests.
var (
	testBetas = grid(0.40, 0.48, 0.005)
	testSizes = []int{6, 8, 10, 12}
)

// TestSigmaCrossingsFromExact feeds Kaufman's exact ln λ into the crossing finder and
// compares with the crossings found by bisection on the closed forms, which are
// +2.5375e-3 (6,8), +1.1027e-3 (8,10) and +5.835e-4 (10,12) relative to β_c.
//
// Tolerances are what interpolation on a grid of step h = 0.005 allows. The error of a
// local polynomial fit scales as h^(degree+1) times the next derivative of
// D = σ_L − σ_L'; its fourth derivative grows with L, so the error grows with the pair. Measured: the
// default 6-point least-squares cubic is off by −1.8e-6, −3.6e-6, −6.4e-6 (tolerance
// 1e-5, 4% of the (10,12) offset); the 4-point interpolating cubic (Window 2) by
// −1.9e-7, −3.1e-7, −4.8e-7 (tolerance 1e-6); linear interpolation between the two
// bracketing points by −6.4e-5 to −6.7e-5 — the size of the gap between the exact
// crossings and the grid estimates docs/design.md quotes.
func TestSigmaCrossingsFromExact(t *testing.T) {
	wantRel := map[[2]int]float64{{6, 8}: 2.5375e-3, {8, 10}: 1.1027e-3, {10, 12}: 5.835e-4}
	for pair, rel := range wantRel {
		got := (exactCrossing(pair[0], pair[1], 0.43, 0.45) - isingBetaC) / isingBetaC
		if math.Abs(got-rel) > 1e-7 {
			t.Errorf("bisection on the closed form: crossing %v at %+.4e relative, want %+.4e", pair, got, rel)
		}
	}
	tests := []struct {
		name string
		opt  *Options
		tol  float64
	}{
		{"default 6-point cubic", nil, 1e-5},
		{"4-point interpolating cubic", &Options{Window: 2}, 1e-6},
		{"linear interpolation", &Options{Window: 1, Degree: 1}, 7e-5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			curves, err := SigmaCurves(isingPoints(testBetas, testSizes, 0, nil))
			if err != nil {
				t.Fatal(err)
			}
			if len(curves) != len(testSizes) {
				t.Fatalf("got %d σ curves, want %d", len(curves), len(testSizes))
			}
			for i := 0; i+1 < len(curves); i++ {
				c, err := Cross(curves[i], curves[i+1], tc.opt)
				if err != nil {
					t.Fatal(err)
				}
				want := exactCrossing(c.Sizes[0], c.Sizes[1], 0.43, 0.45)
				t.Logf("%v: β − β_c = %+.4e (%+.4e relative), exact %+.4e, error %+.1e",
					c.Sizes, c.Beta-isingBetaC, (c.Beta-isingBetaC)/isingBetaC, want-isingBetaC, c.Beta-want)
				if math.Abs(c.Beta-want) > tc.tol {
					t.Errorf("crossing %v at %.8f, want %.8f ± %.0e", c.Sizes, c.Beta, want, tc.tol)
				}
				if c.Size != float64(c.Sizes[0]+c.Sizes[1])/2 {
					t.Errorf("crossing %v: Size %g, want the mean of the pair", c.Sizes, c.Size)
				}
			}
		})
	}
}

// TestExtrapolationFromExact checks β_c extrapolated from exact crossings. With three
// crossings ω is fixed at 3 and the fit misses β_c by −5.9e-5: corrections of order
// L^−5 that three sizes cannot separate (still 4× closer than the (10,12) crossing).
// With five crossings ω is fitted (≈ 3.3) and β_c lands within 1e-5.
func TestExtrapolationFromExact(t *testing.T) {
	tests := []struct {
		sizes       []int
		fitted      bool
		omegaLo, hi float64
		tol         float64
	}{
		{[]int{6, 8, 10, 12}, false, 3, 3, 1e-4},
		{[]int{6, 8, 10, 12, 16}, true, 3, 3.6, 2e-5},
		{[]int{6, 8, 10, 12, 14, 16}, true, 3, 3.6, 2e-5},
	}
	for _, tc := range tests {
		a, err := Analyze(isingPoints(testBetas, tc.sizes, 0, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("sizes %v: β_c − Onsager = %+.2e, ω = %.3f (fitted %v), stderr %g", tc.sizes, a.BetaC-isingBetaC, a.Fit.Omega, a.Fit.OmegaFitted, a.BetaCStderr)
		if d := math.Abs(a.BetaC - isingBetaC); d > tc.tol {
			t.Errorf("sizes %v: β_c = %.7f, want Onsager's %.7f ± %.0e", tc.sizes, a.BetaC, isingBetaC, tc.tol)
		}
		if last := a.Crossings[len(a.Crossings)-1].Beta; math.Abs(a.BetaC-isingBetaC) > math.Abs(last-isingBetaC)/3 {
			t.Errorf("sizes %v: β_c %.7f is not much closer to Onsager than the largest crossing %.7f", tc.sizes, a.BetaC, last)
		}
		if a.Fit.OmegaFitted != tc.fitted || a.Fit.Omega < tc.omegaLo || a.Fit.Omega > tc.hi {
			t.Errorf("sizes %v: ω = %g fitted %v, want in [%g, %g] fitted %v", tc.sizes, a.Fit.Omega, a.Fit.OmegaFitted, tc.omegaLo, tc.hi, tc.fitted)
		}
		if a.BetaCStderr != 0 || a.Fit.Weighted || a.Fit.ReducedChi2 != nil {
			t.Errorf("exact input: stderr %g, weighted %v, reduced χ² %v; want 0, false, absent", a.BetaCStderr, a.Fit.Weighted, a.Fit.ReducedChi2)
		}
	}
}

// TestOmegaPolicy: with five noisy crossings (1e-5 per site) a free ω does not lower
// χ² by OmegaChi2Gain, so ω stays at DefaultOmega; with exact input it is fitted.
func TestOmegaPolicy(t *testing.T) {
	sizes := []int{6, 8, 10, 12, 14, 16}
	a, err := Analyze(isingPoints(testBetas, sizes, 1e-5, rand.New(rand.NewPCG(3, 4))), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Fit.OmegaFitted || a.Fit.Omega != DefaultOmega || a.Fit.DOF != 3 || a.Fit.ReducedChi2 == nil {
		t.Errorf("noisy: ω %g fitted %v dof %d reduced χ² %v; want ω fixed at %g, 3 dof, χ² given",
			a.Fit.Omega, a.Fit.OmegaFitted, a.Fit.DOF, a.Fit.ReducedChi2, DefaultOmega)
	}
	a, err = Analyze(isingPoints(testBetas, sizes, 1e-5, rand.New(rand.NewPCG(3, 4))), &Options{Omega: 2.5})
	if err != nil || a.Fit.Omega != 2.5 || a.Fit.OmegaFitted {
		t.Errorf("Omega 2.5: ω %g fitted %v, %v", a.Fit.Omega, a.Fit.OmegaFitted, err)
	}
}

func TestExtrapolateMethods(t *testing.T) {
	one := []Crossing{{Sizes: [2]int{8, 10}, Size: 9, Beta: 0.441, Stderr: 1e-3}}
	f, err := Extrapolate(one, nil)
	if err != nil || f.Method != MethodLargestPair || f.BetaC != 0.441 {
		t.Errorf("one crossing: %+v, %v; want the crossing itself as β_c", f, err)
	}
	// Two crossings on the line β = 0.44 + 2·L^−3 are fitted exactly with ω = 3.
	two := []Crossing{{Size: 7, Beta: 0.44 + 2/343.0}, {Size: 9, Beta: 0.44 + 2/729.0}}
	f, err = Extrapolate(two, nil)
	if err != nil || math.Abs(f.BetaC-0.44) > 1e-12 || math.Abs(f.A-2) > 1e-9 || f.Omega != DefaultOmega || f.DOF != 0 {
		t.Errorf("two crossings: %+v, %v; want β_c 0.44, a 2, ω %g, dof 0", f, err, DefaultOmega)
	}
	// Options.Omega fixes ω even with many crossings.
	var many []Crossing
	for _, L := range []float64{7, 9, 11, 13, 15} {
		many = append(many, Crossing{Size: L, Beta: 0.44 + 0.5*math.Pow(L, -2), Stderr: 1e-4})
	}
	f, err = Extrapolate(many, nil)
	if err != nil || !f.OmegaFitted || math.Abs(f.Omega-2) > 1e-3 || math.Abs(f.BetaC-0.44) > 1e-7 {
		t.Errorf("five crossings on an L^−2 law: %+v, %v; want ω fitted ≈ 2, β_c 0.44", f, err)
	}
	if f.ReducedChi2 == nil || *f.ReducedChi2 > 1e-6 || f.DOF != 2 {
		t.Errorf("five exact crossings: reduced χ² %v dof %d, want ≈ 0 with 2 dof", f.ReducedChi2, f.DOF)
	}
	f, err = Extrapolate(many, &Options{Omega: 1.5})
	if err != nil || f.OmegaFitted || f.Omega != 1.5 {
		t.Errorf("Omega 1.5: %+v, %v; want ω fixed at 1.5", f, err)
	}
	for _, bad := range [][]Crossing{nil, {{Size: 9}, {Size: 9}}, {{Size: 0}, {Size: 9}}} {
		if _, err := Extrapolate(bad, nil); !errors.Is(err, ErrFit) {
			t.Errorf("Extrapolate(%v) error %v, want ErrFit", bad, err)
		}
	}
}

// noisyPoints returns isingPoints with the noise fixed by z (one draw per point) and
// scaled by se, so that two noise levels differ only in scale.
func noisyPoints(z []float64, se float64) []Point {
	pts := isingPoints(testBetas, testSizes, 0, nil)
	for i := range pts {
		pts[i].LnLambdaPerSite = Estimate{pts[i].LnLambdaPerSite.Mean + se*z[i], se}
	}
	return pts
}

// TestBootstrapShrinks checks that the error bars follow the input errors: the same
// noise pattern scaled down tenfold shrinks every error about tenfold. From 1e-5 to 1e-6
// per site the analysis is linear in the noise (ratios 9.7–11.2 over ten noise
// patterns). From 1e-4 to 1e-5 it is not quite: at 1e-4 the crossings scatter by
// ~3e-3, a fair part of the ±0.0125 fitting window, so noise also moves the window
// and the ratio ranges over 8.5–17.6; the bounds there are looser.
func TestBootstrapShrinks(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	z := make([]float64, len(testBetas)*len(testSizes)*2)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	tests := []struct {
		big, small float64
		lo, hi     float64
	}{
		{1e-5, 1e-6, 8.5, 12},
		{1e-4, 1e-5, 7, 20},
	}
	for _, tc := range tests {
		big, err := Analyze(noisyPoints(z, tc.big), nil)
		if err != nil {
			t.Fatal(err)
		}
		small, err := Analyze(noisyPoints(z, tc.small), nil)
		if err != nil {
			t.Fatal(err)
		}
		ratio := big.BetaCStderr / small.BetaCStderr
		t.Logf("β_c stderr %.3e (input %g) vs %.3e (input %g): ratio %.2f", big.BetaCStderr, tc.big, small.BetaCStderr, tc.small, ratio)
		if ratio < tc.lo || ratio > tc.hi {
			t.Errorf("β_c stderr ratio %.2f for inputs %g → %g, want in [%g, %g]", ratio, tc.big, tc.small, tc.lo, tc.hi)
		}
		for k := range big.Crossings {
			if r := big.Crossings[k].Stderr / small.Crossings[k].Stderr; r < tc.lo || r > tc.hi {
				t.Errorf("crossing %v stderr ratio %.2f for inputs %g → %g, want in [%g, %g]", big.Crossings[k].Sizes, r, tc.big, tc.small, tc.lo, tc.hi)
			}
		}
		if big.Replicas != DefaultReplicas || big.FailedReplicas > DefaultReplicas/20 {
			t.Errorf("replicas %d failed %d, want %d and few failures", big.Replicas, big.FailedReplicas, DefaultReplicas)
		}
	}
}

// TestBootstrapCoverage draws 100 noisy data sets (per-site stderr 1e-5 and 1e-4) and
// counts how often the error bars cover the noise-free answer of the same estimator
// (so that the extrapolation's own bias, which no error bar includes, is left out).
// A Gaussian covers 68% at 1σ and 95% at 2σ; with 300 crossings (100 β_c) the binomial
// spread is ±3% (±5%). Measured: crossings 0.68/0.94 and 0.71/0.94, β_c 0.64/0.96 and
// 0.65/0.95.
func TestBootstrapCoverage(t *testing.T) {
	central, err := Analyze(isingPoints(testBetas, testSizes, 0, nil), &Options{Replicas: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range []float64{1e-5, 1e-4} {
		rng := rand.New(rand.NewPCG(7, 8))
		var cross, betaC [2]int
		n, trials := 0, 100
		for trial := range trials {
			a, err := Analyze(isingPoints(testBetas, testSizes, se, rng), &Options{Replicas: 200, Seed: uint64(trial)})
			if err != nil {
				t.Fatal(err)
			}
			count := func(c *[2]int, got, want, stderr float64) {
				z := math.Abs(got-want) / stderr
				if z < 1 {
					c[0]++
				}
				if z < 2 {
					c[1]++
				}
			}
			for k, c := range a.Crossings {
				count(&cross, c.Beta, central.Crossings[k].Beta, c.Stderr)
				n++
			}
			count(&betaC, a.BetaC, central.BetaC, a.BetaCStderr)
		}
		c1, c2 := float64(cross[0])/float64(n), float64(cross[1])/float64(n)
		b1, b2 := float64(betaC[0])/float64(trials), float64(betaC[1])/float64(trials)
		t.Logf("stderr %g: crossings covered %.2f at 1σ, %.2f at 2σ; β_c %.2f, %.2f", se, c1, c2, b1, b2)
		if c1 < 0.58 || c1 > 0.78 || c2 < 0.89 {
			t.Errorf("stderr %g: crossings covered %.2f at 1σ and %.2f at 2σ, want ≈ 0.68 and 0.95", se, c1, c2)
		}
		if b1 < 0.53 || b1 > 0.83 || b2 < 0.86 {
			t.Errorf("stderr %g: β_c covered %.2f at 1σ and %.2f at 2σ, want ≈ 0.68 and 0.95", se, b1, b2)
		}
	}
}

func TestBootstrapReproducible(t *testing.T) {
	pts := isingPoints(testBetas, testSizes, 1e-5, rand.New(rand.NewPCG(1, 1)))
	a, err := Analyze(pts, &Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Analyze(pts, &Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Analyze(pts, &Options{Seed: 43})
	if err != nil {
		t.Fatal(err)
	}
	if a.BetaCStderr != b.BetaCStderr || a.Crossings[0].Stderr != b.Crossings[0].Stderr {
		t.Errorf("seed 42 twice: stderr %g and %g, want equal", a.BetaCStderr, b.BetaCStderr)
	}
	if a.BetaCStderr == c.BetaCStderr {
		t.Errorf("seeds 42 and 43 gave the same stderr %g", a.BetaCStderr)
	}
	// The fit weighs crossings by their bootstrap errors, so β_c itself moves with the
	// seed, but by a sliver of its error bar.
	if d := math.Abs(a.BetaC - c.BetaC); d > 0.02*a.BetaCStderr {
		t.Errorf("seeds 42 and 43: β_c %g and %g differ by %.2g of the error bar", a.BetaC, c.BetaC, d/a.BetaCStderr)
	}
	f, err := Extrapolate(a.Crossings, &Options{Seed: 42})
	if err != nil || f.BetaC != a.BetaC {
		t.Errorf("Extrapolate(a.Crossings) = %g, %v; want a.BetaC %g", f.BetaC, err, a.BetaC)
	}
}

// TestNoCrossing: on a grid entirely below β_c, σ_6 > σ_8 throughout.
func TestNoCrossing(t *testing.T) {
	pts := isingPoints(grid(0.30, 0.40, 0.01), []int{6, 8}, 0, nil)
	_, err := Analyze(pts, nil)
	if !errors.Is(err, ErrNoCrossing) {
		t.Fatalf("Analyze error %v, want ErrNoCrossing", err)
	}
	for _, want := range []string{"σ_6 − σ_8", "stays positive", "[0.3, 0.4]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	curves, _ := SigmaCurves(pts)
	if _, err := Cross(curves[0], curves[1], nil); !errors.Is(err, ErrNoCrossing) {
		t.Errorf("Cross error %v, want ErrNoCrossing", err)
	}

	// With a third size whose pair does cross, the failing pair is skipped and named.
	pts = isingPoints(grid(0.42, 0.48, 0.005), []int{6, 8}, 0, nil)
	// σ_4 − σ_6 crosses near β_c + 2.6e-3; on [0.445, 0.48] it does not.
	pts = append(pts, isingPoints(grid(0.445, 0.48, 0.005), []int{4}, 0, nil)...)
	a, err := Analyze(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Crossings) != 1 || a.Crossings[0].Sizes != [2]int{6, 8} || len(a.Skipped) != 1 || !strings.Contains(a.Skipped[0], "σ_4 − σ_6") {
		t.Errorf("crossings %v, skipped %q; want (6,8) found and (4,6) skipped", a.Crossings, a.Skipped)
	}
}

// TestObservableCrossings checks the Binder and ξ/L crossings on synthetic curves that
// cross at one known β for every size, from the bulk observables and, when one point
// lacks them, from the end ones.
func TestObservableCrossings(t *testing.T) {
	pts := fullPoints(testBetas, testSizes, 0, 0, nil)
	check := func(name string, cs []Crossing, want float64) {
		t.Helper()
		if len(cs) != len(testSizes)-1 {
			t.Fatalf("%s: %d crossings, want %d", name, len(cs), len(testSizes)-1)
		}
		for _, c := range cs {
			// A 6-point cubic through tanh curves: measured error ≤ 3e-6.
			if math.Abs(c.Beta-want) > 1e-5 {
				t.Errorf("%s crossing %v at %.7f, want %.4f", name, c.Sizes, c.Beta, want)
			}
		}
	}
	a, err := Analyze(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.ObservableSource != SourceBulk {
		t.Errorf("source %q, want %q", a.ObservableSource, SourceBulk)
	}
	check("bulk Binder", a.BinderCrossings, bulkBinderCross)
	check("bulk ξ/L", a.XiOverLCrossings, bulkXiCross)

	for i := range pts {
		if pts[i].Boundary == Periodic {
			pts[i].BulkBinder, pts[i].BulkXiOverL = nil, nil
			break
		}
	}
	a, err = Analyze(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.ObservableSource != SourceEnd {
		t.Errorf("source %q, want %q", a.ObservableSource, SourceEnd)
	}
	check("end Binder", a.BinderCrossings, endBinderCross)
	check("end ξ/L", a.XiOverLCrossings, endXiCross)

	// Noisy observables get bootstrap error bars.
	a, err = Analyze(fullPoints(testBetas, testSizes, 1e-5, 0.002, rand.New(rand.NewPCG(3, 3))), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(a.BinderCrossings, a.XiOverLCrossings...) {
		if !(c.Stderr > 0) || math.Abs(c.Beta-map[Quantity]float64{Binder: bulkBinderCross, XiOverL: bulkXiCross}[c.Quantity]) > 5*c.Stderr {
			t.Errorf("%s crossing %v = %.5f ± %.1e, want within 5σ of the truth", c.Quantity, c.Sizes, c.Beta, c.Stderr)
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	base := func() []Point { return isingPoints(testBetas, []int{6, 8}, 0, nil) }
	tests := []struct {
		name   string
		points func() []Point
		opt    *Options
		want   error
	}{
		{"duplicate", func() []Point { p := base(); return append(p, p[3]) }, nil, ErrDuplicate},
		{"two taus", func() []Point { p := base(); p[0].Tau = 0.5; return p }, nil, ErrSeveralSlices},
		{"two coupling ratios", func() []Point {
			p := base()
			for i := range p {
				p[i].Params = Params{{Name: "coupling_ratio", Value: 1}, {Name: "tau", Value: 1}}
			}
			p[3].Params = Params{{Name: "coupling_ratio", Value: 2}, {Name: "tau", Value: 1}}
			return p
		}, nil, ErrSeveralSlices},
		{"bad boundary", func() []Point { p := base(); p[0].Boundary = "open"; return p }, nil, ErrInvalidPoint},
		{"NaN value", func() []Point { p := base(); p[1].LnLambdaPerSite.Mean = math.NaN(); return p }, nil, ErrInvalidPoint},
		{"negative stderr", func() []Point { p := base(); p[1].LnLambdaPerSite.StdErr = -1; return p }, nil, ErrInvalidPoint},
		{"size 1", func() []Point { p := base(); p[1].Size = 1; return p }, nil, ErrInvalidPoint},
		{"periodic only", func() []Point {
			var out []Point
			for _, p := range base() {
				if p.Boundary == Periodic {
					out = append(out, p)
				}
			}
			return out
		}, nil, ErrTooFewSizes},
		{"one size", func() []Point { return isingPoints(testBetas, []int{6}, 0, nil) }, nil, ErrTooFewSizes},
		{"degree 9", base, &Options{Degree: 9}, ErrOptions},
		{"negative window", base, &Options{Window: -1}, ErrOptions},
		{"negative omega", base, &Options{Omega: -1}, ErrOptions},
	}
	for _, tc := range tests {
		if _, err := Analyze(tc.points(), tc.opt); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSlices(t *testing.T) {
	pts := isingPoints(testBetas[:2], []int{6}, 0, nil)
	pts[0].Tau, pts[2].Tau = 0.3, 0.3
	groups := Slices(pts)
	if len(groups) != 2 || groups[0][0].Tau != 0.3 || len(groups[0]) != 2 || len(groups[1]) != 2 {
		t.Errorf("Slices by τ: %d groups %v, want τ 0.3 (2 points) then τ 1 (2 points)", len(groups), groups)
	}
	// By a model's coupling, then τ: in increasing order of the parameters.
	for i := range pts {
		r := []float64{2, 0.5, 2, 0.5}[i]
		pts[i].Params = Params{{Name: "coupling_ratio", Value: r}, {Name: "tau", Value: 1}}
	}
	groups = Slices(pts)
	if len(groups) != 2 || groups[0][0].Params.String() != "J_y/J_x = 0.5, τ = 1" || groups[1][1].Params.String() != "J_y/J_x = 2, τ = 1" {
		t.Errorf("Slices by coupling ratio: %v", groups)
	}
}

// TestAnalysisJSON checks the snake_case field names that `critsweep analyze --json`
// prints.
func TestAnalysisJSON(t *testing.T) {
	a, err := Analyze(fullPoints(testBetas, testSizes, 1e-5, 0.002, rand.New(rand.NewPCG(1, 2))), &Options{Replicas: 50})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"beta_c", "beta_c_stderr", "crossings", "fit", "binder_crossings", "xi_over_l_crossings", "observable_source", "curves", "replicas", "tau"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b[:200])
		}
	}
	c := m["crossings"].([]any)[0].(map[string]any)
	for _, k := range []string{"sizes", "size", "beta", "stderr", "quantity"} {
		if _, ok := c[k]; !ok {
			t.Errorf("crossing JSON lacks %q: %v", k, c)
		}
	}
	f := m["fit"].(map[string]any)
	for _, k := range []string{"beta_c", "a", "omega", "omega_fitted", "reduced_chi2", "dof"} {
		if _, ok := f[k]; !ok {
			t.Errorf("fit JSON lacks %q: %v", k, f)
		}
	}
}
