package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/critsweep/critsweep/spec"
)

// Status says how far a slice's analysis got.
const (
	// StatusOK: the σ_L curves cross, β_c and the universal numbers are estimated.
	StatusOK = "ok"
	// StatusNoCrossing: no pair of consecutive sizes crosses in the grid's β range; the
	// curves are there, β_c is not.
	StatusNoCrossing = "no_crossing"
	// StatusTooFewSizes: fewer than two sizes have a σ_L curve.
	StatusTooFewSizes = "too_few_sizes"
	// StatusBootstrapFailed: the crossings exist but almost no bootstrap replica
	// reproduces them, so that no error bar can be given.
	StatusBootstrapFailed = "bootstrap_failed"
)

// Analysis is the critical point of one slice of a sweep — the points that share every
// parameter but β, L and the seam — and everything behind it. It encodes to JSON with
// snake_case fields; `params`, `beta_c`, `beta_c_stderr`, the universal numbers `nu`,
// `central_charge`, `twist_dimension` (each with `_stderr`, `_systematic`, `_error`) and
// `crossings` are the headline. Numbers that could not be estimated are null in JSON.
//
// Errors say what they cover. Stderr is statistical: the spread over the parametric
// bootstrap. Systematic is the extrapolation's: the largest change of the estimate over
// the admissible alternatives of its analysis (other correction exponents, the smallest
// size dropped; see Notes for which); nil where it cannot be estimated, as with a single
// σ_L crossing, whose finite-size shift is then unknown (FiniteSizeShiftEstimated false).
// Error is √(stderr² + systematic²), or the stderr alone where the systematic is not
// estimated.
type Analysis struct {
	// Params are the slice's parameters (τ and the model's second couplings); Tau is τ.
	Params Params  `json:"params"`
	Tau    float64 `json:"tau"`
	// Status is StatusOK or why the analysis stopped short; Problem says it in words.
	Status  string `json:"status"`
	Problem string `json:"problem,omitempty"`

	// BetaC is Fit.BetaC: the σ_L crossings extrapolated in L.
	BetaC float64 `json:"beta_c"`
	// BetaCStderr is the spread (standard deviation) of BetaC over the bootstrap replicas.
	BetaCStderr float64 `json:"beta_c_stderr"`
	// BetaCSystematic is the largest change of BetaC over ω ± 1 and over dropping the
	// smallest pair; nil with a single crossing.
	BetaCSystematic *float64 `json:"beta_c_systematic"`
	// BetaCError is the total error, √(stderr² + systematic²).
	BetaCError float64 `json:"beta_c_error"`
	// FiniteSizeShiftEstimated is false when β_c is a single crossing taken as it is.
	FiniteSizeShiftEstimated bool `json:"finite_size_shift_estimated"`
	// TC = 1/β_c and its total error BetaCError/β_c².
	TC      float64 `json:"t_c"`
	TCError float64 `json:"t_c_error"`
	// ExactBetaC is the exact critical point of the slice where Options.ExactBetaC knows
	// it (ExactLine names it), for comparison: the analysis never uses it.
	ExactBetaC *float64 `json:"exact_beta_c,omitempty"`
	ExactLine  string   `json:"exact_line,omitempty"`

	// Nu is ν from the growth of the slopes dσ_L/dβ at the crossings, with its errors;
	// nil where it could not be estimated (JSON nu, nu_stderr, nu_systematic, nu_error).
	Nu, NuStderr, NuSystematic, NuError *float64 `json:"-"`
	// CentralCharge is c from ln λ/L of the periodic seam at β_c (JSON central_charge…).
	CentralCharge, CentralChargeStderr, CentralChargeSystematic, CentralChargeError *float64 `json:"-"`
	// TwistDimension is x from σ_L(β_c) → 2πx (JSON twist_dimension…).
	TwistDimension, TwistDimensionStderr, TwistDimensionSystematic, TwistDimensionError *float64 `json:"-"`
	// AnisotropyFactor is the ζ that c and x were divided by (Options.Anisotropy), absent
	// for isotropic couplings (ζ = 1) and where it is not known.
	AnisotropyFactor *float64 `json:"anisotropy_factor,omitempty"`
	// NuEffective, LnLambdaAtBetaC and TwistDimensionBySize are the effective values the
	// three are extrapolated from: ν_eff per crossing (at L̄), ln λ/L (periodic) and
	// σ_L/2π per size at β_c.
	NuEffective          []SizeValue `json:"nu_effective,omitempty"`
	LnLambdaAtBetaC      []SizeValue `json:"ln_lambda_per_site_at_beta_c,omitempty"`
	TwistDimensionBySize []SizeValue `json:"twist_dimension_by_size,omitempty"`
	// LnLambdaErrorRMS and LnLambdaErrorMax are the root mean square and the largest
	// |ln λ/L − exact| over the slice's points that carry an exact value (both seams): how
	// well the training did, for comparing objectives or τ; absent without exact values.
	LnLambdaErrorRMS *float64 `json:"ln_lambda_per_site_error_rms,omitempty"`
	LnLambdaErrorMax *float64 `json:"ln_lambda_per_site_error_max,omitempty"`
	// Notes say in words what each error covers, and what could not be estimated.
	Notes []string `json:"notes,omitempty"`

	// Crossings are the σ_L crossings of consecutive sizes, in increasing size.
	Crossings []Crossing `json:"crossings"`
	Fit       Fit        `json:"fit"`
	// BinderCrossings and XiOverLCrossings are the crossings of the Binder cumulant and
	// of ξ/L of the periodic rows, taken from ObservableSource: second estimators of β_c,
	// not extrapolated.
	BinderCrossings  []Crossing `json:"binder_crossings"`
	XiOverLCrossings []Crossing `json:"xi_over_l_crossings"`
	// ObservableSource is SourceBulk when every periodic point carries bulk observables
	// (the bulk distribution P ∝ Th·p², the better estimator), else SourceEnd (the end
	// distribution p); empty when the points carry neither.
	ObservableSource string `json:"observable_source,omitempty"`
	// Skipped says which pairs of consecutive sizes did not cross, and why.
	Skipped []string `json:"skipped,omitempty"`
	// Curves are σ_L per size, ln λ/L per size and boundary, and Binder and ξ/L per size:
	// what the plots draw.
	Curves []Curve `json:"curves"`
	// Replicas is the number of bootstrap replicas run, FailedReplicas the number whose
	// σ_L curves missed a crossing that the data have (they are left out of every error
	// bar), and Seed the generator's seed.
	Replicas       int    `json:"replicas"`
	FailedReplicas int    `json:"failed_replicas"`
	Seed           uint64 `json:"seed"`
}

