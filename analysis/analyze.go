package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Analysis is the β_c estimate of one τ and everything behind it. It encodes to JSON
// with snake_case fields; `beta_c`, `beta_c_stderr` and `crossings` are the headline.
type Analysis struct {
	Tau float64 `json:"tau"`
	// BetaC is Fit.BetaC: the σ_L crossings extrapolated in L.
	BetaC float64 `json:"beta_c"`
	// BetaCStderr is the spread (standard deviation) of BetaC over the bootstrap replicas.
	BetaCStderr float64 `json:"beta_c_stderr"`
	// Crossings are the σ_L crossings of consecutive sizes, in increasing size.
	Crossings []Crossing `json:"crossings"`
	Fit       Fit        `json:"fit"`
	// BinderCrossings and XiOverLCrossings are the crossings of the Binder cumulant and
	// of ξ/L of the periodic rows, taken from ObservableSource.
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
	// σ_L curves missed a crossing that the data have (they are left out of
	// BetaCStderr), and Seed the generator's seed.
	Replicas       int    `json:"replicas"`
	FailedReplicas int    `json:"failed_replicas"`
	Seed           uint64 `json:"seed"`
}

// Analyze locates β_c from the points of one τ. It builds σ_L(β) for every size that has
// periodic and twisted points at common β (SigmaCurves), finds the crossing of each pair
// of consecutive sizes (Cross), and extrapolates the crossings in L (Extrapolate). Error
// bars come from a parametric bootstrap: every input estimate (ln λ/L of each boundary,
// Binder, ξ/L) is redrawn from N(value, stderr), and the crossings and the extrapolation
// are recomputed, Options.Replicas times; each stderr is the standard deviation over the
// replicas. The extrapolation weighs each crossing by its bootstrap stderr (the central
// fit and every replica's alike), so that Extrapolate(a.Crossings) reproduces a.Fit; the
// central β_c therefore moves with Options.Seed, by a small fraction of its error bar.
// The error bars are statistical: the bias of the extrapolation ansatz is not in them.
//
// Pairs that do not cross are listed in Skipped; with no σ crossing at all the error
// wraps ErrNoCrossing. Other errors wrap ErrInvalidPoint, ErrDuplicate,
// ErrSeveralTaus, ErrTooFewSizes, ErrOptions or ErrBootstrap.
func Analyze(points []Point, o *Options) (*Analysis, error) {
	opt, err := o.resolve()
	if err != nil {
		return nil, err
	}
	d, err := newDataset(points)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Tau: d.tau, ObservableSource: d.source, Seed: opt.seed}
	for _, L := range d.sigmaTooShort {
		a.Skipped = append(a.Skipped, fmt.Sprintf("σ_%d: periodic and twisted points share fewer than 2 β", L))
	}
	if len(d.sigma) < 2 {
		return nil, errorf(ErrTooFewSizes, "σ_L needs periodic and twisted points at ≥ 2 common β for ≥ 2 sizes, have %d size(s)", len(d.sigma))
	}

	groups := []*crossGroup{
		newCrossGroup(Sigma, d.sigma, opt, &a.Skipped),
		newCrossGroup(Binder, d.binder, opt, &a.Skipped),
		newCrossGroup(XiOverL, d.xi, opt, &a.Skipped),
	}
	sigma := groups[0]
	if len(sigma.crossings) == 0 {
		return nil, fmt.Errorf("%w: no pair of consecutive sizes crosses: %s", ErrNoCrossing, strings.Join(sigma.reasons, "; "))
	}

	if opt.replicas > 0 {
		resample(groups, opt)
		a.Replicas = opt.replicas
	}
	a.Crossings = sigma.crossings
	a.BinderCrossings = groups[1].crossings
	a.XiOverLCrossings = groups[2].crossings

	// The crossings' stderrs are known now: they weigh the central fit and every
	// replica's.
	f := newFitter(a.Crossings)
	if err := f.check(); err != nil {
		return nil, err
	}
	a.Fit = f.fit(f.y, opt.omega)
	a.BetaC = a.Fit.BetaC
	if opt.replicas > 0 {
		var betaC []float64
		y := make([]float64, len(a.Crossings))
		for r := range opt.replicas {
			ok := true
			for k := range y {
				y[k] = sigma.samples[k][r]
				ok = ok && !math.IsNaN(y[k])
			}
			if !ok {
				a.FailedReplicas++
				continue
			}
			betaC = append(betaC, f.fit(y, opt.omega).BetaC)
		}
		if len(betaC) < 2 {
			return nil, errorf(ErrBootstrap, "%d of %d replicas missed a σ_L crossing", a.FailedReplicas, opt.replicas)
		}
		a.BetaCStderr = stddev(betaC)
	}
	a.Curves = append(a.Curves, d.curves(d.sigma, Sigma, "")...)
	a.Curves = append(a.Curves, d.curves(d.lnp, LnLambdaPerSite, Periodic)...)
	a.Curves = append(a.Curves, d.curves(d.lnt, LnLambdaPerSite, Twisted)...)
	a.Curves = append(a.Curves, d.curves(d.binder, Binder, Periodic)...)
	a.Curves = append(a.Curves, d.curves(d.xi, XiOverL, Periodic)...)
	return a, nil
}

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
		beta, why := pr.cross(a, b, nil, nil, opt)
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

// resample runs the parametric bootstrap: each replica redraws every input estimate of
// every series from N(mean, stderr) and recomputes each group's crossings. It fills
// samples and sets every crossing's Stderr to the standard deviation over the replicas
// where it was found.
func resample(groups []*crossGroup, opt options) {
	rng := rand.New(rand.NewPCG(opt.seed, 0x5eed_c417_5ee9))
	values := map[*series][]float64{}
	for _, g := range groups {
		for _, s := range g.series {
			values[s] = make([]float64, len(s.beta))
		}
		g.samples = make([][]float64, len(g.crossings))
		for k := range g.samples {
			g.samples[k] = make([]float64, opt.replicas)
		}
	}
	for r := range opt.replicas {
		for _, g := range groups {
			for _, s := range g.series {
				v := values[s]
				for i, parts := range s.parts {
					x := 0.0
					for _, p := range parts {
						x += p.coef * (p.mean + p.stderr*rng.NormFloat64())
					}
					v[i] = x
				}
			}
		}
		for _, g := range groups {
			for k, pr := range g.pairs {
				a, b := g.lo[k], g.hi[k]
				beta, why := pr.cross(a, b, values[a], values[b], opt)
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
