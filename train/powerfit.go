package train

import (
	"math"

	"github.com/critsweep/critsweep/model"
)

// powerFit is the default objective: stochastic power iteration by forward KL. One step
// of power iteration maps the model's p to p' = Tp/λ; the step fits the model to p' by
// descending the cross entropy −E_{x~p'}[ln p_θ(x)] (forward KL up to a constant), with p'
// held fixed at the current model. Its fixed point is the Perron vector. Samples of p'
// come from pairs (x', x): x' from the bond-tilted proposal of tiltedSampler with u = w,
// weighted by Π Z_i, and then x given x' drawn exactly, site by site, from
// W(x_i, x'_i)/w(x'_i). The model is symmetrised over the bond weight's shift group, so
// the slowest mode of plain power iteration (the order parameter's) is not there to
// converge, and a cosine learning-rate decay takes the noise of the last steps away.
type powerFit struct {
	sym                     symmetry
	ts                      *tiltedSampler
	tapeP, tapeImg, tapeX   *model.Tape
	lnw                     []float64 // ln w(b), w(b) = Σ_a W(a,b)
	cond                    []float64 // W(a,b)/w(b) at b·q+a: the law of x_i given x'_i = b
	xp, x                   []float64
	lw, lpTheta, lpSym      []float64
	img, lpImg, resp, glogp []float64
}

func newPowerFit(t *Trainer) *powerFit {
	w := t.sys.BondWeight()
	q := w.Q()
	o := &powerFit{
		sym:     symmetryOf(w),
		ts:      newTiltedSampler(t.sys, 1),
		tapeP:   model.NewTape(t.net),
		tapeImg: model.NewTape(t.net),
		tapeX:   model.NewTape(t.net),
		lnw:     make([]float64, q),
		cond:    make([]float64, q*q),
	}
	for b := 0; b < q; b++ {
		var s float64
		for a := 0; a < q; a++ {
			s += w.At(a, b)
		}
		o.lnw[b] = math.Log(s)
		for a := 0; a < q; a++ {
			o.cond[b*q+a] = w.At(a, b) / s
		}
	}
	return o
}

func (o *powerFit) symmetry() symmetry { return o.sym }

func (o *powerFit) gradient(t *Trainer) (loss, lnLambda float64) {
	batch, size, q := t.cfg.Batch, t.sys.Size(), t.sys.Q()
	rowLen := size * q
	g := o.sym.order()
	o.xp = grow(o.xp, batch*rowLen)
	o.x = grow(o.x, batch*rowLen)
	o.lw = grow(o.lw, batch)
	o.lpTheta = grow(o.lpTheta, batch)
	o.lpSym = grow(o.lpSym, batch)
	o.img = grow(o.img, g*batch*rowLen)
	o.lpImg = grow(o.lpImg, g*batch)
	o.resp = grow(o.resp, g*batch)
	o.glogp = grow(o.glogp, g*batch)

	// x' from the tilted proposal, with its weight towards p_sym(x')·T(x').
	o.ts.sample(o.tapeP, o.xp, batch, t.rng, true, func(int, int) []float64 { return o.lnw })
	copy(o.lw, o.ts.lw)
	if g > 1 {
		o.tapeP.SampleLogProb(o.lpTheta)
		o.sym.logSym(o.tapeImg, o.lpSym, o.lpTheta, o.xp, o.img, o.lpImg)
		for n := range o.lw {
			o.lw[n] += o.lpSym[n] - o.lpTheta[n]
		}
	}
	// The mean weight is E_{p_sym}[T(x')] = λ to first order.
	lnLambda = logMeanExp(o.lw)

	// x given x', site by site.
	clear(o.x)
	for n := 0; n < batch; n++ {
		for i := 0; i < size; i++ {
			c := o.cond[o.ts.states[n*size+i]*q:][:q]
			o.x[n*rowLen+i*q+categorical(c, t.rng.Float64())] = 1
		}
	}

	// Self-normalised weights, and the weighted cross entropy −Σ_n w_n ln p_sym(x_n).
	wmax := math.Inf(-1)
	for _, v := range o.lw {
		wmax = math.Max(wmax, v)
	}
	var wsum float64
	for n, v := range o.lw {
		o.lw[n] = math.Exp(v - wmax)
		wsum += o.lw[n]
	}
	o.sym.symmetricLogProb(o.tapeX, o.lpSym, o.resp, o.img, o.lpImg, o.x)
	for n := range o.lw {
		wn := o.lw[n] / wsum
		loss -= wn * o.lpSym[n]
		for k := 0; k < g; k++ {
			o.glogp[k*batch+n] = -wn * o.resp[k*batch+n]
		}
	}
	o.tapeX.LogProbBackward(o.glogp, nil)
	return loss, lnLambda
}
