package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec/task"
	"github.com/critsweep/critsweep/train"
)

// Why a task stopped before its result: the reasons a slot drops, releases or fails it.
var (
	// errDropped: the lease is no longer ours (cancelled sweep, stale epoch); nothing is
	// reported.
	errDropped = errors.New("task dropped")
	// errShutdown: the worker is stopping; the lease is given back.
	errShutdown = errors.New("worker shutting down")
)

// minHeartbeat is the shortest heartbeat interval, however short the lease.
const minHeartbeat = 50 * time.Millisecond

// runTask trains one leased task to its end: completed, failed, dropped, or released
// because ctx is done. It never panics: a panic in training fails the task.
func (s *slot) runTask(ctx context.Context, lease *critsweepv1.LeaseTaskResponse) {
	ref, epoch := lease.GetRef(), lease.GetEpoch()
	s.stats.leased(true)
	defer s.stats.leased(false)
	if s.rate != nil {
		defer s.rate.Set(0)
	}
	log := s.log.With("task", fmt.Sprintf("%s/%d", ref.GetSweepId(), ref.GetIndex()), "epoch", epoch)
	log.Info("task leased", "beta", lease.GetSpec().GetBeta(), "size", lease.GetSpec().GetSize(),
		"tau", lease.GetSpec().GetTau(), "boundary", lease.GetSpec().GetBoundary())

	interval := s.w.opts.HeartbeatInterval
	if exp := lease.GetExpires(); exp != nil {
		switch third := time.Until(exp.AsTime()) / 3; {
		case third <= 0:
			log.Warn("the lease expires before it was granted by this machine's clock: are the clocks set?", "expires", exp.AsTime())
		case third < interval:
			interval = max(third, minHeartbeat)
		}
	}
	taskCtx, stopTask := context.WithCancelCause(context.Background())
	defer stopTask(nil)
	hb := &heartbeater{api: s.w.api, ref: ref, epoch: epoch, interval: interval, log: log, stop: stopTask}
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		hb.run(taskCtx)
	}()
	defer func() {
		stopTask(nil)
		<-hbDone
	}()

	t := &taskRun{slot: s, lease: lease, log: log, hb: hb}
	result, err := t.trainSafely(ctx, taskCtx)
	// Reporting goes on for up to ShutdownTimeout after ctx is done.
	reportCtx, cancel := withGrace(ctx, s.w.opts.ShutdownTimeout)
	defer cancel()
	switch {
	case err == nil:
		err := retry(reportCtx, s.w.opts.MaxBackoff, log, "complete task", func(c context.Context) error {
			_, err := s.w.api.CompleteTask(c, &critsweepv1.CompleteTaskRequest{Ref: ref, Epoch: epoch, Result: result})
			return err
		})
		switch {
		case err == nil:
			s.stats.taskCompleted()
			log.Info("task done", "ln_lambda_per_site", result.GetLnLambdaPerSite().GetValue(),
				"stderr", result.GetLnLambdaPerSite().GetStderr(), "seconds", result.GetSeconds())
		case leaseLost(err):
			log.Warn("result refused: the lease was lost", "err", err)
		default:
			log.Error("result not reported; the task will be leased again when its lease expires", "err", err)
		}
	case errors.Is(err, errDropped):
		log.Info("task stopped", "reason", err)
	case errors.Is(err, errShutdown):
		_, err := s.w.api.FailTask(reportCtx, &critsweepv1.FailTaskRequest{Ref: ref, Epoch: epoch, Reason: "worker shutting down", Release: true})
		switch {
		case err == nil:
			log.Info("lease given back")
		case leaseLost(err):
			log.Info("lease already gone", "err", err)
		default:
			log.Warn("could not give the lease back; it will expire", "err", err)
		}
	default:
		s.stats.taskFailed()
		log.Error("task failed", "err", err)
		reason := err.Error()
		ferr := retry(reportCtx, s.w.opts.MaxBackoff, log, "fail task", func(c context.Context) error {
			_, err := s.w.api.FailTask(c, &critsweepv1.FailTaskRequest{Ref: ref, Epoch: epoch, Reason: reason})
			return err
		})
		if ferr != nil && !leaseLost(ferr) {
			log.Warn("could not report the failure; the lease will expire", "err", ferr)
		}
	}
}

