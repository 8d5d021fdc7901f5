package analysis

import (
	"cmp"
	"math"
	"slices"
)

// Quantity names a curve's observable.
type Quantity string

// The quantities that the analysis builds curves of.
const (
	// Sigma is σ_L(β) = L·(ln λ_periodic − ln λ_twisted), the scaled interface free energy.
	Sigma Quantity = "sigma"
	// Binder is the Binder cumulant of the periodic rows (bulk or end, see
	// Analysis.ObservableSource).
	Binder Quantity = "binder"
	// XiOverL is the second-moment correlation length over L of the periodic rows.
	XiOverL Quantity = "xi_over_l"
	// LnLambdaPerSite is ln λ / L of one boundary.
	LnLambdaPerSite Quantity = "ln_lambda_per_site"
)

// Observable sources, see Analysis.ObservableSource.
const (
	SourceBulk = "bulk" // the bulk distribution P ∝ Th·p²
	SourceEnd  = "end"  // the end distribution p itself
)

// Curve is one quantity against β at one size, in increasing β.
type Curve struct {
	Quantity Quantity `json:"quantity"`
	Size     int      `json:"size"`
	// Boundary is Periodic or Twisted for LnLambdaPerSite, Periodic for Binder and
	// XiOverL, and empty for Sigma (which needs both).
	Boundary string       `json:"boundary,omitempty"`
	Points   []CurvePoint `json:"points"`
}

// CurvePoint is one point of a Curve.
type CurvePoint struct {
	Beta   float64 `json:"beta"`
	Mean   float64 `json:"value"`
	StdErr float64 `json:"stderr"`
	// Exact is the exact value where the results carry one (LnLambdaPerSite, Binder and
	// XiOverL curves only).
	Exact *float64 `json:"exact,omitempty"`
}

// SigmaCurves returns σ_L(β) for every size that has a periodic and a twisted point at
// the same β (matched to 1e-9) and τ, in increasing size: σ_L = L²·(lnλp/L − lnλt/L), with
// standard error L²·√(sp² + st²) from the two per-site standard errors. Sizes with
// fewer than two matched β are left out. The points must share one τ (see ByTau): else
// the error wraps ErrSeveralTaus.
func SigmaCurves(points []Point) ([]Curve, error) {
	d, err := newDataset(points)
	if err != nil {
		return nil, err
	}
	return d.curves(d.sigma, Sigma, ""), nil
}

// part is one resampled input of a series value: value = Σ coef·(mean + stderr·z).
type part struct{ coef, mean, stderr float64 }

// series is a curve together with how its values derive from independent input
// estimates, so that the bootstrap can resample the inputs.
type series struct {
	size  int
	beta  []float64
	parts [][]part
	exact []*float64
}

func (s *series) value(i int) float64 {
	v := 0.0
	for _, p := range s.parts[i] {
		v += p.coef * p.mean
	}
	return v
}

func (s *series) stderr(i int) float64 {
	v := 0.0
	for _, p := range s.parts[i] {
		v += p.coef * p.coef * p.stderr * p.stderr
	}
	return math.Sqrt(v)
}

// dataset is the points of one τ, arranged into series.
type dataset struct {
	tau           float64
	sigma         []*series // by size
	binder, xi    []*series // periodic, by size; from source
	source        string    // SourceBulk, SourceEnd or "" when no observables
	lnp, lnt      []*series // ln λ/L by size, periodic and twisted
	sigmaTooShort []int     // sizes whose periodic/twisted points share < 2 β
}

type pointKey struct {
	beta, tau int64
	size      int
	boundary  string
}

func newDataset(points []Point) (*dataset, error) {
	seen := make(map[pointKey]bool, len(points))
	for _, p := range points {
		if err := p.validate(); err != nil {
			return nil, err
		}
		k := pointKey{key(p.Beta), key(p.Tau), p.Size, p.Boundary}
		if seen[k] {
			return nil, errorf(ErrDuplicate, "β %g, L %d, τ %g, %s", p.Beta, p.Size, p.Tau, p.Boundary)
		}
		seen[k] = true
	}
	sorted := slices.Clone(points)
	slices.SortStableFunc(sorted, func(a, b Point) int {
		return cmp.Or(cmp.Compare(a.Size, b.Size), cmp.Compare(a.Tau, b.Tau), cmp.Compare(a.Beta, b.Beta))
	})
	d := &dataset{}
	if len(sorted) > 0 {
		d.tau = sorted[0].Tau
	}
	for _, p := range sorted {
		if key(p.Tau) != key(d.tau) {
			return nil, errorf(ErrSeveralTaus, "τ %g and %g", d.tau, p.Tau)
		}
	}
	d.source = observableSource(sorted)
	for _, L := range sizesOf(sorted) {
		var per, tw []Point
		for _, p := range sorted {
			if p.Size != L {
				continue
			}
			if p.Boundary == Periodic {
				per = append(per, p)
			} else {
				tw = append(tw, p)
			}
		}
		if s := lnSeries(L, per); s != nil {
			d.lnp = append(d.lnp, s)
		}
		if s := lnSeries(L, tw); s != nil {
			d.lnt = append(d.lnt, s)
		}
		if s := sigmaSeries(L, per, tw); s != nil {
			d.sigma = append(d.sigma, s)
		} else if len(per) > 0 && len(tw) > 0 {
			d.sigmaTooShort = append(d.sigmaTooShort, L)
		}
		if d.source == "" {
			continue
		}
		bulk := d.source == SourceBulk
		if s := obsSeries(L, per, func(p Point) (*Estimate, float64) {
			if bulk {
				return p.BulkBinder, exactOf(p, func(e *Exact) float64 { return e.BulkBinder })
			}
			return p.Binder, exactOf(p, func(e *Exact) float64 { return e.Binder })
		}); s != nil {
			d.binder = append(d.binder, s)
		}
		if s := obsSeries(L, per, func(p Point) (*Estimate, float64) {
			if bulk {
				return p.BulkXiOverL, exactOf(p, func(e *Exact) float64 { return e.BulkXiOverL })
			}
			return p.XiOverL, exactOf(p, func(e *Exact) float64 { return e.XiOverL })
		}); s != nil {
			d.xi = append(d.xi, s)
		}
	}
	return d, nil
}

