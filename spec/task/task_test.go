package task

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/critsweep/critsweep/model"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

func taskSpec(m *critsweepv1.ModelSpec, edit func(*critsweepv1.TaskSpec)) *critsweepv1.TaskSpec {
	s := &critsweepv1.TaskSpec{
		Model:    m,
		Beta:     0.5,
		Size:     6,
		Tau:      0.3,
		Boundary: "twisted",
		Network:  &critsweepv1.NetworkSpec{Hidden: []uint32{8, 4}},
		Training: &critsweepv1.TrainingSpec{Steps: 100, Batch: 16, LearningRate: 1e-2, Seed: 9},
	}
	if edit != nil {
		edit(s)
	}
	return s
}

// TestNamesMatchSources ties every name list and limit of package spec to its source of
// truth in train and statmech, which spec does not import.
func TestNamesMatchSources(t *testing.T) {
	if got, want := spec.Objectives(), train.Objectives; !slices.Equal(got, want) {
		t.Errorf("spec.Objectives() = %q, train.Objectives = %q", got, want)
	}
	if spec.ObjectiveDefault != train.ObjectiveDefault || spec.ObjectiveGumbelRKL != train.ObjectiveGumbelRKL {
		t.Errorf("objective constants differ: spec %q %q, train %q %q", spec.ObjectiveDefault, spec.ObjectiveGumbelRKL, train.ObjectiveDefault, train.ObjectiveGumbelRKL)
	}
	for _, o := range append(train.Objectives, "", "magic") {
		if spec.UsesTau(o) != train.UsesTau(o) {
			t.Errorf("UsesTau(%q): spec %v, train %v", o, spec.UsesTau(o), train.UsesTau(o))
		}
	}
	if got, want := spec.Estimators(), train.Estimators; !slices.Equal(got, want) {
		t.Errorf("spec.Estimators() = %q, train.Estimators = %q", got, want)
	}
	if got, want := spec.Nonlinearities(), train.Nonlinearities; !slices.Equal(got, want) {
		t.Errorf("spec.Nonlinearities() = %q, train.Nonlinearities = %q", got, want)
	}
	for _, name := range spec.BoundaryNames() {
		b, err := statmech.ParseBoundary(name)
		if err != nil || b.String() != name {
			t.Errorf("statmech.ParseBoundary(%q) = %v, %v", name, b, err)
		}
	}
	if spec.Periodic != statmech.Periodic.String() || spec.Twisted != statmech.Twisted.String() {
		t.Errorf("spec's seams %q, %q; statmech's %q, %q", spec.Periodic, spec.Twisted, statmech.Periodic, statmech.Twisted)
	}
	if _, err := statmech.ParseBoundary("open"); err == nil {
		t.Error("statmech accepts a seam spec does not list")
	}
	// Every model kind builds a system, at every value of each of its axes (spec.ModelAxes)
	// that spec allows; an axis it does not list is refused.
	for _, kind := range spec.ModelKinds() {
		m := &critsweepv1.ModelSpec{Kind: kind, Q: 3}
		switch kind {
		case spec.ModelIsing, spec.ModelAshkinTeller:
			m.Q = 0
		case spec.ModelCustom:
			m = &critsweepv1.ModelSpec{Kind: kind, BondWeight: &critsweepv1.BondWeight{Q: 2, Values: []float64{2, 0.5, 0.5, 2}}}
		}
		if _, err := System(taskSpec(m, nil)); err != nil {
			t.Errorf("model kind %q: %v", kind, err)
		}
		axes := spec.ModelAxes(kind)
		set := map[string]func(*critsweepv1.TaskSpec){
			spec.ParamQ: func(s *critsweepv1.TaskSpec) { s.Q = spec.MaxTaskQ },
			spec.ParamCouplingRatio: func(s *critsweepv1.TaskSpec) {
				s.CouplingRatio = spec.MinCouplingRatio
				s.Beta = 0.01 // the largest ratio at β·r ≤ 1 below
			},
			spec.ParamFourSpin: func(s *critsweepv1.TaskSpec) { s.FourSpin = proto.Float64(math.Nextafter(spec.MinFourSpin, 0)) },
		}
		for name, edit := range set {
			_, err := System(taskSpec(m, edit))
			if slices.Contains(axes, name) != (err == nil) {
				t.Errorf("model kind %q, axis %s: %v (spec.ModelAxes lists it: %v)", kind, name, err, slices.Contains(axes, name))
			}
		}
		if slices.Contains(axes, spec.ParamCouplingRatio) {
			if _, err := System(taskSpec(m, func(s *critsweepv1.TaskSpec) { s.CouplingRatio, s.Beta = spec.MaxCouplingRatio, 0.01 })); err != nil {
				t.Errorf("model kind %q at the largest coupling ratio: %v", kind, err)
			}
		}
		if slices.Contains(axes, spec.ParamFourSpin) {
			if _, err := System(taskSpec(m, func(s *critsweepv1.TaskSpec) { s.FourSpin = proto.Float64(spec.MaxFourSpin) })); err != nil {
				t.Errorf("model kind %q at the largest four-spin coupling: %v", kind, err)
			}
		}
	}
	if spec.MaxTaskQ > statmech.MaxQ || spec.MaxTaskSize > statmech.MaxSize {
		t.Errorf("spec's limits (q ≤ %d, L ≤ %d) exceed statmech's (q ≤ %d, L ≤ %d)", spec.MaxTaskQ, spec.MaxTaskSize, statmech.MaxQ, statmech.MaxSize)
	}
	// spec's range of U is statmech's, which refuses U ≤ −1 itself.
	if _, err := statmech.AshkinTeller(spec.MinFourSpin, 1); !errors.Is(err, statmech.ErrCoupling) {
		t.Errorf("statmech.AshkinTeller(spec.MinFourSpin = %v) = %v, want ErrCoupling: the bound is statmech's", spec.MinFourSpin, err)
	}
	if !(spec.MinCouplingRatio > 0) {
		t.Errorf("spec.MinCouplingRatio = %v, want > 0", spec.MinCouplingRatio)
	}
}

