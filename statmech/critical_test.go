package statmech

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestCriticalLines checks each exact critical point against its defining equation, its
// isotropic value and the symmetry of the lattice: exchanging the two directions swaps
// the couplings (β, βr), so that β_c(1/r) = r·β_c(r).
func TestCriticalLines(t *testing.T) {
	ratios := []float64{0.1, 0.5, 1, 2, 3.7, 10}
	for _, r := range ratios {
		b, err := IsingCriticalBeta(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := math.Sinh(2*b) * math.Sinh(2*b*r); math.Abs(got-1) > 1e-14 {
			t.Errorf("Ising r=%v: sinh 2β_c · sinh 2β_c r = %v, want 1", r, got)
		}
		inv, _ := IsingCriticalBeta(1 / r)
		if relDiff(inv, r*b) > 1e-14 {
			t.Errorf("Ising: β_c(1/%v) = %v, want r·β_c(r) = %v", r, inv, r*b)
		}
		for _, q := range []int{2, 3, 4, 7} {
			p, err := PottsCriticalBeta(q, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := math.Expm1(p) * math.Expm1(p*r); relDiff(got, float64(q)) > 1e-14 {
				t.Errorf("Potts q=%d r=%v: (e^β − 1)(e^βr − 1) = %v, want q", q, r, got)
			}
			if q == 2 && relDiff(p, 2*b) > 1e-14 {
				t.Errorf("Potts q=2 r=%v: β_c = %v, want twice Ising's %v", r, p, 2*b)
			}
		}
		c2, _ := ClockCriticalBeta(2, r)
		c4, _ := ClockCriticalBeta(4, r)
		c3, _ := ClockCriticalBeta(3, r)
		p3, _ := PottsCriticalBeta(3, r)
		if c2 != b || relDiff(c4, 2*b) > 1e-15 || relDiff(c3, p3*2/3) > 1e-15 {
			t.Errorf("clock r=%v: β_c = %v, %v, %v; want Ising %v, Potts3·2/3 %v, 2·Ising %v", r, c2, c3, c4, b, p3*2/3, 2*b)
		}
	}
	// The anisotropy factor against Kaufman's spectrum: at the critical line the amplitude
	// of ln λ/L is πζc/6 with c = 1/2, so that L²(ln λ/L − f_∞) → πζ/12; here from three
	// large sizes, f_∞ and the L^−4 term eliminated, to 1e-6.
	for _, r := range []float64{0.25, 0.5, 2, 4} {
		zeta, err := IsingAnisotropyFactor(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := IsingCriticalBeta(r)
		f := func(L int) float64 { v, _ := KaufmanAnisotropicLogLambda(b, b*r, L, Periodic); return v / float64(L) }
		// a(L, L') = A + B(1/L² + 1/L'²) for f = f_∞ + A/L² + B/L⁴.
		pair := func(l1, l2 int) (a, s float64) {
			u1, u2 := 1/float64(l1*l1), 1/float64(l2*l2)
			return (f(l1) - f(l2)) / (u1 - u2), u1 + u2
		}
		a1, s1 := pair(100, 200)
		a2, s2 := pair(200, 400)
		amp := a2 - (a1-a2)/(s1-s2)*s2
		if got := amp * 12 / math.Pi; math.Abs(got-zeta) > 1e-6*zeta {
			t.Errorf("r = %v: amplitude gives ζ = %.8f, IsingAnisotropyFactor %.8f", r, got, zeta)
		}
		if math.Abs(zeta*math.Sinh(2*b*r)-1) > 1e-14 {
			t.Errorf("r = %v: ζ·sinh 2β_c r = %v, want 1", r, zeta*math.Sinh(2*b*r))
		}
	}
	if z, _ := IsingAnisotropyFactor(1); z != 1 {
		t.Errorf("IsingAnisotropyFactor(1) = %v, want 1", z)
	}
	if b, _ := IsingCriticalBeta(1); b != IsingBetaC {
		t.Errorf("IsingCriticalBeta(1) = %v, want IsingBetaC", b)
	}
	for _, q := range []int{2, 3, 4, 10} {
		if p, _ := PottsCriticalBeta(q, 1); p != PottsBetaC(q) {
			t.Errorf("PottsCriticalBeta(%d, 1) = %v, want ln(1+√q) = %v", q, p, PottsBetaC(q))
		}
	}
	for _, u := range []float64{-0.99, -0.5, -0.1, 0, 0.3, 0.7, 1} {
		b, err := AshkinTellerCriticalBeta(u)
		if err != nil {
			t.Fatal(err)
		}
		if got := math.Sinh(2*b) * math.Exp(2*b*u); math.Abs(got-1) > 1e-13 {
			t.Errorf("Ashkin–Teller U=%v: sinh 2β_c · e^{2β_c U} = %v, want 1", u, got)
		}
	}
	if b, _ := AshkinTellerCriticalBeta(1); relDiff(b, math.Log(3)/4) > 1e-15 {
		t.Errorf("Ashkin–Teller U=1: β_c = %v, want the 4-state Potts point ln(3)/4 = %v", b, math.Log(3)/4)
	}
	for _, tc := range []struct{ u, nu float64 }{{0, 1}, {1, 2.0 / 3}, {-0.999999, 2}} {
		nu, err := AshkinTellerNu(tc.u)
		if err != nil || math.Abs(nu-tc.nu) > 1e-4 {
			t.Errorf("AshkinTellerNu(%v) = %v, %v; want %v", tc.u, nu, err, tc.nu)
		}
	}
}

func TestCriticalLinesRefuse(t *testing.T) {
	tests := []struct {
		name string
		err  error
		f    func() error
		want string
	}{
		{"ising ratio 0", ErrCoupling, func() error { _, err := IsingCriticalBeta(0); return err }, "coupling ratio J_y/J_x must be finite and > 0, got 0"},
		{"potts ratio NaN", ErrCoupling, func() error { _, err := PottsCriticalBeta(3, math.NaN()); return err }, "got NaN"},
		{"potts q 1", ErrStates, func() error { _, err := PottsCriticalBeta(1, 1); return err }, "q must be in [2, 1024]"},
		{"clock q 5", ErrNoClosedForm, func() error { _, err := ClockCriticalBeta(5, 1); return err }, "5-state clock"},
		{"ashkin-teller U -1", ErrCoupling, func() error { _, err := AshkinTellerCriticalBeta(-1); return err }, "must be finite and > −1, got -1"},
		{"ashkin-teller U 1.5", ErrNoClosedForm, func() error { _, err := AshkinTellerCriticalBeta(1.5); return err }, "splits into two"},
		{"ashkin-teller weight U -2", ErrCoupling, func() error { _, err := AshkinTeller(-2, 1); return err }, "four-spin coupling U"},
		{"ashkin-teller weight U Inf", ErrCoupling, func() error { _, err := AshkinTeller(math.Inf(1), 1); return err }, "got +Inf"},
		{"ashkin-teller weight beta", ErrBeta, func() error { _, err := AshkinTeller(0, 0); return err }, "beta must be finite and > 0"},
		{"anisotropic q", ErrBondWeight, func() error {
			a, _ := Ising(1)
			b, _ := Potts(3, 1)
			_, err := NewAnisotropicSystem(a, b, 4, Periodic)
			return err
		}, "same q, got 2 and 3"},
		{"kaufman anisotropic beta", ErrBeta, func() error { _, err := KaufmanAnisotropicLogLambda(0.4, -1, 4, Periodic); return err }, "got -1"},
	}
	for _, tc := range tests {
		err := tc.f()
		if !errors.Is(err, tc.err) || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %v containing %q", tc.name, err, tc.err, tc.want)
		}
	}
}