// OK reports whether the slice has a β_c.
func (a *Analysis) OK() bool { return a.Status == StatusOK }

// MarshalJSON encodes the analysis; the β_c fields of a slice without one, and numbers
// that are not finite, are null.
func (a *Analysis) MarshalJSON() ([]byte, error) {
	type plain Analysis
	num := func(x float64) *float64 {
		if !a.OK() || !finite(x) {
			return nil
		}
		return &x
	}
	return json.Marshal(struct {
		*plain
		BetaC       *float64 `json:"beta_c"`
		BetaCStderr *float64 `json:"beta_c_stderr"`
		BetaCError  *float64 `json:"beta_c_error"`
		TC          *float64 `json:"t_c"`
		TCError     *float64 `json:"t_c_error"`

		Nu           *float64 `json:"nu"`
		NuStderr     *float64 `json:"nu_stderr"`
		NuSystematic *float64 `json:"nu_systematic"`
		NuError      *float64 `json:"nu_error"`

		CentralCharge           *float64 `json:"central_charge"`
		CentralChargeStderr     *float64 `json:"central_charge_stderr"`
		CentralChargeSystematic *float64 `json:"central_charge_systematic"`
		CentralChargeError      *float64 `json:"central_charge_error"`

		TwistDimension           *float64 `json:"twist_dimension"`
		TwistDimensionStderr     *float64 `json:"twist_dimension_stderr"`
		TwistDimensionSystematic *float64 `json:"twist_dimension_systematic"`
		TwistDimensionError      *float64 `json:"twist_dimension_error"`
	}{
		plain: (*plain)(a),
		BetaC: num(a.BetaC), BetaCStderr: num(a.BetaCStderr), BetaCError: num(a.BetaCError),
		TC: num(a.TC), TCError: num(a.TCError),
		Nu: a.Nu, NuStderr: a.NuStderr, NuSystematic: a.NuSystematic, NuError: a.NuError,
		CentralCharge: a.CentralCharge, CentralChargeStderr: a.CentralChargeStderr,
		CentralChargeSystematic: a.CentralChargeSystematic, CentralChargeError: a.CentralChargeError,
		TwistDimension: a.TwistDimension, TwistDimensionStderr: a.TwistDimensionStderr,
		TwistDimensionSystematic: a.TwistDimensionSystematic, TwistDimensionError: a.TwistDimensionError,
	})
}

