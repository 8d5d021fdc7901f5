package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// TestCheckFindsBrokenInvariants breaks one invariant at a time behind the store's back
// and checks that Check names it.
func TestCheckFindsBrokenInvariants(t *testing.T) {
	put := func(bucket []byte, key []byte, m proto.Message) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			v, err := proto.Marshal(m)
			if err != nil {
				return err
			}
			return tx.Bucket(bucket).Put(key, v)
		}
	}
	done := func(i uint32) *critsweepv1.Task {
		return &critsweepv1.Task{Ref: ref("s", i), State: critsweepv1.TaskState_TASK_STATE_DONE}
	}
	tests := []struct {
		name    string
		corrupt func(*bolt.Tx) error
		want    string
	}{
		{"task without sweep", put(bucketTasks, taskKey("ghost", 0),
			&critsweepv1.Task{Ref: ref("ghost", 0), State: critsweepv1.TaskState_TASK_STATE_PENDING}),
			`task ghost/0: sweep "ghost" does not exist`},
		{"done without result", put(bucketTasks, taskKey("s", 1), done(1)), "task s/1 is done but has no result"},
		{"result of pending task", put(bucketResults, taskKey("s", 2), &critsweepv1.Result{}),
			"result of task s/2, which is TASK_STATE_PENDING, not done"},
		{"checkpoint of done task", func(tx *bolt.Tx) error {
			if err := put(bucketTasks, taskKey("s", 0), done(0))(tx); err != nil {
				return err
			}
			if err := put(bucketResults, taskKey("s", 0), &critsweepv1.Result{})(tx); err != nil {
				return err
			}
			return put(bucketCheckpoints, taskKey("s", 0), &critsweepv1.Checkpoint{})(tx)
		}, "checkpoint of task s/0, which is done"},
		{"checkpoint step", put(bucketCheckpoints, taskKey("s", 1), &critsweepv1.Checkpoint{Step: 5}),
			"checkpoint of task s/1 at step 5, task records step 0"},
		{"lost checkpoint", put(bucketTasks, taskKey("s", 1), &critsweepv1.Task{Ref: ref("s", 1),
			State: critsweepv1.TaskState_TASK_STATE_PENDING, CheckpointStep: 9}),
			"task s/1 records a checkpoint at step 9 but has none"},
		{"invalid state", put(bucketTasks, taskKey("s", 2), &critsweepv1.Task{Ref: ref("s", 2), State: 42}),
			"task s/2: invalid state 42"},
		{"counts", put(bucketCounts, []byte("s"), &critsweepv1.SweepStatus{SweepId: "s", Total: 3, Done: 3}),
			"sweep s: stored counts total=3 pending=0 leased=0 done=3"},
		{"task count", put(bucketSweeps, []byte("s"), &critsweepv1.Sweep{Id: "s", Tasks: 4}),
			"sweep s: record says 4 tasks, found 3"},
		{"index gap", func(tx *bolt.Tx) error { return tx.Bucket(bucketTasks).Delete(taskKey("s", 1)) },
			"task s/2: expected index 1"},
		{"leased without lease", put(bucketTasks, taskKey("s", 0),
			&critsweepv1.Task{Ref: ref("s", 0), State: critsweepv1.TaskState_TASK_STATE_LEASED}),
			"task s/0: leased without epoch or lease expiry"},
		{"pending in cancelled sweep", put(bucketSweeps, []byte("s"), &critsweepv1.Sweep{Id: "s", Tasks: 3, Cancelled: true}),
			"task s/0: TASK_STATE_PENDING in a cancelled sweep"},
		{"garbage record", func(tx *bolt.Tx) error { return tx.Bucket(bucketTasks).Put(taskKey("s", 0), []byte{0xff, 0xff}) },
			"task s/0: does not decode"},
		{"malformed key", func(tx *bolt.Tx) error { return tx.Bucket(bucketResults).Put([]byte("nokey"), nil) },
			`results: malformed task key "nokey"`},
		{"schema", func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keySchemaVersion) },
			"schema version is 0 (found: false)"},
		{"progress of a task never leased", put(bucketProgress, taskKey("s", 0), &critsweepv1.ProgressHistory{
			Points: []*critsweepv1.Progress{{Step: 1}}}), "progress of task s/0, which was never leased"},
		{"progress without task", put(bucketProgress, taskKey("ghost", 0), &critsweepv1.ProgressHistory{}),
			"progress of task ghost/0, which does not exist"},
		{"progress out of order", put(bucketProgress, taskKey("s", 1), &critsweepv1.ProgressHistory{
			Points: []*critsweepv1.Progress{{Step: 5}, {Step: 5}}}), "progress of task s/1: point 1 at step 5 does not follow step 5"},
		{"progress too long", put(bucketProgress, taskKey("s", 1), &critsweepv1.ProgressHistory{
			Points: progressPoints(MaxProgressPoints + 1)}), "progress of task s/1: holds 257 points, at most 256"},
		{"progress garbage", func(tx *bolt.Tx) error { return tx.Bucket(bucketProgress).Put(taskKey("s", 1), []byte{0xff}) },
			"progress of task s/1: does not decode"},
		{"progress bucket missing", func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketProgress) },
			"bucket progress is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "broken.db")
			db, err := Open(path, &Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			addSweep(t, db, "s", 3)
			if err := db.Check(); err != nil {
				t.Fatalf("Check before breaking: %v", err)
			}
			if err := db.bolt.Update(tt.corrupt); err != nil {
				t.Fatal(err)
			}
			err = db.Check()
			db.Close()
			var ce *CheckError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInconsistent) {
				t.Fatalf("CheckFile = %v, want a *CheckError wrapping ErrInconsistent", err)
			}
			found := false
			for _, p := range ce.Problems {
				found = found || strings.Contains(p, tt.want)
			}
			if !found {
				t.Errorf("problems %q do not mention %q", ce.Problems, tt.want)
			}
		})
	}
}

func TestCheckFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ok.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	addSweep(t, db, "s", 3)
	db.Close()
	if err := CheckFile(path); err != nil {
		t.Errorf("CheckFile of a sound file: %v", err)
	}
}
