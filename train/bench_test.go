package train

import (
	"fmt"
	"testing"

	"github.com/critsweep/critsweep/model"
	"github.com/critsweep/critsweep/statmech"
)

// forwardFlops is the floating-point work of one forward pass of one row through the
// network: 2 per multiply-add of the active (block-lower-triangular) weights.
func forwardFlops(m *model.Model) float64 {
	var f float64
	for _, l := range m.Layers() {
		for i := 0; i < l.Units(); i++ {
			f += 2 * float64(l.Out()*l.Active(i))
		}
	}
	return f
}

// BenchmarkGumbelRKLStep times one step of the seed's objective in the peer's settings
// (batch 256, τ = 0.3): two Gumbel-softmax batches, the all-pairs transfer weights, the
// backward pass through both samplers, and Adam. Run it on one core:
//
//	go test ./train -run '^$' -bench GumbelRKLStep -cpu 1
//
// The FLOP figure counts the network only (6 forward-equivalents per row: two sampling
// passes and their backward passes at twice a forward each); the transfer weights add
// O(batch²·L·q²).
func BenchmarkGumbelRKLStep(b *testing.B) {
	for _, bc := range []struct {
		size   int
		hidden []int
	}{{8, []int{16, 16}}, {32, []int{32, 32}}} {
		b.Run(fmt.Sprintf("L=%d/features=%v", bc.size, bc.hidden), func(b *testing.B) {
			benchStep(b, bc.size, bc.hidden, ObjectiveGumbelRKL, 6)
		})
	}
}

// BenchmarkDefaultStep times one step of the default objective at batch 256. Its network
// work is 1 tilted sampling pass and |G|−1 image passes over x', and |G| forward and
// backward passes over x: 1 + 1 + 2·3 = 8 forward-equivalents per row for Ising.
func BenchmarkDefaultStep(b *testing.B) {
	for _, bc := range []struct {
		size   int
		hidden []int
	}{{8, []int{32, 32}}, {16, []int{32, 32}}, {32, []int{32, 32}}} {
		b.Run(fmt.Sprintf("L=%d/features=%v", bc.size, bc.hidden), func(b *testing.B) {
			benchStep(b, bc.size, bc.hidden, ObjectiveDefault, 8)
		})
	}
}

func benchStep(b *testing.B, size int, hidden []int, objective string, forwardEquivalents float64) {
	sys := isingSystem(b, statmech.IsingBetaC, size, statmech.Periodic)
	const batch = 256
	tr := newTrainer(b, sys, Config{Objective: objective, Hidden: hidden, Batch: batch, Tau: 0.3, Steps: 1 << 30, Seed: 1})
	if _, err := tr.TrainStep(); err != nil { // warm the buffers
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	perStep := b.Elapsed().Seconds() / float64(b.N)
	flops := forwardEquivalents * batch * forwardFlops(tr.Model())
	b.ReportMetric(perStep, "s/step")
	b.ReportMetric(2*batch/perStep, "samples/s")
	b.ReportMetric(flops/1e6, "MFLOP/step")
	b.ReportMetric(flops/perStep/1e9, "GFLOP/s")
}

// BenchmarkDefaultStepThreads times one step of the default objective at batch 1024 with
// the batch's chunks on GOMAXPROCS goroutines: run it with -cpu 1,2 to see how one task
// scales with cores (the model is the same for any thread count).
//
//	go test ./train -run '^$' -bench DefaultStepThreads -cpu 1,2
func BenchmarkDefaultStepThreads(b *testing.B) {
	for _, size := range []int{16, 32} {
		b.Run(fmt.Sprintf("L=%d", size), func(b *testing.B) {
			sys := isingSystem(b, statmech.IsingBetaC, size, statmech.Periodic)
			const batch = 1024
			tr := newTrainer(b, sys, Config{Batch: batch, Steps: 1 << 30, Seed: 1})
			if _, err := tr.TrainStep(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := tr.TrainStep(); err != nil {
					b.Fatal(err)
				}
			}
			perStep := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(perStep, "s/step")
			b.ReportMetric(2*batch/perStep, "samples/s")
		})
	}
}

// BenchmarkSMC times the projector estimate of ln λ on an untrained model (the cost of a
// draw does not depend on the weights): draws/s is the figure that sets the error bar's
// price. Run it with -cpu 1,2 to see the replicas spread over cores.
//
//	go test ./train -run '^$' -bench SMC -cpu 1,2
func BenchmarkSMC(b *testing.B) {
	for _, size := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("L=%d", size), func(b *testing.B) {
			sys := isingSystem(b, statmech.IsingBetaC, size, statmech.Periodic)
			tr := newTrainer(b, sys, Config{Seed: 1})
			const draws = 1 << 16
			var d SMCDetails
			for b.Loop() {
				_, d = tr.estimateSMC(draws, 0)
			}
			b.ReportMetric(float64(d.Draws)*float64(b.N)/b.Elapsed().Seconds(), "draws/s")
		})
	}
}
