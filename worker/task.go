package worker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

// ErrInvalidTask is returned (wrapped, with the field and the reason) when a task spec
// cannot be trained: an unknown model kind, a q or bond weight out of range, a setting
// the trainer does not support. A worker fails such a task with that reason rather than
// retrying it.
var ErrInvalidTask = errors.New("invalid task")

// FinalLossWindow is the most steps that Result.final_loss averages over: the loss of
// the last min(FinalLossWindow, ⌈steps/10⌉) steps. Checkpoints are never taken inside that
// window, so that a task resumed from a checkpoint averages the same losses as one run
// straight.
const FinalLossWindow = 500

// finalLossWindow is the number of final steps whose losses Result.final_loss averages.
func finalLossWindow(steps int) int {
	return max(1, min(FinalLossWindow, (steps+9)/10))
}

// TaskConfig turns a task spec into the system to train and the trainer's Config:
//
//   - model: ising (q absent or 2), potts and clock (q), custom (bond_weight, a q×q
//     matrix W₁). A custom bond weight is the weight at β = 1: the task at β trains
//     W(a,b) = W₁(a,b)^β, so that a β axis means for custom what it means for the others
//     and β = 1 is the matrix as written;
//   - size L and boundary ("periodic" when empty, or "twisted");
//   - network: hidden sizes (empty: the trainer's default); nonlinearity (empty: relu)
//     (the trainer has no other);
//   - training: objective, steps (≥ 1), batch, learning_rate and seed; zero values take
//     the train package's defaults. τ is passed only to objectives that use it
//     (train.UsesTau).
//
// estimateSamples sets Config.EstimateSamples (0: the trainer's default); every worker
// of a sweep must use the same value for its results to be reproducible. Errors wrap
// ErrInvalidTask and name the field.
func TaskConfig(spec *critsweepv1.TaskSpec, estimateSamples int) (*statmech.System, train.Config, error) {
	if spec == nil {
		return nil, train.Config{}, fmt.Errorf("%w: spec is missing", ErrInvalidTask)
	}
	w, err := bondWeight(spec.GetModel(), spec.GetBeta())
	if err != nil {
		return nil, train.Config{}, err
	}
	boundary := statmech.Periodic
	if b := spec.GetBoundary(); b != "" {
		if boundary, err = statmech.ParseBoundary(b); err != nil {
			return nil, train.Config{}, invalid("boundary", err)
		}
	}
	size := spec.GetSize()
	if size < 2 || size > statmech.MaxSize {
		return nil, train.Config{}, fmt.Errorf("%w: size must be in [2, %d], got %d", ErrInvalidTask, statmech.MaxSize, size)
	}
	sys, err := statmech.NewSystem(w, int(size), boundary)
	if err != nil {
		return nil, train.Config{}, invalid("size", err)
	}

	net := spec.GetNetwork()

	var hidden []int
	for _, h := range net.GetHidden() {
		hidden = append(hidden, int(h))
	}
	ts := spec.GetTraining()
	if estimateSamples < 0 {
		return nil, train.Config{}, fmt.Errorf("%w: estimate samples must be ≥ 0, got %d", ErrInvalidTask, estimateSamples)
	}
	if n := ts.GetEstimateSamples(); n > 0 {
		estimateSamples = int(n) // the spec's value wins: results must not depend on the worker
	}
	cfg := train.Config{
		Objective:       ts.GetObjective(),
		Nonlinearity:    net.GetNonlinearity(),
		Hidden:          hidden,
		Steps:           int(ts.GetSteps()),
		Batch:           int(ts.GetBatch()),
		LearningRate:    ts.GetLearningRate(),
		Seed:            ts.GetSeed(),
		EstimateSamples: estimateSamples,
		EstimateDraws:   int(ts.GetEstimateDraws()),
	}
	if cfg.Objective == "" {
		cfg.Objective = train.ObjectiveDefault
	}
	if train.UsesTau(cfg.Objective) {
		cfg.Tau = spec.GetTau()
	}
	cfg = cfg.Defaults(sys.Size(), sys.Q())
	if err := cfg.Validate(); err != nil {
		if errors.Is(err, train.ErrNonlinearity) {
			return nil, train.Config{}, invalid("network.nonlinearity", err)
		}
		return nil, train.Config{}, invalid("training", err)
	}
	return sys, cfg, nil
}

// bondWeight builds the bond weight of a model at β.
func bondWeight(m *critsweepv1.ModelSpec, beta float64) (statmech.BondWeight, error) {
	if m == nil {
		return statmech.BondWeight{}, fmt.Errorf("%w: model is missing", ErrInvalidTask)
	}
	kind := m.GetKind()
	if kind != "custom" && m.GetBondWeight() != nil {
		return statmech.BondWeight{}, fmt.Errorf("%w: model.bond_weight is only for kind custom, not %q", ErrInvalidTask, kind)
	}
	var (
		w   statmech.BondWeight
		err error
	)
	switch kind {
	case "ising":
		if q := m.GetQ(); q != 0 && q != 2 {
			return statmech.BondWeight{}, fmt.Errorf("%w: model.q must be 2 or absent for ising, got %d", ErrInvalidTask, q)
		}
		w, err = statmech.Ising(beta)
	case "potts":
		w, err = statmech.Potts(int(m.GetQ()), beta)
	case "clock":
		w, err = statmech.Clock(int(m.GetQ()), beta)
	case "custom":
		return customWeight(m, beta)
	default:
		return statmech.BondWeight{}, fmt.Errorf("%w: model.kind must be ising, potts, clock or custom, got %q", ErrInvalidTask, kind)
	}
	if err != nil {
		return statmech.BondWeight{}, invalid("model", err)
	}
	return w, nil
}

