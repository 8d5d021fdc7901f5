package task

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/train"
)

// templateSizes and templateQ are the example grid of WriteTemplate, at which it shows
// train's defaults.
var templateSizes = []int{6, 8, 10}

const templateQ = 2

// WriteTemplate writes a sweep spec that names every field with its default: the
// required fields set to an example, every other field commented out with its default
// and its range. The network and training defaults are train's (train.Config.Defaults)
// at the example's sizes, so the template shows what the trainer of this binary would
// use. The template is a valid spec as it stands, and stays one with any field
// uncommented.
func WriteTemplate(w io.Writer) error {
	def := func(L int, objective string) train.Config {
		return train.Config{Objective: objective}.Defaults(L, templateQ)
	}
	// byL formats a default at every example size, once when they agree.
	byL := func(objective string, f func(train.Config) string) string {
		var vals []string
		for _, L := range templateSizes {
			vals = append(vals, f(def(L, objective)))
		}
		if len(slices.Compact(slices.Clone(vals))) == 1 {
			return vals[0]
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprintf("%s at L = %d", v, templateSizes[i])
		}
		return strings.Join(parts, ", ")
	}
	first := def(templateSizes[0], "")
	hidden := func(c train.Config) string { return ints(c.Hidden) }
	steps := func(c train.Config) string { return fmt.Sprint(c.Steps) }
	batch := func(c train.Config) string { return fmt.Sprint(c.Batch) }
	lr := func(c train.Config) string { return fmt.Sprint(c.LearningRate) }
	samples := func(c train.Config) string { return fmt.Sprint(c.EstimateSamples) }
	draws := func(c train.Config) string { return fmt.Sprint(c.EstimateDraws) }
	nonlinearity := first.Nonlinearity
	if nonlinearity == "" {
		nonlinearity = spec.Nonlinearities()[0]
	}
	sizes := ints(templateSizes)

	_, err := fmt.Fprintf(w, `# critsweep sweep spec: every field with its default. Required: name, model, grid.beta
# and grid.size; a commented field takes the default shown. Network and training
# defaults come from the train package for each task's L and q (shown here for q = %[1]d
# at L = %[2]s); a value given here always wins. Check a spec with
# critsweep spec check FILE.
name: my-sweep                     # the sweep id is made of it: my-sweep-1, my-sweep-2, …
model:
  kind: %[3]s                      # %[4]s
  # q: 2                           # states per site: 2 for ising, 4 for ashkin-teller; potts and clock need it (here or as grid.q), in [2, %[5]d]
  # coupling_ratio: 1              # J_y/J_x: the bonds between rows have this times the coupling of those within a row; in [%[32]g, %[33]g], default 1 (isotropic)
  # four_spin: 0                   # ashkin-teller only: W = exp(β[σσ' + ττ' + U σσ'ττ']) with U = four_spin in (%[34]g, %[35]g]; default 0
  # bond_weight: [[2, 0.5], [0.5, 2]]   # custom only: a positive q×q matrix W₁; the task at β trains W₁^β
# boundary: [%[6]s]    # default: both seams (σ_L needs both); one of %[7]s
grid:
  beta: {from: 0.40, to: 0.46, step: 0.02}   # or a list [0.40, 0.42]: β > 0
  size: [%[2]s]                 # L in [2, %[8]d], or {from, to, step}
  # tau: [0.3]                     # default: one point, τ = 0, the objective's default
  #                                # (1/(q−1) for gumbel-rkl; the default objective uses no τ)
  # coupling_ratio: [0.5, 1, 2]    # an axis of J_y/J_x, for any model, instead of model.coupling_ratio
  # q: [2, 3, 4]                   # an axis of q, potts and clock only, instead of model.q
  # four_spin: [0, 0.5, 1]         # an axis of U, ashkin-teller only, instead of model.four_spin
  #                                # each axis slices the analysis: β_c per value, and the phase boundary
# network:
#   hidden: [%[9]s]               # default: %[10]s; at most %[11]d layers of [1, %[12]d]
#   nonlinearity: %[13]s             # one of %[14]s
# training:
#   objective: %[15]s             # one of %[16]s
#   steps: %[17]s                    # default: %[18]s
#   batch: %[19]s                     # default: %[20]s; at most %[21]d
#   learning_rate: %[22]s           # default: %[23]s (gumbel-rkl: %[24]s)
#   seed: 0                        # each task's seed is derived from it and the grid point
#   estimate_samples: %[25]s        # rows behind the final estimates; default: %[26]s
#   estimator: %[30]s                   # how ln λ is estimated: one of %[31]s
#   estimate_draws: %[27]s        # row proposals behind the ln λ estimate; default: %[28]s
# max_attempts: 0                  # leases a task may use before it fails; 0: the coordinator's --max-attempts; at most %[29]d
`,
		templateQ, sizes, spec.ModelIsing, strings.Join(spec.ModelKinds(), " | "), spec.MaxTaskQ,
		strings.Join(spec.DefaultBoundaries(), ", "), strings.Join(spec.BoundaryNames(), ", "), spec.MaxTaskSize,
		hidden(first), byL("", func(c train.Config) string { return "[" + hidden(c) + "]" }), spec.MaxHiddenLayers, spec.MaxHidden,
		nonlinearity, strings.Join(spec.Nonlinearities(), ", "),
		spec.ObjectiveDefault, strings.Join(spec.Objectives(), ", "),
		steps(first), byL("", steps),
		batch(first), byL("", batch), spec.MaxBatch,
		lr(first), byL("", lr), byL(spec.ObjectiveGumbelRKL, lr),
		samples(first), byL("", samples),
		draws(first), byL("", draws),
		spec.MaxAttempts, spec.Estimators()[0], strings.Join(spec.Estimators(), ", "),
		spec.MinCouplingRatio, spec.MaxCouplingRatio, spec.MinFourSpin, spec.MaxFourSpin)
	return err
}

// ints formats integers as "6, 8, 10".
func ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