// notFromSpec are the train.Config fields that a task spec does not set.
var notFromSpec = map[string]string{
	"MaxDuration": "a run stopped by time is not reproducible; tasks stop by steps",
	"Threads":     "how many cores a task uses is the worker's choice; results do not depend on it",
}

// TestConfigFieldsThreaded checks that Resolve sets every train.Config field from the
// task spec, or that notFromSpec says why not: a field added to train.Config fails here
// until it is threaded through the spec (see the package documentation).
func TestConfigFieldsThreaded(t *testing.T) {
	ts := &critsweepv1.TaskSpec{
		Model: &critsweepv1.ModelSpec{Kind: "ising"}, Beta: 0.5, Size: 6, Tau: 0.7,
		Network: &critsweepv1.NetworkSpec{Hidden: []uint32{3, 5}, Nonlinearity: "tanh"},
		Training: &critsweepv1.TrainingSpec{Objective: "gumbel-rkl", Steps: 17, Batch: 19, LearningRate: 0.023,
			Seed: 29, EstimateSamples: 31, EstimateDraws: 37, Estimator: "rayleigh"},
	}
	_, cfg, err := Resolve(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := train.Config{Objective: "gumbel-rkl", Hidden: []int{3, 5}, Nonlinearity: "tanh", Steps: 17, Batch: 19,
		LearningRate: 0.023, Tau: 0.7, Seed: 29, EstimateSamples: 31, EstimateDraws: 37, Estimator: "rayleigh"}
	got, wantV := reflect.ValueOf(cfg), reflect.ValueOf(want)
	for i := range got.NumField() {
		name := got.Type().Field(i).Name
		if _, ok := notFromSpec[name]; ok {
			if !got.Field(i).IsZero() {
				t.Errorf("Config.%s = %v, want zero: it is not the spec's", name, got.Field(i))
			}
			continue
		}
		if wantV.Field(i).IsZero() {
			t.Errorf("train.Config.%s is new: thread it from the task spec in Resolve, or list it in notFromSpec", name)
			continue
		}
		if !reflect.DeepEqual(got.Field(i).Interface(), wantV.Field(i).Interface()) {
			t.Errorf("Config.%s = %v, want %v from the spec", name, got.Field(i), wantV.Field(i))
		}
	}
}

func TestResolve(t *testing.T) {
	ising := &critsweepv1.ModelSpec{Kind: "ising"}
	sys, cfg, err := Resolve(taskSpec(ising, nil), &Options{EstimateSamples: 512})
	if err != nil {
		t.Fatal(err)
	}
	if sys.Q() != 2 || sys.Size() != 6 || sys.Boundary() != statmech.Twisted {
		t.Errorf("system q = %d, L = %d, %v; want 2, 6, twisted", sys.Q(), sys.Size(), sys.Boundary())
	}
	want, _ := statmech.Ising(0.5)
	if sys.HorizontalWeight().String() != want.String() {
		t.Errorf("bond weight %v, want %v", sys.HorizontalWeight(), want)
	}
	if cfg.Objective != train.ObjectiveDefault || cfg.Steps != 100 || cfg.Batch != 16 || cfg.LearningRate != 1e-2 ||
		cfg.Seed != 9 || cfg.EstimateSamples != 512 || !slices.Equal(cfg.Hidden, []int{8, 4}) {
		t.Errorf("config %+v does not follow the spec", cfg)
	}
	if cfg.Tau != 0 {
		t.Errorf("default objective got τ = %v; it does not use τ", cfg.Tau)
	}
	_, cfg, err = Resolve(taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Training.Objective = "gumbel-rkl" }), nil)
	if err != nil || cfg.Tau != 0.3 {
		t.Errorf("gumbel-rkl: τ = %v (%v), want the grid's 0.3", cfg.Tau, err)
	}
	_, cfg, err = Resolve(taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Training.Objective, s.Tau = "gumbel-rkl", 0 }), nil)
	if err != nil || cfg.Tau != 1 {
		t.Errorf("gumbel-rkl without τ: τ = %v (%v), want train's default 1/(q−1) = 1", cfg.Tau, err)
	}
	// The spec's estimate_samples wins over the worker's option.
	_, cfg, err = Resolve(taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Training.EstimateSamples = 64 }), &Options{EstimateSamples: 512})
	if err != nil || cfg.EstimateSamples != 64 {
		t.Errorf("estimate samples %d (%v), want the spec's 64", cfg.EstimateSamples, err)
	}

	// The second couplings: the vertical bonds at β·r, the q axis, U.
	aniso, _, err := Resolve(taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.CouplingRatio = 2 }), nil)
	wantV, _ := statmech.Ising(1.0)
	if err != nil || aniso.HorizontalWeight().String() != want.String() || aniso.VerticalWeight().String() != wantV.String() {
		t.Errorf("ising r = 2 at β = 0.5: %v, %v (%v); want Ising(0.5) within rows, Ising(1) between", aniso.HorizontalWeight(), aniso.VerticalWeight(), err)
	}
	fixed, _, err := Resolve(taskSpec(&critsweepv1.ModelSpec{Kind: "ising", CouplingRatio: 0.5}, nil), nil)
	wantV, _ = statmech.Ising(0.25)
	if err != nil || fixed.VerticalWeight().String() != wantV.String() {
		t.Errorf("model.coupling_ratio 0.5: vertical %v (%v), want Ising(0.25)", fixed.VerticalWeight(), err)
	}
	qAxis, _, err := Resolve(taskSpec(&critsweepv1.ModelSpec{Kind: "potts", Q: 3}, func(s *critsweepv1.TaskSpec) { s.Q = 5 }), nil)
	if err != nil || qAxis.Q() != 5 {
		t.Errorf("potts q axis 5 over the model's 3: q = %d (%v), want the axis's 5", qAxis.Q(), err)
	}
	at, _, err := Resolve(taskSpec(&critsweepv1.ModelSpec{Kind: "ashkin-teller", FourSpin: 0.7}, func(s *critsweepv1.TaskSpec) { s.FourSpin = proto.Float64(-0.5) }), nil)
	wantAT, _ := statmech.AshkinTeller(-0.5, 0.5)
	if err != nil || at.Q() != 4 || at.HorizontalWeight().String() != wantAT.String() || at.SeamWeight().String() != wantAT.Twist().String() {
		t.Errorf("ashkin-teller U axis −0.5: %v, seam %v (%v); want AshkinTeller(−0.5, 0.5), σ-twisted", at.HorizontalWeight(), at.SeamWeight(), err)
	}

	potts, _, err := Resolve(taskSpec(&critsweepv1.ModelSpec{Kind: "potts", Q: 3}, nil), nil)
	if err != nil || potts.Q() != 3 || potts.HorizontalWeight().At(0, 0) != math.Exp(0.5) || potts.HorizontalWeight().At(0, 1) != 1 {
		t.Errorf("potts q=3 at β=0.5: %v (%v)", potts.HorizontalWeight(), err)
	}
	clock, _, err := Resolve(taskSpec(&critsweepv1.ModelSpec{Kind: "clock", Q: 4}, nil), nil)
	if err != nil || clock.Q() != 4 {
		t.Errorf("clock q=4: %v", err)
	}
	// A custom bond weight is the weight at β = 1; the task at β trains its β-th power.
	custom := &critsweepv1.ModelSpec{Kind: "custom", BondWeight: &critsweepv1.BondWeight{Q: 2, Values: []float64{4, 0.25, 0.25, 4}}}
	sys, _, err = Resolve(taskSpec(custom, nil), nil)
	if err != nil || sys.HorizontalWeight().At(0, 0) != 2 || sys.HorizontalWeight().At(0, 1) != 0.5 {
		t.Errorf("custom [[4, 1/4], [1/4, 4]] at β = 0.5: %v (%v), want [[2, 1/2], [1/2, 2]]", sys.HorizontalWeight(), err)
	}
}

