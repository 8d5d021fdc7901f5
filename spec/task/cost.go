package task

import (
	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/train"
)

// CostRate is the network work per second of one core that Cost's Seconds assume:
// 20 GFLOP/s, what `critsweep train` sustained at L = 8 (3000 steps, 33 s) and L = 12
// (4000 steps, 76 s) with the default objective and network on this project's machine.
// Other machines, objectives and shapes differ; the figure is for planning, not a
// promise.
const CostRate = 20e9

// Cost is a rough estimate of what training one task takes: the network's floating-point
// work (2 per multiply-add of its active weights), which dominates at the sizes sweeps
// use. The transfer weights and the sampling bookkeeping are left out.
type Cost struct {
	// Config is the trainer's configuration, defaults resolved.
	Config train.Config
	// Weights is the number of active weights of the network.
	Weights int
	// FLOP is the network work of training and of the final estimates.
	FLOP float64
	// Seconds is FLOP at CostRate: the time on one core.
	Seconds float64
}

// EstimateCost resolves a task (Resolve) and estimates its cost. Per row, one forward
// pass costs 2·Weights flops; a step of the default objective does 4·|G| of them (|G| is
// the order of the transfer matrix's shift symmetry, statmech.System.Shifts: q for Ising,
// Potts and clock), a step of gumbel-rkl 6; the estimates draw 2·EstimateSamples + EstimateDraws rows.
func EstimateCost(ts *critsweepv1.TaskSpec, o *Options) (Cost, error) {
	sys, cfg, err := Resolve(ts, o)
	if err != nil {
		return Cost{}, err
	}
	q, L := sys.Q(), sys.Size()
	c := Cost{Config: cfg, Weights: networkWeights(L, append(append([]int{q}, cfg.Hidden...), q))}
	forward := 2 * float64(c.Weights)
	perRow := 6.0
	if cfg.Objective != train.ObjectiveGumbelRKL {
		perRow = 4 * float64(len(sys.Shifts()))
	}
	c.FLOP = forward * (float64(cfg.Steps)*float64(cfg.Batch)*perRow + float64(2*cfg.EstimateSamples+cfg.EstimateDraws))
	c.Seconds = c.FLOP / CostRate
	return c, nil
}

// networkWeights is the number of active weights (biases aside) of model.New(L,
// features): layer ℓ connects unit i to the i+1+d units before and at it (d = −1 for the
// first layer, 0 after), In·Out weights each.
func networkWeights(L int, features []int) int {
	n := 0
	for l := 0; l+1 < len(features); l++ {
		in, out := features[l], features[l+1]
		d := 0
		if l == 0 {
			d = -1
		}
		n += in * out * (L*(L+1)/2 + d*L)
	}
	return n
}
