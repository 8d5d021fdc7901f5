package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// tapeKind says how the rows on a tape came to be, and so which backward
// passes apply.
type tapeKind int

const (
	tapeEmpty    tapeKind = iota
	tapeFixed             // rows given (LogProb), drawn exactly (Sample) or chosen (SampleFunc)
	tapeGumbel            // Gumbel-softmax relaxed rows
	tapeStraight          // straight-through: one-hot rows, relaxed backward
)

// Tape holds one batch of rows of a Model together with every activation of
// the network on them, so that log p and its gradients cost no second
// forward pass. A tape is filled by LogProb (given rows) or by one of the
// samplers, and read by SampleLogProb, Conditionals, Backward and
// LogProbBackward.
//
// A tape keeps its buffers: once it has seen the largest batch, filling and
// differentiating it allocate nothing. Several tapes of one model may be
// filled concurrently; backward passes add into the model's single gradient
// and must not run concurrently, unless each tape belongs to its own view of
// the model (Model.WithGrad).
//
// Inside, every buffer is feature-major: the row for feature a of unit i
// holds that value for the whole batch, so that a unit's active inputs are a
// contiguous block of rows.
type Tape struct {
	m       *Model
	kind    tapeKind
	batch   int
	tau     float64
	x       []float64   // units·q × batch: the rows (the network's input)
	y       []float64   // units·q × batch: relaxed rows (straight-through only)
	h       [][]float64 // h[l], 0 < l < layers: units·features[l] × batch, after the nonlinearity
	lsm     []float64   // units·q × batch: log p(x_i = a | x_<i)
	dx      []float64   // units·q × batch: gradient with respect to x
	dh      [][]float64 // gradients with respect to h
	dl      []float64   // q × batch: gradient with respect to one unit's logits
	s0      []float64   // batch scratch
	s1      []float64   // batch scratch
	site    []float64   // batch × q scratch for SampleFunc
	sitex   []float64   // batch × q scratch for SampleFunc
	next    []float64   // batch × q × q: the lookahead's next-site conditionals
	cand    [][]float64 // per candidate and layer: the next unit's outputs (SampleLookahead)
	part    [][]float64 // per layer: the next unit's outputs from the fixed inputs only
	picks   []int       // the state each row chose at the last site (SampleLookahead)
	stepped int         // the next unit to Set, for a tape stepped by hand
}

// NewTape returns an empty tape for m.
func NewTape(m *Model) *Tape {
	return &Tape{m: m, h: make([][]float64, len(m.layers)), dh: make([][]float64, len(m.layers))}
}

// Model is the model the tape belongs to.
func (t *Tape) Model() *Model { return t.m }

// Batch is the number of rows on the tape.
func (t *Tape) Batch() int { return t.batch }

// Tau is the temperature of a relaxed tape, 0 otherwise.
func (t *Tape) Tau() float64 { return t.tau }

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// reset sizes the buffers for batch rows.
func (t *Tape) reset(kind tapeKind, batch int, tau float64) {
	if batch < 1 {
		panic(fmt.Sprintf("model: batch %d", batch))
	}
	m := t.m
	uq := m.units * m.States()
	t.kind, t.batch, t.tau = kind, batch, tau
	t.x = grow(t.x, uq*batch)
	if kind == tapeStraight {
		t.y = grow(t.y, uq*batch)
	}
	t.lsm = grow(t.lsm, uq*batch)
	for l := 1; l < len(m.layers); l++ {
		t.h[l] = grow(t.h[l], m.units*m.features[l]*batch)
	}
	t.s0 = grow(t.s0, batch)
	t.s1 = grow(t.s1, batch)
}

