package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/critsweep/critsweep/model"
	"github.com/critsweep/critsweep/statmech"
)

// TestTiltedSamplerIsUnbiased checks the bond-tilted sampler against enumeration: the
// weighted empirical distribution of its rows must be p(x)^power·F(x) normalised, and its
// mean weight Σ_x p(x)^power·F(x), for both seams, both uses of u, and q = 2, 3.
func TestTiltedSamplerIsUnbiased(t *testing.T) {
	const seed = 11
	cases := []struct {
		name  string
		w     func() (statmech.BondWeight, error)
		size  int
		b     statmech.Boundary
		power float64
		perRw bool // u_i = W(y_i, ·) for a fixed row y, else u = column sums
	}{
		{"ising periodic", func() (statmech.BondWeight, error) { return statmech.Ising(0.6) }, 4, statmech.Periodic, 1, false},
		{"ising twisted", func() (statmech.BondWeight, error) { return statmech.Ising(0.6) }, 4, statmech.Twisted, 1, false},
		{"ising per-row u", func() (statmech.BondWeight, error) { return statmech.Ising(0.6) }, 4, statmech.Periodic, 1, true},
		{"potts twisted per-row u", func() (statmech.BondWeight, error) { return statmech.Potts(3, 1.1) }, 3, statmech.Twisted, 1, true},
		{"potts p squared", func() (statmech.BondWeight, error) { return statmech.Potts(3, 0.8) }, 3, statmech.Periodic, 2, false},
		{"ising two sites", func() (statmech.BondWeight, error) { return statmech.Ising(0.9) }, 2, statmech.Twisted, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := tc.w()
			if err != nil {
				t.Fatal(err)
			}
			sys, err := statmech.NewSystem(w, tc.size, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			q, size := sys.Q(), sys.Size()
			rng := rand.New(rand.NewPCG(seed, 1))
			net, err := model.New(size, []int{q, 5, q}, &model.Options{Rand: rng})
			if err != nil {
				t.Fatal(err)
			}
			for k := range net.Params() { // a model far from uniform
				net.Params()[k] = rng.NormFloat64()
			}
			ts := newTiltedSampler(sys, tc.power)
			y := []int{1, 0, 1, 0}[:size]
			lnU := func(n, i int) []float64 {
				if tc.perRw {
					return ts.lnV[y[i]*q : (y[i]+1)*q]
				}
				u := make([]float64, q)
				for b := range u {
					var s float64
					for a := 0; a < q; a++ {
						s += w.At(a, b)
					}
					u[b] = math.Log(s)
				}
				return u
			}
			// Exact: π(x) ∝ p(x)^power · Π_i u_i(x_i) · Th(x).
			nStates, _ := sys.NumStates()
			rows := make([]float64, nStates*sys.RowLen())
			for k := 0; k < nStates; k++ {
				sys.Decode(rows[k*sys.RowLen():(k+1)*sys.RowLen()], k)
			}
			lp, lnTh := make([]float64, nStates), make([]float64, nStates)
			model.NewTape(net).LogProb(lp, rows)
			sys.LogHorizontal(lnTh, rows)
			target := make([]float64, nStates)
			var z float64
			for k := range target {
				v := tc.power*lp[k] + lnTh[k]
				s := k
				for i := 0; i < size; i++ {
					v += lnU(0, i)[s%q]
					s /= q
				}
				target[k] = math.Exp(v)
				z += target[k]
			}
			// Sampled.
			const n = 200000
			x := make([]float64, n*sys.RowLen())
			ts.sample(model.NewTape(net), x, n, rng, !tc.perRw, lnU)
			got := make([]float64, nStates)
			var sumW float64
			for r := 0; r < n; r++ {
				wr := math.Exp(ts.lw[r])
				got[sys.Index(x[r*sys.RowLen():(r+1)*sys.RowLen()])] += wr
				sumW += wr
			}
			if rel := math.Abs(sumW/n/z - 1); rel > 0.01 {
				t.Errorf("seed %d: mean weight %.6g, want Σ p^power·F = %.6g (rel. diff %.2g)", seed, sumW/n, z, rel)
			}
			var tv float64
			for k := range got {
				tv += math.Abs(got[k]/sumW - target[k]/z)
			}
			if tv /= 2; tv > 0.01 {
				t.Errorf("seed %d: TV between the weighted samples and the target = %.4f, want < 0.01", seed, tv)
			}
		})
	}
}
