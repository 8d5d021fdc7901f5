package store

import (
	"fmt"
	"runtime/debug"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// CheckError lists every problem Check found. It wraps ErrInconsistent.
type CheckError struct {
	Path     string
	Problems []string
}

func (e *CheckError) Error() string {
	const show = 20
	var b strings.Builder
	fmt.Fprintf(&b, "database %s is inconsistent: %d problem(s)", e.Path, len(e.Problems))
	for i, p := range e.Problems {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-show)
			break
		}
		b.WriteString("; ")
		b.WriteString(p)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInconsistent) hold.
func (e *CheckError) Unwrap() error { return ErrInconsistent }

// CheckFile opens the database at path read-only, checks it as DB.Check does and closes
// it. Like any read-only open, it fails with ErrLocked while a coordinator runs on it.
func CheckFile(path string) error {
	db, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Check()
}

// Check runs bbolt's own consistency check (pages, freelist, key order) and critsweep's
// invariants over the whole file in one read transaction:
//   - the schema version is this package's and every bucket exists;
//   - every record decodes, and a task's ref matches its key;
//   - every task's sweep exists, the sweep's tasks are indexed 0..tasks-1 without gaps,
//     and its stored state counts equal a recount;
//   - every task's state is valid; a leased task has an epoch and a lease expiry;
//   - a done task has exactly one result and no checkpoint; every other task has no
//     result; a cancelled sweep has no pending or leased task;
//   - every result and checkpoint belongs to an existing task, a checkpoint's step is the
//     task's checkpoint_step, and a task with a checkpoint_step has a checkpoint;
//   - every progress history belongs to a task that was leased, holds at most
//     MaxProgressPoints points, in increasing step.
//
// A file of an older schema version (read-only: Open migrates a writable one) is checked
// against that version's layout.
//
// It returns nil, a *CheckError listing every problem found, or the error that stopped
// it from reading the file. On a damaged file bbolt's part can still fault where no
// recover reaches (its goroutine) and end the process: critsweep db check runs Check in
// a child process for that reason.
func (db *DB) Check() error {
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	err := db.bolt.View(func(btx *bolt.Tx) error {
		// critsweep's walk first, in this goroutine: a damaged page that makes it fault
		// or bbolt panic is reported, and bbolt's own check, which runs in a goroutine
		// where a fault cannot be caught, is then skipped.
		if p := walkGuarded(func() { checkInvariants(btx, report) }); p != nil {
			report("reading the file failed (%v): it is damaged; restore it from a backup", p)
			return nil
		}
		for err := range btx.Check() {
			report("bbolt: %v", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check database %s: %w", db.path, err)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return &CheckError{Path: db.path, Problems: problems}
	}
	return nil
}

// walkGuarded runs walk with faults turned into panics and returns what it panicked
// with, nil when it did not.
func walkGuarded(walk func()) (panicked any) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() { panicked = recover() }()
	walk()
	return nil
}

// checkInvariants reports every broken critsweep invariant of the file.
func checkInvariants(btx *bolt.Tx, report func(string, ...any)) {
	version, found := readVersion(btx)
	if !found || version < 1 || version > SchemaVersion {
		report("schema version is %d (found: %t), want 1 to %d", version, found, SchemaVersion)
	}
	for _, name := range bucketsOf(version) {
		if btx.Bucket(name) == nil {
			report("bucket %s is missing", name)
			return
		}
	}

	type sweepInfo struct {
		sweep     *critsweepv1.Sweep
		recount   critsweepv1.SweepStatus
		nextIndex uint32
	}
	sweeps := map[string]*sweepInfo{}
	_ = btx.Bucket(bucketSweeps).ForEach(func(k, v []byte) error {
		s := new(critsweepv1.Sweep)
		if err := proto.Unmarshal(v, s); err != nil {
			report("sweep %s: does not decode: %v", quote(k), err)
			return nil
		}
		if s.GetId() != string(k) {
			report("sweep %s: record names id %s", quote(k), quote(s.GetId()))
		}
		sweeps[string(k)] = &sweepInfo{sweep: s}
		return nil
	})

	type taskInfo struct {
		state          critsweepv1.TaskState
		checkpointStep uint64
		attempts       uint32
	}
	tasks := map[string]taskInfo{}
	_ = btx.Bucket(bucketTasks).ForEach(func(k, v []byte) error {
		id, index, err := parseTaskKey(k)
		if err != nil {
			report("tasks: %v", err)
			return nil
		}
		name := fmt.Sprintf("task %s/%d", clip(id), index)
		t := new(critsweepv1.Task)
		if err := proto.Unmarshal(v, t); err != nil {
			report("%s: does not decode: %v", name, err)
			return nil
		}
		tasks[string(k)] = taskInfo{state: t.GetState(), checkpointStep: t.GetCheckpointStep(), attempts: t.GetAttempts()}
		if t.GetRef().GetSweepId() != id || t.GetRef().GetIndex() != index {
			report("%s: record names %s/%d", name, t.GetRef().GetSweepId(), t.GetRef().GetIndex())
		}
		if !validState(t.GetState()) {
			report("%s: invalid state %v", name, t.GetState())
		}
		if t.GetState() == critsweepv1.TaskState_TASK_STATE_LEASED && (t.GetEpoch() == 0 || t.GetLeaseExpires() == nil) {
			report("%s: leased without epoch or lease expiry", name)
		}
		if t.GetEpoch() > uint64(t.GetAttempts()) {
			report("%s: epoch %d exceeds attempts %d", name, t.GetEpoch(), t.GetAttempts())
		}
		info := sweeps[id]
		if info == nil {
			report("%s: sweep %s does not exist", name, quote(id))
			return nil
		}
		if index != info.nextIndex {
			report("%s: expected index %d (indices must run 0..tasks-1)", name, info.nextIndex)
		}
		info.nextIndex = index + 1
		addCount(&info.recount, t.GetState(), 1)
		info.recount.Total++
		if info.sweep.GetCancelled() && (t.GetState() == critsweepv1.TaskState_TASK_STATE_PENDING ||
			t.GetState() == critsweepv1.TaskState_TASK_STATE_LEASED) {
			report("%s: %v in a cancelled sweep", name, t.GetState())
		}
		return nil
	})

	for id, info := range sweeps {
		if info.recount.Total != info.sweep.GetTasks() {
			report("sweep %s: record says %d tasks, found %d", clip(id), info.sweep.GetTasks(), info.recount.Total)
		}
		v := btx.Bucket(bucketCounts).Get([]byte(id))
		if v == nil {
			report("sweep %s: no state counts", id)
			continue
		}
		c := new(critsweepv1.SweepStatus)
		if err := proto.Unmarshal(v, c); err != nil {
			report("sweep %s: state counts do not decode: %v", clip(id), err)
			continue
		}
		r := &info.recount
		if c.GetTotal() != r.Total || c.GetPending() != r.Pending || c.GetLeased() != r.Leased ||
			c.GetDone() != r.Done || c.GetFailed() != r.Failed || c.GetCancelled() != r.Cancelled {
			report("sweep %s: stored counts total=%d pending=%d leased=%d done=%d failed=%d cancelled=%d, "+
				"recount total=%d pending=%d leased=%d done=%d failed=%d cancelled=%d", id,
				c.GetTotal(), c.GetPending(), c.GetLeased(), c.GetDone(), c.GetFailed(), c.GetCancelled(),
				r.Total, r.Pending, r.Leased, r.Done, r.Failed, r.Cancelled)
		}
	}
	_ = btx.Bucket(bucketCounts).ForEach(func(k, _ []byte) error {
		if sweeps[string(k)] == nil {
			report("state counts of sweep %s, which does not exist", quote(k))
		}
		return nil
	})

	results := btx.Bucket(bucketResults)
	_ = results.ForEach(func(k, v []byte) error {
		id, index, err := parseTaskKey(k)
		if err != nil {
			report("results: %v", err)
			return nil
		}
		if err := proto.Unmarshal(v, new(critsweepv1.Result)); err != nil {
			report("result of task %s/%d: does not decode: %v", clip(id), index, err)
		}
		t, ok := tasks[string(k)]
		switch {
		case !ok:
			report("result of task %s/%d, which does not exist", clip(id), index)
		case t.state != critsweepv1.TaskState_TASK_STATE_DONE:
			report("result of task %s/%d, which is %v, not done", clip(id), index, t.state)
		}
		return nil
	})
	checkpoints := btx.Bucket(bucketCheckpoints)
	_ = checkpoints.ForEach(func(k, v []byte) error {
		id, index, err := parseTaskKey(k)
		if err != nil {
			report("checkpoints: %v", err)
			return nil
		}
		cp := new(critsweepv1.Checkpoint)
		if err := proto.Unmarshal(v, cp); err != nil {
			report("checkpoint of task %s/%d: does not decode: %v", clip(id), index, err)
		}
		t, ok := tasks[string(k)]
		switch {
		case !ok:
			report("checkpoint of task %s/%d, which does not exist", clip(id), index)
		case t.state == critsweepv1.TaskState_TASK_STATE_DONE:
			report("checkpoint of task %s/%d, which is done", clip(id), index)
		case t.checkpointStep != cp.GetStep():
			report("checkpoint of task %s/%d at step %d, task records step %d", clip(id), index, cp.GetStep(), t.checkpointStep)
		}
		return nil
	})
	if progress := btx.Bucket(bucketProgress); progress != nil {
		_ = progress.ForEach(func(k, v []byte) error {
			id, index, err := parseTaskKey(k)
			if err != nil {
				report("progress: %v", err)
				return nil
			}
			h := new(critsweepv1.ProgressHistory)
			if err := proto.Unmarshal(v, h); err != nil {
				report("progress of task %s/%d: does not decode: %v", clip(id), index, err)
				return nil
			}
			if why := checkProgress(h); why != "" {
				report("progress of task %s/%d: %s", clip(id), index, why)
			}
			t, ok := tasks[string(k)]
			switch {
			case !ok:
				report("progress of task %s/%d, which does not exist", clip(id), index)
			case t.attempts == 0:
				report("progress of task %s/%d, which was never leased", clip(id), index)
			}
			return nil
		})
	}
	for k, t := range tasks {
		id, index, _ := parseTaskKey([]byte(k))
		if t.state == critsweepv1.TaskState_TASK_STATE_DONE && results.Get([]byte(k)) == nil {
			report("task %s/%d is done but has no result", clip(id), index)
		}
		if t.checkpointStep > 0 && checkpoints.Get([]byte(k)) == nil {
			report("task %s/%d records a checkpoint at step %d but has none", clip(id), index, t.checkpointStep)
		}
	}
}