// resetGrad sizes and clears the backward buffers; dx is cleared only if wantDX.
func (t *Tape) resetGrad(wantDX bool) {
	m, b := t.m, t.batch
	if wantDX {
		t.dx = grow(t.dx, m.units*m.States()*b)
		clear(t.dx)
	}
	t.dl = grow(t.dl, m.States()*b)
	for l := 1; l < len(m.layers); l++ {
		t.dh[l] = grow(t.dh[l], m.units*m.features[l]*b)
		clear(t.dh[l])
	}
}

// input is the input buffer of layer l.
func (t *Tape) input(l int) []float64 {
	if l == 0 {
		return t.x
	}
	return t.h[l]
}

// unitRows is the block of rows of unit i in a buffer of f features per unit.
func (t *Tape) unitRows(buf []float64, i, f int) []float64 {
	b := t.batch
	return buf[i*f*b : (i+1)*f*b]
}

// forwardUnit computes unit i of every layer from the rows of units < i in
// t.x, ending with the log-conditionals of unit i in t.lsm.
func (t *Tape) forwardUnit(i int) {
	m, b := t.m, t.batch
	last := len(m.layers) - 1
	for l, layer := range m.layers {
		fo := layer.out
		var out []float64
		if l < last {
			out = t.unitRows(t.h[l+1], i, fo)
		} else {
			out = t.unitRows(t.lsm, i, fo)
		}
		layer.fillBias(out, i, b)
		k := layer.Active(i)
		kern.gemmNN(fo, b, k, layer.Panel(i), k, 1, t.input(l), b, out, b)
		if l < last {
			activate(m.act, out)
		} else {
			t.logSoftmax(out)
		}
	}
}

// logSoftmax turns q rows of logits into log-probabilities, in place.
func (t *Tape) logSoftmax(z []float64) {
	b, q := t.batch, t.m.States()
	mx, s := t.s0[:b], t.s1[:b]
	copy(mx, z[:b])
	for a := 1; a < q; a++ {
		for n, v := range z[a*b : (a+1)*b] {
			mx[n] = max(mx[n], v)
		}
	}
	clear(s)
	for a := 0; a < q; a++ {
		for n, v := range z[a*b : (a+1)*b] {
			s[n] += math.Exp(v - mx[n])
		}
	}
	for n := range s {
		s[n] = mx[n] + math.Log(s[n])
	}
	for a := 0; a < q; a++ {
		r := z[a*b : (a+1)*b]
		for n := range r {
			r[n] -= s[n]
		}
	}
}

// LogProb writes log p(x) of each row of x to dst (if dst is not nil) and
// records the rows: x holds batch rows of Units()·States() values,
// x[(n·units+i)·q+a], one-hot or soft, and
// log p(x) = Σ_i Σ_a x_ia · log softmax(logits_i(x_<i))_a.
func (t *Tape) LogProb(dst, x []float64) {
	uq := t.m.units * t.m.States()
	if len(x) == 0 || len(x)%uq != 0 {
		panic(fmt.Sprintf("model: LogProb: len(x) %d is not a multiple of units·q = %d", len(x), uq))
	}
	batch := len(x) / uq
	if dst != nil && len(dst) != batch {
		panic(fmt.Sprintf("model: LogProb: len(dst) %d, want %d", len(dst), batch))
	}
	t.reset(tapeFixed, batch, 0)
	toFeatureMajor(t.x, x, batch, uq)
	for i := 0; i < t.m.units; i++ {
		t.forwardUnit(i)
	}
	if dst != nil {
		t.SampleLogProb(dst)
	}
}

// SampleLogProb writes log p(x) of each row on the tape to dst (length Batch).
func (t *Tape) SampleLogProb(dst []float64) {
	if t.kind == tapeEmpty {
		panic("model: SampleLogProb on an empty tape")
	}
	b := t.batch
	if len(dst) != b {
		panic(fmt.Sprintf("model: SampleLogProb: len(dst) %d, want %d", len(dst), b))
	}
	clear(dst)
	for r := 0; r < t.m.units*t.m.States(); r++ {
		xr, lr := t.x[r*b:(r+1)*b], t.lsm[r*b:(r+1)*b]
		for n := range dst {
			dst[n] += xr[n] * lr[n]
		}
	}
}

