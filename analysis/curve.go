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
// the same β (matched to 1e-9), in increasing size: σ_L = L²·(lnλp/L − lnλt/L), with
// standard error L²·√(sp² + st²) from the two per-site standard errors. Sizes with
// fewer than two matched β are left out. The points must be one slice (see Slices): else
// the error wraps ErrSeveralSlices.
func SigmaCurves(points []Point) ([]Curve, error) {
	d, err := newDataset(points)
	if err != nil {
		return nil, err
	}
	return d.curves(d.sigma, Sigma, ""), nil
}

// inputs are the independent estimates a slice's series are made of: each point's ln λ/L
// and observables. A bootstrap replica redraws each of them once, so that a σ_L curve and
// the ln λ/L curve of the same points move together.
type inputs struct {
	mean, sd []float64
}

// add appends an estimate and returns its index.
func (in *inputs) add(e Estimate) int {
	in.mean = append(in.mean, e.Mean)
	in.sd = append(in.sd, e.StdErr)
	return len(in.mean) - 1
}

// part is one term of a series value: coef times input in.
type part struct {
	coef float64
	in   int
}

// series is a curve together with how its values derive from the inputs, so that the
// bootstrap can resample them.
type series struct {
	size   int
	beta   []float64
	parts  [][]part
	exact  []*float64
	inputs *inputs
}

// value is the central value of point i.
func (s *series) value(i int) float64 { return s.valueWith(i, s.inputs.mean) }

// valueWith is the value of point i with the inputs vals (a bootstrap replica's).
func (s *series) valueWith(i int, vals []float64) float64 {
	v := 0.0
	for _, p := range s.parts[i] {
		v += p.coef * vals[p.in]
	}
	return v
}

func (s *series) stderr(i int) float64 {
	v := 0.0
	for _, p := range s.parts[i] {
		sd := s.inputs.sd[p.in]
		v += p.coef * p.coef * sd * sd
	}
	return math.Sqrt(v)
}

// dataset is the points of one slice, arranged into series over shared inputs.
type dataset struct {
	params        Params
	tau           float64
	inputs        *inputs
	sigma         []*series // by size
	binder, xi    []*series // periodic, by size; from source
	source        string    // SourceBulk, SourceEnd or "" when no observables
	lnp, lnt      []*series // ln λ/L by size, periodic and twisted
	sigmaTooShort []int     // sizes whose periodic/twisted points share < 2 β
}

type pointKey struct {
	beta     int64
	params   string
	size     int
	boundary string
}

func newDataset(points []Point) (*dataset, error) {
	seen := make(map[pointKey]bool, len(points))
	for _, p := range points {
		if err := p.validate(); err != nil {
			return nil, err
		}
		k := pointKey{key(p.Beta), p.params().key(), p.Size, p.Boundary}
		if seen[k] {
			return nil, errorf(ErrDuplicate, "β %g, L %d, %s, %s", p.Beta, p.Size, p.params(), p.Boundary)
		}
		seen[k] = true
	}
	sorted := slices.Clone(points)
	slices.SortStableFunc(sorted, func(a, b Point) int {
		return cmp.Or(cmp.Compare(a.Size, b.Size), cmp.Compare(a.Beta, b.Beta))
	})
	d := &dataset{inputs: &inputs{}}
	if len(sorted) > 0 {
		d.params, d.tau = sorted[0].params(), sorted[0].Tau
	}
	for _, p := range sorted {
		if p.params().key() != d.params.key() {
			return nil, errorf(ErrSeveralSlices, "%s and %s", d.params, p.params())
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
		// One input per ln λ estimate, shared by its ln λ/L and σ_L series.
		inP, inT := d.lnInputs(per), d.lnInputs(tw)
		if s := d.lnSeries(L, per, inP); s != nil {
			d.lnp = append(d.lnp, s)
		}
		if s := d.lnSeries(L, tw, inT); s != nil {
			d.lnt = append(d.lnt, s)
		}
		if s := d.sigmaSeries(L, per, tw, inP, inT); s != nil {
			d.sigma = append(d.sigma, s)
		} else if len(per) > 0 && len(tw) > 0 {
			d.sigmaTooShort = append(d.sigmaTooShort, L)
		}
		if d.source == "" {
			continue
		}
		bulk := d.source == SourceBulk
		if s := d.obsSeries(L, per, func(p Point) (*Estimate, float64) {
			if bulk {
				return p.BulkBinder, exactOf(p, func(e *Exact) float64 { return e.BulkBinder })
			}
			return p.Binder, exactOf(p, func(e *Exact) float64 { return e.Binder })
		}); s != nil {
			d.binder = append(d.binder, s)
		}
		if s := d.obsSeries(L, per, func(p Point) (*Estimate, float64) {
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

// lnInputs adds the ln λ/L estimate of each point and returns their indices.
func (d *dataset) lnInputs(pts []Point) []int {
	idx := make([]int, len(pts))
	for i, p := range pts {
		idx[i] = d.inputs.add(p.LnLambdaPerSite)
	}
	return idx
}

func (d *dataset) lnSeries(L int, pts []Point, in []int) *series {
	if len(pts) == 0 {
		return nil
	}
	s := &series{size: L, inputs: d.inputs}
	for i, p := range pts {
		s.beta = append(s.beta, p.Beta)
		s.parts = append(s.parts, []part{{1, in[i]}})
		s.exact = append(s.exact, exactPtr(exactOf(p, func(e *Exact) float64 { return e.LnLambdaPerSite })))
	}
	return s
}

func (d *dataset) sigmaSeries(L int, per, tw []Point, inP, inT []int) *series {
	byBeta := make(map[int64]int, len(tw))
	for i, p := range tw {
		byBeta[key(p.Beta)] = i
	}
	s := &series{size: L, inputs: d.inputs}
	l2 := float64(L * L)
	for i, p := range per {
		j, ok := byBeta[key(p.Beta)]
		if !ok {
			continue
		}
		t := tw[j]
		s.beta = append(s.beta, p.Beta)
		s.parts = append(s.parts, []part{{l2, inP[i]}, {-l2, inT[j]}})
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

func (d *dataset) obsSeries(L int, per []Point, get func(Point) (*Estimate, float64)) *series {
	s := &series{size: L, inputs: d.inputs}
	for _, p := range per {
		e, ex := get(p)
		if e == nil || !e.usable() {
			continue
		}
		s.beta = append(s.beta, p.Beta)
		s.parts = append(s.parts, []part{{1, d.inputs.add(*e)}})
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
