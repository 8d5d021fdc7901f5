package coordinator

import (
	"context"
	"errors"
	"testing"
	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// TestChanged checks the change feed: a heartbeat's progress and a completion move the
// sweep's generation, a new worker the workers', and Changed waits for the next change.
func TestChanged(t *testing.T) {
	c, err := New(openTestDB(t, nil), newFakeClock(), &Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	start, err := c.Changed(ctx, 0)
	if err != nil || start.Generation == 0 {
		t.Fatalf("Changed(0) = %+v, %v; want the current generation at once", start, err)
	}
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("feed", 2)})
	if err != nil {
		t.Fatal(err)
	}
	id := sub.GetSweepId()
	afterSubmit, err := c.Changed(ctx, start.Generation)
	if err != nil || afterSubmit.Sweeps[id] <= start.Generation {
		t.Fatalf("after submit: %+v, %v; want sweep %s past generation %d", afterSubmit, err, id, start.Generation)
	}
	lease, err := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w/0"})
	if err != nil || !lease.GetLeased() {
		t.Fatal(lease, err)
	}
	afterLease, err := c.Changed(ctx, afterSubmit.Generation)
	if err != nil || afterLease.Workers <= afterSubmit.Generation || afterLease.Sweeps[id] <= afterSubmit.Generation {
		t.Fatalf("after a new worker's lease: %+v, %v; want the workers and the sweep changed", afterLease, err)
	}

	// Changed waits for the next change: a heartbeat, which changes no status.
	got := make(chan *Changes, 1)
	go func() {
		ch, err := c.Changed(ctx, afterLease.Generation)
		if err != nil {
			t.Error(err)
		}
		got <- ch
	}()
	select {
	case ch := <-got:
		t.Fatalf("Changed returned %+v before any change", ch)
	case <-time.After(20 * time.Millisecond):
	}
	if _, err := c.Heartbeat(ctx, &critsweepv1.HeartbeatRequest{Ref: lease.GetRef(), Epoch: lease.GetEpoch(),
		Progress: &critsweepv1.Progress{Step: 3}}); err != nil {
		t.Fatal(err)
	}
	select {
	case ch := <-got:
		if ch.Sweeps[id] <= afterLease.Generation {
			t.Errorf("after a heartbeat: %+v, want sweep %s past %d", ch, id, afterLease.Generation)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Changed did not return after a heartbeat")
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Changed(cctx, 1<<60); !errors.Is(err, context.Canceled) {
		t.Errorf("Changed with a done context: %v, want context.Canceled", err)
	}
	c.Close()
	if _, err := c.Changed(ctx, 1<<60); !errors.Is(err, ErrClosed) {
		t.Errorf("Changed after Close: %v, want ErrClosed", err)
	}
}

// TestListTasksPages pages through a sweep's tasks by state and failures.
func TestListTasksPages(t *testing.T) {
	c, err := New(openTestDB(t, nil), newFakeClock(), &Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	sub, err := c.SubmitSweep(ctx, &critsweepv1.SubmitSweepRequest{Spec: testSpec("pages", 5)})
	if err != nil {
		t.Fatal(err)
	}
	id := sub.GetSweepId()
	for range 2 {
		l, err := c.LeaseTask(ctx, &critsweepv1.LeaseTaskRequest{Worker: "w"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.FailTask(ctx, &critsweepv1.FailTaskRequest{Ref: l.GetRef(), Epoch: l.GetEpoch(), Reason: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	var got []uint32
	token := ""
	for {
		resp, err := c.ListTasks(ctx, &critsweepv1.ListTasksRequest{SweepId: id, PageSize: 2, PageToken: token,
			States: []critsweepv1.TaskState{pending}})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range resp.GetTasks() {
			got = append(got, task.GetRef().GetIndex())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(got) != 5 || got[0] != 0 || got[4] != 4 {
		t.Errorf("pending tasks by pages of 2: %v, want 0..4", got)
	}
	resp, err := c.ListTasks(ctx, &critsweepv1.ListTasksRequest{SweepId: id, WithFailures: true})
	if err != nil || len(resp.GetTasks()) != 1 || len(resp.GetTasks()[0].GetFailures()) != 2 {
		t.Errorf("tasks with failures: %v, %v; want task 0 with its 2 failures", resp, err)
	}
	for _, req := range []*critsweepv1.ListTasksRequest{
		{SweepId: id, States: []critsweepv1.TaskState{9}},
		{SweepId: id, PageToken: "x"},
	} {
		if _, err := c.ListTasks(ctx, req); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("ListTasks(%v) = %v, want ErrInvalidRequest", req, err)
		}
	}
	if _, err := c.ListTasks(ctx, &critsweepv1.ListTasksRequest{SweepId: "nope-1"}); !errors.Is(err, ErrSweepNotFound) {
		t.Errorf("ListTasks of an unknown sweep = %v, want ErrSweepNotFound", err)
	}
	if _, err := c.GetTask(ctx, &critsweepv1.GetTaskRequest{}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("GetTask without ref = %v, want ErrInvalidRequest", err)
	}
}
