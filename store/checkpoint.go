package store

import (
	"fmt"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Checkpoint returns the latest checkpoint of the task ref names, or
// ErrCheckpointNotFound when it has none.
func (tx *Tx) Checkpoint(ref *critsweepv1.TaskRef) (*critsweepv1.Checkpoint, error) {
	key, err := refKey(ref)
	if err != nil {
		return nil, err
	}
	cp := new(critsweepv1.Checkpoint)
	found, err := tx.get(bucketCheckpoints, key, cp)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("checkpoint of task %s/%d: %w", ref.GetSweepId(), ref.GetIndex(), ErrCheckpointNotFound)
	}
	return cp, nil
}

// PutCheckpoint replaces the latest checkpoint of an existing task (ErrTaskNotFound
// otherwise). The caller records cp.Step as the task's checkpoint_step in the same
// transaction: Check compares them.
func (tx *Tx) PutCheckpoint(ref *critsweepv1.TaskRef, cp *critsweepv1.Checkpoint) error {
	if _, err := tx.Task(ref); err != nil {
		return err
	}
	return tx.put(bucketCheckpoints, taskKey(ref.GetSweepId(), ref.GetIndex()), cp)
}

// DeleteCheckpoint removes the task's checkpoint; removing none is not an error.
func (tx *Tx) DeleteCheckpoint(ref *critsweepv1.TaskRef) error {
	key, err := refKey(ref)
	if err != nil {
		return err
	}
	return tx.tx.Bucket(bucketCheckpoints).Delete(key)
}
