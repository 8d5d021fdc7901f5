package spec

import (
	"fmt"
	"testing"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

func TestExpandOrderAndSeeds(t *testing.T) {
	spec := testSpec("order", 2) // β 0.1, 0.11
	spec.Grid.Size = []uint32{8, 4}
	spec.Grid.Tau = []float64{0.3, 1}
	spec.Boundary = []string{"periodic", "twisted"}
	tasks, err := Expand(spec)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	seeds := map[uint64]bool{}
	for _, ts := range tasks {
		got = append(got, fmt.Sprintf("L%d β%v τ%v %s", ts.GetSize(), ts.GetBeta(), ts.GetTau(), ts.GetBoundary()[:1]))
		if want := TaskSeed(1, PointOf(ts)); ts.GetTraining().GetSeed() != want {
			t.Errorf("%v: seed %d, want TaskSeed = %d", got[len(got)-1], ts.GetTraining().GetSeed(), want)
		}
		seeds[ts.GetTraining().GetSeed()] = true
	}
	want := []string{
		"L8 β0.1 τ0.3 p", "L8 β0.1 τ0.3 t", "L8 β0.1 τ1 p", "L8 β0.1 τ1 t",
		"L8 β0.11 τ0.3 p", "L8 β0.11 τ0.3 t", "L8 β0.11 τ1 p", "L8 β0.11 τ1 t",
		"L4 β0.1 τ0.3 p", "L4 β0.1 τ0.3 t", "L4 β0.1 τ1 p", "L4 β0.1 τ1 t",
		"L4 β0.11 τ0.3 p", "L4 β0.11 τ0.3 t", "L4 β0.11 τ1 p", "L4 β0.11 τ1 t",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order:\ngot  %v\nwant %v", got, want)
	}
	if len(seeds) != len(tasks) {
		t.Errorf("%d distinct seeds for %d tasks", len(seeds), len(tasks))
	}
	if spec.GetTraining().GetSeed() != 1 {
		t.Error("Expand changed the sweep's own seed")
	}
}

// TestTaskSeedIsStable pins the seed derivation: changing it changes every stored sweep's
// results, so it must never change by accident.
func TestTaskSeedIsStable(t *testing.T) {
	p := Point{Beta: 0.44, Size: 8, Tau: 1, Boundary: "periodic"}
	const want = uint64(0xbd4f2d0e1c8f5410)
	if got := TaskSeed(1, p); got != want {
		t.Errorf("TaskSeed(1, %+v) = %#x, want %#x", p, got, want)
	}
	for _, q := range []Point{
		{Beta: 0.44000000000000006, Size: 8, Tau: 1, Boundary: "periodic"},
		{Beta: 0.44, Size: 10, Tau: 1, Boundary: "periodic"},
		{Beta: 0.44, Size: 8, Tau: 0.3, Boundary: "periodic"},
		{Beta: 0.44, Size: 8, Tau: 1, Boundary: "twisted"},
	} {
		if TaskSeed(1, q) == TaskSeed(1, p) {
			t.Errorf("TaskSeed(%+v) equals TaskSeed(%+v)", q, p)
		}
	}
	if TaskSeed(2, p) == TaskSeed(1, p) {
		t.Error("the sweep seed does not change the task seed")
	}
}

func TestAxisValues(t *testing.T) {
	tests := []struct {
		axis *critsweepv1.Axis
		want string
	}{
		{&critsweepv1.Axis{From: 0.4, To: 0.42, Step: 0.005}, "[0.4 0.405 0.41 0.415 0.42]"},
		{&critsweepv1.Axis{From: 1, To: 1, Step: 1}, "[1]"},
		// to is reached within half a step.
		{&critsweepv1.Axis{From: 0, To: 1, Step: 0.3}, "[0 0.3 0.6 0.9]"},
		{&critsweepv1.Axis{From: 0, To: 1, Step: 0.4}, "[0 0.4 0.8 1.2]"},
		{&critsweepv1.Axis{Values: []float64{3, 1, 2}}, "[3 1 2]"},
	}
	for _, tt := range tests {
		got, err := axisValues(tt.axis, "x")
		if err != nil {
			t.Errorf("axisValues(%v): %v", tt.axis, err)
			continue
		}
		if fmt.Sprint(got) != tt.want {
			t.Errorf("axisValues(%v) = %v, want %v", tt.axis, got, tt.want)
		}
	}
	if _, err := axisValues(&critsweepv1.Axis{From: 1, To: 1 + 1e-15, Step: 1e-16}, "x"); err == nil {
		t.Error("a step below the rounding gave no error")
	}
}

// TestModelAxes expands a grid with all three model axes: they are outermost, each task
// carries its values, PointOf gives back the point it was made from (as ExtendSweep needs),
// every seed differs, and a sweep without them keeps its seeds.
func TestModelAxes(t *testing.T) {
	spec := testSpec("axes", 1)
	spec.Model = &critsweepv1.ModelSpec{Kind: "ashkin-teller"}
	spec.Grid.CouplingRatio = []float64{0.5, 2}
	spec.Grid.FourSpin = []float64{0, 0.5}
	spec.Grid.Size = []uint32{4, 6}
	if err := Validate(spec, 0); err != nil {
		t.Fatal(err)
	}
	tasks, err := Expand(spec)
	if err != nil {
		t.Fatal(err)
	}
	points, err := Points(spec.GetGrid(), Boundaries(spec))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	seeds := map[uint64]bool{}
	for i, ts := range tasks {
		got = append(got, fmt.Sprintf("r%v U%v L%d", ts.GetCouplingRatio(), ts.GetFourSpin(), ts.GetSize()))
		if PointOf(ts) != points[i] {
			t.Errorf("task %d: PointOf = %+v, want the point %+v", i, PointOf(ts), points[i])
		}
		if ts.FourSpin == nil {
			t.Errorf("task %d: four_spin unset; U = 0 is a point of the axis", i)
		}
		if err := ValidateTask(ts); err != nil {
			t.Errorf("task %d: %v", i, err)
		}
		seeds[ts.GetTraining().GetSeed()] = true
	}
	want := []string{"r0.5 U0 L4", "r0.5 U0 L6", "r0.5 U0.5 L4", "r0.5 U0.5 L6", "r2 U0 L4", "r2 U0 L6", "r2 U0.5 L4", "r2 U0.5 L6"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order:\ngot  %v\nwant %v", got, want)
	}
	if len(seeds) != len(tasks) {
		t.Errorf("%d distinct seeds for %d tasks", len(seeds), len(tasks))
	}
	// Seeds: each axis changes them; a point without axes keeps its old seed.
	base := Point{Beta: 0.44, Size: 8, Tau: 1, Boundary: "periodic"}
	for _, p := range []Point{
		{Beta: 0.44, Size: 8, Tau: 1, Boundary: "periodic", Q: 3},
		{Beta: 0.44, Size: 8, Tau: 1, Boundary: "periodic", CouplingRatio: 1},
		{Beta: 0.44, Size: 8, Tau: 1, Boundary: "periodic", HasFourSpin: true},
	} {
		if TaskSeed(1, p) == TaskSeed(1, base) {
			t.Errorf("TaskSeed(%+v) equals the seed without axes", p)
		}
	}
}

// TestSliceParams checks the effective values of a task's parameters.
func TestSliceParams(t *testing.T) {
	tests := []struct {
		task *critsweepv1.TaskSpec
		want string
	}{
		{&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising"}, Tau: 0.3}, "[{coupling_ratio 1} {tau 0.3}]"},
		{&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising", CouplingRatio: 2}}, "[{coupling_ratio 2} {tau 0}]"},
		{&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ising", CouplingRatio: 2}, CouplingRatio: 0.5}, "[{coupling_ratio 0.5} {tau 0}]"},
		{&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "potts", Q: 3}}, "[{q 3} {coupling_ratio 1} {tau 0}]"},
		{&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "clock"}, Q: 5}, "[{q 5} {coupling_ratio 1} {tau 0}]"},
		{&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ashkin-teller", FourSpin: 0.25}}, "[{coupling_ratio 1} {four_spin 0.25} {tau 0}]"},
		{&critsweepv1.TaskSpec{Model: &critsweepv1.ModelSpec{Kind: "ashkin-teller", FourSpin: 0.25}, FourSpin: new(float64)}, "[{coupling_ratio 1} {four_spin 0} {tau 0}]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(SliceParams(tt.task)); got != tt.want {
			t.Errorf("SliceParams(%v) = %s, want %s", tt.task, got, tt.want)
		}
	}
}
