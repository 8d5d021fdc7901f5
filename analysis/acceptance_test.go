package analysis_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/critsweep/critsweep/analysis"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
)

// The acceptance tests of issue 14 on exact inputs: σ_L curves from Kaufman's closed forms
// (Ising, anisotropic Ising) and from power iteration (Potts, Ashkin–Teller), analysed as
// a sweep's results would be, with every point's stderr zero. The errors the analysis
// reports are then its systematic ones alone, and each test checks that they cover the
// exact values: β_c within 2 total errors, and the universal numbers ν, c and x.

// lnLambda is ln λ of a model's transfer matrix at β, L and a seam.
type lnLambda func(t testing.TB, beta float64, L int, b statmech.Boundary) float64

// kaufmanModel is the Ising model with coupling ratio r, from the closed form.
func kaufmanModel(r float64) lnLambda {
	return func(t testing.TB, beta float64, L int, b statmech.Boundary) float64 {
		v, err := statmech.KaufmanAnisotropicLogLambda(beta, beta*r, L, b)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// powerModel solves the isotropic system of bond weight w(β) by power iteration, warm
// started from the last solution of the same L and seam (the β grid is walked in order).
func powerModel(w func(beta float64) (statmech.BondWeight, error)) lnLambda {
	last := map[[2]int][]float64{}
	return func(t testing.TB, beta float64, L int, b statmech.Boundary) float64 {
		bw, err := w(beta)
		if err != nil {
			t.Fatal(err)
		}
		sys, err := statmech.NewSystem(bw, L, b)
		if err != nil {
			t.Fatal(err)
		}
		k := [2]int{L, int(b)}
		res, err := statmech.Perron(sys, &statmech.PerronOptions{Tol: 1e-14, VectorTol: 1e-9, Start: last[k]})
		if err != nil {
			t.Fatal(err)
		}
		last[k] = res.P
		return res.LogLambda
	}
}

// exactPoints returns the points of one slice: both seams of every size on a β grid of
// n points from lo to hi, with exact ln λ/L and stderr zero.
func exactPoints(t testing.TB, f lnLambda, params analysis.Params, sizes []int, lo, hi float64, n int) []analysis.Point {
	var pts []analysis.Point
	for _, L := range sizes {
		for i := range n {
			beta := spec.RoundSignificant(lo + (hi-lo)*float64(i)/float64(n-1))
			for _, b := range []statmech.Boundary{statmech.Periodic, statmech.Twisted} {
				v := f(t, beta, L, b) / float64(L)
				pts = append(pts, analysis.Point{
					Beta: beta, Size: L, Boundary: b.String(), Params: params,
					LnLambdaPerSite: analysis.Estimate{Mean: v},
				})
			}
		}
	}
	return pts
}

func ratio(r float64) analysis.Params {
	return analysis.Params{{Name: spec.ParamCouplingRatio, Value: r}, {Name: spec.ParamTau, Value: 0}}
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// report logs an analysis against exact values.
func report(t *testing.T, name string, a *analysis.Analysis, betaC, nu, c, x float64) {
	t.Helper()
	rel := (a.BetaC - betaC) / betaC
	t.Logf("%s: β_c = %.7f ± %.1e (sys %.1e), exact %.7f: %+.2e relative, %.2f total errors", name, a.BetaC, a.BetaCError, val(a.BetaCSystematic), betaC, rel, math.Abs(a.BetaC-betaC)/a.BetaCError)
	t.Logf("%s: ν = %.4f ± %.1e (want %.4f), c = %.4f ± %.1e (want %.4f), x = %.4f ± %.1e (want %.4f)", name,
		val(a.Nu), val(a.NuError), nu, val(a.CentralCharge), val(a.CentralChargeError), c, val(a.TwistDimension), val(a.TwistDimensionError), x)
}

// exactCase is one slice on exact inputs with the exact values it must reproduce. A NaN
// exact value is not checked (not known, or not claimed: see the case's comment).
type exactCase struct {
	name           string
	f              func() lnLambda
	params         analysis.Params
	sizes          []int
	betaC          float64
	lo, hi         float64 // the β grid, relative to betaC
	n              int
	nu, c, x       float64
	tolBeta        float64 // on |β_c − exact|/exact: the precision this L range reaches
	tolNu, tolC    float64 // on |ν − exact|, |c − exact|
	tolX           float64
	long           bool // skipped with -short
	coveredNu      bool // ν's error bar must cover its exact value within 2 total errors
	coveredCAndX   bool
	singleCrossing bool
}

func isingCase(name string, r float64, sizes []int, tolBeta, tolNu, tolC, tolX float64) exactCase {
	bc, _ := statmech.IsingCriticalBeta(r)
	// ν of the anisotropic model drifts slowly and not monotonically at these sizes
	// (r = 0.5: ν_eff 1.0077, 1.0087, 1.0083 at L̄ = 9, 11, 14, then 1.0070, 1.0054,
	// 1.0038 at L̄ = 20, 28, 40): its error bar is not claimed to cover.
	return exactCase{name: name, f: func() lnLambda { return kaufmanModel(r) }, params: ratio(r), sizes: sizes,
		betaC: bc, lo: 0.97, hi: 1.03, n: 25, nu: 1, c: 0.5, x: 0.125,
		tolBeta: tolBeta, tolNu: tolNu, tolC: tolC, tolX: tolX, coveredNu: r == 1, coveredCAndX: true}
}

func pottsCase(q int, sizes []int, tolBeta float64) exactCase {
	return exactCase{name: fmt.Sprintf("Potts q=%d %v", q, sizes),
		f: func() lnLambda {
			return powerModel(func(b float64) (statmech.BondWeight, error) { return statmech.Potts(q, b) })
		},
		params: analysis.Params{{Name: spec.ParamQ, Value: float64(q)}, {Name: spec.ParamCouplingRatio, Value: 1}, {Name: spec.ParamTau, Value: 0}},
		sizes:  sizes, betaC: statmech.PottsBetaC(q), lo: 0.985, hi: 1.04, n: 12,
		nu: math.NaN(), c: math.NaN(), x: math.NaN(), tolBeta: tolBeta}
}

func ashkinTellerCase(u float64, sizes []int, long bool) exactCase {
	bc, _ := statmech.AshkinTellerCriticalBeta(u)
	nu, _ := statmech.AshkinTellerNu(u)
	return exactCase{name: fmt.Sprintf("Ashkin–Teller U=%v %v", u, sizes),
		f: func() lnLambda {
			return powerModel(func(b float64) (statmech.BondWeight, error) { return statmech.AshkinTeller(u, b) })
		},
		params: analysis.Params{{Name: spec.ParamCouplingRatio, Value: 1}, {Name: spec.ParamFourSpin, Value: u}, {Name: spec.ParamTau, Value: 0}},
		sizes:  sizes, betaC: bc, lo: 0.98, hi: 1.05, n: 12, nu: nu, c: 1, x: 0.125,
		tolBeta: 2e-3, tolNu: 0.06, tolC: 0.02, tolX: 0.003, long: long, coveredNu: true, coveredCAndX: true}
}

// exactCases are the slices of TestExactInputs. The tolerances are the precision each L
// range reaches, measured (in the comments) with a margin of about 1.5×.
func exactCases() []exactCase {
	potts3 := pottsCase(3, []int{4, 5, 6, 7, 8}, 4e-4) // β_c +1.85e-4
	potts3.nu, potts3.c, potts3.tolNu, potts3.tolC, potts3.coveredNu = 5.0/6, 0.8, 0.02, 0.01, true
	potts3b := pottsCase(3, []int{5, 6, 7, 8, 9}, 4e-4) // β_c +2.4e-4, ν 0.844, c 0.796
	potts3b.nu, potts3b.c, potts3b.tolNu, potts3b.tolC, potts3b.coveredNu, potts3b.long = 5.0/6, 0.8, 0.02, 0.01, true, true
	single := pottsCase(3, []int{4, 5}, 2e-2) // the sweep: one crossing, +1.04e-2
	single.singleCrossing = true
	return []exactCase{
		// Ising, Kaufman's closed form. Measured β_c − exact relative: −7.0e-4 (4–8),
		// −1.2e-4 (6–12), −1.8e-5 (8–16), +4e-7 (12–32); ν within 4e-3, 9e-4, 1e-4, 3e-4;
		// c within 3.5e-3, 9e-4, 2e-4, 1e-5; x within 1.1e-3, 3e-4, 1e-4, 1e-5.
		isingCase("Ising 4–8", 1, []int{4, 6, 8}, 1.1e-3, 6e-3, 6e-3, 2e-3),
		isingCase("Ising 6–12", 1, []int{6, 8, 10, 12}, 2e-4, 2e-3, 2e-3, 5e-4),
		isingCase("Ising 8–16", 1, []int{8, 10, 12, 16}, 3e-5, 5e-4, 5e-4, 2e-4),
		isingCase("Ising 12–32", 1, []int{12, 16, 24, 32}, 2e-6, 5e-4, 5e-5, 3e-5),
		// The anisotropic Ising model on its critical line sinh 2β sinh 2βr = 1.
		isingCase("anisotropic Ising r=0.5, 8–16", 0.5, []int{8, 10, 12, 16}, 3e-4, 0.01, 0.01, 2e-3),
		isingCase("anisotropic Ising r=2, 8–16", 2, []int{8, 10, 12, 16}, 1e-4, 0.01, 0.01, 2e-3),
		isingCase("anisotropic Ising r=0.25, 12–32", 0.25, []int{12, 16, 24, 32}, 3e-4, 0.02, 0.01, 2e-3),
		isingCase("anisotropic Ising r=4, 12–32", 4, []int{12, 16, 24, 32}, 1e-4, 0.01, 0.01, 2e-3),
		// Potts: β_c = ln(1+√q). q = 2 is Ising at β/2; q = 4 has logarithmic corrections,
		// so that only its β_c is claimed (its ν_eff is 0.744 at L = 6–7, not 2/3).
		pottsCase(2, []int{6, 8, 10, 12}, 2e-4), // −1.2e-4
		potts3,
		potts3b,
		pottsCase(4, []int{4, 5, 6, 7}, 1e-4), // +4.2e-5
		single,
		// Ashkin–Teller on the self-dual line: β_c, ν = 2(π−μ)/(3π−4μ), c = 1, x = 1/8.
		// Measured at L = 4–8: β_c −1.3e-3 (U = −0.75), −5.0e-4 (−0.5), −4.6e-5 (0),
		// +1.7e-4 (0.5); ν 1.996 (1.951), 1.523 (1.513), 1.003 (1), 0.814 (0.807).
		ashkinTellerCase(0, []int{4, 5, 6, 7, 8}, false),
		ashkinTellerCase(-0.5, []int{4, 5, 6, 7, 8}, true),
		ashkinTellerCase(0.5, []int{4, 5, 6, 7, 8}, true),
		ashkinTellerCase(-0.75, []int{4, 5, 6, 7, 8}, true),
	}
}

// TestExactInputs analyses each slice of exactCases on exact inputs and checks β_c, ν, c
// and x against their exact values, the precision reached at each L range, and that the
// total errors cover: over all slices, β_c within 2 total errors in at least 90%. A
// single crossing must be flagged as such.
func TestExactInputs(t *testing.T) {
	covered, slices := 0, 0
	for _, tc := range exactCases() {
		if tc.long && testing.Short() {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			pts := exactPoints(t, tc.f(), tc.params, tc.sizes, tc.betaC*tc.lo, tc.betaC*tc.hi, tc.n)
			a, err := analysis.Analyze(pts, &analysis.Options{
				ExactBetaC: func(analysis.Params) (float64, string, bool) { return tc.betaC, "exact", true },
				Anisotropy: func(p analysis.Params) (float64, bool) {
					r, _ := p.Get(spec.ParamCouplingRatio)
					z, err := statmech.IsingAnisotropyFactor(r)
					return z, err == nil && strings.HasPrefix(tc.name, "anisotropic Ising")
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			report(t, tc.name, a, tc.betaC, tc.nu, tc.c, tc.x)
			slices++
			dev := math.Abs(a.BetaC - tc.betaC)
			if dev <= 2*a.BetaCError {
				covered++
			}
			if rel := dev / tc.betaC; rel > tc.tolBeta {
				t.Errorf("β_c = %.7f is %.2e relative from the exact %.7f, want within %.0e", a.BetaC, rel, tc.betaC, tc.tolBeta)
			}
			if *a.ExactBetaC != tc.betaC {
				t.Errorf("ExactBetaC = %v, want the option's %v", *a.ExactBetaC, tc.betaC)
			}
			if tc.singleCrossing {
				if a.FiniteSizeShiftEstimated || a.BetaCSystematic != nil || !strings.Contains(strings.Join(a.Notes, " "), "finite-size shift is not estimated") {
					t.Errorf("single crossing: shift estimated %v, systematic %v, notes %q; want it flagged", a.FiniteSizeShiftEstimated, a.BetaCSystematic, a.Notes)
				}
				return
			}
			if !a.FiniteSizeShiftEstimated || a.BetaCSystematic == nil {
				t.Errorf("%d crossings: the finite-size shift is not estimated", len(a.Crossings))
			}
			check := func(name string, got, errBar *float64, want, tol float64, mustCover bool) {
				t.Helper()
				if math.IsNaN(want) {
					return
				}
				if got == nil {
					t.Errorf("%s not estimated", name)
					return
				}
				if d := math.Abs(*got - want); d > tol || mustCover && d > 2*val(errBar) {
					t.Errorf("%s = %.5f ± %.1e, want %.5f within %.0e and within 2 total errors", name, *got, val(errBar), want, tol)
				}
			}
			check("ν", a.Nu, a.NuError, tc.nu, tc.tolNu, tc.coveredNu)
			check("c", a.CentralCharge, a.CentralChargeError, tc.c, tc.tolC, tc.coveredCAndX)
			check("x", a.TwistDimension, a.TwistDimensionError, tc.x, tc.tolX, tc.coveredCAndX)
		})
	}
	t.Logf("β_c within 2 total errors of the exact value in %d of %d slices", covered, slices)
	if float64(covered) < 0.9*float64(slices) {
		t.Errorf("β_c covered in %d of %d slices, want at least 90%%", covered, slices)
	}
}
