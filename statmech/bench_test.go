package statmech

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkPerron times the exact solver for the Ising model at β_c, periodic seam:
// seconds per solve, iterations, and the bytes allocated by one solve.
func BenchmarkPerron(b *testing.B) {
	for _, L := range []int{16, 20, 22} {
		b.Run(fmt.Sprintf("ising/L=%d", L), func(b *testing.B) {
			w, _ := Ising(IsingBetaC)
			s := mustSystem(b, w, nil, L, Periodic)
			var ms0, ms1 runtime.MemStats
			iters := 0
			var elapsed time.Duration
			for b.Loop() {
				runtime.ReadMemStats(&ms0)
				start := time.Now()
				res, err := Perron(s, nil)
				elapsed += time.Since(start)
				runtime.ReadMemStats(&ms1)
				if err != nil {
					b.Fatal(err)
				}
				iters = res.Iterations
			}
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/solve")
			b.ReportMetric(float64(iters), "iterations")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/(1<<20), "MiB/solve")
		})
	}
}

// BenchmarkLogTransferWeight times the all-pairs transfer weights of two batches of 256
// rows, forward and backward: pairs per second.
func BenchmarkLogTransferWeight(b *testing.B) {
	const batch = 256
	for _, tc := range []struct {
		q, L int
		kind string
	}{
		{2, 8, "hard"}, {2, 8, "soft"},
		{2, 32, "hard"}, {2, 32, "soft"},
		{8, 32, "hard"}, {8, 32, "soft"},
	} {
		w, _ := Potts(tc.q, 1)
		s := mustSystem(b, w, nil, tc.L, Periodic)
		rng := seeded(b, 1)
		x := randomSoft(rng, batch, tc.q, tc.L)
		if tc.kind == "hard" {
			x = randomHard(rng, batch, tc.q, tc.L)
		}
		xp := randomSoft(rng, batch, tc.q, tc.L)
		dst := make([]float64, batch*batch)
		name := fmt.Sprintf("q=%d/L=%d/x=%s", tc.q, tc.L, tc.kind)
		b.Run("forward/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.LogTransferWeight(dst, x, xp)
			}
			b.ReportMetric(float64(batch*batch*b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
		gx, gxp := make([]float64, len(x)), make([]float64, len(xp))
		for k := range dst {
			dst[k] = 1.0 / batch
		}
		b.Run("backward/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.LogTransferWeightBackward(gx, gxp, x, xp, dst)
			}
			b.ReportMetric(float64(batch*batch*b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}
