package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Crossing is where the curves of a quantity at two consecutive sizes cross.
type Crossing struct {
	Quantity Quantity `json:"quantity"`
	// Sizes are the pair (L, L'), L < L'.
	Sizes [2]int `json:"sizes"`
	// Size is the pair's effective size L̄ = (L + L')/2, the L of the extrapolation.
	Size float64 `json:"size"`
	// Beta is the β where the two curves are equal.
	Beta float64 `json:"beta"`
	// Stderr is the bootstrap spread of Beta; zero where no bootstrap was run.
	Stderr float64 `json:"stderr"`
}

// Cross returns where two curves of the same quantity cross (Crossing.Stderr is zero: see
// Analyze for error bars). It works on the difference D(β) = a − b at the β the curves
// share: it finds where D changes sign, fits a polynomial of degree Options.Degree by
// weighted least squares (weights 1/(var a + var b), uniform when any standard error
// is zero) to the Options.Window points on each side of the sign change, and returns the
// root of the fit. When noise makes D change sign several times, the window spans them
// all and the root nearest their middle is taken; when the fit has no root near the sign
// changes, a straight line through the window is used. It returns an error wrapping
// ErrNoCrossing when D keeps one sign over the shared β, or when the curves share fewer
// than two β.
func Cross(a, b Curve, o *Options) (Crossing, error) {
	opt, err := o.resolve()
	if err != nil {
		return Crossing{}, err
	}
	lo, hi := a, b
	if lo.Size > hi.Size {
		lo, hi = hi, lo
	}
	c := Crossing{Quantity: a.Quantity, Sizes: [2]int{lo.Size, hi.Size}, Size: float64(lo.Size+hi.Size) / 2}
	in := &inputs{}
	sa, sb := curveSeries(a, in), curveSeries(b, in)
	pr := newPair(sa, sb)
	beta, why := pr.cross(sa, sb, nil, opt)
	if why != "" {
		return Crossing{}, fmt.Errorf("%w: %s: %s", ErrNoCrossing, pairName(a.Quantity, a.Size, b.Size), why)
	}
	c.Beta = beta
	return c, nil
}

// curveSeries is a curve as a series whose inputs are its points, added to in.
func curveSeries(c Curve, in *inputs) *series {
	s := &series{size: c.Size, inputs: in}
	pts := slices.Clone(c.Points)
	slices.SortStableFunc(pts, func(a, b CurvePoint) int { return cmp.Compare(a.Beta, b.Beta) })
	for _, p := range pts {
		s.beta = append(s.beta, p.Beta)
		s.parts = append(s.parts, []part{{1, s.inputs.add(Estimate{p.Mean, p.StdErr})}})
	}
	return s
}

func symbol(q Quantity) string {
	switch q {
	case Sigma:
		return "σ"
	case Binder:
		return "U"
	case XiOverL:
		return "ξ/L"
	}
	return string(q)
}

func pairName(q Quantity, L1, L2 int) string {
	s := symbol(q)
	return fmt.Sprintf("%s_%d − %s_%d", s, L1, s, L2)
}

// pair holds the β that two series share, as indices into each, in increasing β.
type pair struct {
	x      []float64
	ia, ib []int
	w      []float64 // least-squares weights, or nil for uniform
}

func newPair(a, b *series) *pair {
	idx := make(map[int64]int, len(b.beta))
	for i, x := range b.beta {
		idx[key(x)] = i
	}
	pr := &pair{}
	for i, x := range a.beta {
		if j, ok := idx[key(x)]; ok {
			pr.x = append(pr.x, x)
			pr.ia = append(pr.ia, i)
			pr.ib = append(pr.ib, j)
		}
	}
	// The series are sorted by β, so pr.x is too.
	w := make([]float64, len(pr.x))
	for k := range pr.x {
		sa, sb := a.stderr(pr.ia[k]), b.stderr(pr.ib[k])
		v := sa*sa + sb*sb
		if !(v > 0) {
			w = nil
			break
		}
		w[k] = 1 / v
	}
	pr.w = w
	return pr
}

