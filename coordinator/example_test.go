package coordinator_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

func ExampleParseSpec() {
	spec, err := coordinator.ParseSpec([]byte(`
name: ising-critical
model: {kind: ising}
boundary: [periodic, twisted]
grid:
  beta: {from: 0.40, to: 0.48, step: 0.02}
  size: [8, 12]
  tau: [1.0]
network: {hidden: [32, 32]}
training: {objective: default, steps: 4000, batch: 256, learning_rate: 1e-3, seed: 1}
`))
	if err != nil {
		log.Fatal(err)
	}
	tasks, err := coordinator.Expand(spec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(tasks), "tasks")
	for _, t := range tasks[:3] {
		fmt.Printf("L=%d β=%v τ=%v %s\n", t.GetSize(), t.GetBeta(), t.GetTau(), t.GetBoundary())
	}

	_, err = coordinator.ParseSpec([]byte(`
model: {kind: potts, q: 1}
grid: {beta: [1.0], size: [6], tau: [0.3]}
training: {steps: 100, batch: 0, learning_rate: 1e-3}
`))
	var se *coordinator.SpecError
	if errors.As(err, &se) {
		for _, v := range se.Violations {
			fmt.Printf("%s: %s\n", v.Field, v.Description)
		}
	}
	// Output:
	// 20 tasks
	// L=8 β=0.4 τ=1 periodic
	// L=8 β=0.4 τ=1 twisted
	// L=8 β=0.42 τ=1 periodic
	// model.q: must be in [2, 64] for potts, got 1
	// training.batch: must be in [1, 1048576], got 0
}

// Example runs a sweep of two tasks in-process: a worker leases each task and
// completes it, and a second completion of the same lease is acknowledged.
func Example() {
	dir, err := os.MkdirTemp("", "critsweep-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "critsweep.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	c, err := coordinator.New(db, nil, &coordinator.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	spec, err := coordinator.ParseSpec([]byte(`
name: tiny
model: {kind: ising}
grid: {beta: [0.40, 0.44], size: [4], tau: [1]}
training: {steps: 10, batch: 16, learning_rate: 0.01, seed: 7}
`))
	if err != nil {
		log.Fatal(err)
	}
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: spec})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("submitted", sub.GetSweepId(), "with", sub.GetTasks(), "tasks")

	var worker coordinator.Leases = c // or a *coordinator.Client
	for {
		lease, err := worker.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "example"})
		if err != nil {
			log.Fatal(err)
		}
		if !lease.GetLeased() {
			break
		}
		result := &critsweepv1.Result{Steps: uint64(lease.GetSpec().GetTraining().GetSteps())}
		for range 2 {
			if _, err := worker.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{
				Ref: lease.GetRef(), Epoch: lease.GetEpoch(), Result: result,
			}); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Printf("task %d (β=%v) done at epoch %d\n", lease.GetRef().GetIndex(), lease.GetSpec().GetBeta(), lease.GetEpoch())
	}
	got, err := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: sub.GetSweepId()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("done %d of %d\n", got.GetStatus().GetDone(), got.GetStatus().GetTotal())
	// Output:
	// submitted tiny-1 with 2 tasks
	// task 0 (β=0.4) done at epoch 1
	// task 1 (β=0.44) done at epoch 1
	// done 2 of 2
}
