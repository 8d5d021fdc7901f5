package train

import (
	"context"
	"math"
	"testing"

	"github.com/critsweep/critsweep/statmech"
)

// TestDefaultObjectiveConverges trains small systems with the default objective and
// compares with the exact Perron vector: the model must come within a small total-
// variation distance and ln λ/L within a few standard errors plus the Rayleigh quotient's
// (negative, second-order) bias. The full-size acceptance runs are in the README.
func TestDefaultObjectiveConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks for several seconds")
	}
	potts3, _ := statmech.Potts(3, 1.0)
	ising, _ := statmech.Ising(statmech.IsingBetaC)
	clock4, _ := statmech.Clock(4, 1.2)
	tests := []struct {
		name   string
		w      statmech.BondWeight
		size   int
		b      statmech.Boundary
		maxTV  float64
		maxErr float64 // allowed |ln λ/L − exact| beyond 4 standard errors
	}{
		{"ising L=6 periodic", ising, 6, statmech.Periodic, 0.03, 2e-4},
		{"ising L=6 twisted", ising, 6, statmech.Twisted, 0.03, 2e-4},
		{"potts q=3 L=4", potts3, 4, statmech.Periodic, 0.03, 4e-4},
		{"clock q=4 L=4 twisted", clock4, 4, statmech.Twisted, 0.03, 4e-4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sys, err := statmech.NewSystem(tc.w, tc.size, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			const seed = 3
			tr := newTrainer(t, sys, Config{Hidden: []int{16, 16}, Steps: 1500, Seed: seed, EstimateSamples: 1 << 14})
			if err := tr.Run(context.Background(), 0, nil); err != nil {
				t.Fatal(err)
			}
			c, err := tr.CompareExact()
			if err != nil {
				t.Fatal(err)
			}
			e, err := tr.Estimate(0)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("seed %d: TV %.4f, KL %.2g, ln λ/L %.6f ± %.1g (exact %.6f)", seed, c.TV, c.KL, e.LnLambdaPerSite.Mean, e.LnLambdaPerSite.StdErr, c.LnLambdaPerSite)
			if c.TV > tc.maxTV {
				t.Errorf("seed %d: TV to the exact p = %.4f, want ≤ %.2f", seed, c.TV, tc.maxTV)
			}
			if d := math.Abs(e.LnLambdaPerSite.Mean - c.LnLambdaPerSite); d > 4*e.LnLambdaPerSite.StdErr+tc.maxErr {
				t.Errorf("seed %d: ln λ/L = %.7f ± %.2g, exact %.7f (off by %.2g)", seed, e.LnLambdaPerSite.Mean, e.LnLambdaPerSite.StdErr, c.LnLambdaPerSite, d)
			}
		})
	}
}

// TestGumbelRKLGradient checks the seed objective's whole gradient — the transfer weights'
// backward passes, the sampler's reparameterised path and log p — against central finite
// differences of its loss with the Gumbel noise held fixed (the same seed every time).
func TestGumbelRKLGradient(t *testing.T) {
	for _, q := range []int{2, 3} {
		var w statmech.BondWeight
		if q == 2 {
			w, _ = statmech.Ising(0.5)
		} else {
			w, _ = statmech.Potts(3, 0.8)
		}
		sys, err := statmech.NewSystem(w, 4, statmech.Twisted)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Objective: ObjectiveGumbelRKL, Hidden: []int{5, 4}, Batch: 6, Tau: 0.7, Steps: 1, Seed: 2}
		tr := newTrainer(t, sys, cfg)
		// loss evaluates the objective at the current parameters with the noise of seed 2.
		loss := func() float64 {
			saved, _ := tr.src.MarshalBinary()
			tr.net.ZeroGrad()
			l, _ := tr.obj.gradient(tr)
			_ = tr.src.UnmarshalBinary(saved)
			return l * float64(cfg.Batch) // gradient is of the batch sum
		}
		loss()
		grad := append([]float64(nil), tr.net.Grad()...)
		params := tr.net.Params()
		const h = 1e-6
		var worst float64
		for k := range params {
			orig := params[k]
			params[k] = orig + h
			up := loss()
			params[k] = orig - h
			down := loss()
			params[k] = orig
			fd := (up - down) / (2 * h)
			if d := math.Abs(fd-grad[k]) / math.Max(1, math.Abs(fd)); d > worst {
				worst = d
			}
		}
		if worst > 1e-5 {
			t.Errorf("q=%d: largest relative difference between the gradient and finite differences %.2g, want ≤ 1e-5", q, worst)
		}
	}
}
