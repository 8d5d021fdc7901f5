package statmech

import (
	"fmt"
	"math"
)

// PerronOptions are the settings of Perron. A nil *PerronOptions, and the zero value of
// each field, mean the documented defaults.
type PerronOptions struct {
	// Tol is the tolerance on the change of ln λ between two iterations. Zero means 1e-12.
	Tol float64
	// VectorTol is the tolerance on the change of the iterate between two iterations,
	// ‖φ_k − φ_{k−1}‖₂ for unit vectors φ (see PerronResult.VectorChange). Zero means 1e-10.
	VectorTol float64
	// MaxIterations bounds the number of iterations. Zero means 100000.
	MaxIterations int
	// Start, if not nil, is the starting vector: a nonnegative vector of q^L entries,
	// indexed like PerronResult.P, with a positive sum, for instance the Perron vector at a
	// nearby β. nil means the uniform vector.
	Start []float64
}

// PerronResult is the leading eigenpair of a transfer matrix, from Perron.
type PerronResult struct {
	// P is the right Perron vector p of T, the stationary row distribution at the open end
	// of a half-infinite cylinder: P[n] is the probability of the hard row with index n
	// (System.Index, n = Σ_i s_i q^i), and P sums to 1.
	P []float64
	// LogLambda is ln λ, the log of the whole leading eigenvalue (not per site).
	LogLambda float64
	// Iterations is the number of power iterations done.
	Iterations int
	// LogLambdaChange is |Δ ln λ| in the last iteration.
	LogLambdaChange float64
	// VectorChange is ‖φ_k − φ_{k−1}‖₂ in the last iteration, for the unit vector φ that the
	// iteration works on (φ ∝ Th^{1/2}·p for a symmetric Wv, φ ∝ p otherwise). Near
	// convergence it equals the residual ‖Aφ − λφ‖₂/λ of the iterated matrix A.
	VectorChange float64
}

// Perron returns the Perron eigenpair of the transfer matrix of sys,
// (Tp)(x) = Σ_x' V(x, x') Th(x') p(x') with V(x, x') = Π_i Wv(x_i, x'_i), by power iteration.
// V is applied one site at a time, so that an iteration costs O(L·q^(L+1)) operations and
// three vectors of q^L float64; the dense matrix is never built. q^L must not exceed
// MaxStates (ErrTooLarge otherwise).
//
// For a symmetric Wv (System.Symmetric) the iteration runs on the symmetric matrix
// S = Th^{1/2} V Th^{1/2}, whose Rayleigh quotient gives ln λ with an error of second order
// in the error of the vector; otherwise on T itself. Weights are rescaled by their maxima, so large L·β does not
// overflow.
//
// Iteration stops when both the change of ln λ and the change of the vector fall below
// their tolerances. If MaxIterations is reached first, Perron returns the last iterate
// together with an error wrapping ErrNotConverged.
func Perron(sys *System, o *PerronOptions) (*PerronResult, error) {
	n, err := sys.NumStates()
	if err != nil {
		return nil, err
	}
	tol, vtol, maxIt := 1e-12, 1e-10, 100000
	var start []float64
	if o != nil {
		if err := checkOptions(o, n); err != nil {
			return nil, err
		}
		if o.Tol > 0 {
			tol = o.Tol
		}
		if o.VectorTol > 0 {
			vtol = o.VectorTol
		}
		if o.MaxIterations > 0 {
			maxIt = o.MaxIterations
		}
		start = o.Start
	}
	q, L := sys.q, sys.l
	sym := sys.Symmetric()

	// d holds Th/e^c (or its square root for the symmetric form), c = max ln Th.
	d := make([]float64, n)
	sys.logHorizontalAll(d)
	c := math.Inf(-1)
	for _, v := range d {
		c = max(c, v)
	}
	scale := 1.0
	if sym {
		scale = 0.5
	}
	for k, v := range d {
		d[k] = math.Exp(scale * (v - c))
	}
	wmax := 0.0
	for _, v := range sys.wv.w {
		wmax = max(wmax, v)
	}
	w := make([]float64, q*q)
	for k, v := range sys.wv.w {
		w[k] = v / wmax
	}
	logOffset := c + float64(L)*math.Log(wmax)

	phi := make([]float64, n)
	if start != nil {
		for k, v := range start {
			if sym {
				v *= d[k]
			}
			phi[k] = v
		}
	} else {
		for k := range phi {
			phi[k] = 1
		}
	}
	scaleTo(phi, 1/math.Sqrt(dot(phi, phi)))

	u := make([]float64, n)
	vert := newVertical(w, q, L)
	res := &PerronResult{LogLambda: math.NaN(), LogLambdaChange: math.Inf(1), VectorChange: math.Inf(1)}
	converged := false
	for res.Iterations < maxIt && !converged {
		res.Iterations++
		for k, dk := range d {
			u[k] = dk * phi[k]
		}
		vert.apply(u)
		y := u
		var mu, ny2 float64
		if sym {
			for k, dk := range d {
				yk := y[k] * dk
				y[k] = yk
				mu += phi[k] * yk
				ny2 += yk * yk
			}
		} else {
			for k, yk := range y {
				mu += phi[k] * yk
				ny2 += yk * yk
			}
		}
		ny := math.Sqrt(ny2)
		if !(mu > 0) || math.IsInf(ny, 0) || !(ny > 0) {
			return nil, fmt.Errorf("%w: the iterate became %v after %d iterations (weights out of floating-point range)",
				ErrNotConverged, mu, res.Iterations)
		}
		inv, change := 1/ny, 0.0
		for k, yk := range y {
			yk *= inv
			diff := yk - phi[k]
			change += diff * diff
			phi[k] = yk
		}
		lnLambda := math.Log(mu) + logOffset
		res.LogLambdaChange = math.Abs(lnLambda - res.LogLambda)
		res.VectorChange = math.Sqrt(change)
		res.LogLambda = lnLambda
		converged = res.LogLambdaChange <= tol && res.VectorChange <= vtol
	}

	// p = φ for T itself; for S, φ = Th^{1/2} p and p = V Th p / λ = V (Th^{1/2} φ) / λ.
	p := phi
	if sym {
		for k, dk := range d {
			u[k] = dk * phi[k]
		}
		vert.apply(u)
		p = u
	}
	sum := 0.0
	for _, x := range p {
		sum += x
	}
	scaleTo(p, 1/sum)
	res.P = p
	if !converged {
		return res, fmt.Errorf("%w: %d iterations, |Δ ln λ| = %.3g (tolerance %.3g), ‖Δφ‖ = %.3g (tolerance %.3g)",
			ErrNotConverged, res.Iterations, res.LogLambdaChange, tol, res.VectorChange, vtol)
	}
	return res, nil
}

