package task

import (
	"errors"
	"fmt"
	"math"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

// ErrInvalid is returned (wrapped, with the fields and the reasons) when a task spec
// cannot be trained: it breaks a rule of spec.ValidateTask, or the physics refuses it (a
// β so large that the bond weight overflows). A worker fails such a task with that reason
// rather than retrying it.
var ErrInvalid = errors.New("invalid task")

// Options are the settings of a run that are not part of the task spec. A nil *Options
// means every field at its zero value.
type Options struct {
	// EstimateSamples is the number of samples behind the final estimates when the task's
	// training.estimate_samples is 0; 0 means train's default. The spec's value wins, so
	// that a sweep's results do not depend on the worker that trained them; without it,
	// every worker of a sweep must use the same value.
	EstimateSamples int
	// EstimateDraws is the number of row proposals behind the ln λ estimate when the
	// task's training.estimate_draws is 0; 0 means train's default (which depends on L).
	// The spec's value wins, as for EstimateSamples.
	EstimateDraws int
	// Threads is the number of goroutines a task may use (train.Config.Threads); 0 means
	// GOMAXPROCS. Results do not depend on it.
	Threads int
}

// System builds the transfer matrix a task names:
//
//   - model: ising (q absent or 2), potts and clock (q, from the task's q axis or the
//     model), ashkin-teller (four_spin U, from the task's axis or the model; q = 4),
//     custom (bond_weight, a q×q matrix W₁). A custom bond weight is the weight at β = 1:
//     the task at β trains W(a,b) = W₁(a,b)^β, so that a β axis means for custom what it
//     means for the others and β = 1 is the matrix as written;
//   - coupling_ratio r = J_y/J_x (the task's axis, else the model's, else 1): the bonds
//     within a row have the model's weight at β, those between rows its weight at β·r
//     (statmech.NewAnisotropicSystem); r = 1 is the isotropic statmech.NewSystem;
//   - size L and boundary (spec.Periodic when empty, or spec.Twisted, whose seam is the
//     model's twist: the shift for Ising, Potts, clock and custom, σ flipped for
//     Ashkin–Teller).
//
// It checks only these fields (spec.ValidateSystem, with L up to statmech.MaxSize);
// errors wrap ErrInvalid and name the field.
func System(ts *critsweepv1.TaskSpec) (*statmech.System, error) {
	if err := spec.ValidateSystem(ts, statmech.MaxSize); err != nil {
		return nil, invalid(err)
	}
	w, err := bondWeight(ts, ts.GetBeta())
	if err != nil {
		return nil, err
	}
	v := w
	if r := spec.CouplingRatio(ts); r != 1 {
		if v, err = bondWeight(ts, ts.GetBeta()*r); err != nil {
			return nil, fmt.Errorf("%w (the bonds between rows, at β·coupling_ratio = %v·%v)", err, ts.GetBeta(), r)
		}
	}
	boundary := statmech.Periodic
	if b := ts.GetBoundary(); b != "" {
		if boundary, err = statmech.ParseBoundary(b); err != nil {
			return nil, invalidField("boundary", err)
		}
	}
	sys, err := statmech.NewAnisotropicSystem(w, v, int(ts.GetSize()), boundary)
	if err != nil {
		return nil, invalidField("size", err)
	}
	return sys, nil
}

// Resolve checks a task spec (spec.ValidateTask) and turns it into the system to train
// (System) and the trainer's Config. Every network and training field left zero takes
// train's default for the task's L and q (train.Config.Defaults): this is the one place
// where a spec's defaults are resolved.
//
//   - network: hidden sizes and nonlinearity;
//   - training: objective, steps, batch, learning_rate, seed, estimate_samples
//     (Options.EstimateSamples when 0) and estimate_draws;
//   - τ: the task's tau, passed only to objectives that use it (spec.UsesTau); 0 means
//     the objective's default.
//
// Errors wrap ErrInvalid and name the field.
func Resolve(ts *critsweepv1.TaskSpec, o *Options) (*statmech.System, train.Config, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	if err := spec.ValidateTask(ts); err != nil {
		return nil, train.Config{}, invalid(err)
	}
	sys, err := System(ts)
	if err != nil {
		return nil, train.Config{}, err
	}
	if opts.EstimateSamples < 0 {
		return nil, train.Config{}, fmt.Errorf("%w: estimate samples must be ≥ 0, got %d", ErrInvalid, opts.EstimateSamples)
	}
	net, tr := ts.GetNetwork(), ts.GetTraining()
	var hidden []int
	for _, h := range net.GetHidden() {
		hidden = append(hidden, int(h))
	}
	samples := opts.EstimateSamples
	if n := tr.GetEstimateSamples(); n > 0 {
		samples = int(n)
	}
	if opts.EstimateDraws < 0 {
		return nil, train.Config{}, fmt.Errorf("%w: estimate draws must be ≥ 0, got %d", ErrInvalid, opts.EstimateDraws)
	}
	draws := opts.EstimateDraws
	if n := tr.GetEstimateDraws(); n > 0 {
		draws = int(n)
	}
	cfg := train.Config{
		Objective:       tr.GetObjective(),
		Nonlinearity:    net.GetNonlinearity(),
		Hidden:          hidden,
		Steps:           int(tr.GetSteps()),
		Batch:           int(tr.GetBatch()),
		LearningRate:    tr.GetLearningRate(),
		Seed:            tr.GetSeed(),
		EstimateSamples: samples,
		EstimateDraws:   draws,
		Estimator:       tr.GetEstimator(),
		Threads:         opts.Threads,
	}
	if cfg.Objective == "" {
		cfg.Objective = train.ObjectiveDefault
	}
	if train.UsesTau(cfg.Objective) {
		cfg.Tau = ts.GetTau()
	}
	cfg = cfg.Defaults(sys.Size(), sys.Q())
	if err := cfg.Validate(); err != nil {
		if errors.Is(err, train.ErrNonlinearity) {
			return nil, train.Config{}, invalidField("network.nonlinearity", err)
		}
		return nil, train.Config{}, invalidField("training", err)
	}
	return sys, cfg, nil
}

// bondWeight builds the bond weight of a valid task's model at β.
func bondWeight(ts *critsweepv1.TaskSpec, beta float64) (statmech.BondWeight, error) {
	var (
		w   statmech.BondWeight
		err error
	)
	m := ts.GetModel()
	switch m.GetKind() {
	case spec.ModelIsing:
		w, err = statmech.Ising(beta)
	case spec.ModelPotts:
		w, err = statmech.Potts(int(spec.TaskQ(ts)), beta)
	case spec.ModelClock:
		w, err = statmech.Clock(int(spec.TaskQ(ts)), beta)
	case spec.ModelAshkinTeller:
		w, err = statmech.AshkinTeller(spec.FourSpin(ts), beta)
	case spec.ModelCustom:
		return customWeight(m.GetBondWeight(), beta)
	default: // refused by spec.ValidateSystem
		return statmech.BondWeight{}, fmt.Errorf("%w: model.kind %q", ErrInvalid, m.GetKind())
	}
	if err != nil {
		return statmech.BondWeight{}, invalidField("model", err)
	}
	return w, nil
}

// customWeight builds W₁^β from a custom model's bond weight W₁ (valid: q×q, positive).
func customWeight(bw *critsweepv1.BondWeight, beta float64) (statmech.BondWeight, error) {
	q := int(bw.GetQ())
	values := bw.GetValues()
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
		return statmech.BondWeight{}, invalidField("model.bond_weight", err)
	}
	return w, nil
}

// invalid wraps the violations of a *spec.Error (or any error) as ErrInvalid.
func invalid(err error) error {
	var se *spec.Error
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %s", ErrInvalid, se.Detail())
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

func invalidField(field string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrInvalid, field, err)
}
