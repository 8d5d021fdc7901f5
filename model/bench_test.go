package model

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchKernels are the kernel implementations the benchmarks compare; the
// gonum build tag adds gonum's blas64.Dgemm (gonum_test.go).
var benchKernels = kernelsUnderTest()

// activeMACs is the number of multiply-adds of one sample's forward pass:
// the number of active weights.
func activeMACs(m *Model) int {
	n := 0
	for _, l := range m.layers {
		n += l.off[l.units]
	}
	return n
}

// gumbelStep is one step of the seed's Gumbel reverse-KL objective, less the
// transfer weights: ∂L/∂x of both batches (gx1, gx2) stands in for them.
type gumbelStep struct {
	m                 *Model
	adam              *Adam
	t1, t2, t3        *Tape
	batch             int
	x1, x2, gx1, gx2  []float64
	dx, lp, glogp     []float64
	fused             bool
	forwards, lr, tau float64
}

func newGumbelStep(units int, features []int, batch int, fused bool) *gumbelStep {
	m, err := New(units, features, &Options{Rand: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range m.Params() { // a trained-looking network, not the zero last layer
		m.Params()[i] = 0.2 * rng.NormFloat64()
	}
	n := batch * units * features[0]
	s := &gumbelStep{m: m, adam: NewAdam(m.NumParams()), t1: NewTape(m), t2: NewTape(m), t3: NewTape(m),
		batch: batch, x1: make([]float64, n), x2: make([]float64, n), gx1: randSlice(rng, n), gx2: randSlice(rng, n),
		dx: make([]float64, n), lp: make([]float64, batch), glogp: make([]float64, batch), fused: fused, lr: 1e-3, tau: 0.3}
	for k := range s.glogp {
		s.glogp[k] = 1
	}
	// Forward-pass equivalents of network work: two sampling passes, each
	// backward twice a forward (weights and inputs); the literal step adds a
	// log p forward and its backward.
	s.forwards = 2 + 2*2
	if !fused {
		s.forwards += 1 + 2
	}
	return s
}

// run does one step: sample two relaxed batches, log p of the first (a
// separate forward and backward, or read off the tape when fused), backward
// through both, Adam.
func (s *gumbelStep) run(rng *rand.Rand) {
	s.m.ZeroGrad()
	s.t1.SampleGumbel(s.x1, s.batch, s.tau, rng)
	s.t2.SampleGumbel(s.x2, s.batch, s.tau, rng)
	if s.fused {
		s.t1.SampleLogProb(s.lp)
		s.t1.Backward(s.gx1, s.glogp)
	} else {
		s.t3.LogProb(s.lp, s.x1)
		copy(s.dx, s.gx1)
		s.t3.LogProbBackward(s.glogp, s.dx)
		s.t1.Backward(s.dx, nil)
	}
	s.t2.Backward(s.gx2, nil)
	s.adam.Update(s.m.Params(), s.m.Grad(), s.lr)
}

func (s *gumbelStep) flops() float64 {
	return s.forwards * 2 * float64(activeMACs(s.m)) * float64(s.batch)
}

// BenchmarkGumbelStep times one full step of network work of the seed's
// Gumbel reverse-KL objective. Run with -cpu 1.
func BenchmarkGumbelStep(b *testing.B) {
	for _, size := range []struct {
		units    int
		features []int
	}{{8, []int{2, 16, 16, 2}}, {32, []int{2, 32, 32, 2}}} {
		for _, fused := range []bool{false, true} {
			for _, k := range benchKernels {
				route := "literal"
				if fused {
					route = "fused"
				}
				b.Run(fmt.Sprintf("L%d/%s/%s", size.units, route, k.name), func(b *testing.B) {
					saved := kern
					kern = k
					defer func() { kern = saved }()
					s := newGumbelStep(size.units, size.features, 256, fused)
					rng := rand.New(rand.NewPCG(3, 3))
					s.run(rng)
					b.ReportAllocs()
					for b.Loop() {
						s.run(rng)
					}
					sec := b.Elapsed().Seconds()
					b.ReportMetric(float64(2*s.batch*b.N)/sec, "samples/s")
					b.ReportMetric(s.flops()/1e6, "MFLOP/step")
					b.ReportMetric(s.flops()*float64(b.N)/sec/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkKernels times the three products of the L=32 step at its largest
// unit: forward (32×256 from a 1024-wide prefix), input gradient and weight
// gradient.
func BenchmarkKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const m, n, p = 32, 256, 1024
	w, act, out := randSlice(rng, m*p), randSlice(rng, p*n), randSlice(rng, m*n)
	dact, dw := make([]float64, p*n), make([]float64, m*p)
	for _, k := range benchKernels {
		for _, op := range []struct {
			name string
			f    func()
		}{
			{"forward", func() { k.gemmNN(m, n, p, w, p, 1, act, n, out, n) }},
			{"inputgrad", func() { k.gemmNN(p, n, m, w, 1, p, out, n, dact, n) }},
			{"weightgrad", func() { k.gemmNT(m, p, n, out, n, act, n, dw, p) }},
		} {
			b.Run(op.name+"/"+k.name, func(b *testing.B) {
				for b.Loop() {
					op.f()
				}
				b.ReportMetric(2*m*n*p*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func BenchmarkAdam(b *testing.B) {
	const n = 606208
	a := NewAdam(n)
	rng := rand.New(rand.NewPCG(1, 1))
	p, g := randSlice(rng, n), randSlice(rng, n)
	for b.Loop() {
		a.Update(p, g, 1e-3)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/param")
}
