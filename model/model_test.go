package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// testModel returns a model whose every parameter (including the last layer,
// which the default initialisation zeroes) is random, so that gradients
// reach all layers.
func testModel(t testing.TB, units int, features []int, act Nonlinearity, seed uint64) *Model {
	t.Helper()
	m, err := New(units, features, &Options{Nonlinearity: act, Rand: rand.New(rand.NewPCG(seed, 7))})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 8))
	for i := range m.Params() {
		m.Params()[i] = 0.6 * rng.NormFloat64()
	}
	return m
}

// randomRows returns batch rows of units sites with q states: one-hot when
// hard, else random points of the simplex.
func randomRows(rng *rand.Rand, batch, units, q int, hard bool) []float64 {
	x := make([]float64, batch*units*q)
	for s := 0; s < batch*units; s++ {
		site := x[s*q : (s+1)*q]
		if hard {
			site[rng.IntN(q)] = 1
			continue
		}
		var sum float64
		for a := range site {
			site[a] = rng.ExpFloat64()
			sum += site[a]
		}
		for a := range site {
			site[a] /= sum
		}
	}
	return x
}

// naiveLogProb is the seed's log_prob with dense masked matrices, row by row.
func naiveLogProb(m *Model, x []float64) []float64 {
	q, units := m.States(), m.Units()
	batch := len(x) / (units * q)
	out := make([]float64, batch)
	for n := 0; n < batch; n++ {
		a := append([]float64(nil), x[n*units*q:(n+1)*units*q]...)
		for li, l := range m.Layers() {
			w, rows, cols := l.Dense(), l.Units()*l.Out(), l.Units()*l.In()
			z := make([]float64, rows)
			for r := 0; r < rows; r++ {
				if b := l.Bias(); b != nil {
					z[r] = b[r]
				}
				for c := 0; c < cols; c++ {
					z[r] += w[r*cols+c] * a[c]
				}
				if li < len(m.Layers())-1 {
					switch m.Nonlinearity() {
					case ReLU:
						z[r] = math.Max(0, z[r])
					case Tanh:
						z[r] = math.Tanh(z[r])
					case ELU:
						if z[r] < 0 {
							z[r] = math.Exp(z[r]) - 1
						}
					case Softplus:
						z[r] = math.Log(1 + math.Exp(z[r]))
					}
				}
			}
			a = z
		}
		xn := x[n*units*q:]
		for i := 0; i < units; i++ {
			lg := a[i*q : (i+1)*q]
			mx := lg[0]
			for _, v := range lg {
				mx = math.Max(mx, v)
			}
			var s float64
			for _, v := range lg {
				s += math.Exp(v - mx)
			}
			for k, v := range lg {
				out[n] += xn[i*q+k] * (v - mx - math.Log(s))
			}
		}
	}
	return out
}

func TestNewRejectsBadShapes(t *testing.T) {
	tests := []struct {
		units    int
		features []int
		opts     *Options
	}{
		{0, []int{2, 4, 2}, nil},
		{4, []int{2}, nil},
		{4, []int{2, 4, 3}, nil},
		{4, []int{1, 4, 1}, nil},
		{4, []int{2, 0, 2}, nil},
		{4, []int{2, 4, 2}, &Options{Nonlinearity: Softplus + 1}},
		{4, []int{2, 4, 2}, &Options{Init: InitTorch + 1}},
	}
	for _, tt := range tests {
		if _, err := New(tt.units, tt.features, tt.opts); !errors.Is(err, ErrShape) {
			t.Errorf("New(%d, %v, %+v): err %v, want ErrShape", tt.units, tt.features, tt.opts, err)
		}
	}
	if _, err := NewLinear(3, 2, 2, 1, false); !errors.Is(err, ErrShape) {
		t.Errorf("NewLinear(diagonal 1): err %v, want ErrShape", err)
	}
}

