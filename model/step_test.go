package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStepMatchesLogProb steps a tape by hand through given rows and checks the
// conditionals and the final log p against LogProb.
func TestStepMatchesLogProb(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	m, err := New(5, []int{3, 6, 3}, &Options{Rand: rng})
	if err != nil {
		t.Fatal(err)
	}
	for k := range m.Params() {
		m.Params()[k] = 0.5 * rng.NormFloat64()
	}
	const batch = 4
	q, units := 3, 5
	rows := make([]float64, batch*units*q)
	NewTape(m).Sample(rows, batch, rng)
	ref := NewTape(m)
	ref.LogProb(nil, rows)
	want := make([]float64, batch*units*q)
	ref.Conditionals(want)

	tape := NewTape(m)
	tape.Start(batch)
	cond := make([]float64, batch*q)
	xi := make([]float64, batch*q)
	for i := 0; i < units; i++ {
		tape.Step(i, cond)
		for n := 0; n < batch; n++ {
			for a := 0; a < q; a++ {
				if d := math.Abs(cond[n*q+a] - want[(n*units+i)*q+a]); d > 1e-13 {
					t.Fatalf("unit %d row %d state %d: Step %v, LogProb %v", i, n, a, cond[n*q+a], want[(n*units+i)*q+a])
				}
				xi[n*q+a] = rows[(n*units+i)*q+a]
			}
		}
		tape.Set(i, xi)
	}
	got, lp := make([]float64, batch), make([]float64, batch)
	tape.SampleLogProb(got)
	ref.SampleLogProb(lp)
	for n := range got {
		if math.Abs(got[n]-lp[n]) > 1e-12 {
			t.Errorf("row %d: log p %v stepped, %v by LogProb", n, got[n], lp[n])
		}
	}
}

// TestLogitsBackward checks LogitsBackward against finite differences of a loss that is
// a fixed linear function of the logits, L = Σ c·logits (logits = lsm + logsumexp).
func TestLogitsBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	m, err := New(4, []int{2, 5, 4, 2}, &Options{Rand: rng, Nonlinearity: Tanh})
	if err != nil {
		t.Fatal(err)
	}
	for k := range m.Params() {
		m.Params()[k] = 0.6 * rng.NormFloat64()
	}
	const batch = 3
	q, units := 2, 4
	rows := make([]float64, batch*units*q)
	NewTape(m).Sample(rows, batch, rng)
	c := make([]float64, batch*units*q)
	for k := range c {
		c[k] = rng.NormFloat64()
	}
	// logits up to a per-unit constant: use the log-conditionals, and make the loss
	// shift-invariant per unit (c sums to zero over a) so the constant drops out.
	for s := 0; s < batch*units; s++ {
		mean := (c[s*q] + c[s*q+1]) / 2
		c[s*q] -= mean
		c[s*q+1] -= mean
	}
	loss := func() float64 {
		tp := NewTape(m)
		tp.LogProb(nil, rows)
		lsm := make([]float64, batch*units*q)
		tp.Conditionals(lsm)
		var l float64
		for k := range c {
			l += c[k] * lsm[k]
		}
		return l
	}
	m.ZeroGrad()
	tp := NewTape(m)
	tp.LogProb(nil, rows)
	tp.LogitsBackward(c)
	const h = 1e-6
	for _, k := range []int{0, 3, 17, m.NumParams() / 2, m.NumParams() - 1} {
		old := m.Params()[k]
		m.Params()[k] = old + h
		lp := loss()
		m.Params()[k] = old - h
		lm := loss()
		m.Params()[k] = old
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-m.Grad()[k]) > 1e-6*(1+math.Abs(fd)) {
			t.Errorf("param %d: LogitsBackward %v, finite difference %v", k, m.Grad()[k], fd)
		}
	}
}
