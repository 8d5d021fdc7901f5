package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// checkFD compares analytic derivatives of f with central differences,
// perturbing each of v in turn: |fd − analytic| ≤ 1e-6·|analytic| plus a floor
// of 1e-8 times the largest derivative, for the components that are zero.
func checkFD(t *testing.T, what string, f func() float64, v, analytic []float64) {
	t.Helper()
	const h = 1e-5
	scale := 0.0
	for _, g := range analytic {
		scale = math.Max(scale, math.Abs(g))
	}
	if scale == 0 {
		t.Fatalf("%s: analytic gradient is zero; the test checks nothing", what)
	}
	worst := 0.0
	for k := range v {
		v0 := v[k]
		v[k] = v0 + h
		fp := f()
		v[k] = v0 - h
		fm := f()
		v[k] = v0
		fd := (fp - fm) / (2 * h)
		err := math.Abs(fd - analytic[k])
		if err > 1e-6*math.Abs(analytic[k])+1e-8*scale {
			t.Fatalf("%s: component %d of %d: finite difference %.12g, analytic %.12g", what, k, len(v), fd, analytic[k])
		}
		worst = math.Max(worst, err/(math.Abs(analytic[k])+1e-8*scale))
	}
	t.Logf("%s: %d components, worst relative error %.2g", what, len(v), worst)
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

type gradCase struct {
	q    int
	hard bool
	act  Nonlinearity
}

func gradCases() []gradCase {
	cs := []gradCase{{3, false, ELU}, {3, false, Softplus}}
	for _, q := range []int{2, 3} {
		for _, hard := range []bool{true, false} {
			for _, act := range []Nonlinearity{ReLU, Tanh} {
				cs = append(cs, gradCase{q, hard, act})
			}
		}
	}
	return cs
}

// TestLogProbGradient checks LogProbBackward with respect to the parameters
// and to x, for L = Σ_n c_n log p(x_n), with two hidden layers.
func TestLogProbGradient(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(fmt.Sprintf("q%d/hard=%v/%v", tc.q, tc.hard, tc.act), func(t *testing.T) {
			const units, batch = 4, 5
			m := testModel(t, units, []int{tc.q, 5, 4, tc.q}, tc.act, 3)
			rng := rand.New(rand.NewPCG(5, uint64(tc.q)))
			x := randomRows(rng, batch, units, tc.q, tc.hard)
			c := randSlice(rng, batch)
			tape := NewTape(m)
			lp := make([]float64, batch)
			loss := func() float64 {
				tape.LogProb(lp, x)
				return dot(c, lp)
			}
			loss()
			m.ZeroGrad()
			dx := make([]float64, len(x))
			tape.LogProbBackward(c, dx)
			grad := append([]float64(nil), m.Grad()...)
			checkFD(t, "dL/dθ", loss, m.Params(), grad)
			checkFD(t, "dL/dx", loss, x, dx)

			// Backward accumulates: a second pass doubles the gradient,
			// and dx is added to, not overwritten.
			loss()
			tape.LogProbBackward(c, dx)
			for k, g := range m.Grad() {
				if math.Abs(g-2*grad[k]) > 1e-12*(1+math.Abs(g)) {
					t.Fatalf("second backward: grad[%d] = %v, want %v", k, g, 2*grad[k])
				}
			}
		})
	}
}

// relaxedLoss is L = Σ gx·x + Σ c·log p(x) over relaxed samples x.
func relaxedLoss(tape *Tape, x, lp, gx, c []float64) float64 {
	tape.SampleLogProb(lp)
	return dot(gx, x) + dot(c, lp)
}

// TestGumbelGradient checks Tape.Backward of SampleGumbel against finite
// differences of the sampling path with the Gumbel noise fixed (the same
// generator state for every evaluation).
func TestGumbelGradient(t *testing.T) {
	for _, tc := range gradCases() {
		if tc.hard || tc.act == ELU || tc.act == Softplus {
			continue // the rows are relaxed (see TestStraightThroughGradient); two nonlinearities suffice
		}
		for _, withLogP := range []bool{false, true} {
			t.Run(fmt.Sprintf("q%d/%v/logp=%v", tc.q, tc.act, withLogP), func(t *testing.T) {
				const units, batch, tau = 4, 6, 0.7
				m := testModel(t, units, []int{tc.q, 5, 4, tc.q}, tc.act, 4)
				rng := rand.New(rand.NewPCG(6, 6))
				gx := randSlice(rng, batch*units*tc.q)
				var c []float64
				if withLogP {
					c = randSlice(rng, batch)
				}
				cc := make([]float64, batch)
				copy(cc, c)
				tape := NewTape(m)
				x, lp := make([]float64, len(gx)), make([]float64, batch)
				loss := func() float64 {
					tape.SampleGumbel(x, batch, tau, rand.New(rand.NewPCG(42, 43)))
					return relaxedLoss(tape, x, lp, gx, cc)
				}
				loss()
				m.ZeroGrad()
				tape.Backward(gx, c)
				checkFD(t, "dL/dθ through Gumbel samples", loss, m.Params(), append([]float64(nil), m.Grad()...))
			})
		}
	}
}

