package statmech

import (
	"fmt"
	"math"
	"testing"
)

func TestKaufmanCheckValue(t *testing.T) {
	got, err := KaufmanLogLambda(IsingBetaC, 8, Periodic)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.9338245734; math.Abs(got/8-want) > 1e-10 {
		t.Errorf("KaufmanLogLambda(β_c, 8)/8 = %.12f, want %.10f", got/8, want)
	}
	if want := math.Log(1+math.Sqrt2) / 2; math.Abs(IsingBetaC-want) > 1e-16 {
		t.Errorf("IsingBetaC = %.17g, want %.17g", IsingBetaC, want)
	}
}

// TestKaufmanAgainstPerron compares the closed form with power iteration.
func TestKaufmanAgainstPerron(t *testing.T) {
	maxL := 16
	if testing.Short() {
		maxL = 12
	}
	for _, beta := range []float64{0.2, IsingBetaC, 0.7} {
		w, err := Ising(beta)
		if err != nil {
			t.Fatal(err)
		}
		for L := 2; L <= maxL; L++ {
			for _, b := range []Boundary{Periodic, Twisted} {
				want, err := KaufmanLogLambda(beta, L, b)
				if err != nil {
					t.Fatal(err)
				}
				s := mustSystem(t, w, nil, L, b)
				res, err := Perron(s, nil)
				if err != nil {
					t.Fatalf("β=%v L=%d %v: %v", beta, L, b, err)
				}
				if d := math.Abs(res.LogLambda-want) / float64(L); d > 1e-10 {
					t.Errorf("β=%v L=%d %v: power ln λ/L = %.13f, Kaufman %.13f (diff %.2g)",
						beta, L, b, res.LogLambda/float64(L), want/float64(L), d)
				}
			}
		}
	}
	if testing.Short() {
		return
	}
	// One large lattice, 2^20 states, where the vector is tiled through the cache.
	w, _ := Ising(IsingBetaC)
	for _, b := range []Boundary{Periodic, Twisted} {
		const L = 20
		want, _ := KaufmanLogLambda(IsingBetaC, L, b)
		res, err := Perron(mustSystem(t, w, nil, L, b), nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(res.LogLambda-want) / L; d > 1e-10 {
			t.Errorf("β_c L=%d %v: power ln λ/L = %.13f, Kaufman %.13f (diff %.2g)", L, b, res.LogLambda/L, want/L, d)
		}
	}
}

// TestKaufmanLimits: at large β, ln λ → 2βL (all bonds satisfied) and a twist costs a
// domain wall, 2β per row; at small β, ln λ → L ln 2 (all weights 1: λ = q^L).
func TestKaufmanLimits(t *testing.T) {
	const L = 10
	p, _ := KaufmanLogLambda(30, L, Periodic)
	tw, _ := KaufmanLogLambda(30, L, Twisted)
	if math.Abs(p-2*30*L) > 1e-9 || math.Abs(p-tw-2*30) > 1e-9 {
		t.Errorf("β=30: ln λ = %v (want %v), periodic − twisted = %v (want %v)", p, 2*30*L, p-tw, 60.0)
	}
	p, _ = KaufmanLogLambda(1000, L, Periodic)
	if relDiff(p, 2*1000*L) > 1e-14 {
		t.Errorf("β=1000: ln λ = %v, want %v", p, 2*1000*L)
	}
	p, _ = KaufmanLogLambda(1e-9, L, Periodic)
	tw, _ = KaufmanLogLambda(1e-9, L, Twisted)
	if math.Abs(p-L*math.Ln2) > 1e-6 || math.Abs(tw-L*math.Ln2) > 1e-6 {
		t.Errorf("β→0: ln λ = %v, %v, want %v", p, tw, L*math.Ln2)
	}
}

// sigma returns σ_L(β) = L·(ln λ_periodic − ln λ_twisted).
type sigmaFunc func(beta float64, L int) float64

func isingSigma(t *testing.T) sigmaFunc {
	return func(beta float64, L int) float64 {
		p, err := KaufmanLogLambda(beta, L, Periodic)
		if err != nil {
			t.Fatal(err)
		}
		tw, err := KaufmanLogLambda(beta, L, Twisted)
		if err != nil {
			t.Fatal(err)
		}
		return float64(L) * (p - tw)
	}
}

func powerSigma(t *testing.T, model func(beta float64) (BondWeight, error)) sigmaFunc {
	return func(beta float64, L int) float64 {
		w, err := model(beta)
		if err != nil {
			t.Fatal(err)
		}
		var ll [2]float64
		for k, b := range []Boundary{Periodic, Twisted} {
			res, err := Perron(mustSystem(t, w, nil, L, b), &PerronOptions{Tol: 1e-14})
			if err != nil {
				t.Fatal(err)
			}
			ll[k] = res.LogLambda
		}
		return float64(L) * (ll[0] - ll[1])
	}
}

// crossing returns the β in [lo, hi] where σ_L1 = σ_L2, by bisection.
func crossing(t *testing.T, sigma sigmaFunc, L1, L2 int, lo, hi float64) float64 {
	f := func(beta float64) float64 { return sigma(beta, L1) - sigma(beta, L2) }
	flo, fhi := f(lo), f(hi)
	if flo*fhi > 0 {
		t.Fatalf("σ_%d − σ_%d has the same sign at %v and %v: %v, %v", L1, L2, lo, hi, flo, fhi)
	}
	for hi-lo > 1e-12*hi {
		mid := (lo + hi) / 2
		if fm := f(mid); fm*flo > 0 {
			lo, flo = mid, fm
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// TestSigmaCrossings reproduces the crossing figures of DESIGN.md §1: the β where
// σ_L and σ_L' cross, relative to the critical point, from exact eigenvalues.
//
// The Ising crossings computed here by bisection on Kaufman's closed form (and confirmed by
// bisection on power-iteration eigenvalues, which agree to 1e-3 of the offset) are
// +2.5375e-3 (6,8), +1.1027e-3 (8,10) and +5.835e-4 (10,12). DESIGN.md gives +2.5e-3,
// +1.05e-3 and +5.2e-4: the first agrees to its two digits, the other two do not. Linear
// interpolation of σ_L − σ_L' on β grids of step 0.002 to 0.005 gives values of that size
// (+1.07e-3 to +0.96e-3 and +5.4e-4 to +4.3e-4), so they look like grid estimates rather
// than exact crossings; this test asserts the exact values.
func TestSigmaCrossings(t *testing.T) {
	potts3 := func(beta float64) (BondWeight, error) { return Potts(3, beta) }
	tests := []struct {
		name   string
		sigma  sigmaFunc
		betaC  float64
		L1, L2 int
		want   float64 // (β_cross − β_c)/β_c
		tol    float64 // half a unit of the last digit given
	}{
		{"ising", isingSigma(t), IsingBetaC, 6, 8, 2.5e-3, 0.05e-3},
		{"ising", isingSigma(t), IsingBetaC, 8, 10, 1.103e-3, 0.0005e-3}, // DESIGN: 1.05e-3
		{"ising", isingSigma(t), IsingBetaC, 10, 12, 5.83e-4, 0.005e-4},  // DESIGN: 5.2e-4
		{"potts3", powerSigma(t, potts3), PottsBetaC(3), 6, 7, 3.2e-3, 0.05e-3},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d,%d", tc.name, tc.L1, tc.L2), func(t *testing.T) {
			x := crossing(t, tc.sigma, tc.L1, tc.L2, tc.betaC*0.98, tc.betaC*1.02)
			got := (x - tc.betaC) / tc.betaC
			t.Logf("crossing at β = %.10f, %+.4e relative to β_c = %.10f", x, got, tc.betaC)
			if math.Abs(got-tc.want) > tc.tol {
				t.Errorf("crossing of σ_%d and σ_%d at %+.4e relative, want %+.3e ± %.1e", tc.L1, tc.L2, got, tc.want, tc.tol)
			}
		})
	}
}

// TestAnisotropicSigmaCrossings: the σ_L crossings of the anisotropic Ising model, from
// the closed form, approach the critical line sinh 2β sinh 2βr = 1 as L grows, from above
// like the isotropic ones, within 2e-4 relative at (16, 32).
func TestAnisotropicSigmaCrossings(t *testing.T) {
	for _, r := range []float64{0.5, 2} {
		sigma := func(beta float64, L int) float64 {
			p, err := KaufmanAnisotropicLogLambda(beta, beta*r, L, Periodic)
			if err != nil {
				t.Fatal(err)
			}
			tw, _ := KaufmanAnisotropicLogLambda(beta, beta*r, L, Twisted)
			return float64(L) * (p - tw)
		}
		betaC, _ := IsingCriticalBeta(r)
		prev := math.Inf(1)
		for _, pair := range [][2]int{{8, 12}, {16, 32}} {
			x := crossing(t, sigma, pair[0], pair[1], betaC*0.95, betaC*1.05)
			rel := (x - betaC) / betaC
			t.Logf("r = %v: crossing %v at %+.3e relative to β_c = %.8f", r, pair, rel, betaC)
			if math.Abs(rel) >= prev {
				t.Errorf("r = %v: crossing %v (%+.3e) is not closer to the line than the previous pair", r, pair, rel)
			}
			prev = math.Abs(rel)
		}
		if prev > 2e-4 {
			t.Errorf("r = %v: crossing (16, 32) at %.2e relative, want within 2e-4", r, prev)
		}
	}
}