func TestModelLayout(t *testing.T) {
	m, err := New(5, []int{3, 4, 6, 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls := m.Layers()
	if len(ls) != 3 || ls[0].Diagonal() != -1 || ls[0].HasBias() || ls[1].Diagonal() != 0 || !ls[1].HasBias() || !ls[2].HasBias() {
		t.Fatalf("layers: got diagonals/biases %v %v, %v %v, %v %v", ls[0].Diagonal(), ls[0].HasBias(), ls[1].Diagonal(), ls[1].HasBias(), ls[2].Diagonal(), ls[2].HasBias())
	}
	// Active blocks only: Σ_i out·(i+1+d)·in, plus biases.
	want := 4*3*(0+1+2+3+4) + (6*4*15 + 5*6) + (3*6*15 + 5*3)
	if m.NumParams() != want || len(m.Grad()) != want {
		t.Fatalf("NumParams: got %d (grad %d), want %d", m.NumParams(), len(m.Grad()), want)
	}
	// The layers are views into the flat vector, in order.
	ls[1].Panel(2)[0] = 42
	off := ls[0].NumParams() + 6*4*(1+2)
	if m.Params()[off] != 42 {
		t.Fatalf("layer 1 panel 2 is not at offset %d of Params", off)
	}
	// The default initialisation starts from the uniform distribution.
	m2, _ := New(5, []int{3, 4, 6, 3}, nil)
	lp := make([]float64, 2)
	m2.LogProb(lp, randomRows(rand.New(rand.NewPCG(1, 2)), 2, 5, 3, false))
	for _, v := range lp {
		if math.Abs(v-5*math.Log(1.0/3)) > 1e-12 {
			t.Fatalf("initial log p %v, want %v", v, 5*math.Log(1.0/3))
		}
	}
	seed, err := New(5, []int{3, 4, 3}, &Options{NoBias: true, Init: InitTorch})
	if err != nil {
		t.Fatal(err)
	}
	if seed.HasBias() || seed.NumParams() != 4*3*10+3*4*15 {
		t.Fatalf("seed-like model: bias %v, %d params", seed.HasBias(), seed.NumParams())
	}
	for _, v := range seed.Params() {
		if math.Abs(v) > 1/math.Sqrt(15) || v == 0 {
			t.Fatalf("InitTorch weight %v outside ±1/√15", v)
		}
	}
}

func TestLinearMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, diag := range []int{0, -1} {
		for _, bias := range []bool{false, true} {
			l, err := NewLinear(5, 3, 4, diag, bias)
			if err != nil {
				t.Fatal(err)
			}
			for i := range l.Params() {
				l.Params()[i] = rng.NormFloat64()
			}
			const batch = 7
			x := randSlice(rng, batch*5*3)
			got := make([]float64, batch*5*4)
			l.Forward(got, x, batch)
			w := l.Dense()
			for n := 0; n < batch; n++ {
				for r := 0; r < 20; r++ {
					var want float64
					if bias {
						want = l.Bias()[r]
					}
					for c := 0; c < 15; c++ {
						if c/3 > r/4+diag && w[r*15+c] != 0 {
							t.Fatalf("Dense: masked block (%d,%d) is not zero", r/4, c/3)
						}
						want += w[r*15+c] * x[n*15+c]
					}
					if d := got[n*20+r] - want; math.Abs(d) > 1e-12 {
						t.Fatalf("diag %d bias %v: Forward[%d,%d] = %v, want %v", diag, bias, n, r, got[n*20+r], want)
					}
				}
			}
			// ForwardAt reads only the active prefix: garbage after it changes nothing.
			for i := 0; i < 5; i++ {
				xs := append([]float64(nil), x...)
				for n := 0; n < batch; n++ {
					for c := l.Active(i); c < 15; c++ {
						xs[n*15+c] = math.NaN()
					}
				}
				at := make([]float64, batch*4)
				l.ForwardAt(at, xs, batch, i)
				for n := 0; n < batch; n++ {
					for o := 0; o < 4; o++ {
						if at[n*4+o] != got[n*20+i*4+o] {
							t.Fatalf("ForwardAt(%d)[%d,%d] = %v, want %v", i, n, o, at[n*4+o], got[n*20+i*4+o])
						}
					}
				}
			}
			// SetDense round trip.
			l2, _ := NewLinear(5, 3, 4, diag, bias)
			l2.SetDense(w)
			for i := 0; i < l.NumParams()-len(l.Bias()); i++ {
				if l2.Params()[i] != l.Params()[i] {
					t.Fatalf("SetDense(Dense()) differs at %d", i)
				}
			}
		}
	}
}

func TestLogProbMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, act := range []Nonlinearity{ReLU, Tanh, ELU, Softplus} {
		for _, q := range []int{2, 3} {
			for _, hard := range []bool{true, false} {
				m := testModel(t, 6, []int{q, 7, 5, q}, act, 11)
				for _, batch := range []int{1, 9, 24} {
					x := randomRows(rng, batch, 6, q, hard)
					got := make([]float64, batch)
					m.LogProb(got, x)
					want := naiveLogProb(m, x)
					for n := range want {
						if math.Abs(got[n]-want[n]) > 1e-11*(1+math.Abs(want[n])) {
							t.Fatalf("%v q=%d hard=%v batch=%d: log p[%d] = %v, want %v", act, q, hard, batch, n, got[n], want[n])
						}
					}
				}
			}
		}
	}
}

