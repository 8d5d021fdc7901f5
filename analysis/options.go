package analysis

// Defaults of Options.
const (
	// DefaultOmega is the exponent ω of β_c(L) = β_c + a·L^−ω used when too few crossings
	// are there to fit it. For the Ising σ_L crossings the shift is L^−(1/ν+ω₂) with ν = 1
	// and the leading correction ω₂ = 2, so ω = 3; the exact crossings bear it out (their
	// local exponent falls from 3.3 at (6,8)–(8,10) through 3.17 at (8,10)–(10,12) to 3.07
	// at L ≈ 30).
	DefaultOmega = 3.0
	// MinCrossingsFreeOmega is the number of crossings from which ω may be fitted rather
	// than fixed at DefaultOmega (fitting β_c, a and ω leaves a degree of freedom).
	MinCrossingsFreeOmega = 4
	// OmegaChi2Gain is how much a free ω must lower the weighted χ² of the extrapolation
	// to replace DefaultOmega: 3.84, the 95% point of χ² with one degree of freedom. With
	// noisy crossings a free ω otherwise wanders to its bounds and inflates the error of
	// β_c several times over.
	OmegaChi2Gain = 3.84
	// DefaultReplicas is the number of parametric bootstrap replicas.
	DefaultReplicas = 400
	// DefaultWindow is the number of grid points taken on each side of a sign change.
	DefaultWindow = 3
	// DefaultDegree is the degree of the local polynomial fitted around a sign change.
	DefaultDegree = 3
)

// Bounds of a fitted ω.
const (
	MinOmega = 0.5
	MaxOmega = 6.0
)

// Options tune the analysis. A nil *Options means every default.
type Options struct {
	// Omega, when > 0, fixes the exponent ω of the extrapolation β_c(L) = β_c + a·L^−ω.
	// Zero means DefaultOmega, or a fitted ω where the crossings resolve it (see
	// Extrapolate).
	Omega float64
	// Replicas is the number of parametric bootstrap replicas; zero means
	// DefaultReplicas, negative means none (every stderr is then zero).
	Replicas int
	// Seed seeds the bootstrap's generator (PCG); every seed, zero included, is valid, and
	// the same seed gives the same error bars.
	Seed uint64
	// Window is the number of grid points on each side of a sign change that the local
	// fit uses (the two points bracketing it count); zero means DefaultWindow.
	Window int
	// Degree is the degree of the local polynomial, 1 to 5; zero means DefaultDegree.
	// It is lowered where the window holds too few points.
	Degree int
	// ExactBetaC, if not nil, returns the exact critical point of a slice and the line it
	// lies on, where one is known: the analyses report it beside their estimate
	// (Analysis.ExactBetaC) and the phase diagram draws it. It is never used in an
	// estimate.
	ExactBetaC func(Params) (betaC float64, line string, ok bool)
	// Anisotropy, if not nil, returns the anisotropy factor ζ of a slice's critical line
	// where it is known (1 for isotropic couplings). On an anisotropic lattice the
	// continuum is isotropic once lengths between rows are multiplied by ζ, and the
	// finite-size amplitudes carry it: ln λ/L = f_∞ + πζc/(6L²), σ_L → 2πζx. The analysis
	// divides c and x by it; a slice with coupling_ratio ≠ 1 and no known ζ reports ζc and
	// ζx, and says so.
	Anisotropy func(Params) (zeta float64, ok bool)
}

// options is Options with the defaults filled in.
type options struct {
	omega    float64 // 0: policy
	replicas int     // ≥ 0
	seed     uint64
	window   int
	degree   int
	exact    func(Params) (float64, string, bool)
	aniso    func(Params) (float64, bool)
}

func (o *Options) resolve() (options, error) {
	r := options{replicas: DefaultReplicas, window: DefaultWindow, degree: DefaultDegree}
	if o == nil {
		return r, nil
	}
	switch {
	case o.Omega < 0 || o.Omega != o.Omega:
		return r, errorf(ErrOptions, "Omega must be ≥ 0, got %g", o.Omega)
	case o.Window < 0:
		return r, errorf(ErrOptions, "Window must be ≥ 0, got %d", o.Window)
	case o.Degree < 0 || o.Degree > 5:
		return r, errorf(ErrOptions, "Degree must be in [0, 5], got %d", o.Degree)
	}
	r.omega, r.seed, r.exact, r.aniso = o.Omega, o.Seed, o.ExactBetaC, o.Anisotropy
	if o.Replicas != 0 {
		r.replicas = max(o.Replicas, 0)
	}
	if o.Window != 0 {
		r.window = o.Window
	}
	if o.Degree != 0 {
		r.degree = o.Degree
	}
	return r, nil
}
