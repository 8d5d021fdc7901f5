package statmech

import (
	"fmt"
	"math"
)

// The exact critical points of the models, as functions of their second coupling. The
// coupling ratio r = J_y/J_x is that of NewAnisotropicSystem with the vertical weight at
// β·r: the bonds between rows have r times the coupling of the bonds within a row. Each
// line is the self-dual line of its model, found by bisection to full precision.

// IsingCriticalBeta returns β_c of the anisotropic Ising model with coupling ratio r (the
// vertical weight Ising(β·r)): the root of sinh 2β · sinh 2βr = 1. For r = 1 it is
// IsingBetaC. r must be finite and > 0 (ErrCoupling).
func IsingCriticalBeta(ratio float64) (float64, error) {
	if err := checkRatio(ratio); err != nil {
		return 0, err
	}
	if ratio == 1 {
		return IsingBetaC, nil
	}
	return increasingRoot(func(b float64) float64 {
		// ln sinh 2β + ln sinh 2βr, each as 2x + ln(1 − e^{−4x}) − ln 2.
		return lnSinh(2*b) + lnSinh(2*b*ratio)
	}), nil
}

// IsingAnisotropyFactor returns the anisotropy factor ζ of the critical anisotropic Ising
// model with coupling ratio r: ζ = sinh 2β_c = 1/sinh 2β_c r on the critical line
// (IsingCriticalBeta). The continuum limit is isotropic once lengths between rows are
// multiplied by ζ: the transfer matrix's gaps are 2πζx/L (Kaufman's γ_k ≈ ζπk/L at small
// k), so that the finite-size amplitudes of ln λ/L and of σ_L carry it, πζc/(6L²) and
// σ_L → 2πζx. ζ = 1 for r = 1. r must be finite and > 0 (ErrCoupling).
func IsingAnisotropyFactor(ratio float64) (float64, error) {
	b, err := IsingCriticalBeta(ratio)
	if err != nil {
		return 0, err
	}
	if ratio == 1 {
		return 1, nil
	}
	return math.Sinh(2 * b), nil
}

// PottsCriticalBeta returns β_c of the q-state Potts model (Potts) with coupling ratio r:
// the root of (e^β − 1)(e^{βr} − 1) = q. For r = 1 it is PottsBetaC(q) = ln(1+√q). The
// transition is continuous for q ≤ 4 and first order beyond; the self-dual point is the
// transition in both cases. q must be in [2, MaxQ] and r finite and > 0.
func PottsCriticalBeta(q int, ratio float64) (float64, error) {
	if err := checkQ(q); err != nil {
		return 0, err
	}
	if err := checkRatio(ratio); err != nil {
		return 0, err
	}
	if ratio == 1 {
		return PottsBetaC(q), nil
	}
	lnQ := math.Log(float64(q))
	return increasingRoot(func(b float64) float64 {
		return lnExpm1(b) + lnExpm1(b*ratio) - lnQ
	}), nil
}

// ClockCriticalBeta returns β_c of the q-state clock model (Clock) with coupling ratio r
// where it is known exactly: q = 2 is the Ising model; q = 3 is the 3-state Potts model at
// 3β/2, so that (e^{3β/2} − 1)(e^{3βr/2} − 1) = 3; q = 4 is two Ising models at β/2, so
// that sinh β · sinh βr = 1. For q ≥ 5 the clock model has two Kosterlitz–Thouless
// transitions with no closed form: ErrNoClosedForm.
func ClockCriticalBeta(q int, ratio float64) (float64, error) {
	if err := checkQ(q); err != nil {
		return 0, err
	}
	if err := checkRatio(ratio); err != nil {
		return 0, err
	}
	switch q {
	case 2:
		return IsingCriticalBeta(ratio)
	case 3:
		b, err := PottsCriticalBeta(3, ratio)
		return b * 2 / 3, err
	case 4:
		b, err := IsingCriticalBeta(ratio)
		return 2 * b, err
	}
	return 0, fmt.Errorf("%w: the %d-state clock model has Kosterlitz–Thouless transitions with no closed form (known: q = 2, 3, 4)", ErrNoClosedForm, q)
}

// AshkinTellerCriticalBeta returns β_c of the isotropic Ashkin–Teller model (AshkinTeller)
// with four-spin coupling U in (−1, 1]: its transition lies on the self-dual line
// sinh 2β = e^{−2βU}, from two decoupled Ising models at U = 0 (β_c = IsingBetaC) to the
// 4-state Potts point at U = 1 (β_c = ln(3)/4). For U > 1 the transition splits into two
// off that line, with no closed form (ErrNoClosedForm); U ≤ −1 is outside the model's range
// (ErrCoupling).
func AshkinTellerCriticalBeta(fourSpin float64) (float64, error) {
	if !(fourSpin > -1) || math.IsInf(fourSpin, 0) {
		return 0, fmt.Errorf("%w: the four-spin coupling U of the Ashkin–Teller model must be finite and > −1, got %v", ErrCoupling, fourSpin)
	}
	if fourSpin > 1 {
		return 0, fmt.Errorf("%w: for U = %v > 1 the Ashkin–Teller transition splits into two off the self-dual line (exact for −1 < U ≤ 1)", ErrNoClosedForm, fourSpin)
	}
	if fourSpin == 0 {
		return IsingBetaC, nil
	}
	return increasingRoot(func(b float64) float64 { return lnSinh(2*b) + 2*b*fourSpin }), nil
}

// AshkinTellerNu returns the correlation-length exponent ν of the Ashkin–Teller model on
// its self-dual critical line, −1 < U ≤ 1 (Kohmoto, den Nijs and Kadanoff 1981; Baxter,
// Exactly Solved Models §12.10): with cos μ = (e^{4β_c U} − 1)/2,
// ν = 2(π − μ)/(3π − 4μ): 1 at U = 0 (Ising), 2/3 at U = 1 (4-state Potts), tending to 2
// as U → −1. The central charge is 1 and the dimension of the σ twist 1/8 all along the
// line.
func AshkinTellerNu(fourSpin float64) (float64, error) {
	bc, err := AshkinTellerCriticalBeta(fourSpin)
	if err != nil {
		return 0, err
	}
	mu := math.Acos(math.Min(1, (math.Exp(4*bc*fourSpin)-1)/2))
	return 2 * (math.Pi - mu) / (3*math.Pi - 4*mu), nil
}

func checkRatio(r float64) error {
	if !(r > 0) || math.IsInf(r, 0) {
		return fmt.Errorf("%w: the coupling ratio J_y/J_x must be finite and > 0, got %v", ErrCoupling, r)
	}
	return nil
}

// lnSinh returns ln sinh x for x > 0 without overflow.
func lnSinh(x float64) float64 { return x + math.Log(-math.Expm1(-2*x)) - math.Ln2 }

// lnExpm1 returns ln(e^x − 1) for x > 0 without overflow.
func lnExpm1(x float64) float64 { return x + math.Log(-math.Expm1(-x)) }

// increasingRoot returns the root in (0, ∞) of f, which increases from −∞ at 0⁺ to +∞:
// bracketed by doubling, then bisected to the last bit.
func increasingRoot(f func(float64) float64) float64 {
	lo, hi := 0.0, 1.0
	for f(hi) < 0 {
		lo, hi = hi, 2*hi
	}
	for {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			return mid
		}
		if f(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
}