// cross finds the crossing of a and b at the pair's β. vals, when not nil, replaces the
// central values of the inputs (a bootstrap replica); the weights stay the central ones.
// When the curves do not cross it returns why, else an empty string.
func (pr *pair) cross(a, b *series, vals []float64, opt options) (float64, string) {
	n := len(pr.x)
	if n < 2 {
		return 0, fmt.Sprintf("the curves share %d β, need 2", n)
	}
	if vals == nil {
		vals = a.inputs.mean
	}
	d := make([]float64, n)
	for k := range d {
		d[k] = a.valueWith(pr.ia[k], vals) - b.valueWith(pr.ib[k], vals)
	}
	return localRoot(pr.x, d, pr.w, opt.window, opt.degree)
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// localRoot returns the root of d(x) near its sign changes (see Cross), or why there is
// none. x is increasing; w is nil for uniform weights.
func localRoot(x, d, w []float64, window, degree int) (float64, string) {
	n := len(x)
	first, last := -1, -1
	for i := 0; i+1 < n; i++ {
		if sign(d[i]) != sign(d[i+1]) || d[i] == 0 {
			if first < 0 {
				first = i
			}
			last = i + 1
		}
	}
	if first < 0 {
		if d[n-1] == 0 {
			return x[n-1], ""
		}
		rel := "positive"
		if d[0] < 0 {
			rel = "negative"
		}
		return 0, fmt.Sprintf("the difference stays %s at all %d shared β in [%g, %g]", rel, n, x[0], x[n-1])
	}
	lo, hi := max(first-(window-1), 0), min(last+(window-1), n-1)
	xs, ds := x[lo:hi+1], d[lo:hi+1]
	var ws []float64
	if w != nil {
		ws = w[lo : hi+1]
	}
	mid := (x[first] + x[last]) / 2
	for _, deg := range []int{min(degree, len(xs)-1), 1} {
		p, ok := fitPoly(xs, ds, ws, deg)
		if !ok {
			continue
		}
		if r, ok := p.rootNear(x[first], x[last], mid); ok {
			return r, ""
		}
		if r, ok := p.rootNear(xs[0], xs[len(xs)-1], mid); ok {
			return r, ""
		}
	}
	return 0, fmt.Sprintf("the difference changes sign in [%g, %g] but no fit through it has a root there", x[first], x[last])
}

// poly is a polynomial in the scaled abscissa t = (x − c)/h: Σ coef[k] t^k.
type poly struct {
	coef []float64
	c, h float64
}

func (p poly) at(x float64) float64 {
	t := (x - p.c) / p.h
	v := 0.0
	for k := len(p.coef) - 1; k >= 0; k-- {
		v = v*t + p.coef[k]
	}
	return v
}

// slope returns the derivative of p at x.
func (p poly) slope(x float64) float64 {
	t := (x - p.c) / p.h
	v := 0.0
	for k := len(p.coef) - 1; k >= 1; k-- {
		v = v*t + float64(k)*p.coef[k]
	}
	return v / p.h
}

// fitPoly fits a polynomial of degree deg to (x, y) by weighted least squares (w nil:
// uniform). ok is false when the normal equations are singular.
func fitPoly(x, y, w []float64, deg int) (poly, bool) {
	n := len(x)
	if deg < 0 || n < deg+1 {
		return poly{}, false
	}
	p := poly{c: (x[0] + x[n-1]) / 2, h: (x[n-1] - x[0]) / 2}
	if !(p.h > 0) {
		return poly{}, false
	}
	m := deg + 1
	a := make([][]float64, m)
	for i := range a {
		a[i] = make([]float64, m+1)
	}
	pow := make([]float64, 2*m)
	for i := range n {
		t := (x[i] - p.c) / p.h
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		pow[0] = wi
		for k := 1; k < 2*m; k++ {
			pow[k] = pow[k-1] * t
		}
		for r := range m {
			for c := range m {
				a[r][c] += pow[r+c]
			}
			a[r][m] += pow[r] * y[i]
		}
	}
	coef, ok := solve(a)
	p.coef = coef
	return p, ok
}

// solve solves the augmented system a (m × m+1) by Gaussian elimination with partial
// pivoting, overwriting a.
func solve(a [][]float64) ([]float64, bool) {
	m := len(a)
	scale := 0.0
	for r := range m {
		for c := range m {
			scale = max(scale, math.Abs(a[r][c]))
		}
	}
	for col := range m {
		piv := col
		for r := col + 1; r < m; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if !(math.Abs(a[piv][col]) > 1e-13*scale) {
			return nil, false
		}
		a[col], a[piv] = a[piv], a[col]
		for r := col + 1; r < m; r++ {
			f := a[r][col] / a[col][col]
			for c := col; c <= m; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	x := make([]float64, m)
	for r := m - 1; r >= 0; r-- {
		s := a[r][m]
		for c := r + 1; c < m; c++ {
			s -= a[r][c] * x[c]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// rootNear returns the root of p in [lo, hi] nearest to mid, found by scanning 64
// subintervals for sign changes and bisecting each.
func (p poly) rootNear(lo, hi, mid float64) (float64, bool) {
	const steps = 64
	best, found := 0.0, false
	prevX, prevY := lo, p.at(lo)
	for i := 1; i <= steps; i++ {
		x := lo + (hi-lo)*float64(i)/steps
		if i == steps {
			x = hi
		}
		y := p.at(x)
		var r float64
		switch {
		case prevY == 0:
			r = prevX
		case y == 0:
			r = x
		case (prevY < 0) != (y < 0):
			r = p.bisect(prevX, x, prevY)
		default:
			prevX, prevY = x, y
			continue
		}
		if !found || math.Abs(r-mid) < math.Abs(best-mid) {
			best, found = r, true
		}
		prevX, prevY = x, y
	}
	return best, found
}

func (p poly) bisect(a, b, fa float64) float64 {
	for range 200 {
		m := (a + b) / 2
		if m == a || m == b {
			break
		}
		fm := p.at(m)
		if fm == 0 {
			return m
		}
		if (fm < 0) == (fa < 0) {
			a, fa = m, fm
		} else {
			b = m
		}
	}
	return (a + b) / 2
}
