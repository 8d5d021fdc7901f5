package analysis

import (
	"fmt"
	"math"
)

// The universal numbers of a slice come from effective values at each size, extrapolated
// in L:
//
//   - ν from the slopes of σ_L at each crossing of (L, L'): dσ_L/dβ ∝ L^{1/ν}, so that
//     ν_eff = ln(L'/L) / ln(s'/s) at L̄ = (L+L')/2, extrapolated as ν + b·L̄^−2;
//   - the central charge c from ln λ/L of the periodic seam at β_c:
//     ln λ/L = f_∞ + πc/(6L²) + d·L^−4;
//   - the twist scaling dimension x from σ_L(β_c) → 2πx: x_L = σ_L(β_c)/2π, extrapolated
//     as x + b·L^−2.
//
// Their systematic errors are the largest change over the admissible alternatives: other
// correction exponents, the smallest size dropped, and β_c moved by its own systematic
// error.

// SizeValue is an effective value at one size (or the mean size of a pair), with its
// bootstrap standard error.
type SizeValue struct {
	Size   float64 `json:"size"`
	Value  float64 `json:"value"`
	Stderr float64 `json:"stderr"`
}

// model is an extrapolation in L: y(L) = Σ_j c_j·L^−exps[j]; the result is
// scale·c_coef.
type model struct {
	exps  []float64
	coef  int
	scale float64
	what  string // in words, for the notes
}

// params is the number of coefficients.
func (m model) params() int { return len(m.exps) }

// fit fits the model to (L, y) by weighted least squares (w nil: uniform) and returns
// its result; ok is false when there are fewer points than coefficients or the system is
// singular.
func (m model) fit(L, y, w []float64) (float64, bool) {
	n, k := len(L), m.params()
	if n < k || k == 0 {
		return math.NaN(), false
	}
	a := make([][]float64, k)
	for i := range a {
		a[i] = make([]float64, k+1)
	}
	row := make([]float64, k)
	for i := range n {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		for j, e := range m.exps {
			row[j] = math.Pow(L[i], -e)
		}
		for r := range k {
			for c := range k {
				a[r][c] += wi * row[r] * row[c]
			}
			a[r][k] += wi * row[r] * y[i]
		}
	}
	coef, ok := solve(a)
	if !ok {
		return math.NaN(), false
	}
	return m.scale * coef[m.coef], true
}

// quantity is one universal number of a slice: its effective values per size, central
// and in each bootstrap replica, and how they are extrapolated.
type quantity struct {
	name    string
	sizes   []float64   // the L (or L̄) of each effective value
	central []float64   // the central effective values (NaN where none)
	reps    [][]float64 // reps[r][k]: replica r's effective value k (NaN where it failed)
	shifted [][]float64 // the central values at β_c − and + its systematic error
	main    model
	alts    []alternative
}

// keepFinite keeps the sizes whose central value exists.
func (q *quantity) keepFinite() {
	var idx []int
	for k, v := range q.central {
		if !math.IsNaN(v) {
			idx = append(idx, k)
		}
	}
	pick := func(xs []float64) []float64 {
		out := make([]float64, len(idx))
		for i, k := range idx {
			out[i] = xs[k]
		}
		return out
	}
	q.sizes, q.central = pick(q.sizes), pick(q.central)
	for r := range q.reps {
		q.reps[r] = pick(q.reps[r])
	}
	for i := range q.shifted {
		q.shifted[i] = pick(q.shifted[i])
	}
}

// shiftedAlternatives are the main model fitted to the values at β_c ± its systematic
// error.
func (q *quantity) shiftedAlternatives() []alternative {
	var alts []alternative
	for i, v := range q.shifted {
		alts = append(alts, alternative{what: []string{"β_c − its systematic error", "β_c + its systematic error"}[i], m: q.main, values: v})
	}
	return alts
}

// alternative is another admissible analysis of the same quantity, for the systematic
// error: another model, or the effective values from fewer sizes or another β_c.
type alternative struct {
	what   string
	m      model
	drop   int       // the number of smallest sizes left out
	values []float64 // other central effective values (nil: the quantity's own)
}

// weights are 1/stderr² of the effective values over the replicas, or nil (uniform)
// when any is not positive.
func (q *quantity) weights() ([]float64, []float64) {
	se := make([]float64, len(q.sizes))
	w := make([]float64, len(q.sizes))
	for k := range q.sizes {
		var xs []float64
		for _, r := range q.reps {
			if k < len(r) && !math.IsNaN(r[k]) {
				xs = append(xs, r[k])
			}
		}
		if len(xs) >= 2 {
			se[k] = stddev(xs)
		}
		if !(se[k] > 0) {
			w = nil
		} else if w != nil {
			w[k] = 1 / (se[k] * se[k])
		}
	}
	return se, w
}