// TestResolveMinimal checks the minimal spec of issue 12: every network and training
// field is train's default for the task's L and q.
func TestResolveMinimal(t *testing.T) {
	s, err := spec.Parse([]byte("name: minimal\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [4]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := spec.Expand(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range tasks {
		_, cfg, err := Resolve(ts, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := train.Config{Seed: ts.GetTraining().GetSeed()}.Defaults(4, 2)
		if !reflect.DeepEqual(cfg, want) {
			t.Errorf("%s: config %+v, want train's defaults %+v", ts.GetBoundary(), cfg, want)
		}
	}
}

func TestResolveRefusesUntrainable(t *testing.T) {
	ising := &critsweepv1.ModelSpec{Kind: "ising"}
	tests := []struct {
		name string
		spec *critsweepv1.TaskSpec
		want string
	}{
		{"nil", nil, "spec is missing"},
		{"no model", taskSpec(nil, nil), "model: is required"},
		{"kind", taskSpec(&critsweepv1.ModelSpec{Kind: "xy"}, nil), "model.kind"},
		{"ising q", taskSpec(&critsweepv1.ModelSpec{Kind: "ising", Q: 3}, nil), "model.q"},
		{"potts q", taskSpec(&critsweepv1.ModelSpec{Kind: "potts", Q: 1}, nil), "model.q"},
		{"custom shape", taskSpec(&critsweepv1.ModelSpec{Kind: "custom", BondWeight: &critsweepv1.BondWeight{Q: 2, Values: []float64{1, 2, 3}}}, nil), "model.bond_weight"},
		{"custom sign", taskSpec(&critsweepv1.ModelSpec{Kind: "custom", BondWeight: &critsweepv1.BondWeight{Q: 2, Values: []float64{1, -2, 3, 4}}}, nil), "model.bond_weight"},
		{"bond weight on ising", taskSpec(&critsweepv1.ModelSpec{Kind: "ising", BondWeight: &critsweepv1.BondWeight{Q: 2}}, nil), "only for kind custom"},
		{"beta", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Beta = -1 }), "beta"},
		{"beta overflows", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Beta = 1e300 }), "model"},
		{"size", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Size = 1 }), "size"},
		{"boundary", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Boundary = "open" }), "boundary"},
		{"nonlinearity", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Network.Nonlinearity = "sigmoid" }), "network.nonlinearity"},
		{"objective", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Training.Objective = "magic" }), "objective"},
		{"learning rate", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Training.LearningRate = math.Inf(1) }), "training.learning_rate"},
		{"q axis on ising", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Q = 3 }), "q: model ising has no q axis"},
		{"q < 2", taskSpec(&critsweepv1.ModelSpec{Kind: "clock"}, func(s *critsweepv1.TaskSpec) { s.Q = 1 }), "q: must be in [2, 64], got 1"},
		{"coupling ratio 0 in the model", taskSpec(&critsweepv1.ModelSpec{Kind: "potts", Q: 3, CouplingRatio: -1}, nil), "model.coupling_ratio: must be in [0.01, 100]"},
		{"coupling ratio", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.CouplingRatio = 1000 }), "coupling_ratio: must be in [0.01, 100]"},
		{"four_spin on clock", taskSpec(&critsweepv1.ModelSpec{Kind: "clock", Q: 4}, func(s *critsweepv1.TaskSpec) { s.FourSpin = proto.Float64(0.2) }), "four_spin: is only for kind ashkin-teller"},
		{"four_spin -1", taskSpec(&critsweepv1.ModelSpec{Kind: "ashkin-teller"}, func(s *critsweepv1.TaskSpec) { s.FourSpin = proto.Float64(-1) }), "four_spin: must be in (-1, 10]"},
		{"ashkin-teller q", taskSpec(&critsweepv1.ModelSpec{Kind: "ashkin-teller", Q: 3}, nil), "model.q"},
		{"coupling ratio overflows", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Beta, s.CouplingRatio = 50, 100 }), "model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Resolve(tt.spec, nil)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Resolve = %v, want an ErrInvalid naming %q", err, tt.want)
			}
		})
	}
}