// TestStraightThroughGradient checks the straight-through backward against
// finite differences of its surrogate: x̃_i = hard_i + y_i(θ, x̃_<i) − y_i(θ₀, x̃_<i(θ₀)),
// whose value at θ₀ is the one-hot sample and whose derivative is the
// relaxed one. SampleFunc replays it with the recorded noise.
func TestStraightThroughGradient(t *testing.T) {
	for _, q := range []int{2, 3} {
		t.Run(fmt.Sprintf("q%d", q), func(t *testing.T) {
			const units, batch, tau = 4, 6, 0.8
			m := testModel(t, units, []int{q, 5, 4, q}, Tanh, 5)
			rng := rand.New(rand.NewPCG(7, 7))
			gx := randSlice(rng, batch*units*q)
			c := randSlice(rng, batch)
			tape := NewTape(m)
			hard, lp := make([]float64, len(gx)), make([]float64, batch)
			tape.SampleStraightThrough(hard, batch, tau, rand.New(rand.NewPCG(42, 43)))
			// Recover the noise-shifted logits of the recorded sample: y and log p.
			y0 := make([]float64, len(gx))
			toSampleMajor(y0, tape.y, batch, units*q)
			g := make([]float64, len(gx)) // Gumbel noise, replayed with the same stream
			nrng := rand.New(rand.NewPCG(42, 43))
			for i := 0; i < units; i++ {
				for a := 0; a < q; a++ {
					for n := 0; n < batch; n++ {
						g[(n*units+i)*q+a] = gumbel(nrng)
					}
				}
			}
			m.ZeroGrad()
			tape.Backward(gx, c)
			analytic := append([]float64(nil), m.Grad()...)

			xs := make([]float64, len(gx))
			sur := NewTape(m)
			loss := func() float64 {
				sur.SampleFunc(xs, batch, func(i int, logp, xi []float64) {
					for n := 0; n < batch; n++ {
						k := (n*units + i) * q
						mx := math.Inf(-1)
						v := make([]float64, q)
						for a := range v {
							v[a] = (logp[n*q+a] + g[k+a]) / tau
							mx = math.Max(mx, v[a])
						}
						var s float64
						for a := range v {
							v[a] = math.Exp(v[a] - mx)
							s += v[a]
						}
						for a := range v {
							xi[n*q+a] = hard[k+a] + v[a]/s - y0[k+a]
						}
					}
				})
				return relaxedLoss(sur, xs, lp, gx, c)
			}
			loss()
			for k := range xs {
				if math.Abs(xs[k]-hard[k]) > 1e-12 {
					t.Fatalf("surrogate at θ₀ is not the one-hot sample: %v vs %v", xs[k], hard[k])
				}
			}
			checkFD(t, "dL/dθ straight-through", loss, m.Params(), analytic)
		})
	}
}

// TestFusedLogProbGradient checks that Backward(gx, glogp) on a relaxed tape
// equals the literal route: log p forward and backward of the samples as
// given rows (with ∂/∂x), then Backward(gx + ∂/∂x, nil).
func TestFusedLogProbGradient(t *testing.T) {
	const units, batch = 6, 8
	for _, q := range []int{2, 3} {
		m := testModel(t, units, []int{q, 7, 6, q}, ReLU, 9)
		rng := rand.New(rand.NewPCG(10, 10))
		gx := randSlice(rng, batch*units*q)
		c := randSlice(rng, batch)
		tape := NewTape(m)
		x := make([]float64, len(gx))
		tape.SampleGumbel(x, batch, 0.5, rng)
		m.ZeroGrad()
		tape.Backward(gx, c)
		fused := append([]float64(nil), m.Grad()...)

		m.ZeroGrad()
		lpTape := NewTape(m)
		lpTape.LogProb(nil, x)
		dx := append([]float64(nil), gx...)
		lpTape.LogProbBackward(c, dx)
		tape.Backward(dx, nil)
		closeSlices(t, fmt.Sprintf("q=%d fused vs literal gradient", q), m.Grad(), fused, 1e-11)
	}
}
