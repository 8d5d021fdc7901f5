package store_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

// Example stores a sweep with two tasks, finishes one in a write transaction, reads the
// counts back and checks the file.
func Example() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "critsweep.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ref := func(i uint32) *critsweepv1.TaskRef { return &critsweepv1.TaskRef{SweepId: "ising-1", Index: i} }
	err = db.Update(func(tx *store.Tx) error {
		if err := tx.CreateSweep(&critsweepv1.Sweep{Id: "ising-1", Spec: &critsweepv1.SweepSpec{Name: "ising"}}); err != nil {
			return err
		}
		return tx.AddTasks("ising-1", []*critsweepv1.Task{
			{Ref: ref(0), Spec: &critsweepv1.TaskSpec{Beta: 0.44, Size: 8}, State: critsweepv1.TaskState_TASK_STATE_PENDING},
			{Ref: ref(1), Spec: &critsweepv1.TaskSpec{Beta: 0.45, Size: 8}, State: critsweepv1.TaskState_TASK_STATE_PENDING},
		})
	})
	if err != nil {
		log.Fatal(err)
	}

	// A completion: task and result in one transaction (Batch shares it with others).
	err = db.Batch(func(tx *store.Tx) error {
		t, err := tx.Task(ref(0))
		if err != nil {
			return err
		}
		t.State = critsweepv1.TaskState_TASK_STATE_DONE
		if err := tx.PutTask(t); err != nil {
			return err
		}
		return tx.PutResult(ref(0), &critsweepv1.Result{Steps: 4000})
	})
	if err != nil {
		log.Fatal(err)
	}

	err = db.View(func(tx *store.Tx) error {
		c, err := tx.Counts("ising-1")
		if err != nil {
			return err
		}
		fmt.Printf("total %d: %d done, %d pending\n", c.GetTotal(), c.GetDone(), c.GetPending())
		return tx.ForEachTask("ising-1", 0, func(t *critsweepv1.Task) error {
			fmt.Printf("task %d β=%v %v\n", t.GetRef().GetIndex(), t.GetSpec().GetBeta(), t.GetState())
			return nil
		})
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("check:", db.Check())
	// Output:
	// total 2: 1 done, 1 pending
	// task 0 β=0.44 TASK_STATE_DONE
	// task 1 β=0.45 TASK_STATE_PENDING
	// check: <nil>
}
