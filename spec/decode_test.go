package spec

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// designSpec is the example of docs/design.md, "Sweeps, tasks and leases".
const designSpec = `
name: ising-critical
model: {kind: ising}            # ising | potts {q} | clock {q} | ashkin-teller {four_spin} | custom {bond_weight}
                                # every kind: coupling_ratio (J_y/J_x, default 1)
boundary: [periodic, twisted]   # the default: twisted doubles the tasks, for σ_L
grid:
  beta: {from: 0.40, to: 0.48, step: 0.005}   # or a list
  size: [6, 8, 10, 12, 16]
  tau: [1.0]                    # only gumbel-rkl uses τ; other objectives take one value
  # coupling_ratio: [0.5, 1, 2] # the axes of a phase diagram, each instead of the model's
  # q: [2, 3, 4]                # field of the same name: coupling_ratio for every kind,
  # four_spin: [0, 0.5]         # q for potts and clock, four_spin for ashkin-teller
network: {hidden: [32, 32]}
training: {objective: default, steps: 4000, batch: 256, learning_rate: 1e-3, seed: 1}
`

func TestParseDesignExample(t *testing.T) {
	spec, err := Parse([]byte(designSpec))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := spec.GetTraining().GetLearningRate(); got != 1e-3 {
		t.Errorf("learning_rate = %v, want 1e-3", got)
	}
	tasks, err := Expand(spec)
	if err != nil {
		t.Fatal(err)
	}
	// 17 β (0.400 … 0.480) × 5 L × 1 τ × 2 boundaries.
	if len(tasks) != 170 {
		t.Errorf("Expand: %d tasks, want 170", len(tasks))
	}
	if b := tasks[2*3].GetBeta(); b != 0.415 {
		t.Errorf("4th β = %v, want exactly 0.415", b)
	}
	if b := tasks[2*16].GetBeta(); b != 0.48 {
		t.Errorf("last β = %v, want exactly 0.48", b)
	}
}

