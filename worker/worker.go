package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/critsweep/critsweep/coordinator"
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// Defaults used when a field of Options is zero.
const (
	DefaultSlots              = 1
	DefaultHeartbeatInterval  = 5 * time.Second
	DefaultCheckpointEvery    = 5000
	DefaultCheckpointInterval = time.Minute
	DefaultShutdownTimeout    = 10 * time.Second
	DefaultMaxBackoff         = 5 * time.Second
)

// Options tunes a Worker. A nil *Options means every field at its zero value, which
// selects the documented default.
type Options struct {
	// Name identifies the worker to the coordinator; slot i leases as "Name/i". Empty
	// means "HOSTNAME:PID".
	Name string

	// Slots is the number of tasks trained at once, each in its own goroutine. Zero means
	// DefaultSlots (1).
	Slots int

	// HeartbeatInterval is the time between two heartbeats of a task; each carries the
	// task's progress and extends its lease. It is capped at a third of the lease's
	// duration as the coordinator granted it, so a coordinator with short leases is still
	// kept informed. A cancelled task stops within one interval. Zero means
	// DefaultHeartbeatInterval (5 s).
	HeartbeatInterval time.Duration

	// CheckpointEvery uploads a checkpoint every that many training steps. Zero means
	// DefaultCheckpointEvery (5000); a negative value takes no checkpoints by steps.
	CheckpointEvery int

	// CheckpointInterval uploads a checkpoint when that much time has passed since the
	// last (whichever of CheckpointEvery and CheckpointInterval comes first). Zero means
	// DefaultCheckpointInterval (1 min); a negative value takes none by time.
	CheckpointInterval time.Duration

	// EstimateSamples is the number of samples behind each task's final estimates (see
	// train.Config.EstimateSamples). Zero means the train package's default. Every worker
	// of a sweep must use the same value for the sweep's results to be reproducible.
	EstimateSamples int

	// EstimateDraws is the number of row proposals behind each task's ln λ estimate when
	// the task's spec does not say (see train.Config.EstimateDraws). Zero means the train
	// package's default, which depends on L. Every worker of a sweep must agree, as for
	// EstimateSamples.
	EstimateDraws int

	// Threads is the number of goroutines each slot's task may use; zero means
	// GOMAXPROCS/Slots, at least one. A task's result does not depend on it.
	Threads int

	// ShutdownTimeout bounds what a slot does once Run's context is done: its last
	// checkpoint and giving its lease back. Zero means DefaultShutdownTimeout (10 s).
	ShutdownTimeout time.Duration

	// MaxBackoff is the longest wait between two attempts of a call that failed because
	// the coordinator could not be reached (the waits grow from 100 ms, with jitter).
	// Zero means DefaultMaxBackoff (5 s).
	MaxBackoff time.Duration

	// Logger receives the worker's events: leases, resumes, checkpoints, completions,
	// failures and errors talking to the coordinator. Nil means slog.Default().
	Logger *slog.Logger

	// Metrics is where Run registers the worker's Prometheus series (the Metric… names:
	// steps/s per slot, training steps, busy slots, tasks completed and failed,
	// checkpoints) while it runs. Nil means no metrics.
	Metrics prometheus.Registerer
}

// Worker leases tasks from a coordinator and trains them, Options.Slots at a time. See
// the package documentation.
type Worker struct {
	api  coordinator.Leases
	opts Options
	log  *slog.Logger
}

// New returns a Worker that leases from api: an in-process *coordinator.Coordinator or a
// *coordinator.Client alike. It does nothing until Run.
func New(api coordinator.Leases, o *Options) *Worker {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Name == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "worker"
		}
		opts.Name = host + ":" + strconv.Itoa(os.Getpid())
	}
	if opts.Slots <= 0 {
		opts.Slots = DefaultSlots
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if opts.CheckpointEvery == 0 {
		opts.CheckpointEvery = DefaultCheckpointEvery
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = DefaultCheckpointInterval
	}
	if opts.EstimateSamples < 0 {
		opts.EstimateSamples = 0
	}
	if opts.EstimateDraws < 0 {
		opts.EstimateDraws = 0
	}
	if opts.Threads <= 0 {
		opts.Threads = max(1, runtime.GOMAXPROCS(0)/opts.Slots)
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Worker{api: api, opts: opts, log: opts.Logger.With("worker", opts.Name)}
}

// Name returns the name the worker leases under (its slots add "/i").
func (w *Worker) Name() string { return w.opts.Name }

// Run leases and trains tasks until ctx is done, then each slot checkpoints its task,
// gives the lease back and Run returns nil. It returns early with an error only when the
// coordinator refuses the worker for good (a missing or wrong token, a read-only
// coordinator); the other slots then shut down as for ctx. Errors reaching the
// coordinator are retried with back-off, so a worker outlives a coordinator restart.
// With Options.Metrics, Run registers the worker's series first (failing at once if the
// registry holds them already) and unregisters them when it returns.
func (w *Worker) Run(ctx context.Context) error {
	stats, err := registerMetrics(w.opts.Metrics, w.opts.Slots)
	if err != nil {
		return err
	}
	defer stats.unregister()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.log.Info("worker started", "slots", w.opts.Slots, "threads_per_slot", w.opts.Threads)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		fatalErr error
	)
	for i := range w.opts.Slots {
		s := &slot{w: w, name: fmt.Sprintf("%s/%d", w.opts.Name, i), stats: stats, rate: stats.slotRate(i)}
		s.log = w.log.With("slot", i)
		wg.Go(func() {
			if err := s.run(ctx); err != nil {
				once.Do(func() { fatalErr = err })
				cancel()
			}
		})
	}
	wg.Wait()
	if fatalErr != nil {
		w.log.Error("worker stopped", "err", fatalErr)
		return fatalErr
	}
	w.log.Info("worker stopped")
	return nil
}

