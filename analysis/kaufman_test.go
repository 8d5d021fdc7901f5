package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// isingBetaC is ln(1+√2)/2.
var isingBetaC = math.Log(1+math.Sqrt2) / 2

// kaufman returns ln λ, the log of the whole leading eigenvalue of the Ising row transfer
// matrix of L sites (K = β), for the periodic or twisted (antiperiodic) seam:
//
//	periodic: ln λ = (L/2) ln(2 sinh 2K) + ½ Σ_{j=0}^{L−1} γ_{2j+1}
//	twisted:  ln λ = (L/2) ln(2 sinh 2K) + ½ [2(K* − K) + Σ_{j=1}^{L−1} γ_{2j}]
//
// with cosh γ_k = cosh2K·coth2K − cos(πk/L) and tanh K* = e^{−2K}: the twisted seam's
// leading eigenvector is even under the global flip, which in fermion language is the
// sector of even k, whose k = 0 mode enters as −γ_0 = 2(K* − K).
// TestKaufmanMatchesTransferMatrix checks both against the matrix itself.
func kaufman(K float64, L int, twisted bool) float64 {
	c := math.Cosh(2*K) / math.Tanh(2*K)
	sum := 0.0
	for j := range L {
		k := 2*j + 1
		if twisted {
			k = 2 * j
		}
		if k == 0 {
			kStar := math.Atanh(math.Exp(-2 * K))
			sum += 2 * (kStar - K)
			continue
		}
		sum += math.Acosh(c - math.Cos(math.Pi*float64(k)/float64(L)))
	}
	return float64(L)/2*math.Log(2*math.Sinh(2*K)) + sum/2
}

// kaufmanSigma is σ_L(β) = L·(ln λ_periodic − ln λ_twisted).
func kaufmanSigma(beta float64, L int) float64 {
	return float64(L) * (kaufman(beta, L, false) - kaufman(beta, L, true))
}

// exactCrossing is the β in [lo, hi] where σ_L1 = σ_L2, by bisection on the closed form.
func exactCrossing(L1, L2 int, lo, hi float64) float64 {
	f := func(b float64) float64 { return kaufmanSigma(b, L1) - kaufmanSigma(b, L2) }
	flo := f(lo)
	for range 100 {
		m := (lo + hi) / 2
		if fm := f(m); (fm > 0) == (flo > 0) {
			lo, flo = m, fm
		} else {
			hi = m
		}
	}
	return (lo + hi) / 2
}

// bruteLogLambda is ln λ of T(x,x') = Π_i W(x'_i,x'_{i−1}) Π_i W(x_i,x'_i) (docs/design.md, "The physics"),
// Ising W = exp(β s s'), the seam bond (L−1, 0) antiperiodic when twisted, by power
// iteration on the dense 2^L × 2^L matrix.
func bruteLogLambda(K float64, L int, twisted bool) float64 {
	n := 1 << L
	spin := func(x, i int) float64 { return float64(1 - 2*(x>>i&1)) }
	th := make([]float64, n)
	for x := range n {
		e := 0.0
		for i := range L {
			b := spin(x, i) * spin(x, (i+L-1)%L)
			if i == 0 && twisted {
				b = -b
			}
			e += b
		}
		th[x] = math.Exp(K * e)
	}
	p := make([]float64, n)
	for i := range p {
		p[i] = 1 / float64(n)
	}
	q := make([]float64, n)
	lam := 0.0
	for range 2000 {
		norm := 0.0
		for x := range n {
			s := 0.0
			for y := range n {
				v := 0.0
				for i := range L {
					v += spin(x, i) * spin(y, i)
				}
				s += math.Exp(K*v) * th[y] * p[y]
			}
			q[x] = s
			norm += s
		}
		for i := range q {
			p[i] = q[i] / norm
		}
		lam = norm
	}
	return math.Log(lam)
}

func TestKaufmanMatchesTransferMatrix(t *testing.T) {
	if got, want := kaufman(isingBetaC, 8, false)/8, 0.9338245734; math.Abs(got-want) > 1e-10 {
		t.Errorf("periodic ln λ/L at β_c, L=8 = %.10f, want %.10f (the check value of docs/design.md)", got, want)
	}
	for _, L := range []int{3, 4, 5} {
		for _, beta := range []float64{0.2, isingBetaC, 0.7} {
			for _, tw := range []bool{false, true} {
				got, want := kaufman(beta, L, tw), bruteLogLambda(beta, L, tw)
				if math.Abs(got-want) > 1e-9 {
					t.Errorf("L=%d β=%.4f twisted=%v: closed form %.12f, transfer matrix %.12f", L, beta, tw, got, want)
				}
			}
		}
	}
}

// grid returns from, from+step, …, to.
func grid(from, to, step float64) []float64 {
	var g []float64
	for i := 0; ; i++ {
		b := from + float64(i)*step
		if b > to+step/2 {
			return g
		}
		g = append(g, b)
	}
}

// isingPoints returns periodic and twisted points carrying Kaufman's exact ln λ/L, and
// when se > 0 shifted by N(0, se) noise from rng with stderr se.
func isingPoints(betas []float64, sizes []int, se float64, rng *rand.Rand) []Point {
	var pts []Point
	for _, L := range sizes {
		for _, beta := range betas {
			for _, b := range []string{Periodic, Twisted} {
				exact := kaufman(beta, L, b == Twisted) / float64(L)
				v := exact
				if se > 0 {
					v += se * rng.NormFloat64()
				}
				pts = append(pts, Point{
					Beta: beta, Size: L, Tau: 1, Boundary: b,
					LnLambdaPerSite: Estimate{v, se},
					Exact:           &Exact{LnLambdaPerSite: exact, Binder: math.NaN(), XiOverL: math.NaN(), BulkBinder: math.NaN(), BulkXiOverL: math.NaN()},
				})
			}
		}
	}
	return pts
}
