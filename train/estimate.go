package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/critsweep/critsweep/model"
	"github.com/critsweep/critsweep/statmech"
)

// Estimate methods for ln λ.
const (
	// MethodSMC is the projector estimate of smc.go: sequential Monte Carlo over rows
	// guided by the model, unbiased whatever the model's error (which only sets its
	// variance). The default for a symmetric W.
	MethodSMC = "smc"
	// MethodRayleigh is the Rayleigh quotient of the symmetrised transfer matrix: second
	// order in the model's error and a lower bound (symmetric W only).
	MethodRayleigh = "rayleigh"
	// MethodFirstOrder is ln E_{x~p}[T(x)]: exact only at the fixed point, first order in
	// the model's error. Used where W is not symmetric.
	MethodFirstOrder = "first-order"
)

// Estimates are what a trained model says about its system, each with a standard error.
type Estimates struct {
	// LnLambdaPerSite is ln λ / L by Method.
	LnLambdaPerSite statmech.Estimate
	Method          string
	// FirstOrder is ln E_{x~p}[T(x)] / L, for comparison.
	FirstOrder statmech.Estimate
	// End are the observables of the model's row distribution p (the open end of a
	// half-infinite cylinder).
	End statmech.ObservableEstimates
	// Bulk are those of the bulk row distribution P ∝ Th·p² (symmetric W only; zero
	// otherwise).
	Bulk statmech.ObservableEstimates
	// Samples is the number of rows drawn for each of the two parts.
	Samples int
	// SMC describes the projector estimate when Method is MethodSMC (zero otherwise).
	SMC SMCDetails
}

// allocateDraws shares a budget of draws among rows in proportion to their weights
// exp(logB), on top of one draw each: row r gets 1 + ⌊budget·b_r/Σb⌋.
func allocateDraws(logB []float64, budget int) []int {
	m := math.Inf(-1)
	for _, v := range logB {
		m = math.Max(m, v)
	}
	var sum float64
	for _, v := range logB {
		sum += math.Exp(v - m)
	}
	draws := make([]int, len(logB))
	for r, v := range logB {
		draws[r] = 1 + int(float64(budget)*math.Exp(v-m)/sum)
	}
	return draws
}

// estimateChunk is the number of rows drawn at a time.
const estimateChunk = 4096

// Estimate draws n rows (0: Config.EstimateSamples) from the model and estimates ln λ and
// the observables. It draws from its own streams of the run's seed, so the same model and
// seed give the same estimates however the training was split, and however many threads
// (Config.Threads) it uses.
//
// Rows of p give the observables of p and the first-order ln E_p[T]; reweighted by Th·p
// they give those of the bulk P ∝ Th·p² (symmetric W). ln λ comes from Config.Estimator:
// the projector (MethodSMC, smc.go), or the Rayleigh quotient
//
//	λ_R = Σ_x Th(x)p(x)·(Tp)(x) / Σ_x Th(x)p(x)² = E_P[(Tp)(x)/p(x)],
//
// second order in the model's error and a lower bound, with (Tp)(x) estimated by draws of
// the bond-tilted proposal (MethodRayleigh). A W that is not symmetric gets the first-order
// estimate.
func (t *Trainer) Estimate(n int) (*Estimates, error) {
	if n == 0 {
		n = t.cfg.EstimateSamples
	}
	if n < 2 {
		return nil, fmt.Errorf("%w, got %d", ErrSamples, n)
	}
	sys, size, q := t.sys, t.sys.Size(), t.sys.Q()
	rowLen := size * q
	rng := rand.New(rand.NewPCG(t.cfg.Seed, streamEstimate))
	sym := t.obj.symmetry()
	g := sym.order()
	c := min(n, estimateChunk)
	L := float64(size)

	e := &Estimates{Samples: n}
	rows, logFirst := make([]float64, n*rowLen), make([]float64, n)
	lpTheta := make([]float64, n)
	tape := model.NewTape(t.net)
	for start := 0; start < n; start += c {
		m := min(c, n-start)
		x := rows[start*rowLen : (start+m)*rowLen]
		tape.Sample(x, m, rng)
		tape.SampleLogProb(lpTheta[start : start+m])
		sys.LogMarginal(logFirst[start:start+m], x)
	}
	v, se := logRatio(logFirst, make([]float64, n))
	e.FirstOrder = statmech.Estimate{Mean: v / L, StdErr: se / L}
	e.LnLambdaPerSite, e.Method = e.FirstOrder, MethodFirstOrder
	var err error
	if e.End, err = sys.EstimateObservables(rows, nil); err != nil {
		return nil, err
	}
	if !sys.Symmetric() {
		return e, nil
	}

	// The bulk by reweighting: b = Th·p_sym.
	logB, lnTh := make([]float64, n), make([]float64, n)
	tapeImg := model.NewTape(t.net)
	img, lpImg := make([]float64, g*c*rowLen), make([]float64, g*c)
	for start := 0; start < n; start += c {
		m := min(c, n-start)
		x := rows[start*rowLen : (start+m)*rowLen]
		sym.logSym(tapeImg, logB[start:start+m], lpTheta[start:start+m], x, img, lpImg)
		sys.LogHorizontal(lnTh[start:start+m], x)
		for r := 0; r < m; r++ {
			logB[start+r] += lnTh[start+r]
		}
	}
	if e.Bulk, err = sys.EstimateObservables(rows, logB); err != nil && !errors.Is(err, statmech.ErrSamples) {
		return nil, err
	}

	switch t.cfg.Estimator {
	case MethodRayleigh:
		e.LnLambdaPerSite = t.estimateRayleigh(rows, logB, lnTh, rng)
		e.Method = MethodRayleigh
	default:
		lnLambda, details := t.estimateSMC(t.cfg.EstimateDraws, t.cfg.Threads)
		e.LnLambdaPerSite, e.Method, e.SMC = lnLambda, MethodSMC, details
	}
	if math.IsNaN(e.LnLambdaPerSite.Mean) {
		return nil, fmt.Errorf("%w: ln λ estimate is NaN", ErrDiverged)
	}
	return e, nil
}

