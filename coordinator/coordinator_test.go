package coordinator

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

// TestRestartOnSyncedFile runs a coordinator on a synced file, closes everything, and
// starts a new one on the same file: acknowledged results, leases and checkpoints are
// there, and a second coordinator on a file in use is refused at once.
func TestRestartOnSyncedFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "critsweep.db")
	clock := newFakeClock()
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(db, clock, &Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("durable", 3)})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
	b, _ := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
	if _, err := c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: a.GetRef(), Epoch: a.GetEpoch(), Result: &critsweepv1.Result{Steps: 42}}); err != nil {
		t.Fatal(err)
	}
	cp := &critsweepv1.Checkpoint{Version: 1, Step: 7, Params: []float64{1}}
	if _, err := c.UploadCheckpoint(ctx, b.GetRef(), b.GetEpoch(), cp); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(path, &store.Options{Timeout: 20 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("second Open of a file in use = %v, want ErrLocked", err)
	}
	c.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openAt(t, path, nil)
	c, err = New(db, clock, &Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	results, err := AllResults(ctx, c, sub.GetSweepId())
	if err != nil || len(results) != 1 || results[0].GetResult().GetSteps() != 42 {
		t.Fatalf("results after restart = %v, %v", results, err)
	}
	// The lease of task 1 survived: a heartbeat under its epoch is accepted, and the only
	// task to lease is task 2.
	if _, err := c.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: b.GetRef(), Epoch: b.GetEpoch()}); err != nil {
		t.Errorf("heartbeat after restart: %v", err)
	}
	next, err := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
	if err != nil || next.GetRef().GetIndex() != 2 {
		t.Errorf("lease after restart = %v, %v; want task 2", next, err)
	}
	clock.Advance(2 * DefaultLeaseDuration)
	again, err := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
	if err != nil || !proto.Equal(again.GetCheckpoint(), cp) {
		t.Errorf("lease after expiry = %v, %v; want task 1 with its checkpoint", again, err)
	}
}

// openAt opens the store at path and checks it when the test ends.
func openAt(t *testing.T, path string, o *store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
	return db
}

func TestReadOnlyCoordinator(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "critsweep.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(db, nil, &Options{Logger: discardLogger()})
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("ro", 2)})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	db.Close()

	ro := openAt(t, path, &store.Options{ReadOnly: true})
	c, err = New(ro, nil, &Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: sub.GetSweepId()})
	if err != nil || got.GetStatus().GetPending() != 2 {
		t.Errorf("GetSweep read-only = %v, %v", got, err)
	}
	if _, err := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("LeaseTask read-only = %v, want ErrReadOnly", err)
	}
	if _, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("x", 1)}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("SubmitSweep read-only = %v, want ErrReadOnly", err)
	}
	if err := toStatus(ErrReadOnly); err == nil {
		t.Error("no status for ErrReadOnly")
	}
}

// TestConcurrentWorkers lets workers lease, heartbeat, checkpoint, fail, release and
// complete at random from many goroutines (run it with -race), while a cancelled second
// sweep and lease expiries interleave. Every task of the first sweep must end done with
// one result, and the store must pass its check.
func TestConcurrentWorkers(t *testing.T) {
	const tasks, workers = 300, 16
	ctx := context.Background()
	clock := newFakeClock()
	db := openTestDB(t, nil)
	c, err := New(db, clock, &Options{Logger: discardLogger(), MaxAttempts: 100})
	if err != nil {
		t.Fatal(err)
	}
	spec := testSpec("busy", tasks)
	spec.MaxAttempts = 100
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("doomed", 50)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var finished atomic.Bool
	deadline := time.Now().Add(20 * time.Second)
	errs := make(chan error, 1000)
	for w := range workers {
		rng := rand.New(rand.NewPCG(uint64(w), 1))
		wg.Go(func() {
			for !finished.Load() && time.Now().Before(deadline) {
				lease, err := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: fmt.Sprint("w", w)})
				if err != nil {
					errs <- err
					return
				}
				if !lease.GetLeased() {
					got, err := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: sub.GetSweepId()})
					if err != nil {
						errs <- err
						return
					}
					if got.GetStatus().GetDone() == tasks {
						finished.Store(true)
					}
					time.Sleep(time.Millisecond)
					continue
				}
				ref, epoch := lease.GetRef(), lease.GetEpoch()
				// Errors other than a lost lease are bugs.
				check := func(err error) bool {
					if err != nil && !errors.Is(err, ErrStaleEpoch) && !errors.Is(err, ErrSweepCancelled) {
						errs <- err
					}
					return err == nil
				}
				if !check2(c.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: ref, Epoch: epoch}))(check) {
					continue
				}
				switch rng.IntN(6) {
				case 0:
					check2(c.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: ref, Epoch: epoch, Reason: "random"}))(check)
				case 1:
					check2(c.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: ref, Epoch: epoch, Release: true}))(check)
				case 2:
					if check2(c.UploadCheckpoint(ctx, ref, epoch, &critsweepv1.Checkpoint{Version: 1, Step: uint64(rng.IntN(100) + 1)}))(check) {
						check2(c.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: ref, Epoch: epoch, Release: true}))(check)
					}
				case 3:
					// Abandon the lease: it expires when the clock moves.
				default:
					for range 2 { // the repeat is acknowledged
						check2(c.CompleteTask(ctx, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: epoch, Result: &critsweepv1.Result{Steps: epoch}}))(check)
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := 0; !finished.Load() && time.Now().Before(deadline); i++ {
			clock.Advance(10 * time.Second)
			if _, err := c.ExpireLeases(ctx); err != nil {
				errs <- err
			}
			if i == 20 {
				if _, err := c.CancelSweep(ctx, &critsweepv1.CancelSweepRequest{SweepId: other.GetSweepId()}); err != nil {
					errs <- err
				}
			}
			time.Sleep(time.Millisecond)
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: sub.GetSweepId()})
	if err != nil {
		t.Fatal(err)
	}
	if st := got.GetStatus(); st.GetDone() != tasks {
		t.Errorf("status %v: want all %d done", st, tasks)
	}
	results, err := AllResults(ctx, c, sub.GetSweepId())
	if err != nil || len(results) != tasks {
		t.Fatalf("%d results, %v; want %d", len(results), err, tasks)
	}
	for _, r := range results {
		if r.GetResult().GetSteps() != r.GetEpoch() {
			t.Errorf("task %s: result from epoch %d stored under epoch %d", refString(r.GetRef()), r.GetResult().GetSteps(), r.GetEpoch())
		}
	}
}