// Analyze locates β_c from the points of one slice (see Slices). It builds σ_L(β) for
// every size that has periodic and twisted points at common β (SigmaCurves), finds the
// crossing of each pair of consecutive sizes (Cross), and extrapolates the crossings in L
// (Extrapolate). From the same curves it estimates ν, the central charge c and the twist
// scaling dimension x (see the Analysis fields), and the Binder and ξ/L crossings.
//
// Error bars come from a parametric bootstrap: every input estimate (ln λ/L of each
// point, Binder, ξ/L) is redrawn from N(value, stderr) once per replica, and the
// crossings, the extrapolation and the universal numbers are recomputed,
// Options.Replicas times; each stderr is the standard deviation over the replicas. The
// extrapolations weigh each effective value by its bootstrap stderr (the central fit and
// every replica's alike), so that Extrapolate(a.Crossings) reproduces a.Fit; the central
// β_c therefore moves with Options.Seed, by a small fraction of its error bar. The
// systematic errors are the spread over the admissible alternatives of each
// extrapolation (Analysis).
//
// With no σ crossing at all the error wraps ErrNoCrossing, with fewer than two σ_L curves
// ErrTooFewSizes, and with too few good replicas ErrBootstrap; the Analysis returned
// beside these errors holds the curves and says why (Status, Problem). Other errors wrap
// ErrInvalidPoint, ErrDuplicate, ErrSeveralSlices or ErrOptions, with a nil Analysis.
func Analyze(points []Point, o *Options) (*Analysis, error) {
	opt, err := o.resolve()
	if err != nil {
		return nil, err
	}
	d, err := newDataset(points)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Params: d.params, Tau: d.tau, ObservableSource: d.source, Seed: opt.seed, Status: StatusOK}
	if opt.exact != nil {
		if b, line, ok := opt.exact(d.params); ok {
			a.ExactBetaC, a.ExactLine = &b, line
		}
	}
	a.Curves = append(a.Curves, d.curves(d.sigma, Sigma, "")...)
	a.Curves = append(a.Curves, d.curves(d.lnp, LnLambdaPerSite, Periodic)...)
	a.Curves = append(a.Curves, d.curves(d.lnt, LnLambdaPerSite, Twisted)...)
	a.Curves = append(a.Curves, d.curves(d.binder, Binder, Periodic)...)
	a.Curves = append(a.Curves, d.curves(d.xi, XiOverL, Periodic)...)
	a.lnLambdaError()
	for _, L := range d.sigmaTooShort {
		a.Skipped = append(a.Skipped, fmt.Sprintf("σ_%d: periodic and twisted points share fewer than 2 β", L))
	}
	stop := func(status string, err error) (*Analysis, error) {
		a.Status, a.Problem = status, strings.TrimPrefix(err.Error(), "analysis: ")
		a.Crossings, a.BinderCrossings, a.XiOverLCrossings = nonNil(a.Crossings), nonNil(a.BinderCrossings), nonNil(a.XiOverLCrossings)
		return a, err
	}
	if len(d.sigma) < 2 {
		return stop(StatusTooFewSizes, errorf(ErrTooFewSizes, "σ_L needs periodic and twisted points at ≥ 2 common β for ≥ 2 sizes, have %d size(s)", len(d.sigma)))
	}

	groups := []*crossGroup{
		newCrossGroup(Sigma, d.sigma, opt, &a.Skipped),
		newCrossGroup(Binder, d.binder, opt, &a.Skipped),
		newCrossGroup(XiOverL, d.xi, opt, &a.Skipped),
	}
	sigma := groups[0]
	a.BinderCrossings, a.XiOverLCrossings = groups[1].crossings, groups[2].crossings
	if len(sigma.crossings) == 0 {
		return stop(StatusNoCrossing, fmt.Errorf("%w: no pair of consecutive sizes crosses: %s", ErrNoCrossing, strings.Join(sigma.reasons, "; ")))
	}

	var reps [][]float64
	if opt.replicas > 0 {
		reps = resample(groups, d.inputs, opt)
		a.Replicas = opt.replicas
	}
	a.Crossings = sigma.crossings

	// The crossings' stderrs are known now: they weigh the central fit and every
	// replica's.
	f := newFitter(a.Crossings)
	if err := f.check(); err != nil {
		return nil, err
	}
	a.Fit = f.fit(f.y, opt.omega)
	a.BetaC = a.Fit.BetaC
	// Each replica's β_c, NaN where a σ_L crossing failed.
	repBeta := make([]float64, len(reps))
	var good []float64
	y := make([]float64, len(a.Crossings))
	for r := range reps {
		ok := true
		for k := range y {
			y[k] = sigma.samples[k][r]
			ok = ok && !math.IsNaN(y[k])
		}
		repBeta[r] = math.NaN()
		if !ok {
			a.FailedReplicas++
			continue
		}
		repBeta[r] = f.fit(y, opt.omega).BetaC
		good = append(good, repBeta[r])
	}
	if opt.replicas > 0 {
		if len(good) < 2 {
			a.Crossings = nonNil(a.Crossings)
			return stop(StatusBootstrapFailed, errorf(ErrBootstrap, "%d of %d replicas missed a σ_L crossing", a.FailedReplicas, opt.replicas))
		}
		a.BetaCStderr = stddev(good)
	}
	a.betaCSystematic(f, opt)
	a.universal(d, sigma, reps, repBeta, opt)
	if a.FailedReplicas > 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("%d of %d bootstrap replicas missed a σ_L crossing and are left out of every error bar: with many, the error bars are too small", a.FailedReplicas, a.Replicas))
	}
	return a, nil
}