func TestFinalLossWindow(t *testing.T) {
	for _, tt := range []struct{ steps, want int }{{1, 1}, {10, 1}, {11, 2}, {100, 10}, {5000, 500}, {1000000, FinalLossWindow}} {
		if got := finalLossWindow(tt.steps); got != tt.want {
			t.Errorf("finalLossWindow(%d) = %d, want %d", tt.steps, got, tt.want)
		}
	}
}

// TestTrainResumesBitForBit checks the Attempt's contract with the worker: an attempt
// restored from a checkpoint of another ends with the same Result, seconds aside, and a
// checkpoint inside the final-loss window is refused.
func TestTrainResumesBitForBit(t *testing.T) {
	ts := taskSpec(&critsweepv1.ModelSpec{Kind: "ising"}, func(s *critsweepv1.TaskSpec) {
		s.Size, s.Training.Steps, s.Training.EstimateSamples, s.Training.EstimateDraws = 4, 60, 256, 256
	})
	ctx := context.Background()
	straight, err := Train(ctx, ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := NewAttempt(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := first.Step(); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := first.Trainer().Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewAttempt(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Restore(cp); err != nil {
		t.Fatal(err)
	}
	resumed, err := second.Run(ctx, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	straight.Seconds, resumed.Seconds = 0, 0
	if !proto.Equal(straight, resumed) {
		t.Errorf("resumed result differs:\n%v\nstraight:\n%v", resumed, straight)
	}
	if straight.GetExact() == nil || straight.GetSteps() != 60 {
		t.Errorf("result %v, want 60 steps and an exact block at L = 4", straight)
	}
	for !first.Done() {
		if err := first.Step(); err != nil {
			t.Fatal(err)
		}
	}
	late, _ := first.Trainer().Checkpoint()
	third, _ := NewAttempt(ts, nil)
	if err := third.Restore(late); !errors.Is(err, train.ErrCheckpoint) {
		t.Errorf("Restore(a checkpoint in the final-loss window) = %v, want train.ErrCheckpoint", err)
	}
}

// TestIssueSpecsTrain trains the task of the issue's spec with a few training settings
// (steps 400, batch 64) to its result.
func TestIssueSpecsTrain(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a task")
	}
	s, err := spec.Parse([]byte("name: minimal\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [4]}\ntraining: {steps: 400, batch: 64, seed: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := spec.Expand(s)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), tasks[0], &Options{EstimateSamples: 4096, EstimateDraws: 1 << 14})
	if err != nil {
		t.Fatal(err)
	}
	got, exact := res.GetLnLambdaPerSite().GetValue(), res.GetExact().GetLnLambdaPerSite()
	if res.GetSteps() != 400 || math.Abs(got-exact) > 5e-3 {
		t.Errorf("ln λ/L = %v after %d steps, want within 5e-3 of the exact %v", got, res.GetSteps(), exact)
	}
}

func TestExact(t *testing.T) {
	ising := func(beta float64, L uint32, boundary string) *critsweepv1.TaskSpec {
		return &critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising"}, Beta: beta, Size: L, Boundary: boundary}
	}
	// The check value of docs/design.md, by both methods.
	_, ex, err := Exact(ising(statmech.IsingBetaC, 8, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Method != train.ExactKaufman || math.Abs(ex.LnLambda/8-0.9338245734) > 1e-10 || math.Abs(ex.LnLambdaPower-ex.LnLambda) > 1e-9 || ex.End == nil || ex.Bulk == nil {
		t.Errorf("Ising L = 8 at β_c: %+v, want Kaufman's 0.9338245734 per site, power iteration alike, observables", ex)
	}
	// Beyond enumeration: Kaufman alone, the observables absent.
	for _, b := range []string{"periodic", "twisted"} {
		_, ex, err = Exact(ising(0.3, 40, b), nil)
		if err != nil {
			t.Fatalf("Ising L = 40 %s: %v", b, err)
		}
		want, _ := statmech.KaufmanLogLambda(0.3, 40, map[string]statmech.Boundary{"periodic": statmech.Periodic, "twisted": statmech.Twisted}[b])
		if ex.Method != train.ExactKaufman || ex.LnLambda != want || ex.End != nil || ex.P != nil || !math.IsNaN(ex.LnLambdaPower) {
			t.Errorf("Ising L = 40 %s: %+v, want Kaufman's %v and no observables", b, ex, want)
		}
	}
	// The anisotropic Ising model: Kaufman's anisotropic form at any L, power iteration
	// alike where it enumerates.
	for _, L := range []uint32{6, 40} {
		for _, b := range []string{"periodic", "twisted"} {
			ts := ising(0.3, L, b)
			ts.CouplingRatio = 2.5
			_, ex, err := Exact(ts, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := statmech.KaufmanAnisotropicLogLambda(0.3, 0.75, int(L), map[string]statmech.Boundary{"periodic": statmech.Periodic, "twisted": statmech.Twisted}[b])
			if ex.Method != train.ExactKaufman || ex.LnLambda != want || (L == 6 && math.Abs(ex.LnLambdaPower-want) > 1e-9) {
				t.Errorf("Ising r = 2.5, L = %d %s: %+v, want Kaufman's %v", L, b, ex, want)
			}
		}
	}
	// Other models need enumeration.
	_, _, err = Exact(&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "potts", Q: 3}, Beta: 1, Size: 30}, nil)
	if !errors.Is(err, train.ErrTooLarge) {
		t.Errorf("Potts q = 3, L = 30: %v, want train.ErrTooLarge", err)
	}
	_, ex, err = Exact(&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "potts", Q: 3}, Beta: 1, Size: 4}, nil)
	if err != nil || ex.Method != train.ExactPower || ex.LnLambda != ex.LnLambdaPower || ex.End == nil {
		t.Errorf("Potts q = 3, L = 4: %+v (%v), want power iteration with observables", ex, err)
	}
}

// TestNetworkWeights checks EstimateCost's count of weights against the model's own.
func TestNetworkWeights(t *testing.T) {
	for _, tt := range []struct {
		L        int
		features []int
	}{{4, []int{2, 8, 2}}, {8, []int{2, 32, 32, 2}}, {5, []int{3, 4, 6, 3}}} {
		m, err := model.New(tt.L, tt.features, &model.Options{NoBias: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := networkWeights(tt.L, tt.features), m.NumParams(); got != want {
			t.Errorf("networkWeights(%d, %v) = %d, model has %d weights", tt.L, tt.features, got, want)
		}
	}
	c, err := EstimateCost(taskSpec(&critsweepv1.ModelSpec{Kind: "ising"}, nil), nil)
	if err != nil || c.FLOP <= 0 || c.Seconds != c.FLOP/CostRate || c.Config.Steps != 100 {
		t.Errorf("EstimateCost = %+v, %v", c, err)
	}
}

// TestTemplate checks that spec init's template is a valid spec, stays one with every
// field uncommented (but the grid's axes of the model's fields, which replace them, and
// the custom bond weight), stays one with the coupling_ratio axis uncommented alone, and
// names every field of the schema.
func TestTemplate(t *testing.T) {
	var b strings.Builder
	if err := WriteTemplate(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if _, err := spec.Parse([]byte(text)); err != nil {
		t.Fatalf("the template is not a valid spec: %v\n%s", err, text)
	}
	// uncomment uncomments the field lines for which pick is true.
	uncomment := func(pick func(line string) bool) string {
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			trimmed := strings.TrimLeft(l, " ")
			if strings.HasPrefix(trimmed, "# ") && strings.Contains(trimmed, ":") && !strings.HasPrefix(trimmed, "# critsweep") &&
				strings.Index(trimmed, ":") < strings.Index(trimmed+" #", " #") && pick(trimmed) {
				indent := len(l) - len(trimmed)
				l = strings.Repeat(" ", indent) + strings.Replace(trimmed, "# ", "  ", 1)[2:]
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	// Every field but the custom bond weight (ising refuses it) and the grid's axes of
	// model fields (the axis replaces the field; q and four_spin are not ising's).
	full := uncomment(func(l string) bool {
		return !strings.Contains(l, "bond_weight") && !strings.Contains(l, "instead of model.")
	})
	axis := uncomment(func(l string) bool { return strings.HasPrefix(l, "# coupling_ratio: [") })
	if s, err := spec.Parse([]byte(axis)); err != nil || len(s.GetGrid().GetCouplingRatio()) != 3 {
		t.Errorf("the template with its coupling_ratio axis uncommented: %v, %v\n%s", s.GetGrid(), err, axis)
	}
	for _, want := range []string{"\ntraining:\n", "\n  learning_rate: ", "\nnetwork:\n", "\n  tau: ", "\nboundary: ", "\nmax_attempts: "} {
		if !strings.Contains(full, want) {
			t.Errorf("uncommenting the template left out %q:\n%s", want, full)
		}
	}
	if _, err := spec.Parse([]byte(full)); err != nil {
		t.Errorf("the template with every field uncommented is not valid: %v\n%s", err, full)
	}
	for _, f := range schemaFields((&critsweepv1.SweepSpec{}).ProtoReflect().Descriptor(), "") {
		key := f[strings.LastIndex(f, ".")+1:] + ":"
		if !strings.Contains(text, key) {
			t.Errorf("the template does not name %s", f)
		}
	}
}

// schemaFields lists the fields of a spec message by their YAML path, recursively; the
// fields of a range (Axis) and a bond weight are written in their shorthand forms.
func schemaFields(md protoreflect.MessageDescriptor, path string) []string {
	var out []string
	for i := range md.Fields().Len() {
		fd := md.Fields().Get(i)
		p := string(fd.Name())
		if path != "" {
			p = path + "." + p
		}
		switch {
		case fd.Kind() == protoreflect.MessageKind && (fd.Message().Name() == "Axis" || fd.Message().Name() == "BondWeight"):
			out = append(out, p)
		case fd.Kind() == protoreflect.MessageKind:
			out = append(out, schemaFields(fd.Message(), p)...)
		default:
			out = append(out, p)
		}
	}
	return out
}

// TestCriticalBeta checks the exact critical points a task names, against statmech's
// lines, and that a model without one says so.
func TestCriticalBeta(t *testing.T) {
	at := func(m *critsweepv1.ModelSpec, edit func(*critsweepv1.TaskSpec)) *critsweepv1.TaskSpec {
		ts := &critsweepv1.TaskSpec{Model: m, Beta: 1, Size: 4}
		if edit != nil {
			edit(ts)
		}
		return ts
	}
	isingR2, _ := statmech.IsingCriticalBeta(2)
	potts4R05, _ := statmech.PottsCriticalBeta(4, 0.5)
	atU, _ := statmech.AshkinTellerCriticalBeta(0.5)
	tests := []struct {
		ts   *critsweepv1.TaskSpec
		want float64
		line string
	}{
		{at(&critsweepv1.ModelSpec{Kind: "ising"}, nil), statmech.IsingBetaC, "sinh 2β·sinh 2βr = 1"},
		{at(&critsweepv1.ModelSpec{Kind: "ising"}, func(s *critsweepv1.TaskSpec) { s.CouplingRatio = 2 }), isingR2, "sinh 2β·sinh 2βr = 1"},
		{at(&critsweepv1.ModelSpec{Kind: "potts", Q: 3}, nil), statmech.PottsBetaC(3), "(e^β − 1)(e^βr − 1) = q"},
		{at(&critsweepv1.ModelSpec{Kind: "potts", CouplingRatio: 0.5}, func(s *critsweepv1.TaskSpec) { s.Q = 4 }), potts4R05, "= q"},
		{at(&critsweepv1.ModelSpec{Kind: "clock", Q: 4}, nil), 2 * statmech.IsingBetaC, "clock"},
		{at(&critsweepv1.ModelSpec{Kind: "ashkin-teller", FourSpin: 0.5}, nil), atU, "self-dual"},
	}
	for _, tt := range tests {
		got, line, err := CriticalBeta(tt.ts)
		if err != nil || got != tt.want || !strings.Contains(line, tt.line) {
			t.Errorf("CriticalBeta(%v) = %v, %q, %v; want %v on a line naming %q", tt.ts, got, line, err, tt.want, tt.line)
		}
	}
	for _, ts := range []*critsweepv1.TaskSpec{
		at(&critsweepv1.ModelSpec{Kind: "clock", Q: 6}, nil),
		at(&critsweepv1.ModelSpec{Kind: "ashkin-teller", FourSpin: 2}, nil),
		at(&critsweepv1.ModelSpec{Kind: "ashkin-teller"}, func(s *critsweepv1.TaskSpec) { s.CouplingRatio = 2 }),
		at(&critsweepv1.ModelSpec{Kind: "custom", BondWeight: &critsweepv1.BondWeight{Q: 2, Values: []float64{2, 1, 1, 2}}}, nil),
	} {
		if _, _, err := CriticalBeta(ts); !errors.Is(err, statmech.ErrNoClosedForm) {
			t.Errorf("CriticalBeta(%v) = %v, want ErrNoClosedForm", ts, err)
		}
	}
	zIsing, _ := statmech.IsingAnisotropyFactor(2)
	for _, tt := range []struct {
		ts   *critsweepv1.TaskSpec
		want float64
		ok   bool
	}{
		{at(&critsweepv1.ModelSpec{Kind: "ising", CouplingRatio: 2}, nil), zIsing, true},
		{at(&critsweepv1.ModelSpec{Kind: "clock", Q: 4}, func(s *critsweepv1.TaskSpec) { s.CouplingRatio = 2 }), zIsing, true},
		{at(&critsweepv1.ModelSpec{Kind: "potts", Q: 3}, nil), 1, true},
		{at(&critsweepv1.ModelSpec{Kind: "potts", Q: 3, CouplingRatio: 2}, nil), 0, false},
		{at(&critsweepv1.ModelSpec{Kind: "ashkin-teller", CouplingRatio: 0.5}, nil), 0, false},
	} {
		if z, ok := AnisotropyFactor(tt.ts); z != tt.want || ok != tt.ok {
			t.Errorf("AnisotropyFactor(%v) = %v, %v; want %v, %v", tt.ts, z, ok, tt.want, tt.ok)
		}
	}
	if _, _, err := CriticalBeta(at(&critsweepv1.ModelSpec{Kind: "ising"}, func(s *critsweepv1.TaskSpec) { s.CouplingRatio = -1 })); !errors.Is(err, ErrInvalid) {
		t.Errorf("CriticalBeta(coupling ratio −1) = %v, want ErrInvalid", err)
	}
}

// TestTrainSecondCouplings trains small tasks of each new kind of system — anisotropic
// Ising and Potts, the σ-twisted Ashkin–Teller model (shift group {0, 2}) — and compares
// them with their exact solutions: the trainer follows the horizontal and vertical bond
// weights and the seam's symmetry.
func TestTrainSecondCouplings(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four tasks")
	}
	tests := []struct {
		name string
		ts   *critsweepv1.TaskSpec
	}{
		{"ising r=2 twisted", &critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising"}, Beta: 0.3, Size: 4, Boundary: "twisted", CouplingRatio: 2}},
		{"ising r=0.5 periodic", &critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising", CouplingRatio: 0.5}, Beta: 0.6, Size: 4}},
		{"potts3 r=0.5 twisted", &critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "potts", Q: 3}, Beta: 1.3, Size: 4, Boundary: "twisted", CouplingRatio: 0.5}},
		{"ashkin-teller U=0.5 twisted", &critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ashkin-teller", FourSpin: 0.5}, Beta: 0.35, Size: 4, Boundary: "twisted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ts.Training = &critsweepv1.TrainingSpec{Steps: 400, Batch: 64, Seed: 5, EstimateDraws: 20000}
			res, err := Train(context.Background(), tt.ts, &Options{EstimateSamples: 4096})
			if err != nil {
				t.Fatal(err)
			}
			got, ex := res.GetLnLambdaPerSite(), res.GetExact()
			t.Logf("ln λ/L = %.5f ± %.1e, exact %.5f; TV %.3f", got.GetValue(), got.GetStderr(), ex.GetLnLambdaPerSite(), ex.GetTvDistance())
			if math.Abs(got.GetValue()-ex.GetLnLambdaPerSite()) > 5e-3 || ex.GetTvDistance() > 0.1 {
				t.Errorf("ln λ/L = %v (exact %v), TV distance %v; want within 5e-3 and TV < 0.1", got.GetValue(), ex.GetLnLambdaPerSite(), ex.GetTvDistance())
			}
		})
	}
}
