package train

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/critsweep/critsweep/model"
	"github.com/critsweep/critsweep/statmech"
)

// ExactStateLimit is the largest q^L that CompareExact enumerates.
const ExactStateLimit = 1 << 20

// ErrTooLarge is returned by CompareExact when q^L is over ExactStateLimit, and by
// SolveExact when q^L is over its limit and no closed form gives ln λ.
var ErrTooLarge = errors.New("too many states to compare with the exact solution")

// Methods by which SolveExact finds ln λ.
const (
	// ExactKaufman is Kaufman's closed form of the Ising model: any L.
	ExactKaufman = "kaufman"
	// ExactPower is power iteration over all q^L row states.
	ExactPower = "power"
)

// ExactOptions are the settings of SolveExact; nil means every default.
type ExactOptions struct {
	// IsingBeta, when > 0, says that the system is the Ising model at β = IsingBeta (its
	// horizontal bond weight must equal statmech.Ising(IsingBeta), its vertical one
	// statmech.Ising(IsingBetaVertical)): ln λ then comes from Kaufman's closed form, at
	// any L.
	IsingBeta float64
	// IsingBetaVertical is the β of the vertical bonds of an anisotropic Ising system,
	// β·J_y/J_x; 0 means IsingBeta (isotropic).
	IsingBetaVertical float64
	// MaxStates is the largest q^L that is enumerated for the Perron vector and the
	// observables; 0 means statmech.MaxStates.
	MaxStates int
	// Perron tunes the power iteration; nil means statmech's defaults.
	Perron *statmech.PerronOptions
}

// Exact is the exact solution of a system, as far as it can be had: ln λ always, the
// Perron vector and the observables where q^L can be enumerated.
type Exact struct {
	// LnLambda is ln λ, the log of the whole leading eigenvalue (ln λ/L is −βf), found by
	// Method (ExactKaufman or ExactPower).
	LnLambda float64
	Method   string
	// P is the Perron vector (indexed like statmech.System.Index) and LnLambdaPower ln λ
	// by power iteration, after Iterations iterations; P is nil and LnLambdaPower NaN
	// when q^L is over the limit.
	P             []float64
	LnLambdaPower float64
	Iterations    int
	// End are the observables of p, and Bulk those of the bulk distribution P ∝ Th·p²
	// (symmetric W only); nil where absent.
	End, Bulk *statmech.Observables
}

// SolveExact solves sys exactly: ln λ by Kaufman's closed form for the Ising model
// (ExactOptions.IsingBeta) at any L, and by power iteration otherwise; the Perron vector
// and the observables where q^L ≤ ExactOptions.MaxStates, absent (not an error) beyond
// it. Without a closed form a q^L over the limit is an ErrTooLarge error.
func SolveExact(sys *statmech.System, o *ExactOptions) (*Exact, error) {
	var opts ExactOptions
	if o != nil {
		opts = *o
	}
	if opts.MaxStates <= 0 || opts.MaxStates > statmech.MaxStates {
		opts.MaxStates = statmech.MaxStates
	}
	ex := &Exact{Method: ExactPower, LnLambdaPower: math.NaN()}
	if opts.IsingBeta > 0 {
		betaV := opts.IsingBetaVertical
		if betaV == 0 {
			betaV = opts.IsingBeta
		}
		w, err := statmech.Ising(opts.IsingBeta)
		if err != nil {
			return nil, err
		}
		v, err := statmech.Ising(betaV)
		if err != nil {
			return nil, err
		}
		if !slices.EqualFunc(w.Matrix(), sys.HorizontalWeight().Matrix(), slices.Equal) ||
			!slices.EqualFunc(v.Matrix(), sys.VerticalWeight().Matrix(), slices.Equal) {
			return nil, fmt.Errorf("exact: the system's bond weights %v (horizontal), %v (vertical) are not the Ising model's at β = %v, %v",
				sys.HorizontalWeight(), sys.VerticalWeight(), opts.IsingBeta, betaV)
		}
		if betaV == opts.IsingBeta {
			ex.LnLambda, err = statmech.KaufmanLogLambda(opts.IsingBeta, sys.Size(), sys.Boundary())
		} else {
			ex.LnLambda, err = statmech.KaufmanAnisotropicLogLambda(opts.IsingBeta, betaV, sys.Size(), sys.Boundary())
		}
		if err != nil {
			return nil, err
		}
		ex.Method = ExactKaufman
	}
	n, err := sys.NumStates()
	if err != nil || n > opts.MaxStates {
		if ex.Method == ExactKaufman {
			return ex, nil
		}
		return nil, fmt.Errorf("%w: q^L = %d^%d, limit %d", ErrTooLarge, sys.Q(), sys.Size(), opts.MaxStates)
	}
	pr, err := statmech.Perron(sys, opts.Perron)
	if err != nil {
		return nil, err
	}
	ex.P, ex.LnLambdaPower, ex.Iterations = pr.P, pr.LogLambda, pr.Iterations
	if ex.Method == ExactPower {
		ex.LnLambda = pr.LogLambda
	}
	end, err := sys.Observables(pr.P)
	if err != nil {
		return nil, err
	}
	ex.End = &end
	if sys.Symmetric() {
		bulkP, err := sys.Bulk(pr.P)
		if err != nil {
			return nil, err
		}
		bulk, err := sys.Observables(bulkP)
		if err != nil {
			return nil, err
		}
		ex.Bulk = &bulk
	}
	return ex, nil
}

