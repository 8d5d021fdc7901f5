package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/critsweep/critsweep/model"
	"github.com/critsweep/critsweep/statmech"
)

// Streams of the run's seed: training draws from one PCG stream, the final estimates from
// another, so that the estimates do not depend on how training was split into pieces.
const (
	streamTrain    = 0x637269747377 // "critsw"
	streamEstimate = 0x657374696d61 // "estima"
)

// Progress is what a Trainer reports while it trains.
type Progress struct {
	// Step is the number of optimiser steps done, of Steps.
	Step, Steps int
	// Loss is the objective per row, averaged over the steps since the last report.
	Loss float64
	// LnLambdaPerSite is a cheap running estimate of ln λ / L (first order in the model's
	// error; Estimate gives the accurate one), averaged like Loss.
	LnLambdaPerSite float64
	// Elapsed is the training time so far in this process.
	Elapsed time.Duration
}

// Trainer fits a model to the Perron vector of one system. It is not safe for concurrent
// use.
type Trainer struct {
	sys  *statmech.System
	cfg  Config
	net  *model.Model
	adam *model.Adam
	src  *rand.PCG
	rng  *rand.Rand
	step int
	obj  objective

	// Running sums for Progress since the last report.
	sumLoss, sumLnLambda float64
	nSum                 int
	elapsed              time.Duration
}

// objective computes one step's gradient into the model's gradient buffer.
type objective interface {
	// gradient samples a batch and adds the gradient of the loss to net.Grad(). It returns
	// the loss per row and a first-order estimate of ln λ from the batch.
	gradient(t *Trainer) (loss, lnLambda float64)
	// symmetry is the group the model is averaged over (trivial when none).
	symmetry() symmetry
	// state is the running statistics the objective keeps across steps (nil: none), and
	// restore sets them back from a checkpoint.
	state() []float64
	restore([]float64) error
}

// New returns a Trainer for sys with cfg (zero fields take their defaults), its network
// initialised from cfg.Seed.
func New(sys *statmech.System, cfg Config) (*Trainer, error) {
	q := sys.Q()
	cfg = cfg.Defaults(sys.Size(), q)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	features := append(append([]int{q}, cfg.Hidden...), q)
	t := &Trainer{sys: sys, cfg: cfg, src: rand.NewPCG(cfg.Seed, streamTrain)}
	t.rng = rand.New(t.src)
	act, _ := nonlinearity(cfg.Nonlinearity) // checked by Validate
	opts := &model.Options{Rand: t.rng, Nonlinearity: act}
	if cfg.Objective == ObjectiveGumbelRKL {
		// The seed's network: no biases, PyTorch's initialisation.
		opts.NoBias, opts.Init = true, model.InitTorch
	}
	net, err := model.New(sys.Size(), features, opts)
	if err != nil {
		return nil, err
	}
	t.net, t.adam = net, model.NewAdam(net.NumParams())
	switch cfg.Objective {
	case ObjectiveGumbelRKL:
		t.obj = newGumbelRKL(t)
	default:
		t.obj = newPowerFit(t)
	}
	return t, nil
}

// Config is the configuration in force, defaults filled in.
func (t *Trainer) Config() Config { return t.cfg }

// Model is the network being trained.
func (t *Trainer) Model() *model.Model { return t.net }

// System is the system the model is trained on.
func (t *Trainer) System() *statmech.System { return t.sys }

// Step is the number of optimiser steps done.
func (t *Trainer) Step() int { return t.step }

// Done reports whether all configured steps are done.
func (t *Trainer) Done() bool { return t.step >= t.cfg.Steps }

// learningRate is the step size at the current step: a cosine decay from the configured
// rate to zero over the run for the default objective, constant (as the seed) for
// gumbel-rkl.
func (t *Trainer) learningRate() float64 {
	lr := t.cfg.LearningRate
	if t.cfg.Objective == ObjectiveGumbelRKL {
		return lr
	}
	return lr * 0.5 * (1 + math.Cos(math.Pi*float64(t.step)/float64(t.cfg.Steps)))
}

// TrainStep does one optimiser step and returns its loss per row.
func (t *Trainer) TrainStep() (loss float64, err error) {
	start := time.Now()
	t.net.ZeroGrad()
	loss, lnLambda := t.obj.gradient(t)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("%w at step %d: loss %v", ErrDiverged, t.step, loss)
	}
	t.adam.Update(t.net.Params(), t.net.Grad(), t.learningRate())
	t.step++
	t.sumLoss += loss
	t.sumLnLambda += lnLambda / float64(t.sys.Size())
	t.nSum++
	t.elapsed += time.Since(start)
	return loss, nil
}

// ErrDiverged is returned when the loss stops being finite.
var ErrDiverged = errors.New("training diverged")

// Progress returns the progress since the last call and starts a new average.
func (t *Trainer) Progress() Progress {
	p := Progress{Step: t.step, Steps: t.cfg.Steps, Elapsed: t.elapsed, Loss: math.NaN(), LnLambdaPerSite: math.NaN()}
	if t.nSum > 0 {
		p.Loss = t.sumLoss / float64(t.nSum)
		p.LnLambdaPerSite = t.sumLnLambda / float64(t.nSum)
	}
	t.sumLoss, t.sumLnLambda, t.nSum = 0, 0, 0
	return p
}

// Run trains until all configured steps are done, cfg.MaxDuration has passed, or ctx is
// cancelled (then it returns ctx's error, and the Trainer can be checkpointed and resumed).
// If report is not nil it is called with the progress every reportEvery steps and at the
// end; an error from it stops the run.
func (t *Trainer) Run(ctx context.Context, reportEvery int, report func(Progress) error) error {
	start := time.Now()
	for !t.Done() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if t.cfg.MaxDuration > 0 && time.Since(start) > t.cfg.MaxDuration {
			break
		}
		if _, err := t.TrainStep(); err != nil {
			return err
		}
		if report != nil && reportEvery > 0 && t.step%reportEvery == 0 && !t.Done() {
			if err := report(t.Progress()); err != nil {
				return err
			}
		}
	}
	if report != nil {
		return report(t.Progress())
	}
	return nil
}
