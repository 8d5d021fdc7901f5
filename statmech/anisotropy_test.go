package statmech

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestAshkinTellerWeight checks AshkinTeller against W = exp(β[σσ' + ττ' + Uσσ'ττ'])
// written from the spins, its twist against the flip of σ written from the spins, and its
// two special points: two Ising models at U = 0 (Clock(4, 2β)), 4-state Potts at U = 1.
func TestAshkinTellerWeight(t *testing.T) {
	for _, u := range []float64{-0.7, 0, 0.35, 1, 2.5} {
		const beta = 0.45
		w, err := AshkinTeller(u, beta)
		if err != nil {
			t.Fatal(err)
		}
		tw := w.Twist()
		for a := range 4 {
			for b := range 4 {
				sa, ta := AshkinTellerSpins(a)
				sb, tb := AshkinTellerSpins(b)
				want := math.Exp(beta*float64(sa*sb+ta*tb) + beta*u*float64(sa*sb*ta*tb))
				if relDiff(w.At(a, b), want) > 1e-15 {
					t.Errorf("U=%v: At(%d,%d) = %v, want %v", u, a, b, w.At(a, b), want)
				}
				// The twisted seam sees site L−1 (state b) with σ flipped.
				wantTw := math.Exp(beta*float64(-sa*sb+ta*tb) + beta*u*float64(-sa*sb*ta*tb))
				if relDiff(tw.At(a, b), wantTw) > 1e-15 {
					t.Errorf("U=%v: Twist().At(%d,%d) = %v, want %v (σ flipped)", u, a, b, tw.At(a, b), wantTw)
				}
				if w.TwistState(b) != flipSigma(b) {
					t.Errorf("TwistState(%d) = %d, want %d", b, w.TwistState(b), flipSigma(b))
				}
			}
		}
		if !w.Symmetric() || !tw.Symmetric() {
			t.Errorf("U=%v: W or its twist is not symmetric", u)
		}
	}
	at0, _ := AshkinTeller(0, 0.3)
	clock, _ := Clock(4, 0.6)
	at1, _ := AshkinTeller(1, 0.3)
	potts, _ := Potts(4, 1.2)
	for a := range 4 {
		for b := range 4 {
			if relDiff(at0.At(a, b), clock.At(a, b)) > 1e-15 {
				t.Errorf("AshkinTeller(0, β).At(%d,%d) = %v, Clock(4, 2β) %v", a, b, at0.At(a, b), clock.At(a, b))
			}
			if relDiff(at1.At(a, b)*math.Exp(0.3), potts.At(a, b)) > 1e-15 {
				t.Errorf("e^β·AshkinTeller(1, β).At(%d,%d) = %v, Potts(4, 4β) %v", a, b, at1.At(a, b)*math.Exp(0.3), potts.At(a, b))
			}
		}
	}
}

// TestAshkinTellerSpecialPoints checks the eigenvalues of Ashkin–Teller transfer matrices
// against models they reduce to: at U = 0 two independent Ising models (ln λ twice
// Kaufman's, the σ-twisted seam one periodic and one antiperiodic Ising model), and at
// U = 1 the 4-state Potts model at 4β (the periodic seam; e^{−β} per bond).
func TestAshkinTellerSpecialPoints(t *testing.T) {
	for _, L := range []int{3, 5, 7} {
		for _, beta := range []float64{0.3, IsingBetaC, 0.6} {
			w, _ := AshkinTeller(0, beta)
			for _, b := range []Boundary{Periodic, Twisted} {
				res, err := Perron(mustSystem(t, w, nil, L, b), &PerronOptions{Tol: 1e-14})
				if err != nil {
					t.Fatal(err)
				}
				p, _ := KaufmanLogLambda(beta, L, Periodic)
				other := p
				if b == Twisted {
					other, _ = KaufmanLogLambda(beta, L, Twisted)
				}
				if d := math.Abs(res.LogLambda - (p + other)); d > 1e-10 {
					t.Errorf("U=0 β=%v L=%d %v: ln λ = %.13f, two Ising models %.13f", beta, L, b, res.LogLambda, p+other)
				}
			}
			w1, _ := AshkinTeller(1, beta)
			potts, _ := Potts(4, 4*beta)
			got, err := Perron(mustSystem(t, w1, nil, L, Periodic), &PerronOptions{Tol: 1e-14})
			if err != nil {
				t.Fatal(err)
			}
			want, err := Perron(mustSystem(t, potts, nil, L, Periodic), &PerronOptions{Tol: 1e-14})
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(got.LogLambda - (want.LogLambda - 2*float64(L)*beta)); d > 1e-10 {
				t.Errorf("U=1 β=%v L=%d: ln λ = %.13f, Potts(4, 4β) − 2Lβ = %.13f", beta, L, got.LogLambda, want.LogLambda-2*float64(L)*beta)
			}
		}
	}
}