// lnLambdaError sets LnLambdaErrorRMS and LnLambdaErrorMax from the ln λ/L curves.
func (a *Analysis) lnLambdaError() {
	sum, worst, n := 0.0, 0.0, 0
	for _, c := range a.Curves {
		if c.Quantity != LnLambdaPerSite {
			continue
		}
		for _, p := range c.Points {
			if p.Exact != nil {
				d := p.Mean - *p.Exact
				sum += d * d
				worst = math.Max(worst, math.Abs(d))
				n++
			}
		}
	}
	if n > 0 {
		a.LnLambdaErrorRMS, a.LnLambdaErrorMax = ptr(math.Sqrt(sum/float64(n))), ptr(worst)
	}
}

func nonNil(cs []Crossing) []Crossing {
	if cs == nil {
		return []Crossing{}
	}
	return cs
}

// betaCSystematic sets the systematic and total errors of β_c and T_c: the largest change
// of β_c over ω − 1, ω + 1 (within [MinOmega, MaxOmega]) and over dropping the smallest
// crossing. A single crossing has none: its finite-size shift is not estimated.
func (a *Analysis) betaCSystematic(f *fitter, opt options) {
	n := len(a.Crossings)
	a.BetaCError = a.BetaCStderr
	if n < 2 {
		c := a.Crossings[0]
		a.Notes = append(a.Notes, fmt.Sprintf("β_c is the single crossing of (%d, %d), taken as it is: its finite-size shift is not estimated, and the error bar is statistical only (add a size to estimate the shift)", c.Sizes[0], c.Sizes[1]))
	} else {
		a.FiniteSizeShiftEstimated = true
		sys := 0.0
		var whats []string
		for _, omega := range []float64{a.Fit.Omega - 1, a.Fit.Omega + 1} {
			omega = math.Min(math.Max(omega, MinOmega), MaxOmega)
			sys = math.Max(sys, math.Abs(f.fit(f.y, omega).BetaC-a.BetaC))
			whats = append(whats, fmt.Sprintf("ω = %.3g", omega))
		}
		drop := newFitter(a.Crossings[1:])
		sys = math.Max(sys, math.Abs(drop.fit(drop.y, a.Fit.Omega).BetaC-a.BetaC))
		whats = append(whats, fmt.Sprintf("dropping the pair (%d, %d)", a.Crossings[0].Sizes[0], a.Crossings[0].Sizes[1]))
		a.BetaCSystematic = &sys
		a.BetaCError = math.Hypot(a.BetaCStderr, sys)
		a.Notes = append(a.Notes, fmt.Sprintf("β_c: %d crossings extrapolated with ω = %.3g; systematic = the largest change over %s", n, a.Fit.Omega, joinWords(whats)))
	}
	a.TC = 1 / a.BetaC
	a.TCError = a.BetaCError / (a.BetaC * a.BetaC)
}

