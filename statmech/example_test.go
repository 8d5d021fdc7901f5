package statmech_test

import (
	"fmt"
	"log"
	"math"

	"github.com/critsweep/critsweep/statmech"
)

// The free energy of the critical Ising model on a cylinder of circumference 8, from
// Kaufman's closed form and from power iteration, and the observables of the row
// distribution at the open end and in the bulk.
func ExamplePerron() {
	w, err := statmech.Ising(statmech.IsingBetaC)
	if err != nil {
		log.Fatal(err)
	}
	sys, err := statmech.NewSystem(w, 8, statmech.Periodic)
	if err != nil {
		log.Fatal(err)
	}
	res, err := statmech.Perron(sys, nil) // nil: default tolerances
	if err != nil {
		log.Fatal(err)
	}
	exact, err := statmech.KaufmanLogLambda(statmech.IsingBetaC, 8, statmech.Periodic)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ln λ/L: power %.10f, Kaufman %.10f\n", res.LogLambda/8, exact/8)

	// P[n] is the probability of the row with index n = Σ_i s_i 2^i: n = 0 is all up.
	fmt.Printf("p(all up) = %.6f\n", res.P[0])

	end, err := sys.Observables(res.P)
	if err != nil {
		log.Fatal(err)
	}
	bulkP, err := sys.Bulk(res.P)
	if err != nil {
		log.Fatal(err)
	}
	bulk, err := sys.Observables(bulkP)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("end:  <m^2> = %.6f, U = %.6f\n", end.M2, end.Binder)
	fmt.Printf("bulk: <m^2> = %.6f, U = %.6f\n", bulk.M2, bulk.Binder)
	// Output:
	// ln λ/L: power 0.9338245734, Kaufman 0.9338245734
	// p(all up) = 0.013628
	// end:  <m^2> = 0.184763, U = 0.184421
	// bulk: <m^2> = 0.668725, U = 0.564122
}

// The transfer weight of all pairs of two batches of rows, in log space, and the scaled
// interface free energy σ_L = L·(ln λ_periodic − ln λ_twisted), which tends to π/4 at
// the Ising critical point.
func ExampleSystem_LogTransferWeight() {
	w, _ := statmech.Ising(0.5)
	sys, _ := statmech.NewSystem(w, 3, statmech.Periodic)
	// Rows are site-major one-hot: [up, up, up] and [up, down, down]; state 0 is up.
	x := []float64{1, 0, 1, 0, 1, 0}
	xp := []float64{1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1}
	lnT := make([]float64, 1*2)
	sys.LogTransferWeight(lnT, x, xp)
	fmt.Printf("ln T(uuu, uuu) = %.2f, ln T(uuu, udd) = %.2f\n", lnT[0], lnT[1])

	sigma := func(L int) float64 {
		p, _ := statmech.KaufmanLogLambda(statmech.IsingBetaC, L, statmech.Periodic)
		t, _ := statmech.KaufmanLogLambda(statmech.IsingBetaC, L, statmech.Twisted)
		return float64(L) * (p - t)
	}
	fmt.Printf("σ_8(β_c) = %.4f, σ_16(β_c) = %.4f, π/4 = %.4f\n", sigma(8), sigma(16), math.Pi/4)
	// Output:
	// ln T(uuu, uuu) = 3.00, ln T(uuu, udd) = -1.00
	// σ_8(β_c) = 0.7907, σ_16(β_c) = 0.7867, π/4 = 0.7854
}
