package statmech

import "errors"

// Errors returned when a model or a lattice is specified with values outside the allowed
// range. Each is wrapped with %w together with a message that names the parameter, the
// allowed range and the value given, so callers can both test for the kind with errors.Is
// and show the message to a user as it stands.
var (
	// ErrBeta is returned when the inverse temperature β is not finite or not > 0.
	ErrBeta = errors.New("statmech: invalid inverse temperature")
	// ErrStates is returned when the number of states per site q is out of range.
	ErrStates = errors.New("statmech: invalid number of states")
	// ErrBondWeight is returned when a bond weight matrix is empty, not square, not
	// finite or not positive.
	ErrBondWeight = errors.New("statmech: invalid bond weight")
	// ErrSize is returned when the row length L is out of range.
	ErrSize = errors.New("statmech: invalid size")
	// ErrBoundary is returned for an unknown boundary condition.
	ErrBoundary = errors.New("statmech: invalid boundary")
	// ErrCoupling is returned for a coupling outside the range a model supports: the
	// Ashkin–Teller four-spin coupling, or a coupling ratio that is not finite and > 0.
	ErrCoupling = errors.New("statmech: invalid coupling")
	// ErrNoClosedForm is returned by the critical-point functions for a model or a
	// parameter where no exact critical point is known.
	ErrNoClosedForm = errors.New("statmech: no exact critical point known")
)

// Errors returned by the exact solvers and the observables.
var (
	// ErrTooLarge is returned when q^L exceeds MaxStates, the limit of exact enumeration.
	ErrTooLarge = errors.New("statmech: state space too large")
	// ErrOptions is returned for invalid PerronOptions.
	ErrOptions = errors.New("statmech: invalid options")
	// ErrNotConverged is returned, together with the last iterate, when power iteration
	// reaches its iteration limit before its tolerances.
	ErrNotConverged = errors.New("statmech: power iteration did not converge")
	// ErrAsymmetric is returned by computations that need a symmetric bond weight.
	ErrAsymmetric = errors.New("statmech: bond weight is not symmetric")
	// ErrDistribution is returned when a probability vector has negative or non-finite
	// entries or sums to zero.
	ErrDistribution = errors.New("statmech: invalid distribution")
	// ErrSamples is returned when there are too few samples, or their log-weights are not
	// usable (NaN, +Inf, or all -Inf).
	ErrSamples = errors.New("statmech: invalid samples")
)