// Conditionals writes the model's conditional log-probabilities on the rows
// of the tape, log p(x_i = a | x_<i), to dst[(n·units+i)·q+a].
func (t *Tape) Conditionals(dst []float64) {
	if t.kind == tapeEmpty {
		panic("model: Conditionals on an empty tape")
	}
	uq := t.m.units * t.m.States()
	if len(dst) != t.batch*uq {
		panic(fmt.Sprintf("model: Conditionals: len(dst) %d, want %d", len(dst), t.batch*uq))
	}
	toSampleMajor(dst, t.lsm, t.batch, uq)
}

// checkSample validates a sampler's arguments.
func (t *Tape) checkSample(name string, dst []float64, batch int) {
	if batch < 1 {
		panic(fmt.Sprintf("model: %s: batch %d", name, batch))
	}
	if dst != nil && len(dst) != batch*t.m.units*t.m.States() {
		panic(fmt.Sprintf("model: %s: len(dst) %d, want %d", name, len(dst), batch*t.m.units*t.m.States()))
	}
}

// temperature resolves the temperature of a relaxed sampler: 0 means the
// seed's default 1/(q−1).
func (t *Tape) temperature(name string, tau float64) float64 {
	if tau == 0 {
		return 1 / float64(t.m.States()-1)
	}
	if !(tau > 0) || math.IsInf(tau, 1) {
		panic(fmt.Sprintf("model: %s: temperature %v", name, tau))
	}
	return tau
}

// Sample draws batch rows exactly from p, site by site from the conditionals
// (one uniform number per site and row, by inverse CDF), writes them one-hot
// to dst (if not nil) and records them. Its backward pass is the score
// function: LogProbBackward, or Backward with gx nil.
func (t *Tape) Sample(dst []float64, batch int, rng *rand.Rand) {
	t.checkSample("Sample", dst, batch)
	t.reset(tapeFixed, batch, 0)
	m, b, q := t.m, batch, t.m.States()
	for i := 0; i < m.units; i++ {
		t.forwardUnit(i)
		lsm, x := t.unitRows(t.lsm, i, q), t.unitRows(t.x, i, q)
		clear(x)
		for n := 0; n < b; n++ {
			u := rng.Float64()
			pick, c := -1, 0.0
			for a := 0; a < q; a++ {
				p := math.Exp(lsm[a*b+n])
				if p > 0 {
					pick = a
				}
				c += p
				if u < c {
					break
				}
			}
			if pick < 0 { // NaN conditionals: keep the row well formed
				pick = 0
			}
			x[pick*b+n] = 1
		}
	}
	if dst != nil {
		toSampleMajor(dst, t.x, b, m.units*q)
	}
}

// SampleGumbel draws batch relaxed rows with the Gumbel-softmax trick, site
// by site: x_i = softmax((log p_i + g_i)/τ), g_i Gumbel noise from rng, where
// p_i is computed from the relaxed x_<i. It writes them to dst (if not nil)
// and records them for Backward. tau 0 means the seed's default 1/(q−1).
func (t *Tape) SampleGumbel(dst []float64, batch int, tau float64, rng *rand.Rand) {
	t.checkSample("SampleGumbel", dst, batch)
	t.sampleRelaxed(tapeGumbel, dst, batch, t.temperature("SampleGumbel", tau), rng)
}

// SampleStraightThrough draws batch one-hot rows by the Gumbel-max trick
// (an exact sample of p) and records them for Backward, which treats each
// site as its relaxed value softmax((log p_i + g_i)/τ): one-hot forward,
// relaxed backward, as the seed's gumbel_softmax(hard=True). tau 0 means
// 1/(q−1).
func (t *Tape) SampleStraightThrough(dst []float64, batch int, tau float64, rng *rand.Rand) {
	t.checkSample("SampleStraightThrough", dst, batch)
	t.sampleRelaxed(tapeStraight, dst, batch, t.temperature("SampleStraightThrough", tau), rng)
}

