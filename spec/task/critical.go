package task

import (
	"fmt"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
	"github.com/critsweep/critsweep/statmech"
)

// CriticalBeta returns the exact critical point of the model a task names, at the task's
// second couplings (q, coupling_ratio, four_spin; β, L and the seam do not matter), and
// the line it lies on in words, the same for every point of a model's line: the
// anisotropic Ising line sinh 2β·sinh 2βr = 1 (Onsager's ln(1+√2)/2 at r = 1), the Potts
// line (e^β − 1)(e^{βr} − 1) = q (ln(1+√q) at r = 1), the clock model for q ≤ 4 (through
// Ising and Potts), the Ashkin–Teller self-dual line sinh 2β = e^{−2βU} for −1 < U ≤ 1 and
// r = 1.
// Where none is known the error wraps statmech.ErrNoClosedForm; a task spec that breaks
// the rules of spec.ValidateSystem gives ErrInvalid. The analysis compares with it; it
// never uses it.
func CriticalBeta(ts *critsweepv1.TaskSpec) (float64, string, error) {
	if err := spec.ValidateSystem(ts, statmech.MaxSize); err != nil {
		return 0, "", invalid(err)
	}
	r, q := spec.CouplingRatio(ts), int(spec.TaskQ(ts))
	var (
		b    float64
		line string
		err  error
	)
	switch kind := ts.GetModel().GetKind(); kind {
	case spec.ModelIsing:
		b, err = statmech.IsingCriticalBeta(r)
		line = "sinh 2β·sinh 2βr = 1"
	case spec.ModelPotts:
		b, err = statmech.PottsCriticalBeta(q, r)
		line = "(e^β − 1)(e^βr − 1) = q"
	case spec.ModelClock:
		b, err = statmech.ClockCriticalBeta(q, r)
		line = "clock: the Ising and Potts lines for q ≤ 4"
	case spec.ModelAshkinTeller:
		if r != 1 {
			return 0, "", fmt.Errorf("%w: the anisotropic Ashkin–Teller model (coupling ratio %v) has no known critical line", statmech.ErrNoClosedForm, r)
		}
		b, err = statmech.AshkinTellerCriticalBeta(spec.FourSpin(ts))
		line = "self-dual line sinh 2β = e^(−2βU)"
	default:
		return 0, "", fmt.Errorf("%w: model %s", statmech.ErrNoClosedForm, kind)
	}
	return b, line, err
}

// AnisotropyFactor returns the anisotropy factor ζ of the critical line of a task's model
// at its coupling ratio r, where it is known: 1 for r = 1 (any model), and
// statmech.IsingAnisotropyFactor(r) for the Ising model and the models made of Ising
// models (Potts q = 2, clock q = 2 and 4, whose Ising couplings have the same ratio). The
// finite-size amplitudes of ln λ/L and σ_L carry it (πζc/6L², σ_L → 2πζx), so that the
// analysis divides c and x by it. ok is false where it is not known.
func AnisotropyFactor(ts *critsweepv1.TaskSpec) (float64, bool) {
	r := spec.CouplingRatio(ts)
	if r == 1 {
		return 1, true
	}
	q := spec.TaskQ(ts)
	switch kind := ts.GetModel().GetKind(); {
	case kind == spec.ModelIsing, kind == spec.ModelPotts && q == 2, kind == spec.ModelClock && (q == 2 || q == 4):
		z, err := statmech.IsingAnisotropyFactor(r)
		return z, err == nil
	}
	return 0, false
}
