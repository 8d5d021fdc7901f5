package worker

import (
	"errors"
	"math"
	"strings"
	"testing"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

func taskSpec(model *critsweepv1.ModelSpec, edit func(*critsweepv1.TaskSpec)) *critsweepv1.TaskSpec {
	s := &critsweepv1.TaskSpec{
		Model:    model,
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

func TestTaskConfig(t *testing.T) {
	ising := &critsweepv1.ModelSpec{Kind: "ising"}
	sys, cfg, err := TaskConfig(taskSpec(ising, nil), 512)
	if err != nil {
		t.Fatal(err)
	}
	if sys.Q() != 2 || sys.Size() != 6 || sys.Boundary() != statmech.Twisted {
		t.Errorf("system q = %d, L = %d, %v; want 2, 6, twisted", sys.Q(), sys.Size(), sys.Boundary())
	}
	want, _ := statmech.Ising(0.5)
	if sys.BondWeight().String() != want.String() {
		t.Errorf("bond weight %v, want %v", sys.BondWeight(), want)
	}
	if cfg.Objective != train.ObjectiveDefault || cfg.Steps != 100 || cfg.Batch != 16 || cfg.LearningRate != 1e-2 ||
		cfg.Seed != 9 || cfg.EstimateSamples != 512 || len(cfg.Hidden) != 2 || cfg.Hidden[0] != 8 || cfg.Hidden[1] != 4 {
		t.Errorf("config %+v does not follow the spec", cfg)
	}
	if cfg.Tau != 0 {
		t.Errorf("default objective got τ = %v; it does not use τ", cfg.Tau)
	}

	_, cfg, err = TaskConfig(taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Training.Objective = "gumbel-rkl" }), 0)
	if err != nil || cfg.Tau != 0.3 {
		t.Errorf("gumbel-rkl: τ = %v (%v), want the grid's 0.3", cfg.Tau, err)
	}

	_, cfg, err = TaskConfig(taskSpec(ising, func(s *critsweepv1.TaskSpec) {
		s.Network, s.Boundary = nil, ""
		s.Training = &critsweepv1.TrainingSpec{Steps: 10}
	}), 0)
	def := train.Config{}.Defaults(4, 2)
	if err != nil || cfg.Batch != def.Batch || cfg.LearningRate != def.LearningRate || len(cfg.Hidden) != len(def.Hidden) {
		t.Errorf("zero settings give %+v (%v), want the trainer's defaults", cfg, err)
	}

	potts, _, err := TaskConfig(taskSpec(&critsweepv1.ModelSpec{Kind: "potts", Q: 3}, nil), 0)
	if err != nil || potts.Q() != 3 || potts.BondWeight().At(0, 0) != math.Exp(0.5) || potts.BondWeight().At(0, 1) != 1 {
		t.Errorf("potts q=3 at β=0.5: %v (%v)", potts.BondWeight(), err)
	}
	clock, _, err := TaskConfig(taskSpec(&critsweepv1.ModelSpec{Kind: "clock", Q: 4}, nil), 0)
	if err != nil || clock.Q() != 4 {
		t.Errorf("clock q=4: %v", err)
	}

	// A custom bond weight is the weight at β = 1; the task at β trains its β-th power.
	custom := &critsweepv1.ModelSpec{Kind: "custom", BondWeight: &critsweepv1.BondWeight{Q: 2, Values: []float64{4, 0.25, 0.25, 4}}}
	sys, _, err = TaskConfig(taskSpec(custom, nil), 0)
	if err != nil || sys.BondWeight().At(0, 0) != 2 || sys.BondWeight().At(0, 1) != 0.5 {
		t.Errorf("custom [[4, 1/4], [1/4, 4]] at β = 0.5: %v (%v), want [[2, 1/2], [1/2, 2]]", sys.BondWeight(), err)
	}
}

func TestTaskConfigRefusesUntrainable(t *testing.T) {
	ising := &critsweepv1.ModelSpec{Kind: "ising"}
	tests := []struct {
		name string
		spec *critsweepv1.TaskSpec
		want string
	}{
		{"nil", nil, "spec is missing"},
		{"no model", taskSpec(nil, nil), "model is missing"},
		{"kind", taskSpec(&critsweepv1.ModelSpec{Kind: "xy"}, nil), "model.kind"},
		{"ising q", taskSpec(&critsweepv1.ModelSpec{Kind: "ising", Q: 3}, nil), "model.q"},
		{"potts q", taskSpec(&critsweepv1.ModelSpec{Kind: "potts", Q: 1}, nil), "model"},
		{"custom shape", taskSpec(&critsweepv1.ModelSpec{Kind: "custom", BondWeight: &critsweepv1.BondWeight{Q: 2, Values: []float64{1, 2, 3}}}, nil), "model.bond_weight"},
		{"custom sign", taskSpec(&critsweepv1.ModelSpec{Kind: "custom", BondWeight: &critsweepv1.BondWeight{Q: 2, Values: []float64{1, -2, 3, 4}}}, nil), "model.bond_weight"},
		{"bond weight on ising", taskSpec(&critsweepv1.ModelSpec{Kind: "ising", BondWeight: &critsweepv1.BondWeight{Q: 2}}, nil), "only for kind custom"},
		{"beta", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Beta = -1 }), "model"},
		{"size", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Size = 1 }), "size"},
		{"boundary", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Boundary = "open" }), "boundary"},
		{"nonlinearity", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Network.Nonlinearity = "sigmoid" }), "network.nonlinearity"},
		{"objective", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Training.Objective = "magic" }), "objective"},
		{"learning rate", taskSpec(ising, func(s *critsweepv1.TaskSpec) { s.Training.LearningRate = math.Inf(1) }), "learning rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := TaskConfig(tt.spec, 0)
			if !errors.Is(err, ErrInvalidTask) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("TaskConfig = %v, want an ErrInvalidTask naming %q", err, tt.want)
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
