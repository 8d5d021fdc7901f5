package analysis

import (
	"math"
	"math/rand/v2"
)

// Synthetic observables whose curves of every size cross at one known β (tanh(0) = 0),
// so that Binder and ξ/L crossings have an exact answer.
const (
	bulkBinderCross = 0.452
	endBinderCross  = 0.47
	bulkXiCross     = 0.446
	endXiCross      = 0.462
)

func syntheticBinder(beta float64, L int, at float64) float64 {
	return 0.45 + 0.2*math.Tanh(3*(beta-at)*float64(L))
}

func syntheticXi(beta float64, L int, at float64) float64 {
	return 0.6 + 0.25*math.Tanh(2*(beta-at)*float64(L))
}

// fullPoints is isingPoints with synthetic end and bulk Binder cumulants and ξ/L on the
// periodic points (noise obsSE where > 0), and exact values on every point.
func fullPoints(betas []float64, sizes []int, se, obsSE float64, rng *rand.Rand) []Point {
	pts := isingPoints(betas, sizes, se, rng)
	noisy := func(x float64) *Estimate {
		if obsSE > 0 {
			x += obsSE * rng.NormFloat64()
		}
		return &Estimate{x, obsSE}
	}
	for i := range pts {
		p := &pts[i]
		if p.Boundary != Periodic {
			continue
		}
		p.BulkBinder = noisy(syntheticBinder(p.Beta, p.Size, bulkBinderCross))
		p.Binder = noisy(syntheticBinder(p.Beta, p.Size, endBinderCross))
		p.BulkXiOverL = noisy(syntheticXi(p.Beta, p.Size, bulkXiCross))
		p.XiOverL = noisy(syntheticXi(p.Beta, p.Size, endXiCross))
		p.Exact.Binder = syntheticBinder(p.Beta, p.Size, endBinderCross)
		p.Exact.BulkBinder = syntheticBinder(p.Beta, p.Size, bulkBinderCross)
		p.Exact.XiOverL = syntheticXi(p.Beta, p.Size, endXiCross)
		p.Exact.BulkXiOverL = syntheticXi(p.Beta, p.Size, bulkXiCross)
	}
	return pts
}