// customWeight builds W₁^β from a custom model's bond weight W₁.
func customWeight(m *critsweepv1.ModelSpec, beta float64) (statmech.BondWeight, error) {
	bw := m.GetBondWeight()
	if bw == nil {
		return statmech.BondWeight{}, fmt.Errorf("%w: model.bond_weight is required for custom", ErrInvalidTask)
	}
	if !(beta > 0) || math.IsInf(beta, 0) {
		return statmech.BondWeight{}, fmt.Errorf("%w: beta must be finite and > 0, got %v", ErrInvalidTask, beta)
	}
	q := int(bw.GetQ())
	if mq := int(m.GetQ()); mq != 0 && mq != q {
		return statmech.BondWeight{}, fmt.Errorf("%w: model.q is %d but model.bond_weight is %d×%d", ErrInvalidTask, mq, q, q)
	}
	values := bw.GetValues()
	if q < 2 || len(values) != q*q {
		return statmech.BondWeight{}, fmt.Errorf("%w: model.bond_weight must hold q×q values with q ≥ 2, got q = %d and %d values", ErrInvalidTask, q, len(values))
	}
	rows := make([][]float64, q)
	for a := range rows {
		rows[a] = make([]float64, q)
		for b := range rows[a] {
			v := values[a*q+b]
			if beta != 1 {
				v = math.Pow(v, beta)
			}
			rows[a][b] = v
		}
	}
	w, err := statmech.Custom(rows)
	if err != nil {
		return statmech.BondWeight{}, invalid("model.bond_weight", err)
	}
	return w, nil
}

func invalid(field string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrInvalidTask, field, err)
}

// session is one attempt at training a task: the trainer and the running sum of the
// losses that Result.final_loss averages.
type session struct {
	sys         *statmech.System
	cfg         train.Config
	tr          *train.Trainer
	windowStart int // steps after it count towards final_loss
	lossSum     float64
	lossN       int
}

// newSession builds a fresh trainer for a task.
func newSession(spec *critsweepv1.TaskSpec, estimateSamples int) (*session, error) {
	sys, cfg, err := TaskConfig(spec, estimateSamples)
	if err != nil {
		return nil, err
	}
	tr, err := train.New(sys, cfg)
	if err != nil {
		return nil, invalid("training", err)
	}
	cfg = tr.Config()
	return &session{sys: sys, cfg: cfg, tr: tr, windowStart: cfg.Steps - finalLossWindow(cfg.Steps)}, nil
}

// restore continues from a checkpoint. A checkpoint inside the final-loss window could
// not reproduce final_loss, so it is refused like one that does not fit.
func (s *session) restore(cp *critsweepv1.Checkpoint) error {
	if cp.GetStep() > uint64(s.windowStart) {
		return fmt.Errorf("%w: checkpoint at step %d is inside the final-loss window (after step %d)", train.ErrCheckpoint, cp.GetStep(), s.windowStart)
	}
	return s.tr.Restore(cp)
}

// step does one optimiser step.
func (s *session) step() error {
	loss, err := s.tr.TrainStep()
	if err != nil {
		return err
	}
	if s.tr.Step() > s.windowStart {
		s.lossSum += loss
		s.lossN++
	}
	return nil
}

// mayCheckpoint reports whether a checkpoint now would resume to the same result: not
// inside the final-loss window.
func (s *session) mayCheckpoint() bool { return s.tr.Step() <= s.windowStart }

// result estimates ln λ and the observables, compares with the exact solution where
// q^L ≤ train.ExactStateLimit, and returns the Result a worker reports.
func (s *session) result(start time.Time) (*critsweepv1.Result, error) {
	est, err := s.tr.Estimate(0)
	if err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	var exact *train.ExactComparison
	if n, err := s.sys.NumStates(); err == nil && n <= train.ExactStateLimit {
		if exact, err = s.tr.CompareExact(); err != nil {
			return nil, fmt.Errorf("exact comparison: %w", err)
		}
	}
	finalLoss := math.NaN()
	if s.lossN > 0 {
		finalLoss = s.lossSum / float64(s.lossN)
	}
	return est.Proto(s.cfg.Objective, s.tr.Step(), time.Since(start).Seconds(), finalLoss, exact), nil
}

// Train trains a task from scratch in this process, without a coordinator, and returns
// the Result a worker would report for it. Apart from seconds, the result is the same,
// bit for bit, as a worker's for the same spec and estimateSamples, whether or not that
// worker's run was interrupted and resumed from checkpoints. It returns ctx's error if
// ctx is done first.
func Train(ctx context.Context, spec *critsweepv1.TaskSpec, estimateSamples int) (*critsweepv1.Result, error) {
	start := time.Now()
	s, err := newSession(spec, estimateSamples)
	if err != nil {
		return nil, err
	}
	for !s.tr.Done() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.step(); err != nil {
			return nil, err
		}
	}
	return s.result(start)
}
