package task

import (
	"context"
	"fmt"
	"math"
	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

// FinalLossWindow is the most steps that Result.final_loss averages over: the loss of
// the last min(FinalLossWindow, ⌈steps/10⌉) steps. Checkpoints are never taken inside that
// window, so that a task resumed from a checkpoint averages the same losses as one run
// straight.
const FinalLossWindow = 500

// finalLossWindow is the number of final steps whose losses Result.final_loss averages.
func finalLossWindow(steps int) int {
	return max(1, min(FinalLossWindow, (steps+9)/10))
}

// Attempt is one attempt at training a task — the proto's attempt, one lease of a worker,
// or one `critsweep train` — from its spec to its Result: train (Step, resuming from a
// checkpoint with Restore), then estimate, compare with the exact solution where it can
// be enumerated, and map to the Result message (Result). It is not safe for concurrent
// use.
type Attempt struct {
	sys         *statmech.System
	cfg         train.Config
	tr          *train.Trainer
	start       time.Time
	windowStart int // steps after it count towards final_loss
	lossSum     float64
	lossN       int
}

// NewAttempt resolves a task spec (Resolve) and builds a fresh trainer for it. Errors
// wrap ErrInvalid.
func NewAttempt(ts *critsweepv1.TaskSpec, o *Options) (*Attempt, error) {
	start := time.Now()
	sys, cfg, err := Resolve(ts, o)
	if err != nil {
		return nil, err
	}
	tr, err := train.New(sys, cfg)
	if err != nil {
		return nil, invalidField("training", err)
	}
	cfg = tr.Config()
	return &Attempt{sys: sys, cfg: cfg, tr: tr, start: start, windowStart: cfg.Steps - finalLossWindow(cfg.Steps)}, nil
}

// System is the system the attempt trains on.
func (a *Attempt) System() *statmech.System { return a.sys }

// Config is the trainer's configuration, defaults resolved.
func (a *Attempt) Config() train.Config { return a.cfg }

// Trainer is the trainer: for its step, progress and checkpoints.
func (a *Attempt) Trainer() *train.Trainer { return a.tr }

// Done reports whether every configured step is done.
func (a *Attempt) Done() bool { return a.tr.Done() }

// Restore continues from a checkpoint. A checkpoint inside the final-loss window could
// not reproduce final_loss, so it is refused like one that does not fit (an error
// wrapping train.ErrCheckpoint); the attempt is then unchanged.
func (a *Attempt) Restore(cp *critsweepv1.Checkpoint) error {
	if cp.GetStep() > uint64(a.windowStart) {
		return fmt.Errorf("%w: checkpoint at step %d is inside the final-loss window (after step %d)", train.ErrCheckpoint, cp.GetStep(), a.windowStart)
	}
	return a.tr.Restore(cp)
}

// Step does one optimiser step.
func (a *Attempt) Step() error {
	loss, err := a.tr.TrainStep()
	if err != nil {
		return err
	}
	if a.tr.Step() > a.windowStart {
		a.lossSum += loss
		a.lossN++
	}
	return nil
}

// MayCheckpoint reports whether a checkpoint now would resume to the same result: not
// inside the final-loss window.
func (a *Attempt) MayCheckpoint() bool { return a.tr.Step() <= a.windowStart }

// Run trains to the last step and returns the Result. If report is not nil it gets the
// trainer's progress every reportEvery steps and at the end. It returns ctx's error if
// ctx is done first.
func (a *Attempt) Run(ctx context.Context, reportEvery int, report func(train.Progress)) (*critsweepv1.Result, error) {
	for !a.Done() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := a.Step(); err != nil {
			return nil, err
		}
		if report != nil && reportEvery > 0 && a.tr.Step()%reportEvery == 0 && !a.Done() {
			report(a.tr.Progress())
		}
	}
	if report != nil {
		report(a.tr.Progress())
	}
	return a.Result()
}

// Result estimates ln λ and the observables (train.Trainer.Estimate), compares the model
// with the exact solution where q^L ≤ train.ExactStateLimit (train.Trainer.CompareExact),
// and returns the Result message a worker reports and `critsweep train` prints. Its
// seconds is the wall time since NewAttempt.
func (a *Attempt) Result() (*critsweepv1.Result, error) {
	est, err := a.tr.Estimate(0)
	if err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	var exact *train.ExactComparison
	if n, err := a.sys.NumStates(); err == nil && n <= train.ExactStateLimit {
		if exact, err = a.tr.CompareExact(); err != nil {
			return nil, fmt.Errorf("exact comparison: %w", err)
		}
	}
	finalLoss := math.NaN()
	if a.lossN > 0 {
		finalLoss = a.lossSum / float64(a.lossN)
	}
	return resultProto(est, a.cfg.Objective, a.tr.Step(), time.Since(a.start).Seconds(), finalLoss, exact), nil
}

// Train trains a task from scratch in this process and returns its Result. Apart from
// seconds, the result is the same, bit for bit, as a worker's for the same spec and
// Options, whether or not that worker's run was interrupted and resumed from
// checkpoints. It returns ctx's error if ctx is done first.
func Train(ctx context.Context, ts *critsweepv1.TaskSpec, o *Options) (*critsweepv1.Result, error) {
	a, err := NewAttempt(ts, o)
	if err != nil {
		return nil, err
	}
	return a.Run(ctx, 0, nil)
}