// TestKaufmanAnisotropic checks the anisotropic closed form against power iteration, and
// against the isotropic form where the couplings agree.
func TestKaufmanAnisotropic(t *testing.T) {
	for _, k := range [][2]float64{{0.3, 0.6}, {0.6, 0.3}, {0.2, 0.9}, {1.1, 0.15}, {0.5, 0.5}} {
		wh, _ := Ising(k[0])
		wv, _ := Ising(k[1])
		for L := 2; L <= 10; L++ {
			for _, b := range []Boundary{Periodic, Twisted} {
				s, err := NewAnisotropicSystem(wh, wv, L, b)
				if err != nil {
					t.Fatal(err)
				}
				res, err := Perron(s, &PerronOptions{Tol: 1e-14})
				if err != nil {
					t.Fatal(err)
				}
				want, err := KaufmanAnisotropicLogLambda(k[0], k[1], L, b)
				if err != nil {
					t.Fatal(err)
				}
				if d := math.Abs(res.LogLambda-want) / float64(L); d > 1e-12 {
					t.Errorf("K=%v L=%d %v: power ln λ/L = %.14f, Kaufman %.14f", k, L, b, res.LogLambda/float64(L), want/float64(L))
				}
			}
		}
	}
	// Equal couplings: the isotropic closed form, also where the large-K form takes over.
	for _, beta := range []float64{1e-6, 0.2, IsingBetaC, 0.9, 30, 149, 151, 400, 1e4} {
		for _, b := range []Boundary{Periodic, Twisted} {
			got, err := KaufmanAnisotropicLogLambda(beta, beta, 12, b)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := KaufmanLogLambda(beta, 12, b)
			if relDiff(got, want) > 1e-13 {
				t.Errorf("β=%v %v: anisotropic form %.15g, isotropic %.15g", beta, b, got, want)
			}
		}
	}
	// One strong coupling: every bond satisfied, ln λ → L(K1 + K2); a twist costs one
	// horizontal domain wall, 2K1.
	for _, k := range [][2]float64{{200, 0.8}, {0.8, 200}, {500, 300}} {
		const L = 9
		p, _ := KaufmanAnisotropicLogLambda(k[0], k[1], L, Periodic)
		tw, _ := KaufmanAnisotropicLogLambda(k[0], k[1], L, Twisted)
		if k[0] > 100 && k[1] > 100 {
			if relDiff(p, L*(k[0]+k[1])) > 1e-14 || math.Abs(p-tw-2*k[0]) > 1e-9 {
				t.Errorf("K=%v: ln λ = %v (want %v), periodic − twisted %v (want %v)", k, p, L*(k[0]+k[1]), p-tw, 2*k[0])
			}
			continue
		}
		// One strong coupling and one moderate: compare with power iteration at L = 5.
		wh, _ := Ising(k[0])
		wv, _ := Ising(k[1])
		for _, b := range []Boundary{Periodic, Twisted} {
			s, _ := NewAnisotropicSystem(wh, wv, 5, b)
			res, err := Perron(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := KaufmanAnisotropicLogLambda(k[0], k[1], 5, b)
			if relDiff(res.LogLambda, want) > 1e-13 {
				t.Errorf("K=%v %v: power ln λ = %.15g, Kaufman %.15g", k, b, res.LogLambda, want)
			}
		}
	}
}

// TestShifts checks the symmetry group of transfer matrices, seams included.
func TestShifts(t *testing.T) {
	rng := seeded(t, 41)
	must := func(w BondWeight, err error) BondWeight {
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	ising, potts, clock := must(Ising(0.4)), must(Potts(3, 1)), must(Clock(5, 1))
	at := must(AshkinTeller(0.3, 0.5))
	tests := []struct {
		name     string
		h, v     BondWeight
		b        Boundary
		want     []int
		symmetry bool
	}{
		{"ising", ising, ising, Twisted, []int{0, 1}, true},
		{"ising anisotropic", ising, must(Ising(0.9)), Periodic, []int{0, 1}, true},
		{"potts twisted", potts, potts, Twisted, []int{0, 1, 2}, true},
		{"clock5", clock, clock, Periodic, []int{0, 1, 2, 3, 4}, true},
		{"ashkin-teller periodic", at, at, Periodic, []int{0, 1, 2, 3}, true},
		{"ashkin-teller σ-twisted", at, at, Twisted, []int{0, 2}, true},
		{"custom", randomCustom(t, rng, 3), potts, Periodic, []int{0}, true},
		{"custom vertical", potts, randomCustom(t, rng, 3), Periodic, []int{0}, false},
	}
	for _, tc := range tests {
		s, err := NewAnisotropicSystem(tc.h, tc.v, 4, tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Shifts(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Shifts() = %v, want %v", tc.name, got, tc.want)
		}
		if s.Symmetric() != tc.symmetry {
			t.Errorf("%s: Symmetric() = %v, want %v", tc.name, s.Symmetric(), tc.symmetry)
		}
		if s.Isotropic() != (tc.h.String() == tc.v.String()) {
			t.Errorf("%s: Isotropic() = %v", tc.name, s.Isotropic())
		}
	}
	// The Perron vector is invariant under each shift, and not under the others.
	for _, b := range []Boundary{Periodic, Twisted} {
		s := mustSystem(t, at, nil, 4, b)
		res, err := Perron(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k < 4; k++ {
			maxDiff := 0.0
			for n := range res.P {
				states := decodeStates(n, 4, 4)
				for i := range states {
					states[i] = (states[i] + k) % 4
				}
				maxDiff = max(maxDiff, math.Abs(res.P[s.Index(hardRow(4, states))]-res.P[n]))
			}
			invariant := slices.Contains(s.Shifts(), k)
			if invariant && maxDiff > 1e-12 || !invariant && maxDiff < 1e-6 {
				t.Errorf("%v shift %d: max |p(x+k) − p(x)| = %.2g; listed in Shifts() %v", b, k, maxDiff, invariant)
			}
		}
	}
}

func ExampleNewAnisotropicSystem() {
	// The Ising model with the bonds between rows twice as strong as those within a row, at
	// its critical point sinh 2β · sinh 4β = 1.
	betaC, _ := IsingCriticalBeta(2)
	wh, _ := Ising(betaC)
	wv, _ := Ising(2 * betaC)
	sys, _ := NewAnisotropicSystem(wh, wv, 6, Periodic)
	res, _ := Perron(sys, nil)
	kaufman, _ := KaufmanAnisotropicLogLambda(betaC, 2*betaC, 6, Periodic)
	fmt.Printf("β_c = %.6f, ln λ/L = %.10f (Kaufman %.10f)\n", betaC, res.LogLambda/6, kaufman/6)
	// Output:
	// β_c = 0.304689, ln λ/L = 0.9640068392 (Kaufman 0.9640068392)
}