// estimateRayleigh returns the Rayleigh quotient λ_R = E_p[Th·(Tp)] / E_p[Th·p] from the
// rows of p, with logB = ln(Th·p_sym) and lnTh = ln Th of each row. The weights b are
// heavy-tailed, so the draws of (Tp)(x) are spent where b is: row r gets 1 + ⌊D·b_r/Σb⌋
// draws for a budget of D = Config.EstimateDraws.
func (t *Trainer) estimateRayleigh(rows, logB, lnTh []float64, rng *rand.Rand) statmech.Estimate {
	sys, size, q := t.sys, t.sys.Size(), t.sys.Q()
	rowLen := size * q
	n := len(logB)
	sym := t.obj.symmetry()
	g := sym.order()
	c := min(n, estimateChunk)
	tapeImg := model.NewTape(t.net)
	img, lpImg := make([]float64, g*c*rowLen), make([]float64, g*c)
	draws := allocateDraws(logB, t.cfg.EstimateDraws)
	lnTp := make([]float64, n)
	for r := range lnTp {
		lnTp[r] = math.Inf(-1)
	}
	tilt := newTiltedSampler(sys, 1)
	tapeP := model.NewTape(t.net)
	xp, lpDraw, lpSymDraw := make([]float64, c*rowLen), make([]float64, c), make([]float64, c)
	states := make([]int, n*size)
	decodeStates(states, rows, q)
	src := make([]int, 0, c) // the row each draw is for
	flush := func() {
		m := len(src)
		tilt.sample(tapeP, xp[:m*rowLen], m, rng, false, func(k, i int) []float64 {
			s := states[src[k]*size+i]
			return tilt.lnV[s*q : (s+1)*q]
		})
		// Reweight each draw from p_θ to p_sym.
		tapeP.SampleLogProb(lpDraw[:m])
		sym.logSym(tapeImg, lpSymDraw[:m], lpDraw[:m], xp[:m*rowLen], img, lpImg)
		for k, r := range src {
			lnTp[r] = logAddExp(lnTp[r], tilt.lw[k]+lpSymDraw[k]-lpDraw[k])
		}
		src = src[:0]
	}
	for r, k := range draws {
		for range k {
			src = append(src, r)
			if len(src) == c {
				flush()
			}
		}
	}
	if len(src) > 0 {
		flush()
	}
	logA := make([]float64, n)
	for r := range logA {
		logA[r] = lnTh[r] + lnTp[r] - math.Log(float64(draws[r]))
	}
	v, se := logRatio(logA, logB)
	L := float64(size)
	return statmech.Estimate{Mean: v / L, StdErr: se / L}
}

// decodeStates writes the state of every site of the one-hot rows x (its largest entry).
func decodeStates(dst []int, x []float64, q int) {
	for s := range dst {
		v := x[s*q : (s+1)*q]
		best := 0
		for a := 1; a < q; a++ {
			if v[a] > v[best] {
				best = a
			}
		}
		dst[s] = best
	}
}
