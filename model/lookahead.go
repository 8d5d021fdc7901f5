package model

import "fmt"

// SampleLookahead is SampleFunc with one site of lookahead: before the values of site i
// are chosen, choose also sees, for every candidate state a of site i, the conditionals
// of the next site,
//
//	next[(n·q+a)·q+b] = log p(x_{i+1} = b | x_<i, x_i = a)   (row n; nil at the last site),
//
// so that a sampler can weigh a candidate by what it does to its neighbour. Site i must
// be chosen one-hot. The next site's conditionals are computed in two parts: the
// contribution of the sites already chosen once, and that of site i for each candidate
// (the diagonal block of every layer), which costs q small products per layer; the
// chosen candidate's activations are then kept, so the lookahead costs little more than
// SampleFunc. The tape ends like one filled by LogProb on the rows (up to the rounding of
// the split sums).
func (t *Tape) SampleLookahead(dst []float64, batch int, choose func(i int, logp, next, xi []float64)) {
	t.checkSample("SampleLookahead", dst, batch)
	t.reset(tapeFixed, batch, 0)
	m, b, q := t.m, batch, t.m.States()
	layers := len(m.layers)
	t.site = grow(t.site, b*q)
	t.sitex = grow(t.sitex, b*q)
	t.next = grow(t.next, b*q*q)
	if len(t.cand) != q*layers {
		t.cand = make([][]float64, q*layers)
	}
	t.part = growSlices(t.part, layers)
	for l, layer := range m.layers {
		t.part[l] = grow(t.part[l], layer.out*b)
		for a := 0; a < q; a++ {
			t.cand[a*layers+l] = grow(t.cand[a*layers+l], layer.out*b)
		}
	}
	t.forwardUnit(0)
	for i := 0; i < m.units; i++ {
		toSampleMajor(t.site, t.unitRows(t.lsm, i, q), b, q)
		var next []float64
		if i+1 < m.units {
			t.lookahead(i + 1)
			next = t.next
		}
		clear(t.sitex)
		choose(i, t.site, next, t.sitex)
		toFeatureMajor(t.unitRows(t.x, i, q), t.sitex, b, q)
		if i+1 < m.units {
			t.keepCandidate(i + 1)
		}
	}
	if dst != nil {
		toSampleMajor(dst, t.x, b, m.units*q)
	}
}

// growSlices returns s with length n.
func growSlices(s [][]float64, n int) [][]float64 {
	if len(s) < n {
		return append(s, make([][]float64, n-len(s))...)
	}
	return s[:n]
}

// lookahead computes unit j's outputs of every layer for each candidate state of site
// j−1 into t.cand, and the candidates' log-conditionals of unit j into t.next. The sites
// before j−1 must be in t.x, and units < j of every hidden layer in t.h.
func (t *Tape) lookahead(j int) {
	m, b, q := t.m, t.batch, t.m.States()
	layers := len(m.layers)
	last := layers - 1
	// The part that does not depend on site j−1: bias plus the inputs of the units fixed
	// already (units < j−1 in layer 0, whose diagonal is −1; units < j in later layers).
	for l, layer := range m.layers {
		fo := layer.out
		part := t.part[l]
		layer.fillBias(part, j, b)
		k := layer.Active(j)
		fixed := k - layer.in // the last block of unit j's panel is the one that varies
		kern.gemmNN(fo, b, fixed, layer.Panel(j), k, 1, t.input(l), b, part, b)
	}
	// Each candidate: layer 0 adds the candidate's column; later layers multiply unit j's
	// own features of the layer below by the diagonal block.
	for a := 0; a < q; a++ {
		for l, layer := range m.layers {
			fo := layer.out
			out := t.cand[a*layers+l]
			copy(out, t.part[l])
			k := layer.Active(j)
			panel := layer.Panel(j)
			if l == 0 {
				col := k - layer.in + a
				for o := 0; o < fo; o++ {
					v := panel[o*k+col]
					r := out[o*b : (o+1)*b]
					for n := range r {
						r[n] += v
					}
				}
			} else {
				kern.gemmNN(fo, b, layer.in, panel[k-layer.in:], k, 1, t.cand[a*layers+l-1], b, out, b)
			}
			if l < last {
				activate(m.act, out)
			} else {
				t.logSoftmax(out)
			}
		}
		lsm := t.cand[a*layers+last]
		for n := 0; n < b; n++ {
			for c := 0; c < q; c++ {
				t.next[(n*q+a)*q+c] = lsm[c*b+n]
			}
		}
	}
}

// keepCandidate copies into the tape the activations of unit j computed by lookahead for
// the state each row chose at site j−1.
func (t *Tape) keepCandidate(j int) {
	m, b, q := t.m, t.batch, t.m.States()
	layers := len(m.layers)
	last := layers - 1
	x := t.unitRows(t.x, j-1, q)
	t.picks = growInts(t.picks, b)
	for n := 0; n < b; n++ {
		pick, ones := -1, 0
		for a := 0; a < q; a++ {
			switch x[a*b+n] {
			case 1:
				pick = a
				ones++
			case 0:
			default:
				ones = 2
			}
		}
		if ones != 1 {
			panic(fmt.Sprintf("model: SampleLookahead: site %d of row %d is not one-hot", j-1, n))
		}
		t.picks[n] = pick
	}
	for l, layer := range m.layers {
		fo := layer.out
		var dst []float64
		if l < last {
			dst = t.unitRows(t.h[l+1], j, fo)
		} else {
			dst = t.unitRows(t.lsm, j, fo)
		}
		for o := 0; o < fo; o++ {
			d := dst[o*b : (o+1)*b]
			for n, pick := range t.picks[:b] {
				d[n] = t.cand[pick*layers+l][o*b+n]
			}
		}
	}
}

// growInts returns s resliced to length n, reallocated if its capacity is short.
func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}