func checkOptions(o *PerronOptions, n int) error {
	if !(o.Tol >= 0) || math.IsInf(o.Tol, 0) {
		return fmt.Errorf("%w: Tol must be finite and >= 0 (0 for the default 1e-12), got %v", ErrOptions, o.Tol)
	}
	if !(o.VectorTol >= 0) || math.IsInf(o.VectorTol, 0) {
		return fmt.Errorf("%w: VectorTol must be finite and >= 0 (0 for the default 1e-10), got %v", ErrOptions, o.VectorTol)
	}
	if o.MaxIterations < 0 {
		return fmt.Errorf("%w: MaxIterations must be >= 0 (0 for the default 100000), got %d", ErrOptions, o.MaxIterations)
	}
	if o.Start != nil {
		if len(o.Start) != n {
			return fmt.Errorf("%w: Start must have q^L = %d entries, got %d", ErrOptions, n, len(o.Start))
		}
		if err := checkDistribution(o.Start); err != nil {
			return fmt.Errorf("%w: Start: %w", ErrOptions, err)
		}
	}
	return nil
}

// checkDistribution returns an error wrapping ErrDistribution unless p is nonnegative,
// finite and has a positive sum.
func checkDistribution(p []float64) error {
	sum := 0.0
	for k, v := range p {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: entries must be finite and >= 0, entry %d is %v", ErrDistribution, k, v)
		}
		sum += v
	}
	if !(sum > 0) || math.IsInf(sum, 0) {
		return fmt.Errorf("%w: the sum of the entries must be finite and > 0, got %v", ErrDistribution, sum)
	}
	return nil
}

func scaleTo(x []float64, f float64) {
	for k := range x {
		x[k] *= f
	}
}

// Bulk returns the row distribution in the bulk of an infinite cylinder,
// P(x) ∝ Th(x)·p(x)², from the Perron vector p (PerronResult.P). It needs a symmetric
// vertical weight Wv (System.Symmetric; ErrAsymmetric otherwise), for which Th·p is the left
// Perron vector. p must have q^L
// entries (it panics otherwise), nonnegative with a positive sum (ErrDistribution).
func (s *System) Bulk(p []float64) ([]float64, error) {
	n, err := s.NumStates()
	if err != nil {
		return nil, err
	}
	checkLen("p", len(p), n)
	if !s.Symmetric() {
		return nil, fmt.Errorf("%w: the bulk distribution Th·p² needs Wv(a,b) = Wv(b,a)", ErrAsymmetric)
	}
	if err := checkDistribution(p); err != nil {
		return nil, err
	}
	bulk := make([]float64, n)
	s.logHorizontalAll(bulk)
	c := math.Inf(-1)
	for _, v := range bulk {
		c = max(c, v)
	}
	sum := 0.0
	for k, v := range bulk {
		v = math.Exp(v-c) * p[k] * p[k]
		bulk[k] = v
		sum += v
	}
	if !(sum > 0) {
		return nil, fmt.Errorf("%w: Th·p² underflows to zero", ErrDistribution)
	}
	scaleTo(bulk, 1/sum)
	return bulk, nil
}