// withGrace returns a context that is done grace after ctx is done.
func withGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return c, func() {
		stop()
		cancel()
	}
}

// taskRun is the training of one leased task.
type taskRun struct {
	slot  *slot
	lease *critsweepv1.LeaseTaskResponse
	log   *slog.Logger
	hb    *heartbeater
}

// trainSafely is train with any panic turned into an error, so that a bug in training
// fails one task, not the process.
func (t *taskRun) trainSafely(ctx, taskCtx context.Context) (result *critsweepv1.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("panic in training", "panic", p, "stack", string(debug.Stack()))
			result, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return t.train(ctx, taskCtx)
}

// train trains the task, resuming from the lease's checkpoint if it fits, with
// checkpoints along the way, and returns its result. It returns an error wrapping
// errDropped when taskCtx is cancelled (the heartbeat learnt that the lease is gone),
// errShutdown after a last checkpoint when ctx is done, or the reason the task failed.
func (t *taskRun) train(ctx, taskCtx context.Context) (*critsweepv1.Result, error) {
	start := time.Now()
	opts := &t.slot.w.opts
	spec := t.lease.GetSpec()
	taskOpts := &task.Options{EstimateSamples: opts.EstimateSamples, EstimateDraws: opts.EstimateDraws, Threads: opts.Threads}
	attempt, err := task.NewAttempt(spec, taskOpts)
	if err != nil {
		return nil, err
	}
	if cp := t.lease.GetCheckpoint(); cp != nil {
		if err := attempt.Restore(cp); err != nil {
			t.log.Warn("checkpoint does not fit; training from scratch", "checkpoint_step", cp.GetStep(), "err", err)
			if attempt, err = task.NewAttempt(spec, taskOpts); err != nil {
				return nil, err
			}
		} else {
			t.log.Info("resumed from checkpoint", "step", cp.GetStep(), "steps", attempt.Config().Steps)
		}
	}
	tr := attempt.Trainer()
	lastCheckpoint, lastCheckpointAt := tr.Step(), time.Now()
	lastPublish, lastPublishStep := time.Now(), tr.Step()
	// checkpoint uploads the trainer's state. A failed upload is logged and training goes
	// on; an error means the lease is gone.
	checkpoint := func(c context.Context) (uploaded bool, err error) {
		cp, err := tr.Checkpoint()
		if err != nil {
			return false, fmt.Errorf("checkpoint: %w", err)
		}
		lastCheckpoint, lastCheckpointAt = tr.Step(), time.Now()
		callCtx, cancel := context.WithTimeout(c, callTimeout)
		defer cancel()
		resp, err := t.slot.w.api.UploadCheckpoint(callCtx, t.lease.GetRef(), t.lease.GetEpoch(), cp)
		switch {
		case err == nil:
			t.slot.stats.checkpoint(resp.GetBytes())
			t.log.Debug("checkpoint uploaded", "step", cp.GetStep(), "bytes", resp.GetBytes())
			return true, nil
		case leaseLost(err):
			return false, fmt.Errorf("%w: checkpoint refused: %w", errDropped, err)
		default:
			t.log.Warn("checkpoint upload failed", "step", cp.GetStep(), "err", err)
			return false, nil
		}
	}

	for !tr.Done() {
		select {
		case <-taskCtx.Done():
			return nil, fmt.Errorf("%w: %w", errDropped, context.Cause(taskCtx))
		case <-ctx.Done():
			if attempt.MayCheckpoint() && tr.Step() > lastCheckpoint {
				shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownTimeout)
				uploaded, err := checkpoint(shutdownCtx)
				cancel()
				if err != nil {
					return nil, err
				}
				if uploaded {
					t.log.Info("checkpoint before shutdown", "step", tr.Step())
				}
			}
			return nil, errShutdown
		default:
		}
		if err := attempt.Step(); err != nil {
			return nil, err
		}
		t.slot.stats.step()
		now := time.Now()
		if now.Sub(lastPublish) >= t.hb.interval || tr.Done() {
			t.hb.publish(tr.Progress(), now.Sub(start))
			if dt := now.Sub(lastPublish).Seconds(); t.slot.rate != nil && dt > 0 {
				t.slot.rate.Set(float64(tr.Step()-lastPublishStep) / dt)
			}
			lastPublish, lastPublishStep = now, tr.Step()
		}
		if attempt.MayCheckpoint() && tr.Step() > lastCheckpoint &&
			(opts.CheckpointEvery > 0 && tr.Step()-lastCheckpoint >= opts.CheckpointEvery ||
				opts.CheckpointInterval > 0 && now.Sub(lastCheckpointAt) >= opts.CheckpointInterval) {
			if _, err := checkpoint(taskCtx); err != nil {
				return nil, err
			}
		}
	}
	// The estimate takes a while and cannot be interrupted; the heartbeats go on.
	result, err := attempt.Result()
	if err != nil {
		return nil, err
	}
	if err := context.Cause(taskCtx); err != nil {
		return nil, fmt.Errorf("%w: %w", errDropped, err)
	}
	return result, nil
}