// universal estimates ν, c and x with their errors (see the Analysis fields).
func (a *Analysis) universal(d *dataset, sigma *crossGroup, reps [][]float64, repBeta []float64, opt options) {
	central := d.inputs.mean
	betas := make([]float64, len(a.Crossings))
	for k, c := range a.Crossings {
		betas[k] = c.Beta
	}
	// ν from the crossings, central and per replica (at the replica's crossings).
	nu := &quantity{name: "ν", central: nuEffective(sigma, central, betas, opt)}
	for _, c := range a.Crossings {
		nu.sizes = append(nu.sizes, c.Size)
	}
	for r, vals := range reps {
		rb := make([]float64, len(betas))
		for k := range rb {
			rb[k] = sigma.samples[k][r]
		}
		nu.reps = append(nu.reps, nuEffective(sigma, vals, rb, opt))
	}
	// The anisotropy factor that the amplitudes of c and x carry.
	zeta, unknownZeta := 1.0, ""
	if r, ok := a.Params.Get(spec.ParamCouplingRatio); ok && r != 1 {
		z, known := 0.0, false
		if opt.aniso != nil {
			z, known = opt.aniso(a.Params)
		}
		if known && z > 0 {
			zeta = z
			a.AnisotropyFactor = &zeta
			a.Notes = append(a.Notes, fmt.Sprintf("c and x are divided by the anisotropy factor ζ = %.6g of the critical line at J_y/J_x = %g (exact, not estimated): the finite-size amplitudes are πζc/6 and 2πζx", zeta, r))
		} else {
			unknownZeta = fmt.Sprintf("anisotropic couplings (J_y/J_x = %g): c and x are reported as measured, ζc and ζx, with ζ the lattice's anisotropy factor, not known for this model; their ratio c/x is universal", r)
		}
	}
	// c and x at β_c, central and per replica (at the replica's β_c).
	sizes := func(ss []*series) []float64 {
		out := make([]float64, len(ss))
		for i, s := range ss {
			out[i] = float64(s.size)
		}
		return out
	}
	cc := &quantity{name: "c", sizes: sizes(d.lnp), central: atBeta(d.lnp, central, a.BetaC, 1, opt)}
	xx := &quantity{name: "x", sizes: sizes(d.sigma), central: atBeta(d.sigma, central, a.BetaC, 1/(2*math.Pi*zeta), opt)}
	for r, vals := range reps {
		cc.reps = append(cc.reps, atBeta(d.lnp, vals, repBeta[r], 1, opt))
		xx.reps = append(xx.reps, atBeta(d.sigma, vals, repBeta[r], 1/(2*math.Pi*zeta), opt))
	}
	// β_c moved by its systematic error, for the alternatives of c and x.
	if a.BetaCSystematic != nil && *a.BetaCSystematic > 0 {
		for _, b := range []float64{a.BetaC - *a.BetaCSystematic, a.BetaC + *a.BetaCSystematic} {
			cc.shifted = append(cc.shifted, atBeta(d.lnp, central, b, 1, opt))
			xx.shifted = append(xx.shifted, atBeta(d.sigma, central, b, 1/(2*math.Pi*zeta), opt))
		}
	}
	nu.keepFinite()
	cc.keepFinite()
	xx.keepFinite()

	set := func(res result, ok bool, v, se, sys, total **float64, eff *[]SizeValue, notEstimated string) {
		*eff = res.effective
		if !ok {
			return
		}
		*v, *se = ptr(res.value), ptr(res.stderr)
		*total = ptr(res.stderr)
		if res.sysKnown {
			*sys = ptr(res.systematic)
			*total = ptr(math.Hypot(res.stderr, res.systematic))
			a.Notes = append(a.Notes, res.note)
		} else {
			a.Notes = append(a.Notes, notEstimated)
		}
	}

	// ν: ν_eff = ν + b·L̄^−2; alternatives ω = 1, 3 and the smallest pair dropped.
	nu.main = model{exps: []float64{0, 2}, scale: 1, what: fmt.Sprintf("%d effective exponents extrapolated as ν + b·L̄^−2", len(nu.sizes))}
	if len(nu.sizes) == 1 {
		nu.main = model{exps: []float64{0}, scale: 1}
	} else {
		nu.alts = []alternative{
			{what: "ν + b·L̄^−1", m: model{exps: []float64{0, 1}, scale: 1}},
			{what: "ν + b·L̄^−3", m: model{exps: []float64{0, 3}, scale: 1}},
			{what: "dropping the smallest pair", m: model{exps: dropExps([]float64{0, 2}, len(nu.sizes)-1), scale: 1}, drop: 1},
		}
	}
	res, ok := nu.evaluate()
	set(res, ok, &a.Nu, &a.NuStderr, &a.NuSystematic, &a.NuError, &a.NuEffective,
		"ν: the effective exponent of a single pair of sizes, not extrapolated: its finite-size drift is not estimated")
	if len(nu.sizes) == 0 {
		a.Notes = append(a.Notes, "ν: no crossing has slopes that grow with L")
	}

	// c: ln λ/L = f_∞ + πc/(6L²) + d·L^−4; alternatives without d, with L^−3 for L^−4,
	// the smallest size dropped, β_c ± its systematic error.
	cScale := 6 / (math.Pi * zeta)
	n := len(cc.sizes)
	switch {
	case n >= 3:
		cc.main = model{exps: []float64{0, 2, 4}, coef: 1, scale: cScale, what: fmt.Sprintf("ln λ/L at β_c of %d sizes fitted as f_∞ + πc/(6L²) + d·L^−4", n)}
		cc.alts = []alternative{
			{what: "no L^−4 term", m: model{exps: []float64{0, 2}, coef: 1, scale: cScale}},
			{what: "L^−3 for L^−4", m: model{exps: []float64{0, 2, 3}, coef: 1, scale: cScale}},
			{what: "dropping the smallest size", m: model{exps: dropExps([]float64{0, 2, 4}, n-1), coef: 1, scale: cScale}, drop: 1},
		}
		cc.alts = append(cc.alts, cc.shiftedAlternatives()...)
	case n == 2:
		cc.main = model{exps: []float64{0, 2}, coef: 1, scale: cScale}
	}
	res, ok = cc.evaluate()
	set(res, ok, &a.CentralCharge, &a.CentralChargeStderr, &a.CentralChargeSystematic, &a.CentralChargeError, &a.LnLambdaAtBetaC,
		"c: from two sizes without a correction term: its systematic error is not estimated")
	if n < 2 {
		a.Notes = append(a.Notes, fmt.Sprintf("c: needs ln λ/L of the periodic seam at β_c for ≥ 2 sizes, have %d", n))
	}

	// x: σ_L(β_c)/2π = x + b·L^−2; alternatives L^−1, L^−3, the smallest size dropped,
	// β_c ± its systematic error.
	// Two sizes meet at their single crossing, β_c: their σ_L(β_c) agree by construction
	// and say nothing of the drift.
	xx.main = model{exps: []float64{0, 2}, scale: 1, what: fmt.Sprintf("σ_L(β_c)/2π of %d sizes extrapolated as x + b·L^−2", len(xx.sizes))}
	if len(xx.sizes) <= 2 {
		xx.main = model{exps: []float64{0}, scale: 1}
	} else {
		xx.alts = []alternative{
			{what: "x + b·L^−1", m: model{exps: []float64{0, 1}, scale: 1}},
			{what: "x + b·L^−3", m: model{exps: []float64{0, 3}, scale: 1}},
			{what: "dropping the smallest size", m: model{exps: dropExps([]float64{0, 2}, len(xx.sizes)-1), scale: 1}, drop: 1},
		}
		xx.alts = append(xx.alts, xx.shiftedAlternatives()...)
	}
	res, ok = xx.evaluate()
	set(res, ok, &a.TwistDimension, &a.TwistDimensionStderr, &a.TwistDimensionSystematic, &a.TwistDimensionError, &a.TwistDimensionBySize,
		"x: σ_L(β_c)/2π of one size, or of two at their single crossing, not extrapolated: its finite-size drift is not estimated")
	if unknownZeta != "" {
		a.Notes = append(a.Notes, unknownZeta)
	}
}

