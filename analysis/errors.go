package analysis

import (
	"errors"
	"fmt"
)

// Errors returned while reading results into points.
var (
	// ErrInvalidPoint is returned for a point or stored result that cannot be analysed: a
	// missing spec or result, a boundary other than "periodic" or "twisted", a size below 2,
	// a β that is not finite and positive, or a value or standard error that is not finite
	// (or a negative standard error).
	ErrInvalidPoint = errors.New("analysis: invalid point")
)

// Errors returned by Analyze and the crossing and extrapolation functions.
var (
	// ErrOptions is returned for Options out of range (see each field).
	ErrOptions = errors.New("analysis: invalid options")
	// ErrDuplicate is returned when two points share β, L, τ and boundary.
	ErrDuplicate = errors.New("analysis: duplicate point")
	// ErrSeveralSlices is returned by Analyze when the points hold more than one slice
	// (more than one value of τ or of a model's second coupling); split them with Slices
	// first, or analyse them all with AnalyzeSweep.
	ErrSeveralSlices = errors.New("analysis: points hold more than one slice")
	// ErrTooFewSizes is returned when fewer than two sizes have a curve of the quantity
	// that locates β_c (for σ_L: both a periodic and a twisted point at two or more
	// common β).
	ErrTooFewSizes = errors.New("analysis: need curves for at least two sizes")
	// ErrNoCrossing is returned when two curves do not cross inside the β range they
	// share, and by Analyze when no pair of consecutive sizes crosses.
	ErrNoCrossing = errors.New("analysis: curves do not cross in the β range")
	// ErrFit is returned when an extrapolation is ill-posed: no crossing, a non-positive
	// size, or crossings whose sizes are all equal.
	ErrFit = errors.New("analysis: extrapolation in L is ill-posed")
	// ErrBootstrap is returned when fewer than two bootstrap replicas yield every σ_L
	// crossing that the central estimate has, so that no error bar can be given.
	ErrBootstrap = errors.New("analysis: every bootstrap replica failed")
)

// errorf wraps a sentinel error with a formatted detail: "<sentinel>: <detail>".
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
