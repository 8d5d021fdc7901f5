// Package precision measures how close trained models come to the exact free energies:
// the tables of the README's "Precision" section. Each row trains one task the way a
// worker does (spec/task, train's defaults for the row's L and q) and sets its ln λ/L
// beside the exact value (Kaufman's closed form for Ising, power iteration otherwise).
// The tables take minutes to hours, so they run only when asked:
//
//	go test ./internal/precision -run Table -v -timeout 0 -precision.table=coverage
//	go test ./internal/precision -run Table -v -timeout 0 -precision.table=ising -precision.sizes=8,12,16
//	go test ./internal/precision -run Table -v -timeout 0 -precision.table=potts
//	go test ./internal/precision -run Table -v -timeout 0 -precision.table=sigma -precision.sizes=32
//
// Each table is printed as Markdown and written to -precision.out (default: none).
package precision

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec/task"
	"github.com/critsweep/critsweep/statmech"
)

var (
	table = flag.String("precision.table", "", "table to measure: coverage, ising, potts or sigma (empty: none)")
	sizes = flag.String("precision.sizes", "", "comma-separated L for the ising and sigma tables (default 8,12,16,24,32,48,64 and 32)")
	seams = flag.String("precision.seams", "periodic,twisted", "seams of the ising table")
	seed  = flag.Uint64("precision.seed", 7, "training seed of the ising, potts and sigma tables")
	out   = flag.String("precision.out", "", "file to write the table to, as Markdown")
)

// row is one trained task set beside its exact value.
type row struct {
	label             string
	exact, got, se    float64 // ln λ/L
	correction        float64 // the projector's bias correction, per site
	spread            float64 // the spread of its log weights
	tv                float64 // NaN where not enumerated
	seconds           float64
	steps, batch, drw int
}

func (r row) relErr() float64 { return (r.got - r.exact) / math.Abs(r.exact) }
func (r row) z() float64      { return (r.got - r.exact) / r.se }

