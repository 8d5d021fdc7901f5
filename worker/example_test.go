package worker_test

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
	"github.com/critsweep/critsweep/worker"
)

// A coordinator and a worker in one process run a small sweep to its end.
func Example() {
	dir, err := os.MkdirTemp("", "critsweep-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "critsweep.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	quiet := slog.New(slog.DiscardHandler)
	c, err := coordinator.New(db, nil, &coordinator.Options{Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sweep, err := spec.Parse([]byte(`
name: example
model: {kind: ising}
boundary: [periodic, twisted]
grid: {beta: [0.40, 0.48], size: [4], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 200, batch: 32, learning_rate: 1e-2, seed: 1}
`))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: sweep})
	if err != nil {
		log.Fatal(err)
	}

	workCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() {
		done <- worker.New(c, &worker.Options{Slots: 2, EstimateSamples: 4096, EstimateDraws: 1 << 14, Logger: quiet}).Run(workCtx)
	}()
	err = c.WatchSweep(ctx, &critsweepv1.WatchSweepRequest{SweepId: sub.GetSweepId()}, func(*critsweepv1.SweepStatus) error { return nil })
	if err != nil {
		log.Fatal(err)
	}
	stop() // as SIGTERM would: the worker gives back its leases (none here) and returns
	if err := <-done; err != nil {
		log.Fatal(err)
	}

	results, err := coordinator.AllResults(ctx, c, sub.GetSweepId())
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		s, res := r.GetSpec(), r.GetResult()
		fmt.Printf("β = %.2f %-8s ln λ/L = %.3f (exact %.3f)\n", s.GetBeta(), s.GetBoundary(),
			res.GetLnLambdaPerSite().GetValue(), res.GetExact().GetLnLambdaPerSite())
	}
	// Output:
	// β = 0.40 periodic ln λ/L = 0.893 (exact 0.893)
	// β = 0.40 twisted  ln λ/L = 0.860 (exact 0.860)
	// β = 0.48 periodic ln λ/L = 1.006 (exact 1.006)
	// β = 0.48 twisted  ln λ/L = 0.933 (exact 0.933)
}
