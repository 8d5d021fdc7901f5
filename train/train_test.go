package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/statmech"
)

func isingSystem(t testing.TB, beta float64, size int, b statmech.Boundary) *statmech.System {
	t.Helper()
	w, err := statmech.Ising(beta)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := statmech.NewSystem(w, size, b)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func newTrainer(t testing.TB, sys *statmech.System, cfg Config) *Trainer {
	t.Helper()
	tr, err := New(sys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestConfigErrors(t *testing.T) {
	sys := isingSystem(t, 0.4, 4, statmech.Periodic)
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"unknown objective", Config{Objective: "kl-magic"}, ErrObjective},
		{"hidden zero", Config{Hidden: []int{16, 0}}, ErrHidden},
		{"hidden negative", Config{Hidden: []int{-3}}, ErrHidden},
		{"batch negative", Config{Batch: -1}, ErrBatch},
		{"tau negative", Config{Objective: ObjectiveGumbelRKL, Tau: -0.5}, ErrTau},
		{"tau NaN", Config{Objective: ObjectiveGumbelRKL, Tau: math.NaN()}, ErrTau},
		{"tau negative, default objective", Config{Tau: -1}, ErrTau},
		{"learning rate negative", Config{LearningRate: -1e-3}, ErrLearningRate},
		{"learning rate infinite", Config{LearningRate: math.Inf(1)}, ErrLearningRate},
		{"steps negative", Config{Steps: -5}, ErrSteps},
		{"one estimate sample", Config{EstimateSamples: 1}, ErrSamples},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(sys, tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Errorf("New(%+v) error = %v, want %v", tc.cfg, err, tc.want)
			}
		})
	}
}