// allRows enumerates the q^units one-hot rows.
func allRows(units, q int) []float64 {
	total := 1
	for i := 0; i < units; i++ {
		total *= q
	}
	x := make([]float64, total*units*q)
	for s := 0; s < total; s++ {
		c := s
		for i := units - 1; i >= 0; i-- {
			x[(s*units+i)*q+c%q] = 1
			c /= q
		}
	}
	return x
}

func TestProbabilitiesSumToOne(t *testing.T) {
	for _, tt := range []struct{ units, q int }{{8, 2}, {5, 3}} {
		m := testModel(t, tt.units, []int{tt.q, 6, 6, tt.q}, ReLU, 5)
		x := allRows(tt.units, tt.q)
		lp := make([]float64, len(x)/(tt.units*tt.q))
		m.LogProb(lp, x)
		var s float64
		for _, v := range lp {
			s += math.Exp(v)
		}
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("units %d q %d: Σ p = %v, want 1", tt.units, tt.q, s)
		}
	}
}

// TestSampledActivationsEqualForward checks that the activations recorded
// while sampling site by site are those of a full forward pass on the final
// rows, bit for bit.
func TestSampledActivationsEqualForward(t *testing.T) {
	for _, q := range []int{2, 3} {
		m := testModel(t, 7, []int{q, 8, 6, q}, Tanh, 2)
		const batch = 13
		for _, mode := range []string{"exact", "gumbel", "straight"} {
			rng := rand.New(rand.NewPCG(9, uint64(q)))
			s := NewTape(m)
			x := make([]float64, batch*7*q)
			switch mode {
			case "exact":
				s.Sample(x, batch, rng)
			case "gumbel":
				s.SampleGumbel(x, batch, 0.4, rng)
			case "straight":
				s.SampleStraightThrough(x, batch, 0.4, rng)
			}
			f := NewTape(m)
			lp := make([]float64, batch)
			f.LogProb(lp, x)
			for l := 1; l < len(f.h); l++ {
				for k := range f.h[l] {
					if f.h[l][k] != s.h[l][k] {
						t.Fatalf("q=%d %s: layer %d activation %d: sampled %v, forward %v", q, mode, l, k, s.h[l][k], f.h[l][k])
					}
				}
			}
			for k := range f.lsm {
				if f.lsm[k] != s.lsm[k] {
					t.Fatalf("q=%d %s: log-conditional %d: sampled %v, forward %v", q, mode, k, s.lsm[k], f.lsm[k])
				}
			}
			slp := make([]float64, batch)
			s.SampleLogProb(slp)
			for n := range lp {
				if slp[n] != lp[n] {
					t.Fatalf("q=%d %s: SampleLogProb[%d] = %v, LogProb %v", q, mode, n, slp[n], lp[n])
				}
			}
			if mode != "gumbel" {
				for _, v := range x {
					if v != 0 && v != 1 {
						t.Fatalf("%s: sample value %v is not one-hot", mode, v)
					}
				}
			}
		}
	}
}