// slot is one of a worker's training loops.
type slot struct {
	w     *Worker
	name  string
	log   *slog.Logger
	stats *metrics         // nil: no metrics
	rate  prometheus.Gauge // the slot's steps/s; nil: no metrics
}

// run leases tasks and trains them until ctx is done (nil) or the coordinator refuses
// the worker for good (the error).
func (s *slot) run(ctx context.Context) error {
	var b backoff
	for ctx.Err() == nil {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		lease, err := s.w.api.LeaseTask(callCtx, &critsweepv1.LeaseTaskRequest{Worker: s.name, Slots: uint32(s.w.opts.Slots)})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if refusedForGood(err) {
				return fmt.Errorf("coordinator refused the worker: %w", err)
			}
			d := b.next(s.w.opts.MaxBackoff)
			s.log.Warn("lease task failed; retrying", "err", err, "retry_in", d.Round(time.Millisecond))
			sleep(ctx, d)
			continue
		}
		b.reset()
		if !lease.GetLeased() {
			wait := lease.GetRetryAfter().AsDuration()
			if wait <= 0 {
				wait = coordinator.DefaultRetryAfter
			}
			sleep(ctx, jitter(wait))
			continue
		}
		s.runTask(ctx, lease)
	}
	return nil
}

// callTimeout bounds one call to the coordinator.
const callTimeout = 30 * time.Second

// refusedForGood reports whether err means the coordinator will never serve this worker:
// retrying cannot help.
func refusedForGood(err error) bool {
	if errors.Is(err, coordinator.ErrReadOnly) {
		return true
	}
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied, codes.Unimplemented:
		return true
	}
	return false
}

// permanent reports whether a worker call failed for a reason that retrying cannot
// change: the lease is gone, the request is wrong, the worker is refused.
func permanent(err error) bool {
	for _, sentinel := range []error{
		coordinator.ErrStaleEpoch, coordinator.ErrSweepCancelled, coordinator.ErrTaskNotFound,
		coordinator.ErrSweepNotFound, coordinator.ErrInvalidRequest, coordinator.ErrInvalidSpec,
		coordinator.ErrCheckpointTooLarge, coordinator.ErrReadOnly,
	} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	switch status.Code(err) {
	case codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition, codes.Unauthenticated,
		codes.PermissionDenied, codes.Unimplemented, codes.ResourceExhausted, codes.OutOfRange:
		return true
	}
	return false
}

// leaseLost reports whether err says the lease is no longer this worker's: it expired
// and was taken back, the sweep was cancelled, or the task is gone.
func leaseLost(err error) bool {
	return errors.Is(err, coordinator.ErrStaleEpoch) || errors.Is(err, coordinator.ErrSweepCancelled) ||
		errors.Is(err, coordinator.ErrTaskNotFound) || errors.Is(err, coordinator.ErrSweepNotFound)
}

// backoff is an exponential back-off with jitter, from 100 ms.
type backoff struct{ n int }

func (b *backoff) next(limit time.Duration) time.Duration {
	d := 100 * time.Millisecond << min(b.n, 16)
	b.n++
	return jitter(min(d, limit))
}

func (b *backoff) reset() { b.n = 0 }

// jitter returns a duration uniformly in [d/2, 3d/2), so that workers started together
// do not call together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// retry calls op until it succeeds, fails permanently, or ctx is done, backing off
// between attempts; it returns op's last error.
func retry(ctx context.Context, limit time.Duration, log *slog.Logger, what string, op func(context.Context) error) error {
	var b backoff
	for {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		err := op(callCtx)
		cancel()
		if err == nil || permanent(err) || ctx.Err() != nil {
			return err
		}
		d := b.next(limit)
		log.Warn(what+" failed; retrying", "err", err, "retry_in", d.Round(time.Millisecond))
		sleep(ctx, d)
	}
}
