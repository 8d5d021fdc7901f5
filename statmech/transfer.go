package statmech

import "math"

// workspace is the scratch space of one call, kept in System.pool.
type workspace struct {
	lnTh  []float64 // ln Th(x'_b)
	y     []float64 // Wv x'_{b,i}, row-major like xp
	z     []float64 // Wvᵀ x_{a,i}, row-major like x
	up    []float64 // per-row upstream gradients
	hot   []int     // one-hot offsets i*q+s_i of the rows of x, or -1 per row if soft
	val   []float64 // the nonzero entry at each one-hot offset
	sink  []float64 // gradient row that is dropped
	mx    []float64 // 2q entries for one bond
	lnY   []float64 // ln y
	lnVal []float64 // Σ_i ln val_i per row of x
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

func (s *System) getWorkspace() *workspace   { return s.pool.Get().(*workspace) }
func (s *System) putWorkspace(ws *workspace) { s.pool.Put(ws) }

// Products of many factors are accumulated with one logarithm per run of factors instead of
// one per factor: a factor outside [tiny, huge] goes to the log sum directly, and the
// running product is folded into it whenever it leaves [fold⁻¹, fold], so it never
// overflows or loses precision to underflow.
const (
	tiny = 1e-100
	huge = 1e100
	fold = 1e150
)

// LogHorizontal writes ln Th(x'_b) into dst[b] for each row x'_b of the batch xp, where
// Th(x') = Π_i x'_iᵀ M_i x'_{i−1} with M_0 the seam matrix (SeamWeight: Wh or Wh.Twist())
// and M_i = Wh otherwise; for hard rows Th(x') = Π_i Wh(x'_i, x'_{i−1}). It panics if len(xp) is not a
// multiple of L·q or len(dst) is not the number of rows.
func (s *System) LogHorizontal(dst, xp []float64) {
	n := s.rows(xp, "xp")
	checkLen("dst", len(dst), n)
	rl := s.l * s.q
	for b := range n {
		dst[b] = s.logHorizontalRow(xp[b*rl : (b+1)*rl])
	}
}

func (s *System) logHorizontalRow(x []float64) float64 {
	q, L := s.q, s.l
	p, acc := 1.0, 0.0
	for i := 0; i < L; i++ {
		w := s.wh.w
		j := i - 1
		if i == 0 {
			w, j = s.seam.w, L-1
		}
		cur, prev := x[i*q:(i+1)*q], x[j*q:(j+1)*q]
		f := 0.0
		for a, xa := range cur {
			if xa == 0 {
				continue
			}
			wa := w[a*q : (a+1)*q]
			t := 0.0
			for c, xc := range prev {
				t += wa[c] * xc
			}
			f += xa * t
		}
		if f > tiny && f < huge {
			p *= f
			if p > fold || p < 1/fold {
				acc += math.Log(p)
				p = 1
			}
		} else {
			acc += math.Log(f)
		}
	}
	return acc + math.Log(p)
}

// LogMarginal writes ln T(x'_b) = ln Th(x'_b) + Σ_i ln(wᵀ x'_{b,i}) into dst[b] for each
// row of the batch xp, with w_c = Σ_a Wv(a, c); for hard rows T(x') = Σ_x T(x, x'). It
// panics on the shapes LogHorizontal panics on.
func (s *System) LogMarginal(dst, xp []float64) {
	s.LogHorizontal(dst, xp)
	q, L := s.q, s.l
	rl := L * q
	for b := range dst {
		x := xp[b*rl : (b+1)*rl]
		p, acc := 1.0, 0.0
		for i := 0; i < L; i++ {
			f := 0.0
			for c, xc := range x[i*q : (i+1)*q] {
				f += s.col[c] * xc
			}
			if f > tiny && f < huge {
				p *= f
				if p > fold || p < 1/fold {
					acc += math.Log(p)
					p = 1
				}
			} else {
				acc += math.Log(f)
			}
		}
		dst[b] += acc + math.Log(p)
	}
}

// LogTransferWeight writes the transfer weights of all pairs of rows of two batches:
// dst[a*nxp+b] = ln T(x_a, x'_b) = ln Th(x'_b) + Σ_i ln(x_{a,i}ᵀ Wv x'_{b,i}), where nxp is
// the number of rows of xp. It panics if len(x) or len(xp) is not a multiple of L·q or
// len(dst) is not nx·nxp.
//
// It costs O(nx·nxp·L) additions for one-hot rows x, and O(nx·nxp·L·q) operations and one
// logarithm per pair for soft ones; it allocates nothing once the System's pool is warm.
func (s *System) LogTransferWeight(dst, x, xp []float64) {
	nx, nxp := s.rows(x, "x"), s.rows(xp, "xp")
	checkLen("dst", len(dst), nx*nxp)
	if nx == 0 || nxp == 0 {
		return
	}
	ws := s.getWorkspace()
	defer s.putWorkspace(ws)
	q, L := s.q, s.l
	rl := L * q
	ws.lnTh = grow(ws.lnTh, nxp)
	s.LogHorizontal(ws.lnTh, xp)
	ws.y = grow(ws.y, len(xp))
	matVecSites(ws.y, s.wv.w, xp, q)
	s.oneHot(ws, x)
	// For a one-hot row x_a the factors are val_i·y_b[hot_i], so ln T is a sum of
	// tabulated logarithms, ln y_b and ln val_i: no logarithm per pair.
	anyHot := false
	for a := range nx {
		anyHot = anyHot || ws.hot[a*L] >= 0
	}
	if anyHot {
		ws.lnY = grow(ws.lnY, len(ws.y))
		for k, v := range ws.y {
			ws.lnY[k] = math.Log(v)
		}
		ws.lnVal = grow(ws.lnVal, nx)
		for a := range nx {
			sum := 0.0
			for _, v := range ws.val[a*L : (a+1)*L] {
				sum += math.Log(v)
			}
			ws.lnVal[a] = sum
		}
	}
	// chunk is the number of factors of a soft row multiplied between two range checks of
	// the running product: 8 when every factor is known to lie in [1e-17, 1e17], else 1,
	// when each factor is checked on its own.
	chunk := 1
	if s.factorsBounded(x, xp, 1e-17, 1e17) {
		chunk = 8
	}
	// Rows of x are taken pairBlock at a time, so that each row of y is read once per
	// block from the cache.
	for a0 := 0; a0 < nx; a0 += pairBlock {
		a1 := min(a0+pairBlock, nx)
		for b := range nxp {
			yb := ws.y[b*rl : (b+1)*rl]
			for a := a0; a < a1; a++ {
				var lp float64
				switch hot := ws.hot[a*L : (a+1)*L]; {
				case hot[0] >= 0:
					lp = ws.lnVal[a] + sumAt(ws.lnY[b*rl:(b+1)*rl], hot)
				case q == 2 && chunk > 1:
					lp = logProdDense2Chunked(x[a*rl:(a+1)*rl], yb, chunk)
				default:
					lp = logProdDense(x[a*rl:(a+1)*rl], yb, q)
				}
				dst[a*nxp+b] = ws.lnTh[b] + lp
			}
		}
	}
}

// sumAt returns Σ_i v[idx[i]].
func sumAt(v []float64, idx []int) float64 {
	s := 0.0
	for _, o := range idx {
		s += v[o]
	}
	return s
}

// pairBlock is the number of rows of x that the all-pairs routines take together.
const pairBlock = 8

// factorsBounded reports whether every factor x_{a,i}ᵀ Wv x'_{b,i} is known to lie in
// [lo, hi], from the extreme entries of Wv and the extreme site sums of x and xp.
func (s *System) factorsBounded(x, xp []float64, lo, hi float64) bool {
	wmin, wmax := math.Inf(1), 0.0
	for _, v := range s.wv.w {
		wmin, wmax = min(wmin, v), max(wmax, v)
	}
	xmin, xmax := siteSumRange(x, s.q)
	pmin, pmax := siteSumRange(xp, s.q)
	return wmin*xmin*pmin >= lo && wmax*xmax*pmax <= hi
}

// siteSumRange returns the smallest and largest sum of the q entries of a site.
func siteSumRange(x []float64, q int) (lo, hi float64) {
	lo, hi = math.Inf(1), 0
	for o := 0; o+q <= len(x); o += q {
		sum := 0.0
		for _, v := range x[o : o+q] {
			sum += v
		}
		lo, hi = min(lo, sum), max(hi, sum)
	}
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return 0, math.Inf(1)
	}
	return lo, hi
}

