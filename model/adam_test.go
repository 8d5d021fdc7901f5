package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAdamMatchesFormula(t *testing.T) {
	a := NewAdam(2)
	p := []float64{1, -2}
	grads := [][]float64{{0.5, -1}, {0.25, 3}, {-1, 0}}
	lrs := []float64{0.1, 0.05, 0.2}
	var m, v [2]float64
	want := []float64{1, -2}
	for s, g := range grads {
		a.Update(p, g, lrs[s])
		for i := range want {
			m[i] = 0.9*m[i] + 0.1*g[i]
			v[i] = 0.999*v[i] + 0.001*g[i]*g[i]
			mh := m[i] / (1 - math.Pow(0.9, float64(s+1)))
			vh := v[i] / (1 - math.Pow(0.999, float64(s+1)))
			want[i] -= lrs[s] * mh / (math.Sqrt(vh) + 1e-8)
		}
		for i := range want {
			if math.Abs(p[i]-want[i]) > 1e-14 {
				t.Fatalf("step %d: p[%d] = %v, want %v", s+1, i, p[i], want[i])
			}
		}
	}
	if a.Step != 3 {
		t.Fatalf("Step = %d, want 3", a.Step)
	}
}

// toyTrainer runs a toy objective through every part of a training step:
// exact samples with the score-function gradient of their mean log p, and
// Gumbel samples with a fixed linear loss on the rows, then Adam.
type toyTrainer struct {
	m          *Model
	adam       *Adam
	exact, gum *Tape
	x, y       []float64
	glogp, gx  []float64
}

const toyBatch = 16

func newToyTrainer(m *Model, adam *Adam) *toyTrainer {
	tr := &toyTrainer{m: m, adam: adam, exact: NewTape(m), gum: NewTape(m)}
	n := toyBatch * m.Units() * m.States()
	tr.x, tr.y, tr.gx = make([]float64, n), make([]float64, n), make([]float64, n)
	tr.glogp = make([]float64, toyBatch)
	for k := range tr.glogp {
		tr.glogp[k] = 1.0 / toyBatch
	}
	for k := range tr.gx {
		tr.gx[k] = float64(k%5-2) / toyBatch
	}
	return tr
}

func (tr *toyTrainer) step(rng *rand.Rand, lr float64) {
	tr.m.ZeroGrad()
	tr.exact.Sample(tr.x, toyBatch, rng)
	tr.exact.Backward(nil, tr.glogp)
	tr.gum.SampleGumbel(tr.y, toyBatch, 0.5, rng)
	tr.gum.Backward(tr.gx, tr.glogp)
	tr.adam.Update(tr.m.Params(), tr.m.Grad(), lr)
}

func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v (bit for bit)", what, i, got[i], want[i])
		}
	}
}

// TestCheckpointResume runs N steps, saves parameters, Adam and generator
// state through their binary encodings, restores them into fresh values,
// runs M more, and requires the result of N+M uninterrupted steps bit for bit.
func TestCheckpointResume(t *testing.T) {
	const n, more = 7, 5
	features := []int{3, 6, 5, 3}
	lr := func(s int) float64 { return 0.01 / (1 + 0.1*float64(s)) }

	straightModel, err := New(5, features, &Options{Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	straight := newToyTrainer(straightModel, NewAdam(straightModel.NumParams()))
	srng := rand.New(rand.NewPCG(3, 4))
	for s := 0; s < n+more; s++ {
		straight.step(srng, lr(s))
	}

	m1, _ := New(5, features, &Options{Rand: rand.New(rand.NewPCG(1, 2))})
	first := newToyTrainer(m1, NewAdam(m1.NumParams()))
	pcg := rand.NewPCG(3, 4)
	rng := rand.New(pcg)
	for s := 0; s < n; s++ {
		first.step(rng, lr(s))
	}
	mb, err := m1.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	ab, err := first.adam.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := pcg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}

	var m2 Model
	var a2 Adam
	pcg2 := new(rand.PCG)
	if err := m2.UnmarshalBinary(mb); err != nil {
		t.Fatal(err)
	}
	if err := a2.UnmarshalBinary(ab); err != nil {
		t.Fatal(err)
	}
	if err := pcg2.UnmarshalBinary(rb); err != nil {
		t.Fatal(err)
	}
	resumed := newToyTrainer(&m2, &a2)
	rng2 := rand.New(pcg2)
	for s := n; s < n+more; s++ {
		resumed.step(rng2, lr(s))
	}
	sameBits(t, "params", m2.Params(), straightModel.Params())
	sameBits(t, "Adam m", a2.M, straight.adam.M)
	sameBits(t, "Adam v", a2.V, straight.adam.V)
	if a2.Step != n+more {
		t.Fatalf("Adam step %d, want %d", a2.Step, n+more)
	}
	// The parameters moved: the test is not vacuous.
	fresh, _ := New(5, features, &Options{Rand: rand.New(rand.NewPCG(1, 2))})
	if fresh.Params()[0] == m2.Params()[0] && fresh.Params()[len(fresh.Params())-1] == m2.Params()[len(m2.Params())-1] {
		t.Fatal("training did not change the parameters")
	}
}

func TestStepAllocatesNothing(t *testing.T) {
	m, _ := New(6, []int{2, 8, 8, 2}, nil)
	tr := newToyTrainer(m, NewAdam(m.NumParams()))
	rng := rand.New(rand.NewPCG(1, 1))
	tr.step(rng, 1e-3) // sizes the tapes
	if a := testing.AllocsPerRun(10, func() { tr.step(rng, 1e-3) }); a != 0 {
		t.Fatalf("a training step allocates %v times, want 0", a)
	}
}
