package spec_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/critsweep/critsweep/spec"
)

// ExampleParse parses the smallest spec there is: everything but name, model, grid.beta
// and grid.size takes its default, both seams among them. A field left out stays zero
// in the tasks: the train package resolves it for the task's L and q when it trains.
func ExampleParse() {
	s, err := spec.Parse([]byte(`
name: minimal
model: {kind: ising}
grid: {beta: [0.44], size: [4, 6]}
`))
	if err != nil {
		log.Fatal(err)
	}
	tasks, err := spec.Expand(s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(tasks), "tasks")
	for _, t := range tasks {
		fmt.Printf("L=%d β=%v τ=%v %s steps=%d\n", t.GetSize(), t.GetBeta(), t.GetTau(), t.GetBoundary(), t.GetTraining().GetSteps())
	}
	// Output:
	// 4 tasks
	// L=4 β=0.44 τ=0 periodic steps=0
	// L=4 β=0.44 τ=0 twisted steps=0
	// L=6 β=0.44 τ=0 periodic steps=0
	// L=6 β=0.44 τ=0 twisted steps=0
}

// ExampleParse_ranges shows the shorthand forms and the expansion order: by size, then
// β, then τ, then boundary.
func ExampleParse_ranges() {
	s, err := spec.Parse([]byte(`
name: ising-critical
model: {kind: ising}
boundary: [periodic, twisted]
grid:
  beta: {from: 0.40, to: 0.48, step: 0.02}
  size: [8, 12]
network: {hidden: [32, 32]}
training: {objective: default, steps: 4000, batch: 256, learning_rate: 1e-3, seed: 1}
`))
	if err != nil {
		log.Fatal(err)
	}
	tasks, err := spec.Expand(s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(tasks), "tasks")
	for _, t := range tasks[:3] {
		fmt.Printf("L=%d β=%v %s\n", t.GetSize(), t.GetBeta(), t.GetBoundary())
	}
	// Output:
	// 20 tasks
	// L=8 β=0.4 periodic
	// L=8 β=0.4 twisted
	// L=8 β=0.42 periodic
}

// ExampleError shows the errors of a spec that breaks rules: every violation, each
// naming its field and the allowed range.
func ExampleError() {
	_, err := spec.Parse([]byte(`
model: {kind: potts, q: 1}
grid: {beta: [1.0], size: [6], tau: [0.3, 0.5]}
training: {learning_rate: -1e-3}
`))
	var se *spec.Error
	if errors.As(err, &se) {
		for _, v := range se.Violations {
			fmt.Printf("%s: %s\n", v.Field, v.Description)
		}
	}
	fmt.Println(errors.Is(err, spec.ErrInvalid))
	// Output:
	// model.q: must be in [2, 64] for potts, got 1
	// training.learning_rate: must be > 0 and finite (0 or absent: the default), got -0.001
	// grid.tau: objective "default" does not use τ: give one value, or use objective gumbel-rkl to sweep τ; got 2 values
	// true
}
