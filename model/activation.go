package model

import "math"

// activate applies f elementwise in place.
func activate(f Nonlinearity, z []float64) {
	switch f {
	case ReLU:
		// Branch-free (half the signs are unpredictable): clear values whose
		// sign bit is set, so negatives and −0 become +0.
		for i, v := range z {
			b := math.Float64bits(v)
			z[i] = math.Float64frombits(b &^ uint64(int64(b)>>63))
		}
	case Tanh:
		for i, v := range z {
			z[i] = math.Tanh(v)
		}
	case ELU:
		for i, v := range z {
			if v <= 0 {
				z[i] = math.Expm1(v)
			}
		}
	case Softplus:
		for i, v := range z {
			if v > 0 {
				z[i] = v + math.Log1p(math.Exp(-v))
			} else {
				z[i] = math.Log1p(math.Exp(v))
			}
		}
	}
}

// activateGrad multiplies the gradient g by f′, written in terms of the
// output h = f(z): ReLU 1[h>0], tanh 1−h², ELU 1 or h+1, softplus 1−e^{−h}.
func activateGrad(f Nonlinearity, g, h []float64) {
	h = h[:len(g)]
	switch f {
	case ReLU:
		// h ≥ +0 here; keep g where h ≠ +0, branch-free.
		for i, v := range h {
			keep := uint64(-int64(math.Float64bits(v)) >> 63)
			g[i] = math.Float64frombits(math.Float64bits(g[i]) & keep)
		}
	case Tanh:
		for i, v := range h {
			g[i] *= 1 - v*v
		}
	case ELU:
		for i, v := range h {
			if v <= 0 {
				g[i] *= v + 1
			}
		}
	case Softplus:
		for i, v := range h {
			g[i] *= -math.Expm1(-v)
		}
	}
}