func (t *Tape) sampleRelaxed(kind tapeKind, dst []float64, batch int, tau float64, rng *rand.Rand) {
	t.reset(kind, batch, tau)
	m, b, q := t.m, batch, t.m.States()
	inv := 1 / tau
	for i := 0; i < m.units; i++ {
		t.forwardUnit(i)
		lsm, x := t.unitRows(t.lsm, i, q), t.unitRows(t.x, i, q)
		y := x
		if kind == tapeStraight {
			y = t.unitRows(t.y, i, q)
		}
		mx := t.s0[:b]
		for n := range mx {
			mx[n] = math.Inf(-1)
		}
		// y ← (log p + g)/τ, then softmax over the q states.
		for a := 0; a < q; a++ {
			ya, la := y[a*b:(a+1)*b], lsm[a*b:(a+1)*b]
			for n := range ya {
				v := (la[n] + gumbel(rng)) * inv
				ya[n] = v
				mx[n] = max(mx[n], v)
			}
		}
		if kind == tapeStraight {
			clear(x)
			for n := 0; n < b; n++ {
				for a := 0; a < q; a++ {
					if y[a*b+n] == mx[n] {
						x[a*b+n] = 1
						break
					}
				}
			}
		}
		s := t.s1[:b]
		clear(s)
		for a := 0; a < q; a++ {
			ya := y[a*b : (a+1)*b]
			for n := range ya {
				e := math.Exp(ya[n] - mx[n])
				ya[n] = e
				s[n] += e
			}
		}
		for n := range s {
			s[n] = 1 / s[n]
		}
		for a := 0; a < q; a++ {
			ya := y[a*b : (a+1)*b]
			for n := range ya {
				ya[n] *= s[n]
			}
		}
	}
	if dst != nil {
		toSampleMajor(dst, t.x, b, m.units*q)
	}
}

// gumbel draws standard Gumbel noise: −ln E with E exponential.
func gumbel(rng *rand.Rand) float64 {
	e := rng.ExpFloat64()
	if e == 0 {
		e = math.SmallestNonzeroFloat64
	}
	return -math.Log(e)
}

// SampleFunc fills the tape site by site with rows that choose picks: for
// each site i in order it calls choose(i, logp, xi), where logp[n·q+a] is
// log p(x_i = a | x_<i) of row n given the values chosen so far, and choose
// writes the values of site i of every row to xi[n·q+a] (one-hot for a
// sample; any values are accepted). Rows drawn from p tilted by outside
// weights are made this way. The rows are written to dst (if not nil); the
// tape is then like one filled by LogProb on them.
func (t *Tape) SampleFunc(dst []float64, batch int, choose func(i int, logp, xi []float64)) {
	t.checkSample("SampleFunc", dst, batch)
	t.reset(tapeFixed, batch, 0)
	m, b, q := t.m, batch, t.m.States()
	t.site = grow(t.site, b*q)
	t.sitex = grow(t.sitex, b*q)
	for i := 0; i < m.units; i++ {
		t.forwardUnit(i)
		toSampleMajor(t.site, t.unitRows(t.lsm, i, q), b, q)
		clear(t.sitex)
		choose(i, t.site, t.sitex)
		toFeatureMajor(t.unitRows(t.x, i, q), t.sitex, b, q)
	}
	if dst != nil {
		toSampleMajor(dst, t.x, b, m.units*q)
	}
}

