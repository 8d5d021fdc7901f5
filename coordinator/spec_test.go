package coordinator

import (
	"errors"
	"strings"
	"testing"
)

// designSpec is the example of DESIGN.md §3.
const designSpec = `
name: ising-critical
model: {kind: ising}            # ising | potts {q} | clock {q} | custom {bond_weight}
boundary: [periodic, twisted]   # twisted doubles the tasks, for σ_L
grid:
  beta: {from: 0.40, to: 0.48, step: 0.005}   # or a list
  size: [6, 8, 10, 12, 16]
  tau: [1.0]
network: {hidden: [32, 32]}
training: {objective: default, steps: 4000, batch: 256, learning_rate: 1e-3, seed: 1}
`

func TestParseSpecDesignExample(t *testing.T) {
	spec, err := ParseSpec([]byte(designSpec))
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
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

func TestParseSpecShorthands(t *testing.T) {
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
training: {objective: gumbel-rkl, steps: 10, batch: 8, learning_rate: 0.01}`, 8},
		{"custom matrix", `
model: {kind: custom, bond_weight: [[2.0, 0.5], [0.5, 2.0]]}
grid: {beta: [1], size: [4], tau: [1]}
training: {steps: 10, batch: 8, learning_rate: 0.01}`, 1},
		{"JSON", `{"model": {"kind": "ising"}, "grid": {"beta": {"values": [0.44]}, "size": [8], "tau": [1]},
"training": {"steps": 1, "batch": 1, "learningRate": 0.1}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := ParseSpec([]byte(tt.yaml))
			if err != nil {
				t.Fatalf("ParseSpec: %v", err)
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

// TestParseSpecErrors checks that each broken rule is reported with the field's path and
// what is allowed.
func TestParseSpecErrors(t *testing.T) {
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
		{"empty grid", with("grid", "grid: {}"), []string{"grid.beta: is required", "grid.size: is required", "grid.tau: is required"}},
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
			[]string{"grid: holds 199982 tasks", "at most 100000 allowed"}},
		{"no model", with("model", ""), []string{"model: is required"}},
		{"unknown kind", with("model", "model: {kind: heisenberg}"), []string{`model.kind: must be one of ising, potts, clock, custom, got "heisenberg"`}},
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
		{"batch zero", with("training", "training: {steps: 1, batch: 0, learning_rate: 0.1}"), []string{"training.batch: must be in [1, 1048576], got 0"}},
		{"no training", with("training", ""), []string{"training: is required"}},
		{"hidden zero", valid + "\nnetwork: {hidden: [32, 0]}", []string{"network.hidden[1]: must be in [1, 65536], got 0"}},
		{"max attempts", valid + "\nmax_attempts: 1000", []string{"max_attempts: must be in [0, 100]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(tt.yaml))
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("ParseSpec = %v, want ErrInvalidSpec", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateSpecReportsEveryViolation(t *testing.T) {
	spec := testSpec("x", 1)
	spec.Grid.Size = []uint32{1}
	spec.Training.Batch = 0
	spec.Network.Hidden = []uint32{0}
	err := ValidateSpec(spec)
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("ValidateSpec = %v, want *SpecError", err)
	}
	var fields []string
	for _, v := range se.Violations {
		fields = append(fields, v.Field)
	}
	if got, want := strings.Join(fields, " "), "grid.size[0] network.hidden[0] training.batch"; got != want {
		t.Errorf("violated fields = %q, want %q", got, want)
	}
	if err := ValidateSpec(nil); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("ValidateSpec(nil) = %v, want ErrInvalidSpec", err)
	}
}
