package analysis

import (
	"fmt"
	"math"
	"slices"

	critsweepv1 "github.com/critsweep/critsweep/proto/critsweep/v1"
	"github.com/critsweep/critsweep/spec"
)

// Boundary names of the seam, as in critsweepv1.TaskSpec.boundary: package spec's.
const (
	Periodic = spec.Periodic
	Twisted  = spec.Twisted
)

// Estimate is a value with its standard error, named as statmech.Estimate is (and
// written "value" and "stderr" in JSON, as the result messages are). A zero StdErr means
// the value is exact (or its error unknown): such points carry no weight information, see
// Options.
type Estimate struct {
	Mean   float64 `json:"value"`
	StdErr float64 `json:"stderr"`
}

// Point is one grid point's result, reduced to what the analysis uses.
type Point struct {
	Beta     float64 `json:"beta"`
	Size     int     `json:"size"`
	Tau      float64 `json:"tau"`
	Boundary string  `json:"boundary"` // Periodic or Twisted
	// Params are the point's slice: τ and its model's second couplings
	// (spec.SliceParams). Nil means τ alone, {tau: Tau}.
	Params Params `json:"params,omitempty"`

	// LnLambdaPerSite is the estimate of ln λ / L.
	LnLambdaPerSite Estimate `json:"ln_lambda_per_site"`
	// Binder and XiOverL are the observables of the end distribution p; nil when absent.
	Binder  *Estimate `json:"binder,omitempty"`
	XiOverL *Estimate `json:"xi_over_l,omitempty"`
	// BulkBinder and BulkXiOverL are those of the bulk distribution P ∝ Th·p²; nil when
	// absent.
	BulkBinder  *Estimate `json:"bulk_binder,omitempty"`
	BulkXiOverL *Estimate `json:"bulk_xi_over_l,omitempty"`
	// Exact holds the exact values where the result carries them; nil otherwise.
	Exact *Exact `json:"exact,omitempty"`
}

// Exact holds the exact values a result was compared with. A field that the exact
// solver left undefined is NaN.
type Exact struct {
	LnLambdaPerSite float64 `json:"ln_lambda_per_site"`
	Binder          float64 `json:"binder"`
	XiOverL         float64 `json:"xi_over_l"`
	// BulkBinder and BulkXiOverL are NaN when the result has no exact bulk observables.
	BulkBinder  float64 `json:"bulk_binder"`
	BulkXiOverL float64 `json:"bulk_xi_over_l"`
}

// PointsFromResults converts stored task results into points, in the same order. It
// returns an error wrapping ErrInvalidPoint, naming the task, for a result without spec,
// result or ln λ estimate, or with values that fail Point validation.
func PointsFromResults(results []*critsweepv1.TaskResult) ([]Point, error) {
	points := make([]Point, 0, len(results))
	for i, tr := range results {
		p, err := pointFromResult(tr)
		if err != nil {
			return nil, fmt.Errorf("task %s: %w", taskName(i, tr), err)
		}
		points = append(points, p)
	}
	return points, nil
}

func taskName(i int, tr *critsweepv1.TaskResult) string {
	if ref := tr.GetRef(); ref != nil {
		return fmt.Sprintf("%s/%d", ref.GetSweepId(), ref.GetIndex())
	}
	return fmt.Sprintf("#%d", i)
}

