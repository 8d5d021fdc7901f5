package store

import (
	"fmt"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Result returns the result of the task ref names, or ErrResultNotFound.
func (tx *Tx) Result(ref *critsweepv1.TaskRef) (*critsweepv1.Result, error) {
	key, err := refKey(ref)
	if err != nil {
		return nil, err
	}
	r := new(critsweepv1.Result)
	found, err := tx.get(bucketResults, key, r)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("result of task %s/%d: %w", ref.GetSweepId(), ref.GetIndex(), ErrResultNotFound)
	}
	return r, nil
}

// PutResult stores the result of an existing task (ErrTaskNotFound otherwise). The
// caller marks the task done in the same transaction: Check reports a result whose task
// is not done.
func (tx *Tx) PutResult(ref *critsweepv1.TaskRef, r *critsweepv1.Result) error {
	if _, err := tx.Task(ref); err != nil {
		return err
	}
	return tx.put(bucketResults, taskKey(ref.GetSweepId(), ref.GetIndex()), r)
}

// ForEachResult calls fn for each stored result of the sweep whose task index is ≥ from,
// in index order. An error from fn stops the walk and is returned.
func (tx *Tx) ForEachResult(sweepID string, from uint32, fn func(index uint32, r *critsweepv1.Result) error) error {
	if err := checkID(sweepID); err != nil {
		return err
	}
	return tx.forEachRange(bucketResults, sweepID, from, func(k, v []byte) error {
		_, index, err := parseTaskKey(k)
		if err != nil {
			return err
		}
		r := new(critsweepv1.Result)
		if err := unmarshalRecord(bucketResults, k, v, r); err != nil {
			return err
		}
		return fn(index, r)
	})
}

// ForEachDoneTask calls fn for each task of the sweep with a stored result (the done
// tasks) and index ≥ from, in index order, with a function that decodes its result: a
// caller that decides by the task record alone never decodes the result. In a read-only
// transaction the function stays valid until the transaction ends; in a read-write one,
// until the next write.
func (tx *Tx) ForEachDoneTask(sweepID string, from uint32, fn func(t *critsweepv1.Task, result func() (*critsweepv1.Result, error)) error) error {
	if err := checkID(sweepID); err != nil {
		return err
	}
	tasks := tx.tx.Bucket(bucketTasks)
	return tx.forEachRange(bucketResults, sweepID, from, func(k, v []byte) error {
		raw := tasks.Get(k)
		if raw == nil {
			_, index, _ := parseTaskKey(k)
			return fmt.Errorf("result of task %s/%d, which does not exist: %w", clip(sweepID), index, ErrTaskNotFound)
		}
		t := new(critsweepv1.Task)
		if err := unmarshalRecord(bucketTasks, k, raw, t); err != nil {
			return err
		}
		return fn(t, func() (*critsweepv1.Result, error) {
			r := new(critsweepv1.Result)
			if err := unmarshalRecord(bucketResults, k, v, r); err != nil {
				return nil, err
			}
			return r, nil
		})
	})
}