// logProdDense2Chunked returns Σ_i ln(x_iᵀ y_i) for q = 2 and bounded factors.
func logProdDense2Chunked(x, y []float64, chunk int) float64 {
	y = y[:len(x)]
	p, acc := 1.0, 0.0
	step := 2 * chunk
	for k0 := 0; k0 < len(x); k0 += step {
		k1 := min(k0+step, len(x))
		xs, ys := x[k0:k1], y[k0:k1]
		ys = ys[:len(xs)]
		c := 1.0
		for k := 0; k+1 < len(xs); k += 2 {
			c *= xs[k]*ys[k] + xs[k+1]*ys[k+1]
		}
		p *= c
		if p > fold || p < 1/fold {
			acc += math.Log(p)
			p = 1
		}
	}
	return acc + math.Log(p)
}

// logProdDense returns Σ_i ln(x_iᵀ y_i) over the sites of q entries, checking each factor.
func logProdDense(x, y []float64, q int) float64 {
	y = y[:len(x)]
	p, acc := 1.0, 0.0
	for o := 0; o < len(x); o += q {
		f := dot(x[o:o+q], y[o:o+q])
		if f > tiny && f < huge {
			p *= f
			if p > fold || p < 1/fold {
				acc += math.Log(p)
				p = 1
			}
		} else {
			acc += math.Log(f)
		}
	}
	return acc + math.Log(p)
}

