package statmech

import (
	"fmt"
	"math"
)

// IsingBetaC is the critical inverse temperature of the square-lattice Ising model,
// β_c = ln(1+√2)/2.
const IsingBetaC = 0.44068679350977151262

// PottsBetaC returns the critical inverse temperature ln(1+√q) of the square-lattice
// q-state Potts model with W = exp(β δ(a,b)) (Potts). For q = 2 it is 2·IsingBetaC, since
// Potts(2, 2β) equals Ising(β) up to a constant factor.
func PottsBetaC(q int) float64 { return math.Log(1 + math.Sqrt(float64(q))) }

// KaufmanLogLambda returns Kaufman's closed form of ln λ, the log of the whole leading
// eigenvalue of the Ising transfer matrix of a row of L sites (bond weight Ising(beta)):
//
//	ln λ = (L/2) ln(2 sinh 2K) + ½ Σ_{j=0}^{L−1} γ_{2j+1},   K = β,
//	cosh γ_k = cosh 2K coth 2K − cos(πk/L),
//
// for the Periodic seam. For the Twisted (antiperiodic) seam the sum runs over the even
// k = 0, 2, …, 2L−2 instead, with the k = 0 term taken as −γ_0 = 2(K* − K), where
// tanh K* = e^{−2K}: negative in the ordered phase, where the twist costs a domain wall.
// β must be finite and > 0 and L in [2, MaxSize].
func KaufmanLogLambda(beta float64, L int, b Boundary) (float64, error) {
	if err := checkBeta(beta); err != nil {
		return 0, err
	}
	if L < 2 || L > MaxSize {
		return 0, fmt.Errorf("%w: L must be in [2, %d], got %d", ErrSize, MaxSize, L)
	}
	if !b.valid() {
		return 0, fmt.Errorf("%w: boundary must be periodic or twisted, got %d", ErrBoundary, int(b))
	}
	K := beta
	x := 2 * K
	// ln(2 sinh 2K) = 2K + ln(1 − e^{−4K}), accurate for small and large K.
	lnTwoSinh := x + math.Log(-math.Expm1(-2*x))
	s := math.Sinh(x)
	// cosh γ_k − 1 = (cosh2K coth2K − 2) + (1 − cos(πk/L)) = (s−1)²/s + 2 sin²(πk/2L),
	// written so that γ_k stays accurate when it is small (near β_c).
	a := (s - 1) * ((s - 1) / s)
	gamma := func(k int) float64 {
		if s > 1e100 {
			return x // γ_k = 2K + O(1/sinh 2K)
		}
		h := math.Sin(math.Pi * float64(k) / float64(2*L))
		u := a + 2*h*h
		return math.Log1p(u + math.Sqrt(u*(u+2)))
	}
	sum := 0.0
	switch b {
	case Periodic:
		for j := 0; j < L; j++ {
			sum += gamma(2*j + 1)
		}
	case Twisted:
		// K* = atanh(e^{−2K}) = ½ ln((1+t)/(1−t)), t = e^{−2K}, 1−t = −expm1(−2K).
		t := math.Exp(-x)
		kStar := 0.5 * math.Log((1+t)/-math.Expm1(-x))
		sum = 2 * (kStar - K)
		for j := 1; j < L; j++ {
			sum += gamma(2 * j)
		}
	}
	return float64(L)/2*lnTwoSinh + sum/2, nil
}

