package statmech

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestBondWeights(t *testing.T) {
	const beta = 0.3
	ising, _ := Ising(beta)
	clock2, _ := Clock(2, beta)
	potts, _ := Potts(4, beta)
	clock3, _ := Clock(3, beta)
	potts3, _ := Potts(3, 1.5*beta)
	for a := range 2 {
		for b := range 2 {
			if ising.At(a, b) != clock2.At(a, b) {
				t.Errorf("Clock(2).At(%d,%d) = %v, Ising %v", a, b, clock2.At(a, b), ising.At(a, b))
			}
		}
	}
	if got, want := ising.At(0, 0), math.Exp(beta); got != want {
		t.Errorf("Ising.At(0,0) = %v, want e^β = %v", got, want)
	}
	if got, want := ising.At(0, 1), math.Exp(-beta); got != want {
		t.Errorf("Ising.At(0,1) = %v, want e^-β = %v", got, want)
	}
	if got, want := potts.At(2, 2), math.Exp(beta); got != want || potts.At(1, 3) != 1 {
		t.Errorf("Potts(4).At(2,2) = %v (want %v), At(1,3) = %v (want 1)", got, want, potts.At(1, 3))
	}
	// The 3-state clock model is the Potts model at 3β/2, up to a factor e^{−β/2}.
	for a := range 3 {
		for b := range 3 {
			if got, want := clock3.At(a, b), potts3.At(a, b)*math.Exp(-beta/2); relDiff(got, want) > 1e-15 {
				t.Errorf("Clock(3).At(%d,%d) = %v, Potts(3, 3β/2)·e^{−β/2} = %v", a, b, got, want)
			}
		}
	}
	for q := 2; q <= 12; q++ {
		w, _ := Clock(q, 0.9)
		if !w.Symmetric() {
			t.Errorf("Clock(%d) is not symmetric", q)
		}
		for a := range q {
			for b := range q {
				want := math.Exp(0.9 * math.Cos(2*math.Pi*float64(a-b)/float64(q)))
				if relDiff(w.At(a, b), want) > 1e-15 {
					t.Errorf("Clock(%d).At(%d,%d) = %v, want %v", q, a, b, w.At(a, b), want)
				}
			}
		}
	}
	custom, err := Custom([][]float64{{1, 2}, {3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if custom.Q() != 2 || custom.At(1, 0) != 3 || custom.Symmetric() || !ising.Symmetric() {
		t.Errorf("Custom: Q %d At(1,0) %v Symmetric %v", custom.Q(), custom.At(1, 0), custom.Symmetric())
	}
	if got := custom.String(); got != "1,2;3,4" {
		t.Errorf("String() = %q", got)
	}
	if got := custom.Twist().String(); got != "2,1;4,3" {
		t.Errorf("Twist().String() = %q, want columns shifted: 2,1;4,3", got)
	}
	m := custom.Matrix()
	m[0][0] = 99
	if custom.At(0, 0) != 1 {
		t.Error("Matrix() aliases the bond weight")
	}
}

func TestBoundary(t *testing.T) {
	for _, b := range []Boundary{Periodic, Twisted} {
		got, err := ParseBoundary(b.String())
		if err != nil || got != b {
			t.Errorf("ParseBoundary(%q) = %v, %v", b.String(), got, err)
		}
		text, _ := b.MarshalText()
		var u Boundary
		if err := u.UnmarshalText(text); err != nil || u != b {
			t.Errorf("text round trip of %v: %v, %v", b, u, err)
		}
	}
	if Periodic.String() != "periodic" || Twisted.String() != "twisted" {
		t.Errorf("String: %q %q", Periodic, Twisted)
	}
}

// TestBadInput: every user-facing constructor refuses bad values with an error that wraps
// the right sentinel and names the parameter, the allowed range and the value.
func TestBadInput(t *testing.T) {
	ising, _ := Ising(1)
	tests := []struct {
		name string
		f    func() error
		err  error
		want string
	}{
		{"ising beta 0", func() error { _, err := Ising(0); return err }, ErrBeta, "beta must be finite and > 0, got 0"},
		{"ising beta -1", func() error { _, err := Ising(-1); return err }, ErrBeta, "beta must be finite and > 0, got -1"},
		{"ising beta NaN", func() error { _, err := Ising(math.NaN()); return err }, ErrBeta, "got NaN"},
		{"ising beta Inf", func() error { _, err := Ising(math.Inf(1)); return err }, ErrBeta, "got +Inf"},
		{"ising beta huge", func() error { _, err := Ising(1e308); return err }, ErrBondWeight, "beta = 1e+308 is too large"},
		{"potts q 1", func() error { _, err := Potts(1, 1); return err }, ErrStates, "q must be in [2, 1024], got 1"},
		{"potts q huge", func() error { _, err := Potts(5000, 1); return err }, ErrStates, "q must be in [2, 1024], got 5000"},
		{"potts beta", func() error { _, err := Potts(3, -0.5); return err }, ErrBeta, "beta must be finite and > 0, got -0.5"},
		{"clock q 0", func() error { _, err := Clock(0, 1); return err }, ErrStates, "q must be in [2, 1024], got 0"},
		{"clock beta", func() error { _, err := Clock(4, 0); return err }, ErrBeta, "beta must be finite and > 0"},
		{"custom empty", func() error { _, err := Custom(nil); return err }, ErrBondWeight, "q rows with q in [2, 1024], got 0 rows"},
		{"custom 1x1", func() error { _, err := Custom([][]float64{{1}}); return err }, ErrBondWeight, "got 1 rows"},
		{"custom ragged", func() error { _, err := Custom([][]float64{{1, 2}, {3}}); return err }, ErrBondWeight, "must be square (2×2), row 1 has 1 entries"},
		{"custom zero", func() error { _, err := Custom([][]float64{{1, 0}, {1, 1}}); return err }, ErrBondWeight, "entry W[0][1] must be finite and > 0, got 0"},
		{"custom negative", func() error { _, err := Custom([][]float64{{1, 1}, {-2, 1}}); return err }, ErrBondWeight, "entry W[1][0] must be finite and > 0, got -2"},
		{"custom NaN", func() error { _, err := Custom([][]float64{{1, 1}, {1, math.NaN()}}); return err }, ErrBondWeight, "got NaN"},
		{"custom Inf", func() error { _, err := Custom([][]float64{{math.Inf(1), 1}, {1, 1}}); return err }, ErrBondWeight, "got +Inf"},
		{"system empty W", func() error { _, err := NewSystem(BondWeight{}, 4, Periodic); return err }, ErrBondWeight, "bond weight is empty"},
		{"system L 1", func() error { _, err := NewSystem(ising, 1, Periodic); return err }, ErrSize, "L must be in [2, 65536], got 1"},
		{"system L huge", func() error { _, err := NewSystem(ising, 1<<40, Periodic); return err }, ErrSize, "L must be in [2, 65536]"},
		{"system boundary", func() error { _, err := NewSystem(ising, 4, Boundary(7)); return err }, ErrBoundary, "boundary must be periodic or twisted, got 7"},
		{"parse boundary", func() error { _, err := ParseBoundary("open"); return err }, ErrBoundary, `boundary must be periodic or twisted, got "open"`},
		{"kaufman beta", func() error { _, err := KaufmanLogLambda(0, 8, Periodic); return err }, ErrBeta, "beta must be finite and > 0, got 0"},
		{"kaufman L", func() error { _, err := KaufmanLogLambda(1, 1, Periodic); return err }, ErrSize, "L must be in [2, 65536], got 1"},
		{"kaufman boundary", func() error { _, err := KaufmanLogLambda(1, 8, Boundary(-1)); return err }, ErrBoundary, "got -1"},
		{"too large", func() error {
			w, _ := Potts(3, 1)
			s, _ := NewSystem(w, 16, Periodic)
			_, err := Perron(s, nil)
			return err
		}, ErrTooLarge, "q^L = 3^16 exceeds the exact-enumeration limit MaxStates = 16777216"},
		{"too large int overflow", func() error {
			s, _ := NewSystem(ising, 100, Periodic)
			_, err := s.NumStates()
			return err
		}, ErrTooLarge, "q^L = 2^100"},
		{"observables too large", func() error {
			s, _ := NewSystem(ising, 30, Periodic)
			_, err := s.Observables(nil)
			return err
		}, ErrTooLarge, "2^30"},
	}
	for _, tc := range tests {
		err := tc.f()
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %v containing %q", tc.name, err, tc.err, tc.want)
		}
	}
}

func TestNumStates(t *testing.T) {
	w, _ := Ising(1)
	for _, tc := range []struct {
		L, want int
	}{{2, 4}, {10, 1024}, {24, 1 << 24}} {
		s := mustSystem(t, w, nil, tc.L, Periodic)
		if got, err := s.NumStates(); err != nil || got != tc.want {
			t.Errorf("L=%d: NumStates() = %d, %v, want %d", tc.L, got, err, tc.want)
		}
	}
}
