package store

import (
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// openTest opens a new database in t.TempDir and registers, with t.Cleanup, a Check of
// the file followed by Close: every test also proves the file is sound afterwards.
func openTest(t testing.TB, o *Options) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "critsweep.db"), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("Check after test: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// addSweep creates sweep id with n pending tasks.
func addSweep(t testing.TB, db *DB, id string, n int) {
	t.Helper()
	err := db.Update(func(tx *Tx) error {
		if err := tx.CreateSweep(&critsweepv1.Sweep{Id: id, Spec: &critsweepv1.SweepSpec{Name: id}}); err != nil {
			return err
		}
		return tx.AddTasks(id, pendingTasks(id, 0, n))
	})
	if err != nil {
		t.Fatalf("add sweep %s: %v", id, err)
	}
}

// pendingTasks returns n pending tasks of the sweep, indexed from first.
func pendingTasks(id string, first, n int) []*critsweepv1.Task {
	tasks := make([]*critsweepv1.Task, n)
	for i := range tasks {
		tasks[i] = &critsweepv1.Task{
			Ref:   &critsweepv1.TaskRef{SweepId: id, Index: uint32(first + i)},
			Spec:  &critsweepv1.TaskSpec{Beta: 0.4 + 0.001*float64(first+i), Size: 8, Tau: 1, Boundary: "periodic"},
			State: critsweepv1.TaskState_TASK_STATE_PENDING,
		}
	}
	return tasks
}

func ref(id string, index uint32) *critsweepv1.TaskRef {
	return &critsweepv1.TaskRef{SweepId: id, Index: index}
}

func nowProto() *timestamppb.Timestamp { return timestamppb.New(time.Unix(1700000000, 0)) }
