package worker

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec/task"
	"github.com/critsweep/critsweep/store"
)

// sweepYAML is a sweep of small Ising tasks: 2 boundaries × the given β and sizes.
func sweepYAML(name string, betas, sizes string, steps int) string {
	return fmt.Sprintf(`name: %s
model: {kind: ising}
boundary: [periodic, twisted]
grid: {beta: %s, size: %s, tau: [1.0]}
network: {hidden: [4]}
training: {steps: %d, batch: 32, learning_rate: 1e-2, seed: 7}
`, name, betas, sizes, steps)
}

func TestSmallSweepRunsToCompletion(t *testing.T) {
	tc := newTestCoordinator(t, nil, nil)
	id := tc.submit(t, sweepYAML("small", "[0.40, 0.44, 0.48]", "[4, 5]", 100))
	startWorker(t, tc, &Options{Slots: 2})

	st := tc.wait(t, id, time.Minute)
	if st.GetDone() != 12 || st.GetTotal() != 12 {
		t.Fatalf("status %v, want all 12 tasks done", st)
	}
	results, err := coordinator.AllResults(context.Background(), tc, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 12 {
		t.Fatalf("%d results, want 12", len(results))
	}
	for _, r := range results {
		want, err := task.Train(context.Background(), r.GetSpec(), &task.Options{EstimateSamples: testEstimateSamples, EstimateDraws: testEstimateDraws})
		if err != nil {
			t.Fatal(err)
		}
		if !sameResult(r.GetResult(), want) {
			t.Errorf("task %d: worker's result differs from Train's:\n got %v\nwant %v", r.GetRef().GetIndex(), r.GetResult(), want)
		}
		if r.GetAttempts() != 1 {
			t.Errorf("task %d: %d attempts, want 1", r.GetRef().GetIndex(), r.GetAttempts())
		}
		if r.GetResult().GetExact() == nil {
			t.Errorf("task %d: no exact comparison for L = %d", r.GetRef().GetIndex(), r.GetSpec().GetSize())
		}
		if r.GetResult().GetObjective() != "default" {
			t.Errorf("task %d: objective %q, want \"default\"", r.GetRef().GetIndex(), r.GetResult().GetObjective())
		}
	}
}

// TestShutdownCheckpointsAndResumes stops a worker mid-task as SIGTERM would: it must
// leave a checkpoint and give its lease back; a second worker must resume from that
// checkpoint and end with the result of an uninterrupted run, bit for bit.
func TestShutdownCheckpointsAndResumes(t *testing.T) {
	tc := newTestCoordinator(t, nil, nil)
	id := tc.submit(t, `name: long
model: {kind: ising}
boundary: periodic
grid: {beta: [0.44], size: [4], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 20000, batch: 32, learning_rate: 1e-2, seed: 3}
`)
	first := startWorker(t, tc, &Options{CheckpointEvery: 200})
	waitFor(t, 30*time.Second, "a checkpoint", func() bool { return tc.task(t, id, 0).GetCheckpointStep() >= 400 })
	if err := first.stop(); err != nil {
		t.Fatalf("Run after its context ended: %v, want nil", err)
	}

	stored := tc.task(t, id, 0)
	if stored.GetState() != critsweepv1.TaskState_TASK_STATE_PENDING {
		t.Fatalf("after shutdown the task is %v, want pending (lease given back)", stored.GetState())
	}
	if len(stored.GetFailures()) != 0 {
		t.Errorf("giving the lease back counted failures: %q", stored.GetFailures())
	}
	cp := tc.checkpoint(t, id, 0)
	if cp == nil || cp.GetStep() != stored.GetCheckpointStep() || cp.GetStep() >= 20000 {
		t.Fatalf("stored checkpoint %v at task checkpoint step %d, want one mid-run", cp.GetStep(), stored.GetCheckpointStep())
	}
	if !strings.Contains(first.logs.String(), "checkpoint before shutdown") {
		t.Errorf("the worker took no checkpoint at shutdown; logs:\n%s", first.logs.String())
	}
	resumedAt := cp.GetStep()

	second := startWorker(t, tc, nil)
	tc.wait(t, id, time.Minute)
	if line := logLine(second.logs.String(), "resumed from checkpoint"); !strings.Contains(line, fmt.Sprintf(" step=%d ", resumedAt)) {
		t.Errorf("second worker did not log a resume from step %d:\n%s", resumedAt, second.logs.String())
	}
	results, err := coordinator.AllResults(context.Background(), tc, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].GetAttempts() != 2 {
		t.Fatalf("results %v, want one result after 2 attempts", results)
	}
	want, err := task.Train(context.Background(), results[0].GetSpec(), &task.Options{EstimateSamples: testEstimateSamples, EstimateDraws: testEstimateDraws})
	if err != nil {
		t.Fatal(err)
	}
	if !sameResult(results[0].GetResult(), want) {
		t.Errorf("resumed result differs from an uninterrupted run:\n got %v\nwant %v", results[0].GetResult(), want)
	}
}

func TestCancelStopsTask(t *testing.T) {
	tc := newTestCoordinator(t, nil, nil)
	long := tc.submit(t, `name: endless
model: {kind: ising}
boundary: periodic
grid: {beta: [0.44], size: [4], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 100000000, batch: 32, learning_rate: 1e-2, seed: 3}
`)
	w := startWorker(t, tc, &Options{Slots: 1})
	waitFor(t, 30*time.Second, "progress in a heartbeat", func() bool { return tc.task(t, long, 0).GetProgress().GetStep() > 0 })
	if _, err := tc.CancelSweep(context.Background(), &critsweepv1.CancelSweepRequest{SweepId: long}); err != nil {
		t.Fatal(err)
	}
	// The only slot is free again only if the cancelled task was dropped.
	short := tc.submit(t, sweepYAML("short", "[0.44]", "[4]", 50))
	if st := tc.wait(t, short, 30*time.Second); st.GetDone() != 2 {
		t.Fatalf("second sweep %v, want both tasks done", st)
	}
	if st := tc.task(t, long, 0).GetState(); st != critsweepv1.TaskState_TASK_STATE_CANCELLED {
		t.Errorf("cancelled task is %v", st)
	}
	if !strings.Contains(w.logs.String(), "sweep cancelled: stopping the task") {
		t.Errorf("worker logs do not show the cancellation:\n%s", w.logs.String())
	}
}

// TestLostLeaseIsDropped expires a lease under the worker (fake clock): its next
// heartbeat is refused as stale, it drops the task, leases it again and completes it.
func TestLostLeaseIsDropped(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	tc := newTestCoordinator(t, clock, &coordinator.Options{LeaseDuration: time.Hour})
	id := tc.submit(t, `name: lost
model: {kind: ising}
boundary: periodic
grid: {beta: [0.44], size: [4], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 100000000, batch: 32, learning_rate: 1e-2, seed: 3}
`)
	w := startWorker(t, tc, &Options{HeartbeatInterval: 20 * time.Millisecond})
	waitFor(t, 30*time.Second, "a heartbeat", func() bool { return tc.task(t, id, 0).GetProgress().GetStep() > 0 })
	clock.advance(2 * time.Hour)
	// The worker's own next LeaseTask may take the lease back first.
	if _, err := tc.ExpireLeases(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the task leased again", func() bool { return tc.task(t, id, 0).GetEpoch() == 2 })
	if !strings.Contains(w.logs.String(), "lease lost: stopping the task") {
		t.Errorf("worker logs do not show the lost lease:\n%s", w.logs.String())
	}
	task := tc.task(t, id, 0)
	if task.GetState() != critsweepv1.TaskState_TASK_STATE_LEASED || len(task.GetFailures()) != 1 {
		t.Errorf("task %v with failures %q, want leased again after one expiry", task.GetState(), task.GetFailures())
	}
}

func TestUntrainableTaskFails(t *testing.T) {
	tc := newTestCoordinator(t, nil, nil)
	id := tc.submit(t, `name: untrainable
model: {kind: ising}
boundary: periodic
grid: {beta: [0.44], size: [4], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 10, batch: 32, learning_rate: 1e-2, seed: 3}
max_attempts: 2
`)
	// A task the coordinator let through but no trainer can train (as from an older or
	// newer coordinator): its network names a nonlinearity the trainer does not know.
	err := tc.db.Update(func(tx *store.Tx) error {
		task, err := tx.Task(&critsweepv1.TaskRef{SweepId: id, Index: 0})
		if err != nil {
			return err
		}
		task.Spec.Network.Nonlinearity = "sigmoid"
		return tx.PutTask(task)
	})
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, tc, nil)
	if st := tc.wait(t, id, 30*time.Second); st.GetFailed() != 1 {
		t.Fatalf("status %v, want the task failed", st)
	}
	failures := tc.task(t, id, 0).GetFailures()
	if len(failures) != 2 || !strings.Contains(failures[0], "nonlinearity") {
		t.Errorf("failures %q, want 2 naming the nonlinearity", failures)
	}
}

// panickyLeases panics in UploadCheckpoint, which a slot calls from inside training.
type panickyLeases struct{ coordinator.Leases }

func (panickyLeases) UploadCheckpoint(context.Context, *critsweepv1.TaskRef, uint64, *critsweepv1.Checkpoint) (*critsweepv1.UploadCheckpointResponse, error) {
	panic("boom in training")
}

func TestPanicFailsTaskNotProcess(t *testing.T) {
	tc := newTestCoordinator(t, nil, nil)
	id := tc.submit(t, `name: panic
model: {kind: ising}
boundary: periodic
grid: {beta: [0.44], size: [4], tau: [1.0]}
network: {hidden: [4]}
training: {steps: 1000, batch: 32, learning_rate: 1e-2, seed: 3}
max_attempts: 2
`)
	w := startWorker(t, panickyLeases{tc}, &Options{CheckpointEvery: 10})
	if st := tc.wait(t, id, 30*time.Second); st.GetFailed() != 1 {
		t.Fatalf("status %v, want the task failed", st)
	}
	for _, f := range tc.task(t, id, 0).GetFailures() {
		if !strings.Contains(f, "panic: boom in training") {
			t.Errorf("failure %q does not give the panic", f)
		}
	}
	select {
	case <-w.done:
		t.Fatalf("Run returned after a panic in training: %v", w.err)
	default:
	}
}

func TestUnauthenticatedWorkerStops(t *testing.T) {
	tc := newTestCoordinator(t, nil, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := coordinator.NewServer(tc.Coordinator, &coordinator.ServerOptions{Token: "right", Logger: discardLogger()})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	defer func() {
		cancel()
		<-served
	}()
	cl, err := coordinator.Dial(lis.Addr().String(), &coordinator.DialOptions{Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	w := startWorker(t, cl, &Options{Slots: 2})
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Fatal("a worker with a wrong token did not stop")
	}
	if status.Code(w.err) != codes.Unauthenticated {
		t.Errorf("Run = %v, want an Unauthenticated error", w.err)
	}
}

// logLine returns the first line of logs that holds msg, or "".
func logLine(logs, msg string) string {
	for line := range strings.Lines(logs) {
		if strings.Contains(line, msg) {
			return line
		}
	}
	return ""
}