// result is a universal number with its errors, as Analyze reports it.
type result struct {
	value, stderr, systematic float64
	sysKnown                  bool
	effective                 []SizeValue
	note                      string
}

// evaluate extrapolates the central values and every replica with the same weights, and
// takes the systematic error over the alternatives. ok is false when the central values
// cannot be extrapolated at all.
func (q *quantity) evaluate() (result, bool) {
	var res result
	se, w := q.weights()
	for k, L := range q.sizes {
		res.effective = append(res.effective, SizeValue{Size: L, Value: q.central[k], Stderr: se[k]})
	}
	v, ok := q.main.fit(q.sizes, q.central, w)
	if !ok || !finite(v) {
		return res, false
	}
	res.value = v
	var reps []float64
	for _, r := range q.reps {
		if x, ok := q.main.fit(q.sizes, r, w); ok && finite(x) {
			reps = append(reps, x)
		}
	}
	if len(reps) >= 2 {
		res.stderr = stddev(reps)
	}
	var whats []string
	for _, alt := range q.alts {
		L, y, ww := q.sizes[alt.drop:], q.central[alt.drop:], w
		if alt.values != nil {
			y = alt.values[alt.drop:]
		}
		if w != nil {
			ww = w[alt.drop:]
		}
		x, ok := alt.m.fit(L, y, ww)
		if !ok || !finite(x) {
			continue
		}
		res.systematic = math.Max(res.systematic, math.Abs(x-v))
		res.sysKnown = true
		whats = append(whats, alt.what)
	}
	if res.sysKnown {
		res.note = fmt.Sprintf("%s: %s; systematic = the largest change over %s", q.name, q.main.what, joinWords(whats))
	}
	return res, true
}

// joinWords joins "a", "b" and "c" as "a, b and c".
func joinWords(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	out := ws[0]
	for _, w := range ws[1 : len(ws)-1] {
		out += ", " + w
	}
	return out + " and " + ws[len(ws)-1]
}

// localFit fits the series near β — Options.Window grid points on each side of it, a
// polynomial of Options.Degree, weighted like the crossings — with the inputs vals, and
// returns its value and slope at β. ok is false when β lies outside the series' β range.
func localFit(s *series, vals []float64, beta float64, opt options) (value, slope float64, ok bool) {
	n := len(s.beta)
	if n < 2 || beta < s.beta[0] || beta > s.beta[n-1] {
		return 0, 0, false
	}
	j := 0
	for j+2 < n && s.beta[j+1] < beta {
		j++
	}
	lo, hi := max(j-(opt.window-1), 0), min(j+1+(opt.window-1), n-1)
	xs := s.beta[lo : hi+1]
	ys := make([]float64, len(xs))
	ws := make([]float64, len(xs))
	for i := range xs {
		ys[i] = s.valueWith(lo+i, vals)
		sd := s.stderr(lo + i)
		if !(sd > 0) {
			ws = nil
		} else if ws != nil {
			ws[i] = 1 / (sd * sd)
		}
	}
	p, fitOK := fitPoly(xs, ys, ws, min(opt.degree, len(xs)-1))
	if !fitOK {
		return 0, 0, false
	}
	return p.at(beta), p.slope(beta), true
}

// nuEffective returns ν_eff of each σ crossing (sigma.lo[k], sigma.hi[k] at betas[k]) with
// the inputs vals: NaN where a slope is not positive or the slopes do not grow with L.
func nuEffective(g *crossGroup, vals []float64, betas []float64, opt options) []float64 {
	out := make([]float64, len(betas))
	for k, b := range betas {
		out[k] = math.NaN()
		if math.IsNaN(b) {
			continue
		}
		_, s1, ok1 := localFit(g.lo[k], vals, b, opt)
		_, s2, ok2 := localFit(g.hi[k], vals, b, opt)
		if !ok1 || !ok2 || !(s1 > 0) || !(s2 > s1) {
			continue
		}
		out[k] = math.Log(float64(g.hi[k].size)/float64(g.lo[k].size)) / math.Log(s2/s1)
	}
	return out
}

// atBeta returns each series' value at β with the inputs vals, scaled by scale: NaN where
// β is outside its range.
func atBeta(ss []*series, vals []float64, beta, scale float64, opt options) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = math.NaN()
		if v, _, ok := localFit(s, vals, beta, opt); ok && !math.IsNaN(beta) {
			out[i] = scale * v
		}
	}
	return out
}
