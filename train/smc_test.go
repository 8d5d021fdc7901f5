package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/critsweep/critsweep/statmech"
)

// randomModel returns a trainer on sys whose network has random weights: a model far from
// the Perron vector, which the projector must not be biased by.
func randomModel(t testing.TB, sys *statmech.System, seed uint64, scale float64) *Trainer {
	t.Helper()
	tr := newTrainer(t, sys, Config{Hidden: []int{8}, Seed: seed})
	rng := rand.New(rand.NewPCG(seed, 3))
	for k := range tr.Model().Params() {
		tr.Model().Params()[k] = scale * rng.NormFloat64()
	}
	return tr
}

// TestSMCMatchesExact checks the projector against exact power iteration on small lattices
// with models far from the Perron vector: its estimate of ln λ/L must be the exact one,
// not the model's, within its error bar.
func TestSMCMatchesExact(t *testing.T) {
	ising, _ := statmech.Ising(0.44)
	potts, _ := statmech.Potts(3, 1.0)
	clock, _ := statmech.Clock(4, 0.9)
	custom, _ := statmech.Custom([][]float64{{2, 1, 0.5}, {1, 3, 1}, {0.5, 1, 2}})
	tests := []struct {
		name string
		w    statmech.BondWeight
		size int
		b    statmech.Boundary
	}{
		{"ising periodic", ising, 6, statmech.Periodic},
		{"ising twisted", ising, 6, statmech.Twisted},
		{"potts q=3", potts, 5, statmech.Periodic},
		{"potts q=3 twisted", potts, 5, statmech.Twisted},
		{"clock q=4", clock, 4, statmech.Periodic},
		{"custom, no shift symmetry", custom, 5, statmech.Periodic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sys, err := statmech.NewSystem(tc.w, tc.size, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			exact, err := statmech.Perron(sys, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := exact.LogLambda / float64(tc.size)
			tr := randomModel(t, sys, 5, 0.5)
			got, d := tr.estimateSMC(1<<16, 0)
			z := (got.Mean - want) / got.StdErr
			t.Logf("smc %.7f ± %.1e, exact %.7f (%.1fσ), weight spread %.2f, correction %.1e", got.Mean, got.StdErr, want, z, d.WeightSpread, d.BiasCorrection)
			if math.Abs(z) > 4 || !(got.StdErr > 0) {
				t.Errorf("smc ln λ/L = %.7f ± %.2g, exact %.7f (%.1fσ)", got.Mean, got.StdErr, want, z)
			}
			if all := d.Draws + d.AdaptDraws; all > 1<<16 || all < 1<<15 {
				t.Errorf("spent %d draws of a budget of %d", all, 1<<16)
			}
		})
	}
}

// TestSMCCoverage checks that the projector's error bars mean what they say: over
// independent estimates the exact value lies within two standard errors about 95% of the
// time.
func TestSMCCoverage(t *testing.T) {
	sys := isingSystem(t, statmech.IsingBetaC, 5, statmech.Periodic)
	exact, err := statmech.Perron(sys, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := exact.LogLambda / 5
	const runs = 24
	within := 0
	for seed := range uint64(runs) {
		tr := randomModel(t, sys, 100+seed, 0.3)
		got, _ := tr.estimateSMC(1<<14, 0)
		if math.Abs(got.Mean-want) <= 2*got.StdErr {
			within++
		}
	}
	t.Logf("%d of %d estimates within 2σ of the exact value", within, runs)
	// Binomial(24, 0.95): fewer than 19 happens with probability < 0.01.
	if within < 19 {
		t.Errorf("%d of %d estimates within 2σ, want ≥ 19", within, runs)
	}
}

// TestSMCThreads checks that the estimate does not depend on the number of threads.
func TestSMCThreads(t *testing.T) {
	sys := isingSystem(t, 0.4, 6, statmech.Twisted)
	tr := randomModel(t, sys, 9, 0.3)
	want, _ := tr.estimateSMC(1<<14, 1)
	for _, threads := range []int{2, 3, 16} {
		if got, _ := tr.estimateSMC(1<<14, threads); got != want {
			t.Errorf("threads %d: %v, want %v as with one thread", threads, got, want)
		}
	}
}

func TestPlanSMC(t *testing.T) {
	for _, tc := range []struct{ draws, size int }{{1 << 10, 4}, {1 << 16, 6}, {1 << 20, 16}, {1 << 24, 64}} {
		p := planSMC(tc.draws, tc.size)
		used := p.draws()
		if p.particles < 1 || p.steps < 1 || p.burnIn < tc.size || (tc.draws >= 1<<16 && used > tc.draws) {
			t.Errorf("planSMC(%d, %d) = %+v (uses %d)", tc.draws, tc.size, p, used)
		}
	}
}

// TestSMCAdapted checks the projector with its learned correction (a budget large
// enough to teach it) against exact power iteration, on models far from the Perron vector.
func TestSMCAdapted(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the correction on 2^18 draws per model")
	}
	sys := isingSystem(t, statmech.IsingBetaC, 5, statmech.Twisted)
	exact, err := statmech.Perron(sys, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := exact.LogLambda / 5
	within := 0
	const runs = 6
	for seed := range uint64(runs) {
		tr := randomModel(t, sys, 500+seed, 0.3)
		got, d := tr.estimateSMC(1<<18, 0)
		if d.AdaptDraws == 0 {
			t.Fatalf("no adaptation with a budget of 2^18: %+v", d)
		}
		z := (got.Mean - want) / got.StdErr
		t.Logf("seed %d: %.7f ± %.1e, exact %.7f (%.1fσ), spread %.3f", seed, got.Mean, got.StdErr, want, z, d.WeightSpread)
		if math.Abs(z) > 4 {
			t.Errorf("seed %d: %.1f standard errors from exact", seed, z)
		}
		if math.Abs(z) <= 2 {
			within++
		}
	}
	// Binomial(6, 0.95): fewer than 4 within 2σ has probability < 0.003.
	if within < 4 {
		t.Errorf("%d of %d within 2σ", within, runs)
	}
}
