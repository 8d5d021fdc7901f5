package train

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/critsweep/critsweep/model"
)

// Objective names, as the CLI, the sweep spec and Config.Objective spell them.
const (
	// ObjectiveDefault is critsweep's own objective: forward-KL power iteration with
	// bond-tilted sampling and symmetrisation (see doc.go). It does not use τ.
	ObjectiveDefault = "default"
	// ObjectiveGumbelRKL is the seed notebook's method, reproduced faithfully: reverse KL
	// with dual Gumbel-softmax sampling at temperature τ and gradients through the samples.
	ObjectiveGumbelRKL = "gumbel-rkl"
)

// Objectives lists the objective names in the order help texts show them.
var Objectives = []string{ObjectiveDefault, ObjectiveGumbelRKL}

// UsesTau reports whether the named objective depends on the Gumbel temperature τ.
func UsesTau(objective string) bool { return objective == ObjectiveGumbelRKL }

// Errors returned by Config.Validate, wrapped with the offending value.
var (
	ErrObjective    = errors.New("unknown objective")
	ErrHidden       = errors.New("hidden sizes must be ≥ 1")
	ErrBatch        = errors.New("batch must be ≥ 1")
	ErrSteps        = errors.New("steps must be ≥ 0")
	ErrTau          = errors.New("tau must be finite and > 0")
	ErrLearningRate = errors.New("learning rate must be finite and > 0")
	ErrSamples      = errors.New("estimate samples must be ≥ 2")
	ErrNonlinearity = errors.New("unknown nonlinearity")
	ErrEstimator    = errors.New("unknown estimator")
	ErrThreads      = errors.New("threads must be ≥ 0")
)

// Config says how one model is trained. The zero value of every field means its documented
// default; Defaults fills them in.
type Config struct {
	// Objective is ObjectiveDefault (when empty) or ObjectiveGumbelRKL.
	Objective string
	// Hidden are the hidden feature counts per unit; nil means [32, 32].
	Hidden []int
	// Nonlinearity is the function between layers: "relu" (when empty), "tanh", "elu" or
	// "softplus".
	Nonlinearity string
	// Steps is the number of optimiser steps; 0 means 3000.
	Steps int
	// Batch is the number of samples per step; 0 means defaultBatch: for the default
	// objective 256 up to L = 8, 512 up to L = 12 and 1024 beyond; 256 for gumbel-rkl.
	Batch int
	// LearningRate is Adam's initial step size; 0 means 1e-3 for the default objective and
	// 1e-2 (the peer's) for gumbel-rkl.
	LearningRate float64
	// Tau is the Gumbel-softmax temperature of gumbel-rkl; 0 means 1/(q−1), the seed's
	// default. Other objectives ignore it.
	Tau float64
	// Seed seeds every random choice of the run: initialisation, sampling and estimation.
	Seed uint64
	// EstimateSamples is the number of samples behind the final estimates; 0 means 65536.
	EstimateSamples int
	// Estimator is how ln λ is estimated: MethodSMC (when empty), the projector, unbiased
	// whatever the model's error; or MethodRayleigh, the Rayleigh quotient, second order
	// in the model's error. A bond weight that is not symmetric always gets the first-order
	// estimate.
	Estimator string
	// EstimateDraws is the number of row proposals behind the ln λ estimate (the
	// projector's, all replicas together, or the Rayleigh quotient's draws of (Tp)(x) on
	// top of one per sample); 0 means 2^20 up to L = 12 and 2^21 beyond.
	EstimateDraws int
	// Threads is the number of goroutines the estimates may use; 0 means GOMAXPROCS.
	// Results do not depend on it.
	Threads int
	// MaxDuration stops training early once exceeded (0: no limit). A run stopped by it
	// is not reproducible bit for bit; one stopped by Steps is.
	MaxDuration time.Duration
}