// TestSampleDistribution compares the empirical distribution of exact and
// straight-through (Gumbel-max) samples with exp(LogProb) on all q^units rows.
func TestSampleDistribution(t *testing.T) {
	for _, tt := range []struct{ units, q int }{{4, 2}, {3, 3}} {
		m := testModel(t, tt.units, []int{tt.q, 5, 5, tt.q}, ReLU, 21)
		all := allRows(tt.units, tt.q)
		states := len(all) / (tt.units * tt.q)
		lp := make([]float64, states)
		m.LogProb(lp, all)
		for _, mode := range []string{"exact", "straight"} {
			const seed, batch, rounds = 77, 4000, 25
			rng := rand.New(rand.NewPCG(seed, 1))
			counts := make([]float64, states)
			tape := NewTape(m)
			x := make([]float64, batch*tt.units*tt.q)
			for r := 0; r < rounds; r++ {
				if mode == "exact" {
					tape.Sample(x, batch, rng)
				} else {
					tape.SampleStraightThrough(x, batch, 0.5, rng)
				}
				for n := 0; n < batch; n++ {
					s := 0
					for i := 0; i < tt.units; i++ {
						for a := 0; a < tt.q; a++ {
							if x[(n*tt.units+i)*tt.q+a] == 1 {
								s = s*tt.q + a
							}
						}
					}
					counts[s]++
				}
			}
			total := float64(batch * rounds)
			var chi2, tv float64
			for s := range counts {
				e := total * math.Exp(lp[s])
				chi2 += (counts[s] - e) * (counts[s] - e) / e
				tv += math.Abs(counts[s]/total-math.Exp(lp[s])) / 2
			}
			// χ² with states−1 degrees of freedom: mean df, sd √(2df); 6 sd is far beyond chance.
			df := float64(states - 1)
			if limit := df + 6*math.Sqrt(2*df); chi2 > limit || tv > 0.01 {
				t.Errorf("units %d q %d %s (seed %d): χ² = %.1f (limit %.1f, df %.0f), TV = %.4f", tt.units, tt.q, mode, seed, chi2, limit, df, tv)
			}
		}
	}
}

func TestSampleFuncRecordsChoices(t *testing.T) {
	m := testModel(t, 5, []int{3, 4, 4, 3}, ReLU, 8)
	tape := NewTape(m)
	const batch = 6
	x := make([]float64, batch*5*3)
	cond := make([]float64, batch*5*3)
	tape.SampleFunc(x, batch, func(i int, logp, xi []float64) {
		for n := 0; n < batch; n++ {
			copy(cond[(n*5+i)*3:(n*5+i+1)*3], logp[n*3:(n+1)*3])
			xi[n*3+(n+i)%3] = 1 // a fixed pattern
		}
	})
	lp, want := make([]float64, batch), make([]float64, batch)
	tape.SampleLogProb(lp)
	m.LogProb(want, x)
	c2 := make([]float64, len(cond))
	tape.Conditionals(c2)
	for n := 0; n < batch; n++ {
		if lp[n] != want[n] {
			t.Fatalf("SampleLogProb[%d] = %v, LogProb %v", n, lp[n], want[n])
		}
		for i := 0; i < 5; i++ {
			if x[(n*5+i)*3+(n+i)%3] != 1 {
				t.Fatalf("row %d site %d: choice not recorded", n, i)
			}
		}
	}
	for k := range cond {
		if cond[k] != c2[k] {
			t.Fatalf("Conditionals[%d] = %v, seen while choosing %v", k, c2[k], cond[k])
		}
	}
}

