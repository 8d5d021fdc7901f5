package coordinator

import (
	"context"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
)

// BenchmarkLeaseComplete runs 256 simulated workers, each a goroutine with its own gRPC
// connection to a real Server on loopback, whose tasks finish at once: lease, then
// complete, until no task is left. The store syncs every commit (its defaults), so every
// lease and every completion is on disk before it is acknowledged; concurrent calls share
// commits through Batch. It reports durable completions per second and the 99th
// percentile of LeaseTask latency as seen by the workers. Run with a fixed count:
//
//	go test ./coordinator/ -run '^$' -bench LeaseComplete -benchtime 20000x
func BenchmarkLeaseComplete(b *testing.B) {
	const workers = 256
	db := openTestDB(b, &store.Options{}) // fsync on: the figure is for durable completions
	c, err := New(db, nil, &Options{LeaseDuration: time.Hour, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for left := b.N; left > 0; {
		n := min(left, spec.MaxTasks)
		if _, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("bench", n)}); err != nil {
			b.Fatal(err)
		}
		left -= n
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := NewServer(c, &ServerOptions{Token: testToken, Logger: discardLogger()})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	defer func() { cancel(); <-served }()

	clients := make([]*Client, workers)
	for i := range clients {
		cl, err := Dial(lis.Addr().String(), &DialOptions{Token: testToken})
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		// Connect before the clock starts.
		if _, err := cl.ListSweeps(ctx, &critsweepv1.ListSweepsRequest{}); err != nil {
			b.Fatal(err)
		}
		clients[i] = cl
	}

	var completed atomic.Int64
	latencies := make([][]time.Duration, workers)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w, cl := range clients {
		wg.Go(func() {
			for {
				t0 := time.Now()
				lease, err := cl.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "bench"})
				if err != nil {
					errs <- err
					return
				}
				latencies[w] = append(latencies[w], time.Since(t0))
				if !lease.GetLeased() {
					return
				}
				_, err = cl.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{
					Ref: lease.GetRef(), Epoch: lease.GetEpoch(), Result: &critsweepv1.Result{Steps: 1},
				})
				if err != nil {
					errs <- err
					return
				}
				completed.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if got := completed.Load(); got != int64(b.N) {
		b.Fatalf("%d completions, want %d", got, b.N)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	p99 := all[len(all)*99/100]
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "completions/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-lease-ms")
	b.ReportMetric(0, "ns/op")
}