// Defaults returns c with every zero field replaced by its default for a row of size sites
// with q states each. Defaults may depend on size and q; an explicit setting always wins.
func (c Config) Defaults(size, q int) Config {
	if c.Objective == "" {
		c.Objective = ObjectiveDefault
	}
	if c.Hidden == nil {
		c.Hidden = []int{32, 32}
	}
	if c.Steps == 0 {
		c.Steps = 3000
	}
	if c.Batch == 0 {
		c.Batch = defaultBatch(c.Objective, size)
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
		if c.Objective == ObjectiveGumbelRKL {
			c.LearningRate = 1e-2
		}
	}
	if c.Tau == 0 && UsesTau(c.Objective) && q > 1 {
		c.Tau = 1 / float64(q-1)
	}
	if c.EstimateSamples == 0 {
		c.EstimateSamples = 1 << 16
	}
	if c.Estimator == "" {
		c.Estimator = MethodSMC
	}
	if c.EstimateDraws == 0 {
		c.EstimateDraws = 1 << 20
		if size > 12 {
			c.EstimateDraws = 1 << 21
		}
	}
	return c
}

// defaultBatch is the batch of a row of size sites when Config.Batch is 0. The default
// objective's weights and gradients are noisier the longer the row, and at L = 16 the
// batch, not the number of steps, decided how far training got (Ising, β_c, 3000 steps:
// TV distance to the exact p 0.047 at batch 256, 0.019 at batch 1024; 12000 steps at
// batch 256 reached 0.056; 1500 steps at batch 2048, 0.020). gumbel-rkl keeps the seed's
// 256.
func defaultBatch(objective string, size int) int {
	switch {
	case objective == ObjectiveGumbelRKL || size <= 8:
		return 256
	case size <= 12:
		return 512
	}
	return 1024
}

// Validate reports the first field of c (after Defaults) that is out of its allowed range.
func (c Config) Validate() error {
	switch c.Objective {
	case ObjectiveDefault, ObjectiveGumbelRKL:
	default:
		return fmt.Errorf("%w %q: want one of %q", ErrObjective, c.Objective, Objectives)
	}
	if _, err := nonlinearity(c.Nonlinearity); err != nil {
		return err
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("%w: hidden[%d] = %d", ErrHidden, i, h)
		}
	}
	if c.Batch < 1 {
		return fmt.Errorf("%w, got %d", ErrBatch, c.Batch)
	}
	if c.Steps < 0 {
		return fmt.Errorf("%w, got %d", ErrSteps, c.Steps)
	}
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) {
		return fmt.Errorf("%w, got %g", ErrLearningRate, c.LearningRate)
	}
	if (c.Tau != 0 || UsesTau(c.Objective)) && (!(c.Tau > 0) || math.IsInf(c.Tau, 0)) {
		return fmt.Errorf("%w, got %g", ErrTau, c.Tau)
	}
	if c.EstimateSamples < 2 {
		return fmt.Errorf("%w, got %d", ErrSamples, c.EstimateSamples)
	}
	switch c.Estimator {
	case MethodSMC, MethodRayleigh:
	default:
		return fmt.Errorf("%w %q: want one of %q", ErrEstimator, c.Estimator, Estimators)
	}
	if c.Threads < 0 {
		return fmt.Errorf("%w, got %d", ErrThreads, c.Threads)
	}
	if c.EstimateDraws < 0 {
		return fmt.Errorf("%w: estimate draws must be ≥ 0, got %d", ErrSamples, c.EstimateDraws)
	}
	return nil
}

// Estimators lists the names Config.Estimator takes.
var Estimators = []string{MethodSMC, MethodRayleigh}

// Nonlinearities lists the names Config.Nonlinearity takes.
var Nonlinearities = []string{"relu", "tanh", "elu", "softplus"}

// nonlinearity maps a Config.Nonlinearity name to the model's.
func nonlinearity(name string) (model.Nonlinearity, error) {
	switch name {
	case "", "relu":
		return model.ReLU, nil
	case "tanh":
		return model.Tanh, nil
	case "elu":
		return model.ELU, nil
	case "softplus":
		return model.Softplus, nil
	}
	return 0, fmt.Errorf("%w %q: want one of %q", ErrNonlinearity, name, Nonlinearities)
}