func TestKernelsAgreeInModel(t *testing.T) {
	if kern.name == goKernel.name {
		t.Skip("only the portable kernels are built")
	}
	m := testModel(t, 9, []int{2, 12, 10, 2}, ReLU, 4)
	x := randomRows(rand.New(rand.NewPCG(1, 1)), 37, 9, 2, false)
	fast, slow := make([]float64, 37), make([]float64, 37)
	m.LogProb(fast, x)
	saved := kern
	kern = goKernel
	defer func() { kern = saved }()
	m.LogProb(slow, x)
	closeSlices(t, "log p, go vs "+saved.name, fast, slow, 1e-12)
}

func TestEncodingRoundTrip(t *testing.T) {
	m := testModel(t, 4, []int{3, 5, 3}, ELU, 1)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var m2 Model
	if err := m2.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if m2.Units() != 4 || fmt.Sprint(m2.Features()) != "[3 5 3]" || m2.Nonlinearity() != ELU || !m2.HasBias() {
		t.Fatalf("decoded model: units %d features %v %v bias %v", m2.Units(), m2.Features(), m2.Nonlinearity(), m2.HasBias())
	}
	for i, v := range m.Params() {
		if math.Float64bits(m2.Params()[i]) != math.Float64bits(v) {
			t.Fatalf("param %d: got %v, want %v", i, m2.Params()[i], v)
		}
	}
	for _, bad := range [][]byte{nil, b[:7], b[:len(b)-1], append(append([]byte(nil), b...), 0), []byte("CSWAxxxxxxxxxxxx")} {
		if err := m2.UnmarshalBinary(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("UnmarshalBinary(%d bytes): err %v, want ErrFormat", len(bad), err)
		}
	}
	a := NewAdam(m.NumParams())
	a.Update(m.Params(), randSlice(rand.New(rand.NewPCG(1, 1)), m.NumParams()), 1e-3)
	ab, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var a2 Adam
	if err := a2.UnmarshalBinary(ab); err != nil {
		t.Fatal(err)
	}
	if a2.Step != 1 || a2.Beta1 != 0.9 || a2.Beta2 != 0.999 || a2.Eps != 1e-8 || len(a2.M) != len(a.M) || a2.M[3] != a.M[3] || a2.V[5] != a.V[5] {
		t.Fatalf("decoded Adam differs: %+v", a2)
	}
	if err := a2.UnmarshalBinary(ab[:len(ab)-3]); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated Adam: err %v, want ErrFormat", err)
	}
}

// TestWithGrad checks that a gradient view shares the parameters and keeps its own
// gradient: the same backward pass on a view gives, in the view's buffer, what it gives
// in the model's.
func TestWithGrad(t *testing.T) {
	m, err := New(5, []int{2, 6, 2}, &Options{Rand: rand.New(rand.NewPCG(4, 4))})
	if err != nil {
		t.Fatal(err)
	}
	for k := range m.Params() {
		m.Params()[k] = 0.3 * float64(k%7-3)
	}
	grad := make([]float64, m.NumParams())
	v := m.WithGrad(grad)
	rng := rand.New(rand.NewPCG(5, 5))
	x := make([]float64, 3*5*2)
	NewTape(m).Sample(x, 3, rng)
	glogp := []float64{1, -0.5, 2}
	tm := NewTape(m)
	tm.LogProb(nil, x)
	tm.LogProbBackward(glogp, nil)
	tv := NewTape(v)
	tv.LogProb(nil, x)
	tv.LogProbBackward(glogp, nil)
	for k := range grad {
		if grad[k] != m.Grad()[k] {
			t.Fatalf("grad[%d]: view %v, model %v", k, grad[k], m.Grad()[k])
		}
	}
	m.Params()[0] += 1
	if v.Params()[0] != m.Params()[0] {
		t.Error("the view does not see a change of the model's parameters")
	}
	m.ZeroGrad()
	if grad[0] == 0 && grad[1] == 0 && grad[len(grad)-1] == 0 {
		t.Error("zeroing the model's gradient cleared the view's")
	}
}
