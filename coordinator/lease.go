package coordinator

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// The lease state machine. Each transition is a pure function of a task record, the
// request and the time: it changes the record in place or returns why it refuses, and
// does no I/O. The Coordinator reads the record, applies a transition and writes the
// record back in one transaction, so the stored record is always the truth that decides.
//
//	pending ──lease──▶ leased ──complete──▶ done
//	   ▲                 │ ├──fail (attempts left) / release / expiry──▶ pending
//	   │                 │ └──fail / expiry (no attempts left)──▶ failed
//	   └─────────────────┘
//	pending, leased ──cancel──▶ cancelled
//
// A lease's epoch is the task's lease count: it grows by one with every lease, so
// (task, epoch) names one lease for ever, and a call naming an older epoch is stale.

const (
	pending   = critsweepv1.TaskState_TASK_STATE_PENDING
	leased    = critsweepv1.TaskState_TASK_STATE_LEASED
	done      = critsweepv1.TaskState_TASK_STATE_DONE
	failed    = critsweepv1.TaskState_TASK_STATE_FAILED
	cancelled = critsweepv1.TaskState_TASK_STATE_CANCELLED
)

// policy is what the transitions need beyond the record and the request.
type policy struct {
	leaseDuration time.Duration
	// maxAttempts is how many failed or expired leases fail the task for good.
	maxAttempts uint32
}

// errNotPending tells the leasing loop that its candidate was not pending after all.
var errNotPending = fmt.Errorf("task is not pending")

// grantLease leases a pending task to worker until now + the lease duration.
func grantLease(t *critsweepv1.Task, worker string, now time.Time, p policy) error {
	if t.GetState() != pending {
		return errNotPending
	}
	t.State = leased
	t.Attempts++
	t.Epoch++
	t.LeaseExpires = timestamppb.New(now.Add(p.leaseDuration))
	t.Worker = worker
	t.Progress = nil
	return nil
}

// heartbeat extends the live lease at epoch and records the progress. For a task
// cancelled under that lease it reports cancelled and changes nothing.
func heartbeat(t *critsweepv1.Task, epoch uint64, progress *critsweepv1.Progress, now time.Time, p policy) (isCancelled bool, err error) {
	if err := checkLive(t, epoch, now); err != nil {
		if t.GetState() == cancelled && t.GetEpoch() == epoch {
			return true, nil
		}
		return false, err
	}
	t.LeaseExpires = timestamppb.New(now.Add(p.leaseDuration))
	if progress != nil {
		t.Progress = progress
	}
	return false, nil
}

// acceptCheckpoint records that a checkpoint at step, uploaded under epoch, is now the
// task's latest. Only the live lease may replace it.
func acceptCheckpoint(t *critsweepv1.Task, epoch, step uint64, now time.Time) error {
	if err := checkLive(t, epoch, now); err != nil {
		return err
	}
	t.CheckpointStep = step
	return nil
}

// complete marks the task done under epoch. A repeat of a completion already committed
// under the same epoch reports repeat and changes nothing: the first result wins.
// A completion that arrives after the lease's expiry time but before the lease was taken
// back (nothing else holds the task) is still accepted.
func complete(t *critsweepv1.Task, epoch uint64) (repeat bool, err error) {
	switch {
	case t.GetEpoch() != epoch:
		return false, staleErr(t, epoch)
	case t.GetState() == done:
		return true, nil
	case t.GetState() == cancelled:
		return false, fmt.Errorf("task %s: %w", refString(t.GetRef()), ErrSweepCancelled)
	case t.GetState() != leased:
		return false, staleErr(t, epoch)
	}
	t.State = done
	t.LeaseExpires = nil
	t.CheckpointStep = 0
	return false, nil
}

// fail ends the lease at epoch. With release (a worker shutting down) the task goes back
// to pending and no failure is counted; otherwise the reason is kept and the task goes
// back to pending, or to failed when it has failed maxAttempts times. Ending a lease that
// has already ended (expired, cancelled) reports ended and changes nothing.
func fail(t *critsweepv1.Task, epoch uint64, reason string, release bool, p policy) (ended bool, err error) {
	if t.GetEpoch() != epoch {
		return false, staleErr(t, epoch)
	}
	switch t.GetState() {
	case leased:
	case pending, failed, cancelled:
		return true, nil
	default:
		return false, staleErr(t, epoch)
	}
	if release {
		toPending(t)
		return false, nil
	}
	if strings.TrimSpace(reason) == "" {
		reason = "failed without a reason"
	}
	recordFailure(t, reason, p)
	return false, nil
}

// expire takes back a lease whose time is up, counting it as a failed attempt. It
// reports whether it did.
func expire(t *critsweepv1.Task, now time.Time, p policy) bool {
	if t.GetState() != leased || now.Before(t.GetLeaseExpires().AsTime()) {
		return false
	}
	recordFailure(t, "lease expired at "+t.GetLeaseExpires().AsTime().UTC().Format(time.RFC3339Nano), p)
	return true
}

// cancel cancels a pending or leased task and reports whether it did. The epoch stays,
// so that the worker holding the lease learns of it from its next heartbeat; the
// checkpoint goes.
func cancel(t *critsweepv1.Task) bool {
	if t.GetState() != pending && t.GetState() != leased {
		return false
	}
	t.State = cancelled
	t.LeaseExpires = nil
	t.CheckpointStep = 0 // CancelSweep deletes the checkpoint
	return true
}

// recordFailure keeps the reason of the current lease's failure and sends the task back
// to pending, or to failed when its failures reach maxAttempts.
func recordFailure(t *critsweepv1.Task, reason string, p policy) {
	worker := t.GetWorker()
	if worker == "" {
		worker = "unnamed worker"
	}
	t.Failures = append(t.Failures, fmt.Sprintf("attempt %d (epoch %d, %s): %s", t.GetAttempts(), t.GetEpoch(), worker, reason))
	if uint32(len(t.Failures)) >= p.maxAttempts {
		t.State = failed
		t.LeaseExpires = nil
		return
	}
	toPending(t)
}

func toPending(t *critsweepv1.Task) {
	t.State = pending
	t.LeaseExpires = nil
	t.Worker = ""
}

// checkLive returns nil when epoch is the task's live lease at now, and otherwise an
// ErrStaleEpoch (or ErrSweepCancelled) that says why not.
func checkLive(t *critsweepv1.Task, epoch uint64, now time.Time) error {
	switch {
	case t.GetEpoch() != epoch:
		return staleErr(t, epoch)
	case t.GetState() == cancelled:
		return fmt.Errorf("task %s: %w", refString(t.GetRef()), ErrSweepCancelled)
	case t.GetState() != leased:
		return staleErr(t, epoch)
	case !now.Before(t.GetLeaseExpires().AsTime()):
		return fmt.Errorf("%w: lease %d of task %s expired at %s", ErrStaleEpoch, epoch, refString(t.GetRef()),
			t.GetLeaseExpires().AsTime().UTC().Format(time.RFC3339Nano))
	}
	return nil
}

func staleErr(t *critsweepv1.Task, epoch uint64) error {
	return fmt.Errorf("%w: call names epoch %d, task %s is at epoch %d (%s)", ErrStaleEpoch, epoch,
		refString(t.GetRef()), t.GetEpoch(), stateName(t.GetState()))
}

// stateName is the short lower-case name of a state: "pending", "leased", ….
func stateName(s critsweepv1.TaskState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "TASK_STATE_"))
}

func refString(r *critsweepv1.TaskRef) string {
	return fmt.Sprintf("%s/%d", r.GetSweepId(), r.GetIndex())
}
