package analysis

import (
	"math"
	"slices"
)

// Extrapolation methods, see Fit.Method.
const (
	MethodFit         = "fit"          // weighted least squares of β_c + a·L̄^−ω
	MethodLargestPair = "largest-pair" // a single crossing, taken as β_c
)

// Fit is the extrapolation of crossings in L: β_c(L̄) = β_c + a·L̄^−ω, with L̄ the mean
// of a pair's sizes (Crossing.Size).
type Fit struct {
	Method string  `json:"method"`
	BetaC  float64 `json:"beta_c"`
	A      float64 `json:"a"`
	Omega  float64 `json:"omega"`
	// OmegaFitted is true when ω was fitted, false when it was fixed.
	OmegaFitted bool `json:"omega_fitted"`
	// Weighted is true when the fit weighs each crossing by 1/stderr² (every crossing has
	// a stderr > 0), false when it weighs them alike.
	Weighted bool `json:"weighted"`
	// Crossings is the number of crossings fitted; DOF is that less the parameters.
	Crossings int `json:"crossings"`
	DOF       int `json:"dof"`
	// Chi2 is the weighted sum of squared residuals (plain sum when not Weighted).
	Chi2 float64 `json:"chi2"`
	// ReducedChi2 is Chi2/DOF, absent when DOF is 0 or the fit is not Weighted. It treats
	// the crossings as independent, which they are not quite (neighbouring pairs share a
	// size), so read it as a guide.
	ReducedChi2 *float64 `json:"reduced_chi2,omitempty"`
}

// Extrapolate fits β_c(L̄) = β_c + a·L̄^−ω to crossings by weighted least squares. ω is
// Options.Omega when set. Otherwise it is DefaultOmega, unless there are
// MinCrossingsFreeOmega or more crossings and the data resolve ω: a free ω (within
// [MinOmega, MaxOmega]) is kept when it lowers χ² by more than OmegaChi2Gain (a
// likelihood-ratio test at 95% for one parameter), or always when the crossings carry no
// stderr (exact inputs, where there is no noise to fit). A single crossing is returned as
// β_c itself (Method MethodLargestPair). It returns an error wrapping ErrFit for no
// crossing, a non-positive Size, or crossings that all share one Size.
func Extrapolate(crossings []Crossing, o *Options) (Fit, error) {
	opt, err := o.resolve()
	if err != nil {
		return Fit{}, err
	}
	f := newFitter(crossings)
	if err := f.check(); err != nil {
		return Fit{}, err
	}
	return f.fit(f.y, opt.omega), nil
}

// fitter holds the abscissae and weights of an extrapolation, so that bootstrap replicas
// (new y, same weights) refit cheaply.
type fitter struct {
	size []float64
	y    []float64
	w    []float64 // nil: uniform
	xbuf []float64
}

func newFitter(cs []Crossing) *fitter {
	f := &fitter{}
	w := make([]float64, 0, len(cs))
	for _, c := range cs {
		f.size = append(f.size, c.Size)
		f.y = append(f.y, c.Beta)
		if c.Stderr > 0 && w != nil {
			w = append(w, 1/(c.Stderr*c.Stderr))
		} else {
			w = nil
		}
	}
	f.w = w
	f.xbuf = make([]float64, len(cs))
	return f
}

func (f *fitter) check() error {
	if len(f.size) == 0 {
		return errorf(ErrFit, "no crossing")
	}
	for _, s := range f.size {
		if !(s > 0) || math.IsInf(s, 0) {
			return errorf(ErrFit, "size %g is not positive", s)
		}
	}
	if len(f.size) > 1 && slices.Min(f.size) == slices.Max(f.size) {
		return errorf(ErrFit, "every crossing has size %g", f.size[0])
	}
	return nil
}

// fit fits y; omega > 0 fixes ω, 0 applies the default policy.
func (f *fitter) fit(y []float64, omega float64) Fit {
	n := len(y)
	if n == 1 {
		return Fit{Method: MethodLargestPair, BetaC: y[0], Crossings: 1}
	}
	r := Fit{Method: MethodFit, Weighted: f.w != nil, Crossings: n}
	switch {
	case omega > 0:
		r.Omega = omega
	case n < MinCrossingsFreeOmega:
		r.Omega = DefaultOmega
	default:
		r.Omega = DefaultOmega
		omega := f.bestOmega(y)
		_, _, fixed := f.linear(y, DefaultOmega)
		_, _, free := f.linear(y, omega)
		if f.w == nil || fixed-free > OmegaChi2Gain {
			r.Omega, r.OmegaFitted = omega, true
		}
	}
	r.BetaC, r.A, r.Chi2 = f.linear(y, r.Omega)
	r.DOF = n - 2
	if r.OmegaFitted {
		r.DOF--
	}
	if r.DOF > 0 && r.Weighted {
		red := r.Chi2 / float64(r.DOF)
		r.ReducedChi2 = &red
	}
	return r
}

// linear fits y = b + a·size^−ω by weighted least squares and returns b, a and the
// weighted residual sum of squares.
func (f *fitter) linear(y []float64, omega float64) (b, a, chi2 float64) {
	x := f.xbuf
	sw, sx, sy := 0.0, 0.0, 0.0
	for i, s := range f.size {
		x[i] = math.Pow(s, -omega)
		w := f.weight(i)
		sw += w
		sx += w * x[i]
		sy += w * y[i]
	}
	mx, my := sx/sw, sy/sw
	sxx, sxy := 0.0, 0.0
	for i := range x {
		w := f.weight(i)
		sxx += w * (x[i] - mx) * (x[i] - mx)
		sxy += w * (x[i] - mx) * (y[i] - my)
	}
	a = sxy / sxx
	b = my - a*mx
	for i := range x {
		r := y[i] - b - a*x[i]
		chi2 += f.weight(i) * r * r
	}
	return b, a, chi2
}

func (f *fitter) weight(i int) float64 {
	if f.w == nil {
		return 1
	}
	return f.w[i]
}

// bestOmega minimises the profile χ²(ω) over [MinOmega, MaxOmega]: a scan of 48
// log-spaced values, then golden-section search around the best one.
func (f *fitter) bestOmega(y []float64) float64 {
	chi2 := func(omega float64) float64 {
		_, _, c := f.linear(y, omega)
		return c
	}
	const n = 48
	grid := make([]float64, n)
	best, bestChi2 := 0, math.Inf(1)
	for i := range grid {
		grid[i] = MinOmega * math.Pow(MaxOmega/MinOmega, float64(i)/(n-1))
		if c := chi2(grid[i]); c < bestChi2 {
			best, bestChi2 = i, c
		}
	}
	lo, hi := grid[max(best-1, 0)], grid[min(best+1, n-1)]
	const g = 0.6180339887498949
	c, d := hi-g*(hi-lo), lo+g*(hi-lo)
	fc, fd := chi2(c), chi2(d)
	for range 80 {
		if fc < fd {
			hi, d, fd = d, c, fc
			c = hi - g*(hi-lo)
			fc = chi2(c)
		} else {
			lo, c, fc = c, d, fd
			d = lo + g*(hi-lo)
			fd = chi2(d)
		}
	}
	return (lo + hi) / 2
}