// dropExps is exps cut to the number of points left, at least the constant.
func dropExps(exps []float64, points int) []float64 {
	return exps[:max(1, min(len(exps), points))]
}

func ptr(x float64) *float64 { return &x }

// crossGroup is the crossings of one quantity's curves at consecutive sizes.
type crossGroup struct {
	series    []*series
	pairs     []*pair
	lo, hi    []*series // the pair's two series
	crossings []Crossing
	reasons   []string
	// samples[k][r] is crossing k in bootstrap replica r, NaN where it failed.
	samples [][]float64
}

// newCrossGroup finds the central crossings of consecutive sizes; pairs that do not
// cross are noted in skipped.
func newCrossGroup(q Quantity, ss []*series, opt options, skipped *[]string) *crossGroup {
	g := &crossGroup{series: ss}
	for i := 0; i+1 < len(ss); i++ {
		a, b := ss[i], ss[i+1]
		pr := newPair(a, b)
		beta, why := pr.cross(a, b, nil, opt)
		if why != "" {
			reason := pairName(q, a.size, b.size) + ": " + why
			g.reasons = append(g.reasons, reason)
			*skipped = append(*skipped, reason)
			continue
		}
		g.pairs = append(g.pairs, pr)
		g.lo, g.hi = append(g.lo, a), append(g.hi, b)
		g.crossings = append(g.crossings, Crossing{
			Quantity: q,
			Sizes:    [2]int{a.size, b.size},
			Size:     float64(a.size+b.size) / 2,
			Beta:     beta,
		})
	}
	if g.crossings == nil {
		g.crossings = []Crossing{}
	}
	return g
}

