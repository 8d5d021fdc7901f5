package coordinator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/store"
)

// LeaseTask leases the next pending task to a worker, taking sweeps in turn and, within a
// sweep, the lowest index first. The response carries the task's spec, the lease's epoch
// and expiry, and the task's latest checkpoint when it has one; or leased = false and
// retry_after when nothing is pending. The lease is on disk before LeaseTask returns.
func (c *Coordinator) LeaseTask(ctx context.Context, req *critsweepv1.LeaseTaskRequest) (*critsweepv1.LeaseTaskResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	if c.db.ReadOnly() {
		return nil, storeErr(fmt.Errorf("lease a task: %w", store.ErrReadOnly))
	}
	started := time.Now()
	now := c.clock.Now()
	c.mu.Lock()
	if _, isNew := c.workers.seen(req.GetWorker(), req.GetSlots(), now); isNew {
		c.feed.workerSet()
	}
	c.mu.Unlock()
	if _, err := c.expireDue(now); err != nil {
		return nil, storeErr(err)
	}
	for {
		c.mu.Lock()
		k, ok := c.queue.pop()
		c.mu.Unlock()
		if !ok {
			c.stats.leaseAnswered(false, started)
			return &critsweepv1.LeaseTaskResponse{RetryAfter: durationpb.New(c.opts.RetryAfter)}, nil
		}
		p := c.policyOf(k.sweep)
		var task *critsweepv1.Task
		var cp *critsweepv1.Checkpoint
		err := c.db.Batch(func(tx *store.Tx) error {
			task, cp = nil, nil
			t, err := tx.Task(k.ref())
			if errors.Is(err, store.ErrTaskNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if grantLease(t, req.GetWorker(), now, p) != nil {
				return nil // not pending after all: the index lagged the store
			}
			if err := tx.PutTask(t); err != nil {
				return err
			}
			if t.GetCheckpointStep() > 0 {
				cp, err = tx.Checkpoint(t.GetRef())
				if errors.Is(err, store.ErrCheckpointNotFound) {
					cp, err = nil, nil
				}
				if err != nil {
					return err
				}
			}
			task = t
			return nil
		})
		if err != nil {
			c.mu.Lock()
			c.queue.push(k)
			c.mu.Unlock()
			return nil, storeErr(err)
		}
		if task == nil {
			continue
		}
		c.mu.Lock()
		c.leases.set(k, task.GetEpoch(), task.GetLeaseExpires().AsTime().UnixNano())
		c.workers.leased(req.GetWorker(), k, task.GetEpoch(), now)
		c.feed.workerSet()
		c.notifyLocked(k.sweep)
		c.mu.Unlock()
		c.stats.leaseAnswered(true, started)
		return &critsweepv1.LeaseTaskResponse{
			Ref:        task.GetRef(),
			Epoch:      task.GetEpoch(),
			Spec:       task.GetSpec(),
			Expires:    task.GetLeaseExpires(),
			Checkpoint: cp,
			Leased:     true,
		}, nil
	}
}

// ExpireLeases takes back every lease whose time is up: the task goes back to pending, or
// to failed when it has used its attempts, with "lease expired" among its failures. It
// returns how many leases it took back.
func (c *Coordinator) ExpireLeases(ctx context.Context) (int, error) {
	if err := c.checkOpen(ctx); err != nil {
		return 0, err
	}
	n, err := c.expireDue(c.clock.Now())
	return n, storeErr(err)
}

func (c *Coordinator) expireDue(now time.Time) (int, error) {
	c.mu.Lock()
	due := c.leases.popDue(now.UnixNano())
	c.mu.Unlock()
	if len(due) == 0 {
		return 0, nil
	}
	var expired []*critsweepv1.Task
	err := c.db.Update(func(tx *store.Tx) error {
		expired = expired[:0]
		for _, e := range due {
			t, err := tx.Task(e.key.ref())
			if errors.Is(err, store.ErrTaskNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !expire(t, now, c.policyOf(e.key.sweep)) {
				continue
			}
			if err := tx.PutTask(t); err != nil {
				return err
			}
			expired = append(expired, t)
		}
		return nil
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		for _, e := range due {
			c.leases.set(e.key, e.epoch, e.expires)
		}
		return 0, err
	}
	for _, t := range expired {
		k := keyOf(t.GetRef())
		if t.GetState() == pending {
			c.queue.push(k)
		}
		c.workers.ended(k, t.GetEpoch(), endFailed, now)
		c.feed.workerSet()
		c.notifyLocked(k.sweep)
		c.log.Warn("lease expired", "task", refString(t.GetRef()), "epoch", t.GetEpoch(),
			"state", stateName(t.GetState()), "failures", len(t.GetFailures()))
	}
	c.stats.expired(len(expired))
	return len(expired), nil
}

// Heartbeat extends a live lease by Options.LeaseDuration and stores the worker's
// progress, in the task and in its progress history (the training curve). When the task's sweep was cancelled, it answers cancelled = true and the
// worker should stop. A stale epoch is refused with ErrStaleEpoch.
func (c *Coordinator) Heartbeat(ctx context.Context, req *critsweepv1.HeartbeatRequest) (*critsweepv1.HeartbeatResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	if err := checkRef(req.GetRef(), req.GetEpoch()); err != nil {
		return nil, err
	}
	now := c.clock.Now()
	p := c.policyOf(req.GetRef().GetSweepId())
	var isCancelled bool
	var expires *timestamppb.Timestamp
	var slot string
	err := c.updateTask(req.GetRef(), sharedCommit, func(tx *store.Tx, t *critsweepv1.Task) error {
		var refused error
		isCancelled, refused = heartbeat(t, req.GetEpoch(), req.GetProgress(), now, p)
		if refused != nil || isCancelled {
			expires = nil
			return refuse(refused)
		}
		expires, slot = t.GetLeaseExpires(), t.GetWorker()
		if err := tx.AppendProgress(t.GetRef(), req.GetProgress()); err != nil {
			return err
		}
		return tx.PutTask(t)
	})
	if err != nil {
		return nil, err
	}
	if !isCancelled {
		k := keyOf(req.GetRef())
		c.mu.Lock()
		c.leases.set(k, req.GetEpoch(), expires.AsTime().UnixNano())
		c.workers.heartbeat(slot, k, req.GetEpoch(), req.GetProgress(), now)
		c.feed.sweep(k.sweep) // progress: no status change, so watchers sleep on
		c.mu.Unlock()
	}
	return &critsweepv1.HeartbeatResponse{Expires: expires, Cancelled: isCancelled}, nil
}

// UploadCheckpoint makes cp the task's latest checkpoint, replacing the one before, if
// epoch is the task's live lease; a re-leased task is handed it. It is refused with
// ErrStaleEpoch otherwise, and with ErrCheckpointTooLarge past
// Options.MaxCheckpointBytes.
func (c *Coordinator) UploadCheckpoint(ctx context.Context, ref *critsweepv1.TaskRef, epoch uint64, cp *critsweepv1.Checkpoint) (*critsweepv1.UploadCheckpointResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	if err := checkRef(ref, epoch); err != nil {
		return nil, err
	}
	if cp == nil {
		return nil, fmt.Errorf("%w: checkpoint is missing", ErrInvalidRequest)
	}
	size := proto.Size(cp)
	if size > c.opts.MaxCheckpointBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrCheckpointTooLarge, size, c.opts.MaxCheckpointBytes)
	}
	now := c.clock.Now()
	var slot string
	err := c.updateTask(ref, ownCommit, func(tx *store.Tx, t *critsweepv1.Task) error {
		if err := acceptCheckpoint(t, epoch, cp.GetStep(), now); err != nil {
			return refuse(err)
		}
		slot = t.GetWorker()
		if err := tx.PutCheckpoint(ref, cp); err != nil {
			return err
		}
		return tx.PutTask(t)
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.workers.seen(slot, 0, now)
	c.mu.Unlock()
	c.stats.checkpoint(size)
	return &critsweepv1.UploadCheckpointResponse{Bytes: uint64(size)}, nil
}

// checkLease returns nil when epoch is the task's live lease now, without changing
// anything: the server asks before it receives a large upload.
func (c *Coordinator) checkLease(ctx context.Context, ref *critsweepv1.TaskRef, epoch uint64) error {
	if err := c.checkOpen(ctx); err != nil {
		return err
	}
	if err := checkRef(ref, epoch); err != nil {
		return err
	}
	now := c.clock.Now()
	err := c.db.View(func(tx *store.Tx) error {
		t, err := tx.Task(ref)
		if err != nil {
			return err
		}
		return checkLive(t, epoch, now)
	})
	return storeErr(err)
}

// CompleteTask stores the result of the task leased under epoch and marks it done,
// deleting its checkpoint; the result is on disk before CompleteTask returns. Concurrent
// completions share commits (group commit). A repeat for the same (task, epoch) is
// acknowledged and keeps the first result; a stale epoch is refused with ErrStaleEpoch.
func (c *Coordinator) CompleteTask(ctx context.Context, req *critsweepv1.CompleteTaskRequest) (*critsweepv1.CompleteTaskResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	if err := checkRef(req.GetRef(), req.GetEpoch()); err != nil {
		return nil, err
	}
	if req.GetResult() == nil {
		return nil, fmt.Errorf("%w: result is missing", ErrInvalidRequest)
	}
	var repeat bool
	var slot string
	err := c.updateTask(req.GetRef(), sharedCommit, func(tx *store.Tx, t *critsweepv1.Task) error {
		var refused error
		slot = t.GetWorker()
		repeat, refused = complete(t, req.GetEpoch())
		if refused != nil || repeat {
			return refuse(refused)
		}
		if err := tx.PutResult(req.GetRef(), req.GetResult()); err != nil {
			return err
		}
		if err := tx.DeleteCheckpoint(req.GetRef()); err != nil {
			return err
		}
		return tx.PutTask(t)
	})
	if err != nil {
		return nil, err
	}
	if !repeat {
		k := keyOf(req.GetRef())
		now := c.clock.Now()
		c.mu.Lock()
		c.leases.remove(k, req.GetEpoch())
		c.workers.seen(slot, 0, now)
		c.workers.ended(k, req.GetEpoch(), endCompleted, now)
		c.feed.workerSet()
		r := c.rates[k.sweep]
		if r == nil {
			r = &completionRate{}
			c.rates[k.sweep] = r
		}
		r.add(now)
		c.notifyLocked(k.sweep)
		c.mu.Unlock()
		c.stats.completed()
	}
	return &critsweepv1.CompleteTaskResponse{}, nil
}

// FailTask ends the lease under epoch. With release (the worker is shutting down) the
// task goes back to pending and no failure is counted; otherwise the reason is kept and
// the task goes back to pending, or to failed when it has used its attempts. Ending a
// lease that has already ended is acknowledged; a stale epoch is refused.
func (c *Coordinator) FailTask(ctx context.Context, req *critsweepv1.FailTaskRequest) (*critsweepv1.FailTaskResponse, error) {
	if err := c.checkOpen(ctx); err != nil {
		return nil, err
	}
	if err := checkRef(req.GetRef(), req.GetEpoch()); err != nil {
		return nil, err
	}
	p := c.policyOf(req.GetRef().GetSweepId())
	var task *critsweepv1.Task
	var slot string
	err := c.updateTask(req.GetRef(), sharedCommit, func(tx *store.Tx, t *critsweepv1.Task) error {
		task, slot = nil, t.GetWorker()
		ended, err := fail(t, req.GetEpoch(), req.GetReason(), req.GetRelease(), p)
		if err != nil || ended {
			return refuse(err)
		}
		task = t
		return tx.PutTask(t)
	})
	if err != nil {
		return nil, err
	}
	if task != nil {
		k := keyOf(task.GetRef())
		c.mu.Lock()
		c.leases.remove(k, task.GetEpoch())
		if task.GetState() == pending {
			c.queue.push(k)
		}
		how := endFailed
		if req.GetRelease() {
			how = endReleased
		}
		now := c.clock.Now()
		c.workers.seen(slot, 0, now)
		c.workers.ended(k, task.GetEpoch(), how, now)
		c.feed.workerSet()
		c.notifyLocked(k.sweep)
		c.mu.Unlock()
		c.stats.ended(req.GetRelease())
		if task.GetState() == failed {
			c.log.Warn("task failed", "task", refString(task.GetRef()), "failures", task.GetFailures())
		}
	}
	return &critsweepv1.FailTaskResponse{}, nil
}

// How updateTask commits its transaction.
const (
	// sharedCommit shares the commit with concurrent calls (store.Batch: group commit).
	sharedCommit = true
	// ownCommit commits alone (store.Update): for large writes such as checkpoints.
	ownCommit = false
)

// updateTask is how a worker call changes a task: in one write transaction it reads the
// task that ref names and lets apply make the lease transition on it and write what it
// changed. A refusal — a missing task, or apply's refuse(err): a stale epoch, a cancelled
// sweep — is the call's answer but not the transaction's failure, so that a refused call
// does not roll back the others sharing its commit; any other error from apply aborts the
// transaction. apply may run more than once (see store.DB.Batch) and must set whatever it
// records on each run. The error returned is translated by storeErr.
func (c *Coordinator) updateTask(ref *critsweepv1.TaskRef, shared bool, apply func(tx *store.Tx, t *critsweepv1.Task) error) error {
	var refused error
	fn := func(tx *store.Tx) error {
		refused = nil
		t, err := tx.Task(ref)
		if errors.Is(err, store.ErrTaskNotFound) || errors.Is(err, store.ErrInvalidID) {
			refused = err
			return nil
		}
		if err != nil {
			return err
		}
		err = apply(tx, t)
		var r refusal
		if errors.As(err, &r) {
			refused = r.err
			return nil
		}
		return err
	}
	var err error
	if shared {
		err = c.db.Batch(fn)
	} else {
		err = c.db.Update(fn)
	}
	if err == nil {
		err = refused
	}
	return storeErr(err)
}

// refusal is an error that apply (of updateTask) returns to refuse the call without
// aborting the transaction.
type refusal struct{ err error }

func (r refusal) Error() string {
	if r.err == nil {
		return "no change"
	}
	return r.err.Error()
}

// refuse wraps err as a refusal; a nil err means the call is answered without a change
// (a repeat, a cancelled task's heartbeat) and refuse returns a refusal of nil.
func refuse(err error) error { return refusal{err} }

// checkRef validates the task and epoch a worker call names.
func checkRef(ref *critsweepv1.TaskRef, epoch uint64) error {
	switch {
	case ref == nil:
		return fmt.Errorf("%w: ref is missing", ErrInvalidRequest)
	case ref.GetSweepId() == "":
		return fmt.Errorf("%w: ref.sweep_id is empty", ErrInvalidRequest)
	case epoch == 0:
		return fmt.Errorf("%w: epoch is 0; name the epoch LeaseTask returned", ErrInvalidRequest)
	}
	return nil
}
