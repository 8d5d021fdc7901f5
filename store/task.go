package store

import (
	"fmt"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Task returns the task ref names, or ErrTaskNotFound.
func (tx *Tx) Task(ref *critsweepv1.TaskRef) (*critsweepv1.Task, error) {
	key, err := refKey(ref)
	if err != nil {
		return nil, err
	}
	t := new(critsweepv1.Task)
	found, err := tx.get(bucketTasks, key, t)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("task %s/%d: %w", ref.GetSweepId(), ref.GetIndex(), ErrTaskNotFound)
	}
	tx.rememberState(key, t.GetState())
	return t, nil
}

func (tx *Tx) rememberState(key []byte, s critsweepv1.TaskState) {
	if tx.states == nil {
		tx.states = map[string]critsweepv1.TaskState{}
	}
	tx.states[string(key)] = s
}

// PutTask replaces a stored task (one that AddTasks created: otherwise ErrTaskNotFound)
// and moves it between the sweep's state counts when its state changed.
func (tx *Tx) PutTask(t *critsweepv1.Task) error {
	ref := t.GetRef()
	if !validState(t.GetState()) {
		return fmt.Errorf("put task %s/%d: invalid state %v", ref.GetSweepId(), ref.GetIndex(), t.GetState())
	}
	key, err := refKey(ref)
	if err != nil {
		return err
	}
	oldState, known := tx.states[string(key)]
	if !known {
		old, err := tx.Task(ref)
		if err != nil {
			return err
		}
		oldState = old.GetState()
	}
	if err := tx.put(bucketTasks, key, t); err != nil {
		return err
	}
	tx.rememberState(key, t.GetState())
	if oldState == t.GetState() {
		return nil
	}
	counts, err := tx.Counts(ref.GetSweepId())
	if err != nil {
		return err
	}
	addCount(counts, oldState, -1)
	addCount(counts, t.GetState(), +1)
	return tx.putCounts(counts)
}

// ForEachTask calls fn for each task of the sweep with index ≥ from, in index order. An
// error from fn stops the walk and is returned. A sweep with no tasks (or no such sweep)
// calls fn never.
func (tx *Tx) ForEachTask(sweepID string, from uint32, fn func(*critsweepv1.Task) error) error {
	if err := checkID(sweepID); err != nil {
		return err
	}
	return tx.forEachRange(bucketTasks, sweepID, from, func(k, v []byte) error {
		t := new(critsweepv1.Task)
		if err := unmarshalRecord(bucketTasks, k, v, t); err != nil {
			return err
		}
		return fn(t)
	})
}

// forEachRange calls fn for each record of bucket keyed by a task of the sweep with
// index ≥ from, in index order.
func (tx *Tx) forEachRange(bucket []byte, sweepID string, from uint32, fn func(k, v []byte) error) error {
	prefix := taskPrefix(sweepID)
	c := tx.tx.Bucket(bucket).Cursor()
	for k, v := c.Seek(taskKey(sweepID, from)); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}
