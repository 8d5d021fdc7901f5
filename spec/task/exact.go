package task

import (
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

// Exact solves the system a task names exactly (train.SolveExact): ln λ by Kaufman's
// closed form for the Ising model at any L (anisotropic too), by power iteration for the
// other models; the Perron vector and the observables where q^L ≤ statmech.MaxStates,
// absent beyond it. Only the model, its second couplings, β, L and boundary of ts matter. perron tunes the power iteration (nil:
// statmech's defaults). Errors wrap ErrInvalid for a bad spec, and train.ErrTooLarge for
// a model other than Ising whose q^L is over the limit.
func Exact(ts *critsweepv1.TaskSpec, perron *statmech.PerronOptions) (*statmech.System, *train.Exact, error) {
	sys, err := System(ts)
	if err != nil {
		return nil, nil, err
	}
	opts := &train.ExactOptions{Perron: perron}
	if ts.GetModel().GetKind() == spec.ModelIsing {
		opts.IsingBeta = ts.GetBeta()
		if r := spec.CouplingRatio(ts); r != 1 {
			opts.IsingBetaVertical = ts.GetBeta() * r
		}
	}
	ex, err := train.SolveExact(sys, opts)
	if err != nil {
		return nil, nil, err
	}
	return sys, ex, nil
}
