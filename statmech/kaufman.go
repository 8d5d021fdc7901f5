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
