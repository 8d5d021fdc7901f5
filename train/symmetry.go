package train

import (
	"math"

	"github.com/critsweep/critsweep/model"
	"github.com/critsweep/critsweep/statmech"
)

// symmetry is the group of global state shifts s → s+k (mod q) that leave the transfer
// matrix unchanged (statmech.System.Shifts: its horizontal, vertical and seam bond weights
// all keep W(a+k, b+k) = W(a, b)): Z2 for Ising, Z_q for Potts and clock, {0, 2} for the
// σ-twisted Ashkin–Teller model, whatever subgroup a custom W keeps. Such a shift commutes
// with the transfer matrix, so the Perron vector is invariant under it, and a model can be
// symmetrised by averaging over the group: p_sym(x) = (1/|G|) Σ_k p(x+k).
type symmetry struct {
	q      int
	shifts []int // the group's shifts, 0 first
}

// symmetryOf returns the shift group of the transfer matrix of sys.
func symmetryOf(sys *statmech.System) symmetry {
	return symmetry{q: sys.Q(), shifts: sys.Shifts()}
}

// trivial returns the group with the identity only: no symmetrisation.
func trivial(q int) symmetry { return symmetry{q: q, shifts: []int{0}} }

// order is |G|.
func (g symmetry) order() int { return len(g.shifts) }

// images writes to dst the |G| images of the rows x, image-major: dst[k·len(x):] holds x
// shifted by the k-th shift. Every row must be one-hot or relaxed with q entries per site.
func (g symmetry) images(dst, x []float64) {
	q, n := g.q, len(x)
	for j, k := range g.shifts {
		out := dst[j*n : (j+1)*n]
		for s := 0; s < n; s += q {
			for a := 0; a < q; a++ {
				out[s+(a+k)%q] = x[s+a]
			}
		}
	}
}

// symmetricLogProb computes ln p_sym of nrows rows x with the tape, writing it to dst; it
// leaves in resp[k·nrows+n] the responsibility of image k for row n, p(x_n+k)/Σ_k' p(x_n+k'),
// which the gradient of ln p_sym needs. img and lp are scratch of |G|·len(x) and |G|·nrows.
// The tape holds the images afterwards.
func (g symmetry) symmetricLogProb(tape *model.Tape, dst, resp, img, lp, x []float64) {
	nrows := len(dst)
	if g.order() == 1 {
		tape.LogProb(dst, x)
		for n := range resp[:nrows] {
			resp[n] = 1
		}
		return
	}
	g.images(img, x)
	tape.LogProb(lp, img)
	logOrder := math.Log(float64(g.order()))
	for n := 0; n < nrows; n++ {
		m := math.Inf(-1)
		for k := range g.shifts {
			m = math.Max(m, lp[k*nrows+n])
		}
		var s float64
		for k := range g.shifts {
			e := math.Exp(lp[k*nrows+n] - m)
			resp[k*nrows+n] = e
			s += e
		}
		for k := range g.shifts {
			resp[k*nrows+n] /= s
		}
		dst[n] = m + math.Log(s) - logOrder
	}
}

// logSym writes ln p_sym of the rows x to dst, given their ln p_θ in lpTheta: only the
// |G|−1 images other than the identity go through the network, on tape. img and lp are
// scratch of at least (|G|−1)·len(x) and (|G|−1)·len(dst). dst may alias lpTheta.
func (g symmetry) logSym(tape *model.Tape, dst, lpTheta, x, img, lp []float64) {
	n := len(dst)
	if g.order() == 1 {
		copy(dst, lpTheta)
		return
	}
	others := symmetry{q: g.q, shifts: g.shifts[1:]}
	img, lp = img[:others.order()*len(x)], lp[:others.order()*n]
	others.images(img, x)
	tape.LogProb(lp, img)
	logOrder := math.Log(float64(g.order()))
	for r := 0; r < n; r++ {
		acc := lpTheta[r]
		for k := range others.shifts {
			acc = logAddExp(acc, lp[k*n+r])
		}
		dst[r] = acc - logOrder
	}
}
