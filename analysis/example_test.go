package analysis_test

import (
	"fmt"
	"math"

	"github.com/critsweep/critsweep/analysis"
)

// isingLnLambdaPerSite is Kaufman's exact ln λ / L of the Ising row transfer matrix
// (K = β), periodic or twisted seam; see kaufman in kaufman_test.go.
func isingLnLambdaPerSite(K float64, L int, twisted bool) float64 {
	c := math.Cosh(2*K) / math.Tanh(2*K)
	sum := 0.0
	for j := range L {
		k := 2*j + 1
		if twisted {
			k = 2 * j
		}
		if k == 0 {
			sum += 2 * (math.Atanh(math.Exp(-2*K)) - K)
			continue
		}
		sum += math.Acosh(c - math.Cos(math.Pi*float64(k)/float64(L)))
	}
	return (float64(L)/2*math.Log(2*math.Sinh(2*K)) + sum/2) / float64(L)
}

// Analyze locates β_c of the Ising model from exact free energies on a grid of β,
// each point given a standard error of 1e-6 per site. The error bars are statistical:
// the 6e-5 by which β_c misses Onsager's value is the bias of extrapolating sizes 6 to
// 12 with ω fixed at 3 (corrections of order L^−5), which no bootstrap can see.
func ExampleAnalyze() {
	var points []analysis.Point
	for _, L := range []int{6, 8, 10, 12} {
		for i := range 17 {
			beta := 0.40 + 0.005*float64(i)
			for _, b := range []string{analysis.Periodic, analysis.Twisted} {
				points = append(points, analysis.Point{
					Beta: beta, Size: L, Tau: 1, Boundary: b,
					LnLambdaPerSite: analysis.Estimate{
						Mean:   isingLnLambdaPerSite(beta, L, b == analysis.Twisted),
						StdErr: 1e-6,
					},
				})
			}
		}
	}
	a, err := analysis.Analyze(points, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	betaC := math.Log(1+math.Sqrt2) / 2
	for _, c := range a.Crossings {
		fmt.Printf("σ_%d = σ_%d at β_c %+.2e ± %.0e\n", c.Sizes[0], c.Sizes[1], c.Beta-betaC, c.Stderr)
	}
	fmt.Printf("fit: ω = %g (fixed: %v)\n", a.Fit.Omega, !a.Fit.OmegaFitted)
	fmt.Printf("β_c = %.5f ± %.5f (Onsager: %.5f)\n", a.BetaC, a.BetaCStderr, betaC)
	// Output:
	// σ_6 = σ_8 at β_c +1.12e-03 ± 2e-05
	// σ_8 = σ_10 at β_c +4.82e-04 ± 3e-05
	// σ_10 = σ_12 at β_c +2.51e-04 ± 4e-05
	// fit: ω = 3 (fixed: true)
	// β_c = 0.44062 ± 0.00003 (Onsager: 0.44069)
}