// Reasons the heartbeat stops a task.
var (
	errCancelled = errors.New("sweep cancelled")
	errLeaseLost = errors.New("lease lost")
)

// heartbeater extends a task's lease every interval, carrying the latest progress, and
// stops the task when the coordinator says it was cancelled or the lease is gone.
type heartbeater struct {
	api      coordinator.Leases
	ref      *critsweepv1.TaskRef
	epoch    uint64
	interval time.Duration
	log      *slog.Logger
	stop     context.CancelCauseFunc

	mu       sync.Mutex
	progress *critsweepv1.Progress
}

// publish sets the progress the next heartbeat carries.
func (h *heartbeater) publish(p train.Progress, elapsed time.Duration) {
	pr := &critsweepv1.Progress{
		Step:            uint64(p.Step),
		TotalSteps:      uint64(p.Steps),
		Loss:            p.Loss,
		LnLambdaPerSite: p.LnLambdaPerSite,
		Seconds:         elapsed.Seconds(),
	}
	h.mu.Lock()
	h.progress = pr
	h.mu.Unlock()
}

// run sends heartbeats until ctx is done or the task is stopped.
func (h *heartbeater) run(ctx context.Context) {
	tick := time.NewTicker(h.interval)
	defer tick.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		h.mu.Lock()
		progress := h.progress
		h.mu.Unlock()
		callCtx, cancel := context.WithTimeout(ctx, max(h.interval, time.Second))
		resp, err := h.api.Heartbeat(callCtx, &critsweepv1.HeartbeatRequest{Ref: h.ref, Epoch: h.epoch, Progress: progress})
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && resp.GetCancelled():
			h.log.Info("sweep cancelled: stopping the task")
			h.stop(errCancelled)
			return
		case err == nil:
			if failures > 0 {
				h.log.Info("heartbeats go through again", "after_failures", failures)
			}
			failures = 0
		case errors.Is(err, context.Canceled):
			return
		case leaseLost(err):
			h.log.Warn("lease lost: stopping the task", "err", err)
			h.stop(fmt.Errorf("%w: %w", errLeaseLost, err))
			return
		default:
			failures++
			if failures == 1 || failures%10 == 0 {
				h.log.Warn("heartbeat failed; training goes on", "err", err, "failures", failures)
			}
		}
	}
}