// oneHot fills ws.hot and ws.val: for each row of x whose every site has exactly one
// nonzero entry, the offsets i*q+s_i and the entries; for other rows hot[a*L] = -1.
func (s *System) oneHot(ws *workspace, x []float64) {
	q, L := s.q, s.l
	n := len(x) / (L * q)
	ws.hot = grow(ws.hot, n*L)
	ws.val = grow(ws.val, n*L)
	for a := range n {
		hot := ws.hot[a*L : (a+1)*L]
		val := ws.val[a*L : (a+1)*L]
	sites:
		for i := range L {
			o := -1
			for c, v := range x[(a*L+i)*q : (a*L+i+1)*q] {
				if v != 0 {
					if o >= 0 {
						hot[0] = -1
						break sites
					}
					o = i*q + c
				}
			}
			if o < 0 {
				hot[0] = -1
				break
			}
			hot[i], val[i] = o, x[a*L*q+o]
		}
	}
}

// matVecSites writes dst_{r,i} = M x_{r,i} for every site block of q entries of x.
func matVecSites(dst, m, x []float64, q int) {
	for o := 0; o < len(x); o += q {
		xs, d := x[o:o+q], dst[o:o+q]
		for c := range d {
			d[c] = dot(m[c*q:(c+1)*q], xs)
		}
	}
}