// Backward adds to the model's gradient the exact gradient of a loss L
// through the rows on the tape: gx[(n·units+i)·q+a] is ∂L/∂x of the rows as
// returned by the sampler, glogp[n] is ∂L/∂(log p(x_n)); either may be nil
// (zero). For a relaxed tape (SampleGumbel, SampleStraightThrough) the rows
// depend on the parameters, and Backward goes in reverse over the sites
// through the relaxed softmax, the log-softmax and the network, including the
// dependence of later sites on earlier ones, with the Gumbel noise fixed. For
// other tapes the rows are constants: gx must be nil, and Backward is
// LogProbBackward(glogp, nil).
func (t *Tape) Backward(gx, glogp []float64) {
	m, b, q := t.m, t.batch, t.m.States()
	uq := m.units * q
	switch t.kind {
	case tapeEmpty:
		panic("model: Backward on an empty tape")
	case tapeFixed:
		if gx != nil {
			panic("model: Backward: gx given for rows that do not depend on the parameters")
		}
		if glogp != nil {
			t.LogProbBackward(glogp, nil)
		}
		return
	}
	if gx != nil && len(gx) != b*uq {
		panic(fmt.Sprintf("model: Backward: len(gx) %d, want %d", len(gx), b*uq))
	}
	if glogp != nil && len(glogp) != b {
		panic(fmt.Sprintf("model: Backward: len(glogp) %d, want %d", len(glogp), b))
	}
	t.resetGrad(true)
	if gx != nil {
		toFeatureMajor(t.dx, gx, b, uq)
	}
	inv := 1 / t.tau
	for i := m.units - 1; i >= 0; i-- {
		// All of ∂L/∂x_i is in t.dx now: later sites have added theirs.
		g, lsm, x := t.unitRows(t.dx, i, q), t.unitRows(t.lsm, i, q), t.unitRows(t.x, i, q)
		y := x
		if t.kind == tapeStraight {
			y = t.unitRows(t.y, i, q)
		}
		if glogp != nil {
			for a := 0; a < q; a++ {
				ga, la := g[a*b:(a+1)*b], lsm[a*b:(a+1)*b]
				for n := range ga {
					ga[n] += glogp[n] * la[n]
				}
			}
		}
		// Through y = softmax(v), v = (log p + g)/τ, to the logits; a shift
		// of v drops out, so ∂L/∂logits = ∂L/∂v / τ.
		dot := t.s0[:b]
		clear(dot)
		for a := 0; a < q; a++ {
			ya, ga := y[a*b:(a+1)*b], g[a*b:(a+1)*b]
			for n := range dot {
				dot[n] += ya[n] * ga[n]
			}
		}
		dl := t.dl[:q*b]
		for a := 0; a < q; a++ {
			ya, ga, da := y[a*b:(a+1)*b], g[a*b:(a+1)*b], dl[a*b:(a+1)*b]
			for n := range da {
				da[n] = inv * ya[n] * (ga[n] - dot[n])
			}
		}
		if glogp != nil {
			t.addLogProbLogitGrad(dl, x, lsm, glogp)
		}
		t.backwardUnit(i, dl, true)
	}
}

// addLogProbLogitGrad adds ∂(glogp·log p)/∂logits of one unit to dl:
// glogp · (x_a − p_a Σ_b x_b).
func (t *Tape) addLogProbLogitGrad(dl, x, lsm, glogp []float64) {
	b, q := t.batch, t.m.States()
	sx := t.s1[:b]
	copy(sx, x[:b])
	for a := 1; a < q; a++ {
		for n, v := range x[a*b : (a+1)*b] {
			sx[n] += v
		}
	}
	for a := 0; a < q; a++ {
		da, xa, la := dl[a*b:(a+1)*b], x[a*b:(a+1)*b], lsm[a*b:(a+1)*b]
		for n := range da {
			da[n] += glogp[n] * (xa[n] - math.Exp(la[n])*sx[n])
		}
	}
}

