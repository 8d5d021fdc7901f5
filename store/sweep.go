package store

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// NextSweepSequence returns a number never returned before by this database, for naming a
// new sweep.
func (tx *Tx) NextSweepSequence() (uint64, error) {
	return tx.tx.Bucket(bucketSweeps).NextSequence()
}

// Sweep returns the sweep with the given id, or ErrSweepNotFound.
func (tx *Tx) Sweep(id string) (*critsweepv1.Sweep, error) {
	s := new(critsweepv1.Sweep)
	found, err := tx.get(bucketSweeps, []byte(id), s)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("sweep %s: %w", quote(id), ErrSweepNotFound)
	}
	return s, nil
}

// CreateSweep stores a new sweep with no tasks (add them with AddTasks) and zero counts.
// It fails with ErrSweepExists when the id is taken and ErrInvalidID when it cannot be one.
func (tx *Tx) CreateSweep(s *critsweepv1.Sweep) error {
	if err := checkID(s.GetId()); err != nil {
		return err
	}
	key := []byte(s.GetId())
	if tx.tx.Bucket(bucketSweeps).Get(key) != nil {
		return fmt.Errorf("sweep %s: %w", quote(s.GetId()), ErrSweepExists)
	}
	s = cloneSweep(s)
	s.Tasks = 0
	if err := tx.put(bucketSweeps, key, s); err != nil {
		return err
	}
	return tx.putCounts(&critsweepv1.SweepStatus{SweepId: s.GetId()})
}

// PutSweep replaces a stored sweep (its spec, cancelled flag and extensions). The task
// count is not taken from s: AddTasks keeps it.
func (tx *Tx) PutSweep(s *critsweepv1.Sweep) error {
	old, err := tx.Sweep(s.GetId())
	if err != nil {
		return err
	}
	s = cloneSweep(s)
	s.Tasks = old.GetTasks()
	return tx.put(bucketSweeps, []byte(s.GetId()), s)
}

// ForEachSweep calls fn for every sweep in id order; an error from fn stops the walk and
// is returned.
func (tx *Tx) ForEachSweep(fn func(*critsweepv1.Sweep) error) error {
	return tx.forEachPrefix(bucketSweeps, nil, func(k, v []byte) error {
		s := new(critsweepv1.Sweep)
		if err := unmarshalRecord(bucketSweeps, k, v, s); err != nil {
			return err
		}
		return fn(s)
	})
}

// Counts returns how many tasks of the sweep are in each state (sweep_id and the counts
// are set; the name and rate are not). It is kept by AddTasks and PutTask and costs one
// read.
func (tx *Tx) Counts(sweepID string) (*critsweepv1.SweepStatus, error) {
	c := new(critsweepv1.SweepStatus)
	found, err := tx.get(bucketCounts, []byte(sweepID), c)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("counts of sweep %s: %w", quote(sweepID), ErrSweepNotFound)
	}
	return c, nil
}

func (tx *Tx) putCounts(c *critsweepv1.SweepStatus) error {
	return tx.put(bucketCounts, []byte(c.GetSweepId()), c)
}

// AddTasks appends tasks to a sweep. Their refs must name the sweep and continue its
// indices (the first gets index Sweep.Tasks, the next one more, and so on); their states
// must be valid. The sweep's task count and state counts are updated.
func (tx *Tx) AddTasks(sweepID string, tasks []*critsweepv1.Task) error {
	s, err := tx.Sweep(sweepID)
	if err != nil {
		return err
	}
	counts, err := tx.Counts(sweepID)
	if err != nil {
		return err
	}
	next := s.GetTasks()
	for _, t := range tasks {
		ref := t.GetRef()
		if ref.GetSweepId() != sweepID || ref.GetIndex() != next {
			return fmt.Errorf("add task %s/%d to sweep %s: want index %d", quote(ref.GetSweepId()), ref.GetIndex(), quote(sweepID), next)
		}
		if !validState(t.GetState()) {
			return fmt.Errorf("add task %s/%d: invalid state %v", sweepID, next, t.GetState())
		}
		if err := tx.put(bucketTasks, taskKey(sweepID, next), t); err != nil {
			return err
		}
		addCount(counts, t.GetState(), 1)
		next++
	}
	s.Tasks = next
	counts.Total = next
	if err := tx.put(bucketSweeps, []byte(sweepID), s); err != nil {
		return err
	}
	return tx.putCounts(counts)
}

// addCount adds d to the count of state in c.
func addCount(c *critsweepv1.SweepStatus, state critsweepv1.TaskState, d int) {
	p := countOf(c, state)
	if p != nil {
		*p = uint32(int(*p) + d)
	}
}

// countOf returns a pointer to the count of state in c, or nil for an invalid state.
func countOf(c *critsweepv1.SweepStatus, state critsweepv1.TaskState) *uint32 {
	switch state {
	case critsweepv1.TaskState_TASK_STATE_PENDING:
		return &c.Pending
	case critsweepv1.TaskState_TASK_STATE_LEASED:
		return &c.Leased
	case critsweepv1.TaskState_TASK_STATE_DONE:
		return &c.Done
	case critsweepv1.TaskState_TASK_STATE_FAILED:
		return &c.Failed
	case critsweepv1.TaskState_TASK_STATE_CANCELLED:
		return &c.Cancelled
	}
	return nil
}

// validState reports whether s is a state a stored task may have.
func validState(s critsweepv1.TaskState) bool {
	return s >= critsweepv1.TaskState_TASK_STATE_PENDING && s <= critsweepv1.TaskState_TASK_STATE_CANCELLED
}

func cloneSweep(s *critsweepv1.Sweep) *critsweepv1.Sweep {
	return proto.Clone(s).(*critsweepv1.Sweep)
}