func dot(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// LogHorizontalBackward accumulates into gxp the gradient of Σ_b upstream[b]·ln Th(x'_b)
// with respect to the soft rows xp: gxp += ∂/∂xp. gxp has the shape of xp and upstream one
// entry per row; it panics otherwise.
func (s *System) LogHorizontalBackward(gxp, xp, upstream []float64) {
	n := s.rows(xp, "xp")
	checkLen("gxp", len(gxp), len(xp))
	checkLen("upstream", len(upstream), n)
	rl := s.l * s.q
	ws := s.getWorkspace()
	defer s.putWorkspace(ws)
	ws.mx = grow(ws.mx, 2*s.q)
	for b, g := range upstream {
		if g == 0 {
			continue
		}
		s.logHorizontalRowBackward(gxp[b*rl:(b+1)*rl], xp[b*rl:(b+1)*rl], g, ws.mx)
	}
}

// logHorizontalRowBackward: with h_i = x_iᵀ M_i x_{i−1},
// ∂ ln h_i/∂x_i = M_i x_{i−1}/h_i and ∂ ln h_i/∂x_{i−1} = M_iᵀ x_i/h_i.
// buf is scratch space of 2q entries.
func (s *System) logHorizontalRowBackward(gx, x []float64, g float64, buf []float64) {
	q, L := s.q, s.l
	mx, mtx := buf[:q], buf[q:2*q]
	for i := 0; i < L; i++ {
		w, wt := s.wh.w, s.whT
		j := i - 1
		if i == 0 {
			w, wt, j = s.seam.w, s.seamT, L-1
		}
		cur, prev := x[i*q:(i+1)*q], x[j*q:(j+1)*q]
		for c := range q {
			mx[c] = dot(w[c*q:(c+1)*q], prev)
			mtx[c] = dot(wt[c*q:(c+1)*q], cur)
		}
		r := g / dot(cur, mx)
		gc, gp := gx[i*q:(i+1)*q], gx[j*q:(j+1)*q]
		for c := range q {
			gc[c] += r * mx[c]
			gp[c] += r * mtx[c]
		}
	}
}

// LogMarginalBackward accumulates into gxp the gradient of Σ_b upstream[b]·ln T(x'_b) with
// respect to the soft rows xp. Shapes as for LogHorizontalBackward.
func (s *System) LogMarginalBackward(gxp, xp, upstream []float64) {
	s.LogHorizontalBackward(gxp, xp, upstream)
	q := s.q
	rl := s.l * q
	for b, g := range upstream {
		if g == 0 {
			continue
		}
		x, gx := xp[b*rl:(b+1)*rl], gxp[b*rl:(b+1)*rl]
		for o := 0; o < rl; o += q {
			r := g / dot(s.col, x[o:o+q])
			for c, wc := range s.col {
				gx[o+c] += r * wc
			}
		}
	}
}

// LogTransferWeightBackward accumulates into gx and gxp the gradient of
// Σ_{a,b} upstream[a*nxp+b]·ln T(x_a, x'_b) with respect to the soft rows x and xp
// (the pairs of LogTransferWeight). gx and gxp have the shapes of x and xp, upstream
// nx·nxp entries; it panics otherwise. Either of gx and gxp may be nil to skip it.
//
// It costs O(nx·nxp·L·q) and allocates nothing once the System's pool is warm.
func (s *System) LogTransferWeightBackward(gx, gxp, x, xp, upstream []float64) {
	nx, nxp := s.rows(x, "x"), s.rows(xp, "xp")
	checkLen("upstream", len(upstream), nx*nxp)
	if gx != nil {
		checkLen("gx", len(gx), len(x))
	}
	if gxp != nil {
		checkLen("gxp", len(gxp), len(xp))
	}
	if nx == 0 || nxp == 0 || (gx == nil && gxp == nil) {
		return
	}
	ws := s.getWorkspace()
	defer s.putWorkspace(ws)
	q, L := s.q, s.l
	rl := L * q
	if gxp != nil {
		// Horizontal part: ln Th(x'_b) enters every pair of column b.
		ws.up = grow(ws.up, nxp)
		clear(ws.up)
		for a := range nx {
			for b, g := range upstream[a*nxp : (a+1)*nxp] {
				ws.up[b] += g
			}
		}
		s.LogHorizontalBackward(gxp, xp, ws.up)
	}
	ws.y = grow(ws.y, len(xp))
	matVecSites(ws.y, s.wv.w, xp, q)
	ws.z = grow(ws.z, len(x))
	matVecSites(ws.z, s.wvT, x, q)
	s.oneHot(ws, x)
	// A nil gradient is accumulated into a scratch row and dropped.
	ws.sink = grow(ws.sink, rl)
	for a0 := 0; a0 < nx; a0 += pairBlock {
		a1 := min(a0+pairBlock, nx)
		for b := range nxp {
			yb := ws.y[b*rl : (b+1)*rl]
			gxpb := ws.sink
			if gxp != nil {
				gxpb = gxp[b*rl : (b+1)*rl]
			}
			for a := a0; a < a1; a++ {
				g := upstream[a*nxp+b]
				if g == 0 {
					continue
				}
				xa, za := x[a*rl:(a+1)*rl], ws.z[a*rl:(a+1)*rl]
				gxa := ws.sink
				if gx != nil {
					gxa = gx[a*rl : (a+1)*rl]
				}
				switch hot := ws.hot[a*L : (a+1)*L]; {
				case hot[0] >= 0:
					pairBackwardHot(gxa, gxpb, hot, ws.val[a*L:(a+1)*L], yb, za, g, q)
				case q == 2:
					pairBackward2(gxa, gxpb, xa, yb, za, g)
				default:
					pairBackward(gxa, gxpb, xa, yb, za, g, q)
				}
			}
		}
	}
}

// pairBackward accumulates the gradient of g·Σ_i ln(x_iᵀ y_i), y_i = Wv x'_i, into gx
// (g·y_i/d_i) and gxp (g·z_i/d_i, z_i = Wvᵀ x_i), d_i = x_iᵀ y_i.
func pairBackward(gx, gxp, x, y, z []float64, g float64, q int) {
	n := len(x)
	gx, gxp, y, z = gx[:n], gxp[:n], y[:n], z[:n]
	for o := 0; o < n; o += q {
		ys := y[o : o+q]
		zs, ga, gp := z[o:o+q], gx[o:o+q], gxp[o:o+q]
		zs, ga, gp = zs[:len(ys)], ga[:len(ys)], gp[:len(ys)]
		r := g / dot(x[o:o+q], ys)
		for c, yc := range ys {
			ga[c] += r * yc
			gp[c] += r * zs[c]
		}
	}
}

// pairBackward2 is pairBackward for q = 2.
func pairBackward2(gx, gxp, x, y, z []float64, g float64) {
	n := len(x)
	gx, gxp, y, z = gx[:n], gxp[:n], y[:n], z[:n]
	for k := 0; k+1 < n; k += 2 {
		y0, y1 := y[k], y[k+1]
		r := g / (x[k]*y0 + x[k+1]*y1)
		gx[k] += r * y0
		gx[k+1] += r * y1
		gxp[k] += r * z[k]
		gxp[k+1] += r * z[k+1]
	}
}

// pairBackwardHot is pairBackward for a one-hot row x: d_i = val_i·y[hot_i].
func pairBackwardHot(gx, gxp []float64, hot []int, val, y, z []float64, g float64, q int) {
	n := len(y)
	gx, gxp, z = gx[:n], gxp[:n], z[:n]
	val = val[:len(hot)]
	if q == 2 {
		for i, o := range hot {
			k := 2 * i
			r := g / (val[i] * y[o])
			gx[k] += r * y[k]
			gx[k+1] += r * y[k+1]
			gxp[k] += r * z[k]
			gxp[k+1] += r * z[k+1]
		}
		return
	}
	for i, o := range hot {
		r := g / (val[i] * y[o])
		k := i * q
		ys := y[k : k+q]
		zs, ga, gp := z[k:k+q], gx[k:k+q], gxp[k:k+q]
		zs, ga, gp = zs[:len(ys)], ga[:len(ys)], gp[:len(ys)]
		for c, yc := range ys {
			ga[c] += r * yc
			gp[c] += r * zs[c]
		}
	}
}