// resample runs the parametric bootstrap: each replica redraws every input from
// N(mean, stderr), in input order, and recomputes each group's crossings. It fills the
// groups' samples, sets every crossing's Stderr to the standard deviation over the
// replicas where it was found, and returns each replica's inputs.
func resample(groups []*crossGroup, in *inputs, opt options) [][]float64 {
	rng := rand.New(rand.NewPCG(opt.seed, 0x5eed_c417_5ee9))
	for _, g := range groups {
		g.samples = make([][]float64, len(g.crossings))
		for k := range g.samples {
			g.samples[k] = make([]float64, opt.replicas)
		}
	}
	reps := make([][]float64, opt.replicas)
	for r := range opt.replicas {
		vals := make([]float64, len(in.mean))
		for i, m := range in.mean {
			vals[i] = m + in.sd[i]*rng.NormFloat64()
		}
		reps[r] = vals
		for _, g := range groups {
			for k, pr := range g.pairs {
				beta, why := pr.cross(g.lo[k], g.hi[k], vals, opt)
				if why != "" {
					beta = math.NaN()
				}
				g.samples[k][r] = beta
			}
		}
	}
	for _, g := range groups {
		for k := range g.crossings {
			var ok []float64
			for _, x := range g.samples[k] {
				if !math.IsNaN(x) {
					ok = append(ok, x)
				}
			}
			if len(ok) >= 2 {
				g.crossings[k].Stderr = stddev(ok)
			}
		}
	}
	return reps
}

// stddev is the sample standard deviation (n − 1 in the denominator), computed about
// x[0] so that equal values give exactly zero.
func stddev(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m += v - x[0]
	}
	m /= float64(len(x))
	s := 0.0
	for _, v := range x {
		d := v - x[0] - m
		s += d * d
	}
	return math.Sqrt(s / float64(len(x)-1))
}

// analysisError reports whether err is one Analyze returns beside a partial Analysis.
func analysisError(err error) bool {
	return errors.Is(err, ErrNoCrossing) || errors.Is(err, ErrTooFewSizes) || errors.Is(err, ErrBootstrap)
}