func exactOf(p Point, f func(*Exact) float64) float64 {
	if p.Exact == nil {
		return math.NaN()
	}
	return f(p.Exact)
}

func sizesOf(points []Point) []int {
	var sizes []int
	for _, p := range points {
		if len(sizes) == 0 || sizes[len(sizes)-1] != p.Size {
			sizes = append(sizes, p.Size)
		}
	}
	return sizes
}

// observableSource is SourceBulk when every periodic point carries a bulk Binder
// cumulant or ξ/L, else SourceEnd when some periodic point carries an end one, else "".
func observableSource(points []Point) string {
	bulk, end, periodic := 0, 0, 0
	for _, p := range points {
		if p.Boundary != Periodic {
			continue
		}
		periodic++
		if p.BulkBinder != nil || p.BulkXiOverL != nil {
			bulk++
		}
		if p.Binder != nil || p.XiOverL != nil {
			end++
		}
	}
	switch {
	case periodic > 0 && bulk == periodic:
		return SourceBulk
	case end > 0:
		return SourceEnd
	}
	return ""
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func exactPtr(x float64) *float64 {
	if !finite(x) {
		return nil
	}
	return &x
}

func lnSeries(L int, pts []Point) *series {
	if len(pts) == 0 {
		return nil
	}
	s := &series{size: L}
	for _, p := range pts {
		s.beta = append(s.beta, p.Beta)
		s.parts = append(s.parts, []part{{1, p.LnLambdaPerSite.Mean, p.LnLambdaPerSite.StdErr}})
		s.exact = append(s.exact, exactPtr(exactOf(p, func(e *Exact) float64 { return e.LnLambdaPerSite })))
	}
	return s
}

func sigmaSeries(L int, per, tw []Point) *series {
	byBeta := make(map[int64]Point, len(tw))
	for _, p := range tw {
		byBeta[key(p.Beta)] = p
	}
	s := &series{size: L}
	l2 := float64(L * L)
	for _, p := range per {
		t, ok := byBeta[key(p.Beta)]
		if !ok {
			continue
		}
		s.beta = append(s.beta, p.Beta)
		s.parts = append(s.parts, []part{
			{l2, p.LnLambdaPerSite.Mean, p.LnLambdaPerSite.StdErr},
			{-l2, t.LnLambdaPerSite.Mean, t.LnLambdaPerSite.StdErr},
		})
		var ex *float64
		if p.Exact != nil && t.Exact != nil {
			ex = exactPtr(l2 * (p.Exact.LnLambdaPerSite - t.Exact.LnLambdaPerSite))
		}
		s.exact = append(s.exact, ex)
	}
	if len(s.beta) < 2 {
		return nil
	}
	return s
}

func obsSeries(L int, per []Point, get func(Point) (*Estimate, float64)) *series {
	s := &series{size: L}
	for _, p := range per {
		e, ex := get(p)
		if e == nil || !e.usable() {
			continue
		}
		s.beta = append(s.beta, p.Beta)
		s.parts = append(s.parts, []part{{1, e.Mean, e.StdErr}})
		s.exact = append(s.exact, exactPtr(ex))
	}
	if len(s.beta) < 2 {
		return nil
	}
	return s
}

// curves converts series into Curves.
func (d *dataset) curves(ss []*series, q Quantity, boundary string) []Curve {
	out := make([]Curve, 0, len(ss))
	for _, s := range ss {
		c := Curve{Quantity: q, Size: s.size, Boundary: boundary, Points: make([]CurvePoint, len(s.beta))}
		for i := range s.beta {
			c.Points[i] = CurvePoint{Beta: s.beta[i], Mean: s.value(i), StdErr: s.stderr(i), Exact: s.exact[i]}
		}
		out = append(out, c)
	}
	return out
}
