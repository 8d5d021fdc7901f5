package train_test

import (
	"context"
	"fmt"
	"math"

	"github.com/critsweep/critsweep/statmech"
	"github.com/critsweep/critsweep/train"
)

// Example trains the default objective on a short Ising row at β_c and estimates ln λ/L
// by the projector, whose error bar covers Kaufman's exact value.
func Example() {
	w, err := statmech.Ising(statmech.IsingBetaC)
	if err != nil {
		panic(err)
	}
	sys, err := statmech.NewSystem(w, 6, statmech.Periodic)
	if err != nil {
		panic(err)
	}
	tr, err := train.New(sys, train.Config{Hidden: []int{16}, Steps: 300, Seed: 1, EstimateSamples: 4096, EstimateDraws: 1 << 16})
	if err != nil {
		panic(err)
	}
	if err := tr.Run(context.Background(), 0, nil); err != nil {
		panic(err)
	}
	est, err := tr.Estimate(0)
	if err != nil {
		panic(err)
	}
	exact, err := statmech.KaufmanLogLambda(statmech.IsingBetaC, 6, statmech.Periodic)
	if err != nil {
		panic(err)
	}
	z := (est.LnLambdaPerSite.Mean - exact/6) / est.LnLambdaPerSite.StdErr
	fmt.Printf("method %s, within 3 standard errors of exact: %v\n", est.Method, math.Abs(z) < 3)
	// Output: method smc, within 3 standard errors of exact: true
}