func TestParseShorthands(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		tasks int
	}{
		{"beta list, scalars", `
model: {kind: potts, q: 3}
boundary: twisted
grid: {beta: [1.0, 1.005, 1.01], size: 6, tau: 0.3}
training: {steps: 10, batch: 8, learning_rate: 0.01}`, 3},
		{"one beta, size range", `
model: {kind: clock, q: 4}
grid: {beta: 0.9, size: {from: 4, to: 10, step: 2}, tau: [0.3, 1]}
network: {hidden: 16, nonlinearity: tanh}
training: {objective: gumbel-rkl, steps: 10, batch: 8, learning_rate: 0.01}`, 16},
		{"custom matrix", `
model: {kind: custom, bond_weight: [[2.0, 0.5], [0.5, 2.0]]}
grid: {beta: [1], size: [4], tau: [1]}
training: {steps: 10, batch: 8, learning_rate: 0.01}`, 2},
		{"issue 14's anisotropic Ising", issue14Spec, 51 * 3 * 3 * 2},
		{"potts q axis", `
model: {kind: potts}
grid: {beta: [0.9, 1.0], size: [4, 6], q: {from: 2, to: 4, step: 1}}`, 2 * 2 * 3 * 2},
		{"ashkin-teller four_spin range", `
model: {kind: ashkin-teller, coupling_ratio: 1.5}
grid: {beta: [0.4], size: [4], four_spin: {from: -0.5, to: 1, step: 0.25}}`, 7 * 2},
		{"JSON", `{"model": {"kind": "ising"}, "grid": {"beta": {"values": [0.44]}, "size": [8], "tau": [1]},
"training": {"steps": 1, "batch": 1, "learningRate": 0.1}}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tasks, err := Expand(spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) != tt.tasks {
				t.Errorf("%d tasks, want %d", len(tasks), tt.tasks)
			}
		})
	}
}

// TestParseErrors checks that each broken rule is reported with the field's path and
// what is allowed.
func TestParseErrors(t *testing.T) {
	const valid = `
model: {kind: ising}
grid: {beta: [0.44], size: [8], tau: [1]}
training: {steps: 10, batch: 8, learning_rate: 0.01}
`
	// with replaces one top-level line of valid.
	with := func(field, line string) string {
		var out []string
		for _, l := range strings.Split(valid, "\n") {
			if !strings.HasPrefix(l, field+":") {
				out = append(out, l)
			}
		}
		return strings.Join(append(out, line), "\n")
	}
	// withModelGrid replaces the model and grid lines of valid.
	withModelGrid := func(model, grid string) string {
		var out []string
		for _, l := range strings.Split(valid, "\n") {
			if !strings.HasPrefix(l, "model:") && !strings.HasPrefix(l, "grid:") {
				out = append(out, l)
			}
		}
		return strings.Join(append(out, model, grid), "\n")
	}
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"empty", "", []string{"spec is empty"}},
		{"not a mapping", "- 1\n- 2", []string{"must be a mapping"}},
		{"two documents", valid + "\n---\nname: x", []string{"more than one YAML document"}},
		{"duplicate key", valid + "\nname: a\nname: b", []string{`"name" already defined`}},
		{"unknown top field", valid + "\ncolour: red", []string{"colour: unknown field", "known here: name, model"}},
		{"unknown nested field", with("model", "model: {kind: ising, qq: 3}"), []string{"model.qq: unknown field", "kind, q, bond_weight"}},
		{"unknown range field", with("grid", "grid: {beta: [0.4], size: {from: 4, to: 8, stride: 2}, tau: [1]}"), []string{"grid.size.stride: unknown field"}},
		{"wrong type", with("grid", "grid: {beta: [0.4], size: [eight], tau: [1]}"), []string{"size"}},
		{"empty grid", with("grid", "grid: {}"), []string{"grid.beta: is required", "grid.size: is required"}},
		{"no grid", with("grid", ""), []string{"grid: is required"}},
		{"several tau without gumbel-rkl", with("grid", "grid: {beta: [0.4], size: [8], tau: [0.3, 1]}"), []string{`grid.tau: objective "default" does not use τ`}},
		{"beta zero", with("grid", "grid: {beta: [0.4, 0], size: [8], tau: [1]}"), []string{"grid.beta.values[1]: β must be > 0 and finite, got 0"}},
		{"beta NaN", with("grid", "grid: {beta: [.nan], size: [8], tau: [1]}"), []string{"grid.beta.values[0]: β must be > 0 and finite, got NaN"}},
		{"beta inf", with("grid", "grid: {beta: [.inf], size: [8], tau: [1]}"), []string{"grid.beta.values[0]: β must be > 0 and finite, got +Inf"}},
		{"beta repeated", with("grid", "grid: {beta: [0.4, 0.4], size: [8], tau: [1]}"), []string{"grid.beta.values[1]: β = 0.4 is listed twice"}},
		{"beta range step", with("grid", "grid: {beta: {from: 0.4, to: 0.5, step: -0.01}, size: [8], tau: [1]}"), []string{"grid.beta.step: must be > 0 and finite, got -0.01"}},
		{"beta range backwards", with("grid", "grid: {beta: {from: 0.5, to: 0.4, step: 0.01}, size: [8], tau: [1]}"), []string{"grid.beta.to: must be finite and ≥ from = 0.5, got 0.4"}},
		{"beta range and list", with("grid", "grid: {beta: {from: 0.4, to: 0.5, step: 0.01, values: [0.4]}, size: [8], tau: [1]}"), []string{"grid.beta: is either a list"}},
		{"L < 2", with("grid", "grid: {beta: [0.4], size: [8, 1], tau: [1]}"), []string{"grid.size[1]: must be in [2, 1024], got 1"}},
		{"tau zero", with("grid", "grid: {beta: [0.4], size: [8], tau: [0]}"), []string{"grid.tau[0]: τ must be > 0 and finite, got 0"}},
		{"too many tasks", with("grid", "grid: {beta: {from: 0.001, to: 10, step: 0.0001}, size: [4, 6], tau: [1]}"),
			[]string{"grid: holds 399964 tasks (199982 points × 2 boundaries)", "at most 100000 allowed"}},
		{"no model", with("model", ""), []string{"model: is required"}},
		{"unknown kind", with("model", "model: {kind: heisenberg}"), []string{`model.kind: must be one of ising, potts, clock, ashkin-teller, custom, got "heisenberg"`}},
		{"q axis on ising", with("grid", "grid: {beta: [0.4], size: [8], q: [2, 3]}"), []string{"grid.q: model ising has no q axis (only potts and clock have)"}},
		{"q < 2 in the q axis", withModelGrid("model: {kind: potts}", "grid: {beta: [0.4], size: [8], q: [3, 1]}"), []string{"grid.q[1]: must be in [2, 64], got 1"}},
		{"q repeated", withModelGrid("model: {kind: clock}", "grid: {beta: [0.4], size: [8], q: [3, 3]}"), []string{"grid.q[1]: q = 3 is listed twice"}},
		{"q in model and grid", withModelGrid("model: {kind: potts, q: 3}", "grid: {beta: [0.4], size: [8], q: [3, 4]}"), []string{"model.q: is given by the grid's q axis"}},
		{"coupling ratio zero", with("grid", "grid: {beta: [0.4], size: [8], coupling_ratio: [1, 0]}"), []string{"grid.coupling_ratio[1]: J_y/J_x must be in [0.01, 100], got 0"}},
		{"coupling ratio negative", with("grid", "grid: {beta: [0.4], size: [8], coupling_ratio: -2}"), []string{"grid.coupling_ratio[0]: J_y/J_x must be in [0.01, 100], got -2"}},
		{"model coupling ratio negative", with("model", "model: {kind: ising, coupling_ratio: -1}"), []string{"model.coupling_ratio: must be in [0.01, 100] (0 or absent: 1, isotropic), got -1"}},
		{"coupling ratio twice", withModelGrid("model: {kind: ising, coupling_ratio: 2}", "grid: {beta: [0.4], size: [8], coupling_ratio: [1, 2]}"), []string{"model.coupling_ratio: is given by the grid's coupling_ratio axis"}},
		{"four_spin on potts", with("model", "model: {kind: potts, q: 3, four_spin: 0.5}"), []string{"model.four_spin: is only for kind ashkin-teller, not potts"}},
		{"four_spin axis on ising", with("grid", "grid: {beta: [0.4], size: [8], four_spin: [0, 0.5]}"), []string{"grid.four_spin: model ising has no four_spin axis (only ashkin-teller has)"}},
		{"four_spin -1", with("model", "model: {kind: ashkin-teller, four_spin: -1}"), []string{"model.four_spin: must be in (-1, 10] (U ≤ −1 is not ferromagnetic), got -1"}},
		{"four_spin axis out of range", withModelGrid("model: {kind: ashkin-teller}", "grid: {beta: [0.4], size: [8], four_spin: [0.5, -3, 11]}"),
			[]string{"grid.four_spin[1]: U must be in (-1, 10] (U ≤ −1 is not ferromagnetic), got -3", "grid.four_spin[2]: U must be in (-1, 10]"}},
		{"ashkin-teller q", with("model", "model: {kind: ashkin-teller, q: 2}"), []string{"model.q: must be 4 or absent for ashkin-teller"}},
		{"potts q", with("model", "model: {kind: potts, q: 1}"), []string{"model.q: must be in [2, 64] for potts, got 1"}},
		{"clock without q", with("model", "model: {kind: clock}"), []string{"model.q: must be in [2, 64] for clock, got 0"}},
		{"ising q", with("model", "model: {kind: ising, q: 3}"), []string{"model.q: must be 2 or absent for ising, got 3"}},
		{"custom not square", with("model", "model: {kind: custom, bond_weight: [[1, 2], [2]]}"), []string{"model.bond_weight[1]: must be a row of 2 numbers"}},
		{"custom values count", with("model", "model: {kind: custom, bond_weight: {q: 2, values: [1, 2, 3]}}"), []string{"model.bond_weight.values: must hold q×q = 4 numbers"}},
		{"custom not positive", with("model", "model: {kind: custom, bond_weight: [[1, -2], [2, 1]]}"), []string{"model.bond_weight.values[1]: must be positive and finite, got -2"}},
		{"custom infinite", with("model", "model: {kind: custom, bond_weight: [[1, .inf], [2, 1]]}"), []string{"model.bond_weight.values[1]: must be positive and finite, got +Inf"}},
		{"bond weight on ising", with("model", "model: {kind: ising, bond_weight: [[1, 2], [2, 1]]}"), []string{"model.bond_weight: is only for kind custom"}},
		{"unknown boundary", valid + "\nboundary: [periodic, antiperiodic]", []string{`boundary[1]: must be one of periodic, twisted, got "antiperiodic"`}},
		{"unknown objective", with("training", "training: {objective: kl, steps: 1, batch: 1, learning_rate: 0.1}"), []string{`training.objective: must be one of default, gumbel-rkl (empty: default), got "kl"`}},
		{"batch too large", with("training", "training: {steps: 1, batch: 2000000, learning_rate: 0.1}"), []string{"training.batch: must be in [1, 1048576] (0 or absent: the default), got 2000000"}},
		{"negative learning rate", with("training", "training: {learning_rate: -0.1}"), []string{"training.learning_rate: must be > 0 and finite (0 or absent: the default), got -0.1"}},
		{"one estimate sample", with("training", "training: {estimate_samples: 1}"), []string{"training.estimate_samples: must be ≥ 2 (0 or absent: the default), got 1"}},
		{"hidden zero", valid + "\nnetwork: {hidden: [32, 0]}", []string{"network.hidden[1]: must be in [1, 65536], got 0"}},
		{"max attempts", valid + "\nmax_attempts: 1000", []string{"max_attempts: must be in [0, 100]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsEveryViolation(t *testing.T) {
	spec := testSpec("x", 1)
	spec.Grid.Size = []uint32{1}
	spec.Training.Batch = MaxBatch + 1
	spec.Network.Hidden = []uint32{0}
	err := Validate(spec, 0)
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("Validate = %v, want *Error", err)
	}
	var fields []string
	for _, v := range se.Violations {
		fields = append(fields, v.Field)
	}
	if got, want := strings.Join(fields, " "), "grid.size[0] network.hidden[0] training.batch"; got != want {
		t.Errorf("violated fields = %q, want %q", got, want)
	}
	if err := Validate(nil, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate(nil) = %v, want ErrInvalid", err)
	}
}

// TestMinimalSpecs checks the specs of issue 12 that a new user writes: name, model and
// the grid's β and L, with or without a few training settings. Everything else takes its
// default: both seams, one τ point (0: the objective's default), zero network and
// training fields for the train package to resolve.
func TestMinimalSpecs(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		steps      uint32
	}{
		{"minimal", "name: minimal\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [4]}\n", 0},
		{"some training", "name: minimal\nmodel: {kind: ising}\ngrid: {beta: [0.44], size: [4]}\ntraining: {steps: 400, batch: 64, seed: 3}\n", 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tasks, err := Expand(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) != 2 {
				t.Fatalf("%d tasks, want 2 (both seams)", len(tasks))
			}
			for i, b := range []string{Periodic, Twisted} {
				ts := tasks[i]
				if ts.GetBoundary() != b || ts.GetTau() != 0 || ts.GetSize() != 4 || ts.GetBeta() != 0.44 {
					t.Errorf("task %d = %v, want β 0.44, L 4, τ 0, %s", i, ts, b)
				}
				if got := ts.GetTraining().GetSteps(); got != tt.steps {
					t.Errorf("task %d: steps %d, want %d", i, got, tt.steps)
				}
				if ts.GetTraining().GetLearningRate() != 0 || ts.GetTraining().GetBatch() > 64 || len(ts.GetNetwork().GetHidden()) != 0 {
					t.Errorf("task %d: training %v network %v, want the defaults left zero", i, ts.GetTraining(), ts.GetNetwork())
				}
				if err := ValidateTask(ts); err != nil {
					t.Errorf("ValidateTask(task %d): %v", i, err)
				}
			}
		})
	}
}

func TestValidateTask(t *testing.T) {
	s := testSpec("x", 1)
	tasks, err := Expand(s)
	if err != nil {
		t.Fatal(err)
	}
	good := tasks[0]
	if err := ValidateTask(good); err != nil {
		t.Fatalf("ValidateTask(a task of a valid spec) = %v", err)
	}
	for _, tt := range []struct {
		name  string
		edit  func(ts *critsweepv1.TaskSpec)
		field string
	}{
		{"β zero", func(ts *critsweepv1.TaskSpec) { ts.Beta = 0 }, "beta"},
		{"L too large", func(ts *critsweepv1.TaskSpec) { ts.Size = MaxTaskSize + 1 }, "size"},
		{"τ negative", func(ts *critsweepv1.TaskSpec) { ts.Tau = -1 }, "tau"},
		{"unknown boundary", func(ts *critsweepv1.TaskSpec) { ts.Boundary = "open" }, "boundary"},
		{"no model", func(ts *critsweepv1.TaskSpec) { ts.Model = nil }, "model"},
		{"unknown objective", func(ts *critsweepv1.TaskSpec) { ts.Training.Objective = "magic" }, "training.objective"},
		{"zero hidden", func(ts *critsweepv1.TaskSpec) { ts.Network = &critsweepv1.NetworkSpec{Hidden: []uint32{0}} }, "network.hidden[0]"},
		{"q on ising", func(ts *critsweepv1.TaskSpec) { ts.Q = 3 }, "q"},
		{"q too large", func(ts *critsweepv1.TaskSpec) { ts.Model = &critsweepv1.ModelSpec{Kind: "potts"}; ts.Q = 65 }, "q"},
		{"potts without q", func(ts *critsweepv1.TaskSpec) { ts.Model = &critsweepv1.ModelSpec{Kind: "potts"} }, "model.q"},
		{"coupling ratio", func(ts *critsweepv1.TaskSpec) { ts.CouplingRatio = -0.5 }, "coupling_ratio"},
		{"four_spin on ising", func(ts *critsweepv1.TaskSpec) { ts.FourSpin = proto.Float64(0) }, "four_spin"},
		{"four_spin -1", func(ts *critsweepv1.TaskSpec) {
			ts.Model = &critsweepv1.ModelSpec{Kind: "ashkin-teller"}
			ts.FourSpin = proto.Float64(-1)
		}, "four_spin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := proto.Clone(good).(*critsweepv1.TaskSpec)
			tt.edit(ts)
			var se *Error
			if err := ValidateTask(ts); !errors.As(err, &se) || se.Violations[0].Field != tt.field {
				t.Errorf("ValidateTask = %v, want an *Error naming %s", err, tt.field)
			}
		})
	}
}

// issue14Spec is the example spec of issue 14.
const issue14Spec = `
name: anisotropic-ising
model: {kind: ising}
grid:
  beta: {from: 0.25, to: 0.75, step: 0.01}
  size: [8, 12, 16]
  coupling_ratio: [0.5, 1.0, 2.0]
`

// testSpec returns a valid spec of n β values at L = 4, τ = 1, periodic.
func testSpec(name string, n int) *critsweepv1.SweepSpec {
	betas := make([]float64, n)
	for i := range betas {
		betas[i] = RoundSignificant(0.1 + 0.01*float64(i))
	}
	return &critsweepv1.SweepSpec{
		Name:     name,
		Model:    &critsweepv1.ModelSpec{Kind: "ising"},
		Boundary: []string{"periodic"},
		Grid:     &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: betas}, Size: []uint32{4}, Tau: []float64{1}},
		Network:  &critsweepv1.NetworkSpec{Hidden: []uint32{8}},
		Training: &critsweepv1.TrainingSpec{Steps: 10, Batch: 16, LearningRate: 1e-3, Seed: 1},
	}
}