// check2 adapts a (response, error) pair to a check of its error.
func check2[T any](_ T, err error) func(func(error) bool) bool {
	return func(check func(error) bool) bool { return check(err) }
}

// TestExtendSweepLimit extends a sweep with grids past the task limit: a grid that is too
// large by itself is refused before it is built (a grid of 10⁹ points must not be
// expanded), one that is too large with the sweep's boundaries or its tasks is refused in
// the transaction, and nothing is added either way.
func TestExtendSweepLimit(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, filepath.Join(t.TempDir(), "critsweep.db"), &store.Options{NoSync: true})
	c, err := New(db, nil, &Options{Logger: discardLogger(), MaxTasksPerSweep: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	spec := testSpec("limit", 4)
	spec.Boundary = []string{"periodic", "twisted"}
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	taus := make([]float64, 1000)
	for i := range taus {
		taus[i] = float64(i + 1)
	}
	sizes := make([]uint32, 0, 100)
	for L := uint32(2); L < 102; L++ {
		sizes = append(sizes, L)
	}
	for _, tc := range []struct {
		name string
		grid *critsweepv1.Grid
		want string
	}{
		{"huge", &critsweepv1.Grid{Beta: &critsweepv1.Axis{From: 0.1, To: 1, Step: 1e-6}, Size: sizes, Tau: taus},
			"more than the 20 tasks a sweep may hold"},
		{"boundaries", &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1.0}}, Size: []uint32{4, 6}, Tau: []float64{1}},
			"holds 24 tasks (12 points × 2 boundaries)"},
		{"total", &critsweepv1.Grid{Beta: &critsweepv1.Axis{Values: []float64{0.5, 0.6, 0.7, 0.8}}, Size: []uint32{6, 8}, Tau: []float64{1}},
			"would bring the sweep to 24 tasks"},
	} {
		_, err := c.ExtendSweep(ctx, &critsweepv1.ExtendSweepRequest{SweepId: sub.GetSweepId(), Grid: tc.grid})
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ExtendSweep = %v, want ErrInvalidSpec with %q", tc.name, err, tc.want)
		}
	}
	got, err := c.GetSweep(ctx, &critsweepv1.GetSweepRequest{SweepId: sub.GetSweepId()})
	if err != nil || got.GetStatus().GetTotal() != 8 {
		t.Errorf("after refused extensions: %v, %v; want 8 tasks", got.GetStatus(), err)
	}
}

// TestErrorsCrossTheWire sends each of the coordinator's sentinels through toStatus and
// fromStatus, as the server and the client do: the client finds the same sentinel, and
// a store write that failed for a full disk arrives as ErrDiskFull with code
// Unavailable (workers retry it) and a message that says what to do.
func TestErrorsCrossTheWire(t *testing.T) {
	for _, w := range wireErrors {
		err := fromStatus(toStatus(fmt.Errorf("some call: %w", w.err)))
		if !errors.Is(err, w.err) || status.Code(err) != w.code {
			t.Errorf("%v across the wire = %v (code %v), want it with code %v", w.err, err, status.Code(err), w.code)
		}
	}
	full := storeErr(fmt.Errorf("write critsweep.db: %w", syscall.ENOSPC))
	if !errors.Is(full, ErrDiskFull) || !errors.Is(full, syscall.ENOSPC) {
		t.Fatalf("storeErr(ENOSPC) = %v, want ErrDiskFull wrapping ENOSPC", full)
	}
	err := fromStatus(toStatus(full))
	if !errors.Is(err, ErrDiskFull) || status.Code(err) != codes.Unavailable ||
		!strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "free space on the disk") {
		t.Errorf("a full disk across the wire = %v (code %v), want ErrDiskFull, Unavailable, the cause and what to do", err, status.Code(err))
	}
}
