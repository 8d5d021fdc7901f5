package train

import (
	"fmt"
	"math"

	"github.com/critsweep/critsweep/model"
)

// gumbelRKL is the seed notebook's objective, reproduced faithfully: rows x and x' are
// drawn by Gumbel-softmax at temperature τ, and
//
//	loss = Σ_a [ln p(x_a) − ln mean_b T(x_a, x'_b) + ln mean_b T(x'_b)],
//
// summed over the batch as the seed does, with gradients through the relaxed samples. The
// model is not symmetrised. The seed's own notes name its faults — mode collapse, noisy
// gradients, the log of a batch mean — and they are kept: this objective exists so that
// the τ axis of a sweep means what the seed meant.
type gumbelRKL struct {
	sym           symmetry
	tapeX, tapeXp *model.Tape
	x, xp         []float64
	lpx           []float64
	pair, marg    []float64 // ln T(x_a, x'_b), ln T(x'_b)
	gx, gxp, ones []float64
}

func newGumbelRKL(t *Trainer) *gumbelRKL {
	return &gumbelRKL{sym: trivial(t.sys.Q()), tapeX: model.NewTape(t.net), tapeXp: model.NewTape(t.net)}
}

func (o *gumbelRKL) symmetry() symmetry { return o.sym }

// gumbel-rkl keeps no statistics across steps.
func (o *gumbelRKL) state() []float64 { return nil }

func (o *gumbelRKL) restore(s []float64) error {
	if len(s) != 0 {
		return fmt.Errorf("%w: gumbel-rkl keeps no objective state, checkpoint has %d values", ErrCheckpoint, len(s))
	}
	return nil
}

func (o *gumbelRKL) gradient(t *Trainer) (loss, lnLambda float64) {
	batch, rowLen := t.cfg.Batch, t.sys.RowLen()
	o.x = grow(o.x, batch*rowLen)
	o.xp = grow(o.xp, batch*rowLen)
	o.lpx = grow(o.lpx, batch)
	o.pair = grow(o.pair, batch*batch)
	o.marg = grow(o.marg, batch)
	o.gx = growZero(o.gx, batch*rowLen)
	o.gxp = growZero(o.gxp, batch*rowLen)
	o.ones = grow(o.ones, batch)

	o.tapeX.SampleGumbel(o.x, batch, t.cfg.Tau, t.rng)
	o.tapeXp.SampleGumbel(o.xp, batch, t.cfg.Tau, t.rng)
	o.tapeX.SampleLogProb(o.lpx)
	t.sys.LogTransferWeight(o.pair, o.x, o.xp)
	t.sys.LogMarginal(o.marg, o.xp)

	// ∂loss/∂ln T(x_a,x'_b) = −softmax_b; ∂loss/∂ln T(x'_b) = batch·softmax_b.
	lnMeanMarg := logMeanExp(o.marg)
	for a := 0; a < batch; a++ {
		row := o.pair[a*batch : (a+1)*batch]
		lse := logMeanExp(row)
		loss += o.lpx[a] - lse + lnMeanMarg
		for b, v := range row {
			row[b] = -math.Exp(v-lse) / float64(batch)
		}
		o.ones[a] = 1
	}
	for b, v := range o.marg {
		o.marg[b] = math.Exp(v - lnMeanMarg)
	}
	t.sys.LogTransferWeightBackward(o.gx, o.gxp, o.x, o.xp, o.pair)
	t.sys.LogMarginalBackward(o.gxp, o.xp, o.marg)
	o.tapeX.Backward(o.gx, o.ones)
	o.tapeXp.Backward(o.gxp, nil)
	return loss / float64(batch), lnMeanMarg
}