// LogProbBackward adds to the model's gradient the gradient of
// Σ_n glogp[n]·log p(x_n) with the rows on the tape held fixed, and, if dx is
// not nil, adds ∂/∂x of the same sum to dx[(n·units+i)·q+a]. It applies to
// every tape; on a relaxed one it treats the samples as given rows.
func (t *Tape) LogProbBackward(glogp, dx []float64) {
	m, b, q := t.m, t.batch, t.m.States()
	uq := m.units * q
	if t.kind == tapeEmpty {
		panic("model: LogProbBackward on an empty tape")
	}
	if len(glogp) != b {
		panic(fmt.Sprintf("model: LogProbBackward: len(glogp) %d, want %d", len(glogp), b))
	}
	if dx != nil && len(dx) != b*uq {
		panic(fmt.Sprintf("model: LogProbBackward: len(dx) %d, want %d", len(dx), b*uq))
	}
	wantDX := dx != nil
	t.resetGrad(wantDX)
	for i := m.units - 1; i >= 0; i-- {
		lsm, x := t.unitRows(t.lsm, i, q), t.unitRows(t.x, i, q)
		if wantDX {
			g := t.unitRows(t.dx, i, q)
			for a := 0; a < q; a++ {
				ga, la := g[a*b:(a+1)*b], lsm[a*b:(a+1)*b]
				for n := range ga {
					ga[n] += glogp[n] * la[n]
				}
			}
		}
		dl := t.dl[:q*b]
		clear(dl)
		t.addLogProbLogitGrad(dl, x, lsm, glogp)
		t.backwardUnit(i, dl, wantDX)
	}
	if wantDX {
		addSampleMajor(dx, t.dx, b, uq)
	}
}

// backwardUnit takes ∂L/∂logits of unit i (dl, q rows) down through the
// network: it adds unit i's weight and bias gradients, adds to the input
// gradients of units ≤ i of every hidden layer (so that those of unit i are
// then complete and are turned into pre-activation gradients), and, if
// wantDX, adds to the gradient of the rows of units < i in t.dx.
func (t *Tape) backwardUnit(i int, dl []float64, wantDX bool) {
	m, b := t.m, t.batch
	dz := dl
	for l := len(m.layers) - 1; l >= 0; l-- {
		layer := m.layers[l]
		fo, fi, k := layer.out, layer.in, layer.Active(i)
		kern.gemmNT(fo, k, b, dz, b, t.input(l), b, layer.gradPanel(i), k)
		if gb := layer.gradBias(); gb != nil {
			for o := 0; o < fo; o++ {
				var s float64
				for _, v := range dz[o*b : (o+1)*b] {
					s += v
				}
				gb[i*fo+o] += s
			}
		}
		if l == 0 {
			if wantDX {
				kern.gemmNN(k, b, fo, layer.Panel(i), 1, k, dz, b, t.dx, b)
			}
			break
		}
		kern.gemmNN(k, b, fo, layer.Panel(i), 1, k, dz, b, t.dh[l], b)
		dz = t.unitRows(t.dh[l], i, fi)
		activateGrad(m.act, dz, t.unitRows(t.h[l], i, fi))
	}
}

// toFeatureMajor copies sample-major src (batch rows of width values) into
// feature-major dst (width rows of batch values).
func toFeatureMajor(dst, src []float64, batch, width int) {
	for n := 0; n < batch; n++ {
		row := src[n*width : (n+1)*width]
		for r, v := range row {
			dst[r*batch+n] = v
		}
	}
}

// toSampleMajor is the inverse of toFeatureMajor.
func toSampleMajor(dst, src []float64, batch, width int) {
	for n := 0; n < batch; n++ {
		row := dst[n*width : (n+1)*width]
		for r := range row {
			row[r] = src[r*batch+n]
		}
	}
}

// addSampleMajor adds feature-major src to sample-major dst.
func addSampleMajor(dst, src []float64, batch, width int) {
	for n := 0; n < batch; n++ {
		row := dst[n*width : (n+1)*width]
		for r := range row {
			row[r] += src[r*batch+n]
		}
	}
}
