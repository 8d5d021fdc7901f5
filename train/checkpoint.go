package train

import (
	"errors"
	"fmt"
	"math"
	"slices"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
)

// CheckpointVersion is the version of the checkpoints this package writes and reads.
const CheckpointVersion = 1

// ErrCheckpoint is returned when a checkpoint does not fit the Trainer it is restored into.
var ErrCheckpoint = errors.New("checkpoint does not fit")

// Checkpoint returns everything needed to continue this run bit for bit: the network's
// shape and weights, Adam's state, the step and the random generator's state. Running
// N steps, restoring the checkpoint into a new Trainer of the same system and Config and
// running M more gives the same model as N+M steps straight.
func (t *Trainer) Checkpoint() (*critsweepv1.Checkpoint, error) {
	rng, err := t.src.MarshalBinary()
	if err != nil {
		return nil, err
	}
	features := t.net.Features()
	c := &critsweepv1.Checkpoint{
		Version:  CheckpointVersion,
		Units:    uint32(t.net.Units()),
		Features: make([]uint32, len(features)),
		Params:   slices.Clone(t.net.Params()),
		Adam: &critsweepv1.AdamState{
			M:    slices.Clone(t.adam.M),
			V:    slices.Clone(t.adam.V),
			Step: uint64(t.adam.Step),
		},
		Step:           uint64(t.step),
		Rng:            rng,
		ObjectiveState: slices.Clone(t.obj.state()),
	}
	for i, f := range features {
		c.Features[i] = uint32(f)
	}
	return c, nil
}

// Restore continues the run from c, which must come from a Trainer of the same system
// and Config. Nothing is changed if c does not fit.
func (t *Trainer) Restore(c *critsweepv1.Checkpoint) error {
	if c.GetVersion() != CheckpointVersion {
		return fmt.Errorf("%w: version %d, this build reads version %d", ErrCheckpoint, c.GetVersion(), CheckpointVersion)
	}
	features := t.net.Features()
	if int(c.GetUnits()) != t.net.Units() || len(c.GetFeatures()) != len(features) {
		return fmt.Errorf("%w: network %d units × %v, checkpoint %d units × %v", ErrCheckpoint, t.net.Units(), features, c.GetUnits(), c.GetFeatures())
	}
	for i, f := range features {
		if int(c.Features[i]) != f {
			return fmt.Errorf("%w: network features %v, checkpoint %v", ErrCheckpoint, features, c.Features)
		}
	}
	n := t.net.NumParams()
	a := c.GetAdam()
	if len(c.GetParams()) != n || len(a.GetM()) != n || len(a.GetV()) != n {
		return fmt.Errorf("%w: %d parameters, checkpoint has %d (Adam %d, %d)", ErrCheckpoint, n, len(c.GetParams()), len(a.GetM()), len(a.GetV()))
	}
	if c.GetStep() > uint64(t.cfg.Steps) {
		return fmt.Errorf("%w: checkpoint at step %d is past the run's %d steps", ErrCheckpoint, c.GetStep(), t.cfg.Steps)
	}
	src := *t.src
	if err := src.UnmarshalBinary(c.GetRng()); err != nil {
		return fmt.Errorf("%w: random generator state: %v", ErrCheckpoint, err)
	}
	// restore checks the state before it sets it, and nothing after it can fail.
	if err := t.obj.restore(c.GetObjectiveState()); err != nil {
		return err
	}
	*t.src = src
	t.net.SetParams(c.Params)
	copy(t.adam.M, a.M)
	copy(t.adam.V, a.V)
	t.adam.Step = int(a.GetStep())
	t.step = int(c.GetStep())
	t.sumLoss, t.sumLnLambda, t.nSum = 0, 0, 0
	return nil
}

// ErrWarmStart is returned by StartFrom when a parent's model cannot start this run.
var ErrWarmStart = errors.New("parent model does not fit")

// StartFrom replaces the network's initial weights by the weights of a parent run's
// final checkpoint — a neighbouring β at the same L and seam, or the other seam, whose
// network has the same shape — so that this run continues from a model that is already
// close, rather than from scratch. It must be called before the first step; the
// optimiser, the random streams and the objective's statistics start fresh, so the run is
// reproducible from its own seed and the parent's weights. Nothing is changed if the
// parent does not fit.
func (t *Trainer) StartFrom(parent *critsweepv1.Checkpoint) error {
	if t.step != 0 {
		return fmt.Errorf("%w: the run is at step %d; a parent can only start a run", ErrWarmStart, t.step)
	}
	features := t.net.Features()
	got := parent.GetFeatures()
	same := int(parent.GetUnits()) == t.net.Units() && len(got) == len(features)
	for i := 0; same && i < len(features); i++ {
		same = int(got[i]) == features[i]
	}
	if !same {
		return fmt.Errorf("%w: network %d units × %v, parent %d units × %v", ErrWarmStart, t.net.Units(), features, parent.GetUnits(), got)
	}
	if len(parent.GetParams()) != t.net.NumParams() {
		return fmt.Errorf("%w: %d parameters, parent has %d", ErrWarmStart, t.net.NumParams(), len(parent.GetParams()))
	}
	for _, v := range parent.GetParams() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: parent's weights are not finite", ErrWarmStart)
		}
	}
	t.net.SetParams(parent.GetParams())
	return nil
}
