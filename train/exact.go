package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/critsweep/critsweep/model"
	"github.com/critsweep/critsweep/statmech"
)

// ExactStateLimit is the largest q^L that CompareExact enumerates.
const ExactStateLimit = 1 << 16

// ErrTooLarge is returned by CompareExact when q^L is over ExactStateLimit.
var ErrTooLarge = errors.New("too many states to compare with the exact solution")

// ExactComparison sets a trained model beside the exact Perron vector.
type ExactComparison struct {
	// LnLambdaPerSite is the exact ln λ / L.
	LnLambdaPerSite float64
	// End and Bulk are the exact observables of p and of P ∝ Th·p².
	End, Bulk statmech.Observables
	// TV is the total-variation distance ½ Σ_x |p_exact(x) − p_model(x)|.
	TV float64
	// KL is KL(p_exact ‖ p_model).
	KL float64
}

// CompareExact solves the system exactly by power iteration and compares the model's
// distribution (symmetrised as it is trained) with it, for q^L ≤ ExactStateLimit.
func (t *Trainer) CompareExact() (*ExactComparison, error) {
	sys := t.sys
	n, err := sys.NumStates()
	if err != nil || n > ExactStateLimit {
		return nil, fmt.Errorf("%w: q^L = %d^%d, limit %d", ErrTooLarge, sys.Q(), sys.Size(), ExactStateLimit)
	}
	pr, err := statmech.Perron(sys, nil)
	if err != nil {
		return nil, err
	}
	c := &ExactComparison{LnLambdaPerSite: pr.LogLambda / float64(sys.Size())}
	if c.End, err = sys.Observables(pr.P); err != nil {
		return nil, err
	}
	if sys.BondWeight().Symmetric() {
		bulk, err := sys.Bulk(pr.P)
		if err != nil {
			return nil, err
		}
		if c.Bulk, err = sys.Observables(bulk); err != nil {
			return nil, err
		}
	}
	lp := t.logProbAll(n)
	for k, pe := range pr.P {
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