// trainRow trains one task and compares it with exact (ln λ/L).
func trainRow(t *testing.T, label string, ts *critsweepv1.TaskSpec, exact float64) row {
	t.Helper()
	start := time.Now()
	res, err := task.Train(context.Background(), ts, nil)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	_, cfg, err := task.Resolve(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := row{
		label: label, exact: exact,
		got: res.GetLnLambdaPerSite().GetValue(), se: res.GetLnLambdaPerSite().GetStderr(),
		correction: res.GetSmc().GetBiasCorrection(), spread: res.GetSmc().GetWeightSpread(),
		tv: math.NaN(), seconds: time.Since(start).Seconds(),
		steps: cfg.Steps, batch: cfg.Batch, drw: cfg.EstimateDraws,
	}
	if ex := res.GetExact(); ex != nil {
		r.tv = ex.GetTvDistance()
	}
	t.Logf("%s: ln λ/L %.9f ± %.2g, exact %.9f, relative error %+.2e (%+.1fσ), %.0f s", label, r.got, r.se, exact, r.relErr(), r.z(), r.seconds)
	return r
}

func isingTask(beta float64, size int, seam string, seed uint64) *critsweepv1.TaskSpec {
	return &critsweepv1.TaskSpec{
		Model: &critsweepv1.ModelSpec{Kind: "ising"}, Beta: beta, Size: uint32(size), Boundary: seam,
		Training: &critsweepv1.TrainingSpec{Seed: seed},
	}
}

func kaufman(t *testing.T, beta float64, size int, seam string) float64 {
	b, err := statmech.ParseBoundary(seam)
	if err != nil {
		t.Fatal(err)
	}
	v, err := statmech.KaufmanLogLambda(beta, size, b)
	if err != nil {
		t.Fatal(err)
	}
	return v / float64(size)
}

func perron(t *testing.T, ts *critsweepv1.TaskSpec) float64 {
	sys, err := task.System(ts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := statmech.Perron(sys, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.LogLambda / float64(sys.Size())
}

func intList(s string, def []int) []int {
	if s == "" {
		return def
	}
	var v []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			panic(fmt.Sprintf("-precision.sizes: %q is not an integer", f))
		}
		v = append(v, n)
	}
	return v
}

// TestTable measures the table named by -precision.table.
func TestTable(t *testing.T) {
	var md strings.Builder
	switch *table {
	case "":
		t.Skip("no -precision.table given")
	case "coverage":
		coverage(t, &md)
	case "ising":
		ising(t, &md)
	case "potts":
		potts(t, &md)
	case "sigma":
		sigma(t, &md)
	default:
		t.Fatalf("-precision.table must be coverage, ising, potts or sigma, got %q", *table)
	}
	fmt.Print(md.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func header(md *strings.Builder) {
	md.WriteString("| case | ln λ/L | exact | relative error | stderr (relative) | error/stderr | bias correction | weight spread | TV | steps × batch | draws | wall |\n")
	md.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
}

func line(md *strings.Builder, r row) {
	tv := "–"
	if !math.IsNaN(r.tv) {
		tv = fmt.Sprintf("%.4f", r.tv)
	}
	fmt.Fprintf(md, "| %s | %.9f | %.9f | %+.2e | %.2e | %+.1f | %.1e | %.3f | %s | %d × %d | %d | %.0f s |\n",
		r.label, r.got, r.exact, r.relErr(), r.se/math.Abs(r.exact), r.z(), r.correction, r.spread, tv, r.steps, r.batch, r.drw, r.seconds)
}

// coverage trains 24 small tasks (Ising L = 6, 8, 10 on both seams with four seeds at
// β_c and β = 0.4, Potts q = 3 at L = 5, 6) and counts how often the exact value lies
// within one and two reported standard errors.
func coverage(t *testing.T, md *strings.Builder) {
	var rows []row
	for _, size := range []int{6, 8, 10} {
		for _, seam := range []string{"periodic", "twisted"} {
			for s, beta := range []float64{statmech.IsingBetaC, 0.4, statmech.IsingBetaC, 0.4} {
				seed := uint64(100 + s)
				label := fmt.Sprintf("Ising L=%d %s β=%.4f seed %d", size, seam, beta, seed)
				rows = append(rows, trainRow(t, label, isingTask(beta, size, seam, seed), kaufman(t, beta, size, seam)))
			}
		}
	}
	for _, size := range []int{5, 6} {
		for _, seam := range []string{"periodic", "twisted"} {
			ts := &critsweepv1.TaskSpec{
				Model: &critsweepv1.ModelSpec{Kind: "potts", Q: 3}, Beta: 1.0, Size: uint32(size), Boundary: seam,
				Training: &critsweepv1.TrainingSpec{Seed: 11},
			}
			rows = append(rows, trainRow(t, fmt.Sprintf("Potts q=3 L=%d %s β=1", size, seam), ts, perron(t, ts)))
		}
	}
	header(md)
	in1, in2 := 0, 0
	for _, r := range rows {
		line(md, r)
		if math.Abs(r.z()) <= 1 {
			in1++
		}
		if math.Abs(r.z()) <= 2 {
			in2++
		}
	}
	fmt.Fprintf(md, "\nWithin 1 stderr: %d of %d (%.0f%%); within 2: %d of %d (%.0f%%).\n",
		in1, len(rows), 100*float64(in1)/float64(len(rows)), in2, len(rows), 100*float64(in2)/float64(len(rows)))
}

// ising trains Ising at β_c on the given sizes and seams; where both seams of a size are
// trained it adds σ_L = L²·Δ(ln λ/L) beside Kaufman's.
func ising(t *testing.T, md *strings.Builder) {
	header(md)
	var sigmaLines strings.Builder
	for _, size := range intList(*sizes, []int{8, 12, 16, 24, 32, 48, 64}) {
		bySeam := map[string]row{}
		for _, seam := range strings.Split(*seams, ",") {
			label := fmt.Sprintf("Ising L=%d %s", size, seam)
			r := trainRow(t, label, isingTask(statmech.IsingBetaC, size, seam, *seed), kaufman(t, statmech.IsingBetaC, size, seam))
			line(md, r)
			bySeam[seam] = r
		}
		p, okP := bySeam["periodic"]
		tw, okT := bySeam["twisted"]
		if okP && okT {
			L2 := float64(size * size)
			got, exact := L2*(p.got-tw.got), L2*(p.exact-tw.exact)
			fmt.Fprintf(&sigmaLines, "| %d | %.5f | %.5f | %+.2e | %.2e |\n", size, got, exact, got-exact, L2*math.Hypot(p.se, tw.se))
		}
	}
	if sigmaLines.Len() > 0 {
		md.WriteString("\n| L | σ_L | exact | error | stderr |\n|---|---|---|---|---|\n")
		md.WriteString(sigmaLines.String())
	}
}

// potts trains Potts q = 3 at β = 1 on L = 6 … 14 against power iteration.
func potts(t *testing.T, md *strings.Builder) {
	header(md)
	for _, size := range intList(*sizes, []int{6, 8, 10, 12, 14}) {
		ts := &critsweepv1.TaskSpec{
			Model: &critsweepv1.ModelSpec{Kind: "potts", Q: 3}, Beta: 1.0, Size: uint32(size), Boundary: "periodic",
			Training: &critsweepv1.TrainingSpec{Seed: *seed},
		}
		line(md, trainRow(t, fmt.Sprintf("Potts q=3 L=%d", size), ts, perron(t, ts)))
	}
}

// sigma trains both seams at β_c and compares σ_L = L²·Δ(ln λ/L) with Kaufman's.
func sigma(t *testing.T, md *strings.Builder) {
	md.WriteString("| L | σ_L | exact | error | stderr |\n|---|---|---|---|---|\n")
	for _, size := range intList(*sizes, []int{32}) {
		p := trainRow(t, fmt.Sprintf("Ising L=%d periodic", size), isingTask(statmech.IsingBetaC, size, "periodic", *seed), kaufman(t, statmech.IsingBetaC, size, "periodic"))
		tw := trainRow(t, fmt.Sprintf("Ising L=%d twisted", size), isingTask(statmech.IsingBetaC, size, "twisted", *seed), kaufman(t, statmech.IsingBetaC, size, "twisted"))
		L2 := float64(size * size)
		got, exact := L2*(p.got-tw.got), L2*(p.exact-tw.exact)
		se := L2 * math.Hypot(p.se, tw.se)
		fmt.Fprintf(md, "| %d | %.5f | %.5f | %+.2e | %.2e |\n", size, got, exact, got-exact, se)
	}
}