func TestSymmetryGroups(t *testing.T) {
	ising, _ := statmech.Ising(0.3)
	potts, _ := statmech.Potts(3, 0.3)
	clock, _ := statmech.Clock(4, 0.3)
	asym, _ := statmech.Custom([][]float64{{2, 1, 1}, {1, 3, 1}, {1, 1, 2}})
	z3, _ := statmech.Custom([][]float64{{2, 1, 0.5}, {0.5, 2, 1}, {1, 0.5, 2}})
	at, _ := statmech.AshkinTeller(0.5, 0.3)
	tests := []struct {
		name string
		w    statmech.BondWeight
		b    statmech.Boundary
		want []int
	}{
		{"ising", ising, statmech.Twisted, []int{0, 1}},
		{"potts 3", potts, statmech.Twisted, []int{0, 1, 2}},
		{"clock 4", clock, statmech.Periodic, []int{0, 1, 2, 3}},
		{"custom without symmetry", asym, statmech.Periodic, []int{0}},
		{"custom cyclic", z3, statmech.Twisted, []int{0, 1, 2}},
		{"ashkin-teller periodic", at, statmech.Periodic, []int{0, 1, 2, 3}},
		{"ashkin-teller σ-twisted", at, statmech.Twisted, []int{0, 2}},
	}
	for _, tc := range tests {
		sys, err := statmech.NewSystem(tc.w, 4, tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := symmetryOf(sys).shifts; !slices.Equal(got, tc.want) {
			t.Errorf("%s: shifts %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSameSeedSameResult trains twice with one seed: the models and the estimates must be
// identical bit for bit, for both objectives.
func TestSameSeedSameResult(t *testing.T) {
	for _, obj := range Objectives {
		t.Run(obj, func(t *testing.T) {
			sys := isingSystem(t, 0.44, 5, statmech.Twisted)
			cfg := Config{Objective: obj, Hidden: []int{8}, Steps: 40, Batch: 64, Seed: 9, EstimateSamples: 2000, EstimateDraws: 1 << 14}
			a, b := newTrainer(t, sys, cfg), newTrainer(t, sys, cfg)
			for _, tr := range []*Trainer{a, b} {
				if err := tr.Run(context.Background(), 0, nil); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(a.Model().Params(), b.Model().Params()) {
				t.Fatal("same seed, different parameters")
			}
			ea, err := a.Estimate(0)
			if err != nil {
				t.Fatal(err)
			}
			eb, _ := b.Estimate(0)
			if !sameEstimates(ea, eb) {
				t.Errorf("same seed, different estimates:\n%+v\n%+v", ea, eb)
			}
		})
	}
}

// TestCheckpointResume runs N steps, checkpoints through the wire format, restores into a
// fresh Trainer and runs M more: the result must equal N+M steps straight, bit for bit.
func TestCheckpointResume(t *testing.T) {
	for _, obj := range Objectives {
		t.Run(obj, func(t *testing.T) {
			sys := isingSystem(t, 0.5, 6, statmech.Periodic)
			cfg := Config{Objective: obj, Hidden: []int{8, 8}, Steps: 30, Batch: 32, Seed: 4, EstimateSamples: 1000, EstimateDraws: 1 << 13}
			straight := newTrainer(t, sys, cfg)
			if err := straight.Run(context.Background(), 0, nil); err != nil {
				t.Fatal(err)
			}

			first := newTrainer(t, sys, cfg)
			for range 13 {
				if _, err := first.TrainStep(); err != nil {
					t.Fatal(err)
				}
			}
			ckpt, err := first.Checkpoint()
			if err != nil {
				t.Fatal(err)
			}
			wire, err := proto.Marshal(ckpt)
			if err != nil {
				t.Fatal(err)
			}
			var decoded critsweepv1.Checkpoint
			if err := proto.Unmarshal(wire, &decoded); err != nil {
				t.Fatal(err)
			}
			resumed := newTrainer(t, sys, Config{Objective: obj, Hidden: []int{8, 8}, Steps: 30, Batch: 32, Seed: 77, EstimateSamples: 1000, EstimateDraws: 1 << 13})
			resumed.cfg.Seed = cfg.Seed // the estimate stream follows the task's seed
			if err := resumed.Restore(&decoded); err != nil {
				t.Fatal(err)
			}
			if err := resumed.Run(context.Background(), 0, nil); err != nil {
				t.Fatal(err)
			}
			if resumed.Step() != straight.Step() {
				t.Fatalf("resumed at step %d, straight at %d", resumed.Step(), straight.Step())
			}
			if !slices.Equal(resumed.Model().Params(), straight.Model().Params()) {
				t.Fatal("13 steps + checkpoint + 17 steps differs from 30 steps straight")
			}
			if !slices.Equal(resumed.adam.M, straight.adam.M) || !slices.Equal(resumed.adam.V, straight.adam.V) {
				t.Fatal("Adam state differs after resume")
			}
			ea, _ := straight.Estimate(0)
			eb, _ := resumed.Estimate(0)
			if !sameEstimates(ea, eb) {
				t.Errorf("estimates differ after resume:\n%+v\n%+v", ea, eb)
			}
		})
	}
}

// sameEstimates reports whether a and b are equal bit for bit, NaN included: %v prints
// the shortest decimal that reads back as the same float64.
func sameEstimates(a, b *Estimates) bool {
	return fmt.Sprintf("%v", *a) == fmt.Sprintf("%v", *b)
}

func TestRestoreRefusesMismatch(t *testing.T) {
	sys := isingSystem(t, 0.5, 6, statmech.Periodic)
	tr := newTrainer(t, sys, Config{Hidden: []int{8}, Steps: 10})
	good, err := tr.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	mutate := []struct {
		name string
		edit func(c *critsweepv1.Checkpoint)
	}{
		{"version", func(c *critsweepv1.Checkpoint) { c.Version = 99 }},
		{"units", func(c *critsweepv1.Checkpoint) { c.Units = 7 }},
		{"features", func(c *critsweepv1.Checkpoint) { c.Features[1] = 9 }},
		{"params", func(c *critsweepv1.Checkpoint) { c.Params = c.Params[1:] }},
		{"adam", func(c *critsweepv1.Checkpoint) { c.Adam = nil }},
		{"step", func(c *critsweepv1.Checkpoint) { c.Step = 11 }},
		{"rng", func(c *critsweepv1.Checkpoint) { c.Rng = []byte("garbage") }},
	}
	for _, m := range mutate {
		c := proto.Clone(good).(*critsweepv1.Checkpoint)
		m.edit(c)
		before := slices.Clone(tr.Model().Params())
		if err := tr.Restore(c); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: Restore error = %v, want ErrCheckpoint", m.name, err)
		}
		if !slices.Equal(before, tr.Model().Params()) {
			t.Errorf("%s: a refused checkpoint changed the model", m.name)
		}
	}
}

// TestEstimateMatchesEnumeration checks the estimators on a fixed, untrained-but-random
// model against the same quantities computed by enumerating every row: the Rayleigh
// quotient, the first-order ln E_p[T] and ⟨m²⟩ under p_sym.
func TestEstimateMatchesEnumeration(t *testing.T) {
	for _, b := range []statmech.Boundary{statmech.Periodic, statmech.Twisted} {
		t.Run(b.String(), func(t *testing.T) {
			const seed = 21
			sys := isingSystem(t, 0.44, 6, b)
			tr := newTrainer(t, sys, Config{Hidden: []int{6}, Seed: seed, EstimateSamples: 40000, Estimator: MethodRayleigh})
			rng := rand.New(rand.NewPCG(seed, 2))
			for k := range tr.Model().Params() {
				tr.Model().Params()[k] = 0.4 * rng.NormFloat64()
			}
			n, _ := sys.NumStates()
			lp := tr.logProbAll(n)
			rowLen := sys.RowLen()
			rows := make([]float64, n*rowLen)
			for k := 0; k < n; k++ {
				sys.Decode(rows[k*rowLen:(k+1)*rowLen], k)
			}
			lnT := make([]float64, n*n)
			sys.LogTransferWeight(lnT, rows, rows)
			lnTh, lnTm := make([]float64, n), make([]float64, n)
			sys.LogHorizontal(lnTh, rows)
			sys.LogMarginal(lnTm, rows)
			var num, den, first float64
			p := make([]float64, n)
			for a := 0; a < n; a++ {
				p[a] = math.Exp(lp[a])
				var tp float64
				for c := 0; c < n; c++ {
					tp += math.Exp(lnT[a*n+c] + lp[c])
				}
				num += math.Exp(lnTh[a]+lp[a]) * tp
				den += math.Exp(lnTh[a] + 2*lp[a])
				first += math.Exp(lnTm[a] + lp[a])
			}
			L := float64(sys.Size())
			wantR, wantFirst := math.Log(num/den)/L, math.Log(first)/L
			obs, err := sys.Observables(p)
			if err != nil {
				t.Fatal(err)
			}
			e, err := tr.Estimate(0)
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, got statmech.Estimate, want float64) {
				if z := math.Abs(got.Mean-want) / got.StdErr; z > 4 || got.StdErr <= 0 {
					t.Errorf("seed %d: %s = %.7f ± %.2g, enumeration %.7f (%.1fσ)", seed, name, got.Mean, got.StdErr, want, z)
				}
			}
			check("Rayleigh ln λ/L", e.LnLambdaPerSite, wantR)
			check("first-order ln λ/L", e.FirstOrder, wantFirst)
			check("m2", e.End.M2, obs.M2)
			if e.Method != MethodRayleigh {
				t.Errorf("method %q, want %q", e.Method, MethodRayleigh)
			}
		})
	}
}

// TestThreadsSameModel checks that the number of threads changes nothing: the same seed
// gives the same parameters, bit for bit, and the same estimates.
func TestThreadsSameModel(t *testing.T) {
	sys := isingSystem(t, 0.42, 6, statmech.Twisted)
	var want []float64
	var wantEst *Estimates
	for _, threads := range []int{1, 2, 5} {
		tr := newTrainer(t, sys, Config{Hidden: []int{8}, Steps: 20, Batch: 200, Seed: 4, Threads: threads, EstimateSamples: 500, EstimateDraws: 1 << 13})
		if err := tr.Run(context.Background(), 0, nil); err != nil {
			t.Fatal(err)
		}
		est, err := tr.Estimate(0)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want, wantEst = slices.Clone(tr.Model().Params()), est
			continue
		}
		if !slices.Equal(tr.Model().Params(), want) {
			t.Errorf("threads %d: parameters differ from one thread's", threads)
		}
		if fmt.Sprint(*est) != fmt.Sprint(*wantEst) { // NaN-safe: an error bar may be NaN
			t.Errorf("threads %d: estimates differ from one thread's:\n%+v\n%+v", threads, est, wantEst)
		}
	}
}

// TestStartFrom checks continuation: a run started from a parent's final model has the
// parent's weights before its first step, is reproducible, and a parent of another
// shape or a run already under way is refused without change.
func TestStartFrom(t *testing.T) {
	parentSys := isingSystem(t, 0.40, 6, statmech.Periodic)
	parent := newTrainer(t, parentSys, Config{Hidden: []int{8}, Steps: 30, Batch: 64, Seed: 2})
	if err := parent.Run(context.Background(), 0, nil); err != nil {
		t.Fatal(err)
	}
	final, err := parent.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	childSys := isingSystem(t, 0.41, 6, statmech.Periodic)
	run := func() []float64 {
		child := newTrainer(t, childSys, Config{Hidden: []int{8}, Steps: 10, Batch: 64, Seed: 3})
		if err := child.StartFrom(final); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(child.Model().Params(), final.GetParams()) {
			t.Fatal("the child does not start from the parent's weights")
		}
		if err := child.Run(context.Background(), 0, nil); err != nil {
			t.Fatal(err)
		}
		if err := child.StartFrom(final); !errors.Is(err, ErrWarmStart) {
			t.Errorf("StartFrom after training: %v, want ErrWarmStart", err)
		}
		return slices.Clone(child.Model().Params())
	}
	if a, b := run(), run(); !slices.Equal(a, b) {
		t.Error("two continued runs differ")
	}
	other := newTrainer(t, childSys, Config{Hidden: []int{9}, Steps: 10, Seed: 3})
	before := slices.Clone(other.Model().Params())
	if err := other.StartFrom(final); !errors.Is(err, ErrWarmStart) {
		t.Errorf("StartFrom a parent of another shape: %v, want ErrWarmStart", err)
	}
	if !slices.Equal(before, other.Model().Params()) {
		t.Error("a refused parent changed the model")
	}
}
