package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

func TestTasksAreContiguousAndOrdered(t *testing.T) {
	db := openTest(t, &Options{NoSync: true})
	// "a" is a prefix of the others; 300 tasks cross the 255/256 byte boundary of the index.
	sizes := map[string]int{"a": 300, "a-1": 5, "ab": 7, "b": 1}
	for id, n := range sizes {
		addSweep(t, db, id, n)
	}
	err := db.View(func(tx *Tx) error {
		for id, n := range sizes {
			var got []uint32
			if err := tx.ForEachTask(id, 0, func(task *critsweepv1.Task) error {
				if task.GetRef().GetSweepId() != id {
					t.Errorf("ForEachTask(%q) yielded a task of %q", id, task.GetRef().GetSweepId())
				}
				got = append(got, task.GetRef().GetIndex())
				return nil
			}); err != nil {
				return err
			}
			if len(got) != n {
				t.Errorf("ForEachTask(%q): %d tasks, want %d", id, len(got), n)
			}
			for i, index := range got {
				if index != uint32(i) {
					t.Errorf("ForEachTask(%q)[%d] = index %d, want %d", id, i, index, i)
					break
				}
			}
		}
		var from []uint32
		if err := tx.ForEachTask("a", 297, func(task *critsweepv1.Task) error {
			from = append(from, task.GetRef().GetIndex())
			return nil
		}); err != nil {
			return err
		}
		if fmt.Sprint(from) != "[297 298 299]" {
			t.Errorf("ForEachTask(a, from 297) = %v, want [297 298 299]", from)
		}
		stop := errors.New("stop")
		calls := 0
		err := tx.ForEachTask("a", 0, func(*critsweepv1.Task) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("ForEachTask with stopping fn = %v after %d calls, want stop after 1", err, calls)
		}
		var ids []string
		if err := tx.ForEachSweep(func(s *critsweepv1.Sweep) error {
			ids = append(ids, s.GetId())
			if s.GetTasks() != uint32(sizes[s.GetId()]) {
				t.Errorf("sweep %s: tasks = %d, want %d", s.GetId(), s.GetTasks(), sizes[s.GetId()])
			}
			return nil
		}); err != nil {
			return err
		}
		if fmt.Sprint(ids) != "[a a-1 ab b]" {
			t.Errorf("ForEachSweep ids = %v, want [a a-1 ab b]", ids)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSweepErrors(t *testing.T) {
	db := openTest(t, &Options{NoSync: true})
	addSweep(t, db, "s", 2)
	tests := []struct {
		name string
		fn   func(tx *Tx) error
		want error
	}{
		{"duplicate id", func(tx *Tx) error { return tx.CreateSweep(&critsweepv1.Sweep{Id: "s"}) }, ErrSweepExists},
		{"empty id", func(tx *Tx) error { return tx.CreateSweep(&critsweepv1.Sweep{}) }, ErrInvalidID},
		{"NUL in id", func(tx *Tx) error { return tx.CreateSweep(&critsweepv1.Sweep{Id: "a\x00b"}) }, ErrInvalidID},
		{"missing sweep", func(tx *Tx) error { _, err := tx.Sweep("nope"); return err }, ErrSweepNotFound},
		{"put missing sweep", func(tx *Tx) error { return tx.PutSweep(&critsweepv1.Sweep{Id: "nope"}) }, ErrSweepNotFound},
		{"missing task", func(tx *Tx) error { _, err := tx.Task(ref("s", 2)); return err }, ErrTaskNotFound},
		{"task of missing sweep", func(tx *Tx) error { _, err := tx.Task(ref("nope", 0)); return err }, ErrTaskNotFound},
		{"put missing task", func(tx *Tx) error {
			return tx.PutTask(&critsweepv1.Task{Ref: ref("s", 9), State: critsweepv1.TaskState_TASK_STATE_DONE})
		}, ErrTaskNotFound},
		{"missing result", func(tx *Tx) error { _, err := tx.Result(ref("s", 0)); return err }, ErrResultNotFound},
		{"result of missing task", func(tx *Tx) error { return tx.PutResult(ref("s", 5), &critsweepv1.Result{}) }, ErrTaskNotFound},
		{"missing checkpoint", func(tx *Tx) error { _, err := tx.Checkpoint(ref("s", 0)); return err }, ErrCheckpointNotFound},
		{"nil ref", func(tx *Tx) error { _, err := tx.Task(nil); return err }, ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(tt.fn)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	// Tasks must continue the sweep's indices and have a valid state.
	bad := [][]*critsweepv1.Task{
		pendingTasks("s", 3, 1), // gap
		pendingTasks("s", 1, 1), // overlap
		{{Ref: ref("s", 2)}},    // unspecified state
		pendingTasks("t", 2, 1), // other sweep
	}
	for i, tasks := range bad {
		if err := db.Update(func(tx *Tx) error { return tx.AddTasks("s", tasks) }); err == nil {
			t.Errorf("AddTasks case %d succeeded", i)
		}
	}
}

func TestPutTaskKeepsCounts(t *testing.T) {
	db := openTest(t, &Options{NoSync: true})
	addSweep(t, db, "s", 4)
	states := []critsweepv1.TaskState{
		critsweepv1.TaskState_TASK_STATE_LEASED,
		critsweepv1.TaskState_TASK_STATE_FAILED,
		critsweepv1.TaskState_TASK_STATE_CANCELLED,
	}
	err := db.Update(func(tx *Tx) error {
		for i, st := range states {
			task, err := tx.Task(ref("s", uint32(i)))
			if err != nil {
				return err
			}
			task.State = st
			if st == critsweepv1.TaskState_TASK_STATE_LEASED {
				task.Epoch, task.Attempts = 1, 1
				task.LeaseExpires = nowProto()
			}
			if err := tx.PutTask(task); err != nil {
				return err
			}
			// Putting the same state again must not count twice.
			if err := tx.PutTask(task); err != nil {
				return err
			}
		}
		if err := tx.PutTask(&critsweepv1.Task{Ref: ref("s", 3)}); err == nil {
			t.Error("PutTask with unspecified state succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		c, err := tx.Counts("s")
		if err != nil {
			return err
		}
		want := &critsweepv1.SweepStatus{SweepId: "s", Total: 4, Pending: 1, Leased: 1, Failed: 1, Cancelled: 1}
		if !proto.Equal(c, want) {
			t.Errorf("Counts = %v, want %v", c, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestResultsAndCheckpoints(t *testing.T) {
	db := openTest(t, &Options{NoSync: true})
	addSweep(t, db, "s", 3)
	cp := &critsweepv1.Checkpoint{Version: 1, Step: 100, Params: []float64{1, 2, 3}, Rng: []byte{7}}
	err := db.Update(func(tx *Tx) error {
		for i := uint32(0); i < 3; i++ {
			task, err := tx.Task(ref("s", i))
			if err != nil {
				return err
			}
			task.CheckpointStep = cp.GetStep()
			if err := tx.PutTask(task); err != nil {
				return err
			}
			if err := tx.PutCheckpoint(ref("s", i), cp); err != nil {
				return err
			}
		}
		for _, i := range []uint32{0, 2} {
			task, _ := tx.Task(ref("s", i))
			task.State = critsweepv1.TaskState_TASK_STATE_DONE
			task.CheckpointStep = 0
			if err := tx.PutTask(task); err != nil {
				return err
			}
			if err := tx.PutResult(ref("s", i), &critsweepv1.Result{Steps: uint64(10 + i)}); err != nil {
				return err
			}
			if err := tx.DeleteCheckpoint(ref("s", i)); err != nil {
				return err
			}
		}
		return tx.DeleteCheckpoint(ref("s", 0)) // twice is fine
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		got, err := tx.Checkpoint(ref("s", 1))
		if err != nil {
			return err
		}
		if !proto.Equal(got, cp) {
			t.Errorf("Checkpoint = %v, want %v", got, cp)
		}
		if _, err := tx.Checkpoint(ref("s", 0)); !errors.Is(err, ErrCheckpointNotFound) {
			t.Errorf("deleted checkpoint: %v, want ErrCheckpointNotFound", err)
		}
		var steps []uint64
		if err := tx.ForEachResult("s", 0, func(index uint32, r *critsweepv1.Result) error {
			steps = append(steps, uint64(index)*1000+r.GetSteps())
			return nil
		}); err != nil {
			return err
		}
		if fmt.Sprint(steps) != "[10 2012]" {
			t.Errorf("ForEachResult = %v, want [10 2012]", steps)
		}
		// ForEachDoneTask hands out the same tasks, and their results on demand.
		var seen []string
		if err := tx.ForEachDoneTask("s", 1, func(task *critsweepv1.Task, result func() (*critsweepv1.Result, error)) error {
			r, err := result()
			seen = append(seen, fmt.Sprintf("%d:%v:%d", task.GetRef().GetIndex(), task.GetState(), r.GetSteps()))
			return err
		}); err != nil {
			return err
		}
		if fmt.Sprint(seen) != "[2:TASK_STATE_DONE:12]" {
			t.Errorf("ForEachDoneTask from 1 = %v, want [2:TASK_STATE_DONE:12]", seen)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBatchConcurrentCompletions completes every task from its own goroutine through
// Batch, on a synced file.
func TestBatchConcurrentCompletions(t *testing.T) {
	const n = 200
	db := openTest(t, nil)
	addSweep(t, db, "s", n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- db.Batch(func(tx *Tx) error {
				task, err := tx.Task(ref("s", uint32(i)))
				if err != nil {
					return err
				}
				task.State = critsweepv1.TaskState_TASK_STATE_DONE
				if err := tx.PutTask(task); err != nil {
					return err
				}
				return tx.PutResult(task.GetRef(), &critsweepv1.Result{Steps: uint64(i)})
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Batch: %v", err)
		}
	}
	err := db.View(func(tx *Tx) error {
		c, err := tx.Counts("s")
		if err != nil {
			return err
		}
		if c.GetDone() != n || c.GetPending() != 0 {
			t.Errorf("counts after batch: %v, want %d done", c, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