// ExactComparison sets a trained model beside the exact Perron vector.
type ExactComparison struct {
	// LnLambdaPerSite is the exact ln λ / L.
	LnLambdaPerSite float64
	// End and Bulk are the exact observables of p and of P ∝ Th·p² (Bulk is zero for an
	// asymmetric W).
	End, Bulk statmech.Observables
	// TV is the total-variation distance ½ Σ_x |p_exact(x) − p_model(x)|.
	TV float64
	// KL is KL(p_exact ‖ p_model).
	KL float64
}

// CompareExact solves the system exactly by power iteration (SolveExact) and compares
// the model's distribution (symmetrised as it is trained) with it, for
// q^L ≤ ExactStateLimit.
func (t *Trainer) CompareExact() (*ExactComparison, error) {
	ex, err := SolveExact(t.sys, &ExactOptions{MaxStates: ExactStateLimit})
	if err != nil {
		return nil, err
	}
	c := &ExactComparison{LnLambdaPerSite: ex.LnLambda / float64(t.sys.Size()), End: *ex.End}
	if ex.Bulk != nil {
		c.Bulk = *ex.Bulk
	}
	lp := t.logProbAll(len(ex.P))
	for k, pe := range ex.P {
		pm := math.Exp(lp[k])
		c.TV += math.Abs(pe - pm)
		if pe > 0 {
			c.KL += pe * (math.Log(pe) - lp[k])
		}
	}
	c.TV /= 2
	return c, nil
}

// logProbAll returns ln p of the model (symmetrised as trained) for every one of the n
// hard rows, indexed like statmech.System.Index.
func (t *Trainer) logProbAll(n int) []float64 {
	sys, rowLen := t.sys, t.sys.RowLen()
	sym := t.obj.symmetry()
	g := sym.order()
	lp := make([]float64, n)
	c := min(n, estimateChunk)
	tape := model.NewTape(t.net)
	rows := make([]float64, c*rowLen)
	img, lpImg, resp := make([]float64, g*c*rowLen), make([]float64, g*c), make([]float64, g*c)
	for start := 0; start < n; start += c {
		m := min(c, n-start)
		for r := 0; r < m; r++ {
			sys.Decode(rows[r*rowLen:(r+1)*rowLen], start+r)
		}
		sym.symmetricLogProb(tape, lp[start:start+m], resp, img[:g*m*rowLen], lpImg[:g*m], rows[:m*rowLen])
	}
	return lp
}
