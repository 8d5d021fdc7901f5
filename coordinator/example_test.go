package coordinator_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
)

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

	sweep, err := spec.Parse([]byte(`
name: tiny
model: {kind: ising}
boundary: periodic
grid: {beta: [0.40, 0.44], size: [4]}
training: {steps: 10, seed: 7}
`))
	if err != nil {
		log.Fatal(err)
	}
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: sweep})
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