func pointFromResult(tr *critsweepv1.TaskResult) (Point, error) {
	ts, res := tr.GetSpec(), tr.GetResult()
	if ts == nil || res == nil || res.GetLnLambdaPerSite() == nil {
		return Point{}, fmt.Errorf("%w: missing spec, result or ln λ estimate", ErrInvalidPoint)
	}
	p := Point{
		Beta:            ts.GetBeta(),
		Size:            int(ts.GetSize()),
		Tau:             ts.GetTau(),
		Boundary:        ts.GetBoundary(),
		Params:          Params(spec.SliceParams(ts)),
		LnLambdaPerSite: estimate(res.GetLnLambdaPerSite()),
		Binder:          optEstimate(res.GetBinder()),
		XiOverL:         optEstimate(res.GetXiOverL()),
		BulkBinder:      optEstimate(res.GetBulk().GetBinder()),
		BulkXiOverL:     optEstimate(res.GetBulk().GetXiOverL()),
	}
	if ex := res.GetExact(); ex != nil {
		p.Exact = &Exact{
			LnLambdaPerSite: ex.GetLnLambdaPerSite(),
			Binder:          ex.GetBinder(),
			XiOverL:         ex.GetXiOverL(),
			BulkBinder:      math.NaN(),
			BulkXiOverL:     math.NaN(),
		}
		if b := ex.GetBulk(); b != nil {
			if e := b.GetBinder(); e != nil {
				p.Exact.BulkBinder = e.GetValue()
			}
			if e := b.GetXiOverL(); e != nil {
				p.Exact.BulkXiOverL = e.GetValue()
			}
		}
	}
	return p, p.validate()
}

func estimate(e *critsweepv1.Estimate) Estimate {
	return Estimate{Mean: e.GetValue(), StdErr: e.GetStderr()}
}

func optEstimate(e *critsweepv1.Estimate) *Estimate {
	if e == nil {
		return nil
	}
	x := estimate(e)
	return &x
}

// validate checks the fields the analysis relies on. Optional observables that are not
// finite (an undefined Binder cumulant is NaN) are not errors: they are dropped from
// their curves.
func (p Point) validate() error {
	switch {
	case p.Boundary != Periodic && p.Boundary != Twisted:
		return fmt.Errorf("%w: boundary must be %q or %q, got %q", ErrInvalidPoint, Periodic, Twisted, p.Boundary)
	case p.Size < 2:
		return fmt.Errorf("%w: size must be ≥ 2, got %d", ErrInvalidPoint, p.Size)
	case !(p.Beta > 0) || math.IsInf(p.Beta, 0):
		return fmt.Errorf("%w: β must be finite and > 0, got %g", ErrInvalidPoint, p.Beta)
	case math.IsNaN(p.Tau) || math.IsInf(p.Tau, 0):
		return fmt.Errorf("%w: τ must be finite, got %g", ErrInvalidPoint, p.Tau)
	case !p.LnLambdaPerSite.usable():
		return fmt.Errorf("%w: ln λ/L = %g ± %g (β %g, L %d, %s)", ErrInvalidPoint,
			p.LnLambdaPerSite.Mean, p.LnLambdaPerSite.StdErr, p.Beta, p.Size, p.Boundary)
	}
	return nil
}

// usable reports whether e has a finite value and a finite, non-negative standard error.
func (e Estimate) usable() bool {
	return !math.IsNaN(e.Mean) && !math.IsInf(e.Mean, 0) &&
		e.StdErr >= 0 && !math.IsInf(e.StdErr, 0)
}

// params returns the point's slice parameters: Params, or {tau: Tau} when nil.
func (p Point) params() Params {
	if p.Params == nil {
		return Params{{Name: spec.ParamTau, Value: p.Tau}}
	}
	return p.Params
}

// Slices splits points into the slices of a sweep: the groups that share every
// parameter but β, L and the seam (Point.Params: τ and the model's second couplings). The
// slices are in increasing order of their parameters; each keeps its points in input
// order.
func Slices(points []Point) [][]Point {
	groups := map[string][]Point{}
	var keys []string
	for _, p := range points {
		k := p.params().key()
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	slices.SortFunc(keys, func(a, b string) int { return compareParams(groups[a][0].params(), groups[b][0].params()) })
	out := make([][]Point, len(keys))
	for i, k := range keys {
		out[i] = groups[k]
	}
	return out
}

// key rounds a grid coordinate (β or τ) so that values that differ only by the rounding
// of a grid expansion compare equal: two β are the same grid point when they agree to
// 1e-9.
func key(x float64) int64 { return int64(math.Round(x * 1e9)) }