// KaufmanAnisotropicLogLambda returns Kaufman's closed form of ln λ for the anisotropic
// Ising model: a row of L sites whose bonds within the row have the weight Ising(betaH)
// (K1 = betaH) and whose bonds between rows have the weight Ising(betaV) (K2 = betaV), the
// system NewAnisotropicSystem(Ising(betaH), Ising(betaV), L, b):
//
//	ln λ = (L/2) ln(2 sinh 2K2) + ½ Σ_{j=0}^{L−1} γ_{2j+1},
//	cosh γ_k = cosh 2K1 cosh 2K2* − sinh 2K1 sinh 2K2* cos(πk/L),   tanh K2* = e^{−2K2},
//
// for the Periodic seam; for the Twisted seam the sum runs over the even k with the k = 0
// term 2(K2* − K1). With betaH = betaV it equals KaufmanLogLambda. The model is critical
// where K1 = K2*, that is sinh 2K1 · sinh 2K2 = 1 (IsingCriticalBeta). Both β must be
// finite and > 0 and L in [2, MaxSize].
func KaufmanAnisotropicLogLambda(betaH, betaV float64, L int, b Boundary) (float64, error) {
	if err := checkBeta(betaH); err != nil {
		return 0, err
	}
	if err := checkBeta(betaV); err != nil {
		return 0, err
	}
	if L < 2 || L > MaxSize {
		return 0, fmt.Errorf("%w: L must be in [2, %d], got %d", ErrSize, MaxSize, L)
	}
	if !b.valid() {
		return 0, fmt.Errorf("%w: boundary must be periodic or twisted, got %d", ErrBoundary, int(b))
	}
	k1, k2 := betaH, betaV
	// ln(2 sinh 2K2) = 2K2 + ln(1 − e^{−4K2}).
	lnTwoSinh := 2*k2 + math.Log(-math.Expm1(-4*k2))
	// tanh K2* = t = e^{−2K2}: cosh 2K2* = coth 2K2 and sinh 2K2* = 1/sinh 2K2.
	gamma := anisotropicGamma(k1, k2, L)
	sum := 0.0
	switch b {
	case Periodic:
		for j := 0; j < L; j++ {
			sum += gamma(2*j + 1)
		}
	case Twisted:
		t := math.Exp(-2 * k2)
		k2Star := 0.5 * math.Log((1+t)/-math.Expm1(-2*k2))
		sum = 2 * (k2Star - k1)
		for j := 1; j < L; j++ {
			sum += gamma(2 * j)
		}
	}
	return float64(L)/2*lnTwoSinh + sum/2, nil
}

// anisotropicGamma returns γ_k of KaufmanAnisotropicLogLambda. With s_i = sinh 2K_i and
// c_i = cosh 2K_i,
//
//	cosh γ_k − 1 = (1 − s1 s2)² / ((c1 c2 + s1 + s2) s2) + 2 (s1/s2) sin²(πk/2L),
//
// written so that γ_k stays accurate where it is small (near the critical line, where
// s1 s2 = 1). Where s1 or s2 would overflow, cosh 2K2* = coth 2K2 and sinh 2K2* = 1/s2 are
// used as they are: for a large K1 in the log form of
// 2 cosh γ_k = e^{2K1}(coth 2K2 − cos θ/s2) + e^{−2K1}(coth 2K2 + cos θ/s2), where γ_k is
// large, and for a large K2 alone in cosh γ_k − 1 = 2 sinh² K1 + c1(coth 2K2 − 1) − s1 cos θ/s2.
func anisotropicGamma(k1, k2 float64, L int) func(k int) float64 {
	const big = 300 // e^{300} is far from overflow, its square is not
	theta := func(k int) float64 { return math.Pi * float64(k) / float64(L) }
	acosh1p := func(u float64) float64 { return math.Log1p(u + math.Sqrt(u*(u+2))) }
	if 2*k1 < big && 2*k2 < big {
		s1, s2 := math.Sinh(2*k1), math.Sinh(2*k2)
		c1, c2 := math.Cosh(2*k1), math.Cosh(2*k2)
		d := 1 - s1*s2
		a := d * d / ((c1*c2 + s1 + s2) * s2)
		r := s1 / s2
		return func(k int) float64 {
			h := math.Sin(theta(k) / 2)
			return acosh1p(a + 2*r*h*h)
		}
	}
	// coth 2K2 − 1 and 1/sinh 2K2, finite for any K2 > 0 in this form.
	den := -math.Expm1(-4 * k2)
	cothM1 := 2 * math.Exp(-4*k2) / den
	cosech := 2 * math.Exp(-2*k2) / den
	if 2*k1 < big {
		sh := math.Sinh(k1)
		c1, s1 := math.Cosh(2*k1), math.Sinh(2*k1)
		return func(k int) float64 {
			return acosh1p(2*sh*sh + c1*cothM1 - s1*cosech*math.Cos(theta(k)))
		}
	}
	return func(k int) float64 {
		cos := math.Cos(theta(k))
		up := 1 + cothM1 - cos*cosech   // (c2 − cos θ)/s2 > 0
		down := 1 + cothM1 + cos*cosech // (c2 + cos θ)/s2
		// γ = ln(2 cosh γ) − ln(1 + e^{−2γ}); the second term is below e^{−300} here.
		return 2*k1 + math.Log(up) + math.Log1p(math.Exp(-4*k1)*down/up)
	}
}
