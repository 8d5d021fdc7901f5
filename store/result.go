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
