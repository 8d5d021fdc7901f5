package worker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/critsweep/critsweep/coordinator"
	"github.com/critsweep/critsweep/internal/proctest"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/store"
)

// testEstimateSamples keeps the final estimates cheap in tests.
const testEstimateSamples = 1024

// testEstimateDraws keeps the ln λ estimates cheap in tests.
const testEstimateDraws = 1 << 13

// testCoordinator is an in-process coordinator over a store in t.TempDir, checked for
// consistency after the test.
type testCoordinator struct {
	*coordinator.Coordinator
	db *store.DB
}

func newTestCoordinator(t *testing.T, clock coordinator.Clock, o *coordinator.Options) *testCoordinator {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "critsweep.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if o == nil {
		o = &coordinator.Options{}
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = 20 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	c, err := coordinator.New(db, clock, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if err := db.Check(); err != nil {
			t.Errorf("store check after the test: %v", err)
		}
		db.Close()
	})
	return &testCoordinator{Coordinator: c, db: db}
}

// submit submits a sweep written in YAML and returns its id.
func (tc *testCoordinator) submit(t *testing.T, yaml string) string {
	t.Helper()
	sweep, err := spec.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tc.SubmitSweep(context.Background(), &critsweepv1.SubmitSweepRequest{Spec: sweep})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetSweepId()
}

// task reads a task's stored record.
func (tc *testCoordinator) task(t *testing.T, sweep string, index uint32) *critsweepv1.Task {
	t.Helper()
	var task *critsweepv1.Task
	err := tc.db.View(func(tx *store.Tx) error {
		var err error
		task, err = tx.Task(&critsweepv1.TaskRef{SweepId: sweep, Index: index})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// checkpoint reads a task's stored checkpoint, nil when it has none.
func (tc *testCoordinator) checkpoint(t *testing.T, sweep string, index uint32) *critsweepv1.Checkpoint {
	t.Helper()
	var cp *critsweepv1.Checkpoint
	err := tc.db.View(func(tx *store.Tx) error {
		var err error
		cp, err = tx.Checkpoint(&critsweepv1.TaskRef{SweepId: sweep, Index: index})
		if errors.Is(err, store.ErrCheckpointNotFound) {
			cp, err = nil, nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// wait waits until the sweep has nothing pending or leased, or fails the test after
// timeout.
func (tc *testCoordinator) wait(t *testing.T, sweep string, timeout time.Duration) *critsweepv1.SweepStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last *critsweepv1.SweepStatus
	err := tc.WatchSweep(ctx, &critsweepv1.WatchSweepRequest{SweepId: sweep}, func(st *critsweepv1.SweepStatus) error {
		last = st
		return nil
	})
	if err != nil {
		t.Fatalf("waiting for sweep %s (last status %v): %v", sweep, last, err)
	}
	return last
}

// runningWorker is a Worker running in a goroutine.
type runningWorker struct {
	stop func() error // cancels Run's context and returns what Run returned
	done chan struct{}
	err  error
	logs *proctest.Buffer
}

func startWorker(t *testing.T, api coordinator.Leases, o *Options) *runningWorker {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	rw := &runningWorker{done: make(chan struct{}), logs: &proctest.Buffer{}}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(rw.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if o.EstimateDraws == 0 {
		o.EstimateDraws = testEstimateDraws
	}
	if o.EstimateSamples == 0 {
		o.EstimateSamples = testEstimateSamples
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = 50 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := New(api, o)
	go func() {
		defer close(rw.done)
		rw.err = w.Run(ctx)
	}()
	var once sync.Once
	rw.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case <-rw.done:
			case <-time.After(30 * time.Second):
				t.Errorf("worker did not stop within 30 s of its context's end")
			}
		})
		return rw.err
	}
	t.Cleanup(func() {
		rw.stop()
		if t.Failed() {
			t.Logf("worker logs:\n%s", rw.logs.String())
		}
	})
	return rw
}

// waitFor polls cond until it holds or fails the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sameResult reports whether two results are equal bit for bit, apart from seconds.
func sameResult(a, b *critsweepv1.Result) bool {
	enc := func(r *critsweepv1.Result) []byte {
		r = proto.Clone(r).(*critsweepv1.Result)
		r.Seconds = 0
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
		if err != nil {
			panic(err)
		}
		return data
	}
	return bytes.Equal(enc(a), enc(b))
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fakeClock is a coordinator.Clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
