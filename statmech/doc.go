// Package statmech defines the lattice models that critsweep studies and the exact
// references it is checked against.
//
// A model is given by its BondWeight W, a positive q×q matrix: Ising, Potts, Clock,
// AshkinTeller (two Ising spins per site, q = 4) or a Custom matrix; each knows the twist
// of its seam (BondWeight.Twist). A System is a row of L sites on a ring with a seam
// Boundary (Periodic, or Twisted for the interface free energy) and two bond weights: Wh
// within a row and Wv between rows, equal for an isotropic system (NewSystem) and
// different for an anisotropic one (NewAnisotropicSystem; the coupling ratio J_y/J_x of a
// sweep is Wv = W(β·J_y/J_x)). From it the package computes, in log space and for hard and
// for soft (relaxed one-hot) rows,
//
//   - the transfer weight T(x,x') = Th(x')·Π_i Wv(x_i, x'_i), with the horizontal weight
//     Th(x') = Π_i Wh(x'_i, x'_{i−1}), for all pairs of two batches (LogTransferWeight);
//   - its marginal T(x') = Σ_x T(x,x') = Th(x')·Π_i w(x'_i), w_b = Σ_a Wv(a,b)
//     (LogMarginal), and Th alone (LogHorizontal);
//   - the gradients of all three with respect to soft rows, for the Gumbel-softmax training
//     (the …Backward methods);
//
// and, for q^L up to MaxStates = 2^24, exactly:
//
//   - the Perron eigenpair of the transfer matrix: the stationary row distribution p and
//     ln λ, by power iteration applied site by site (Perron);
//   - the bulk row distribution P ∝ Th·p² (System.Bulk);
//   - the observables of a row distribution: ⟨|m|²⟩, ⟨|m|⁴⟩, the Binder cumulant and the
//     second-moment correlation length ξ/L (System.Observables), and their estimates with
//     standard errors from samples, optionally reweighted (System.EstimateObservables).
//
// For the Ising model KaufmanLogLambda gives ln λ in closed form for any L, both seams,
// and KaufmanAnisotropicLogLambda its anisotropic generalisation (K_x ≠ K_y). The exact
// critical points are IsingCriticalBeta, PottsCriticalBeta and ClockCriticalBeta (as
// functions of the coupling ratio) and AshkinTellerCriticalBeta (of the four-spin
// coupling, on the self-dual line).
//
// Rows are []float64 of length L·q, site-major: x[i*q+a] is the weight of state a at site
// i. The exact solvers index the q^L hard rows by n = Σ_i s_i·q^i, site 0 the least
// significant digit (System.Index, System.Decode); PerronResult.P is indexed that way.
//
// # Worked example
//
// The critical Ising model on a cylinder of circumference L = 8:
//
//	w, err := statmech.Ising(statmech.IsingBetaC) // W = exp(β [[1,−1],[−1,1]])
//	if err != nil { … }
//	sys, err := statmech.NewSystem(w, 8, statmech.Periodic)
//	if err != nil { … }
//	res, err := statmech.Perron(sys, nil) // nil options: documented defaults
//	if err != nil { … }
//	// res.LogLambda/8 = 0.9338245734…, as KaufmanLogLambda(IsingBetaC, 8, Periodic)/8.
//	// res.P[0] = 0.013628 is the probability of the all-up row (index 0).
//	end, _ := sys.Observables(res.P)  // ⟨m²⟩ = 0.1848 at the open end of the cylinder
//	bulkP, _ := sys.Bulk(res.P)
//	bulk, _ := sys.Observables(bulkP) // ⟨m²⟩ = 0.6687 in the bulk
//
// A model's samples are compared the same way: with rows drawn from a trained network,
// sys.EstimateObservables(rows, nil) estimates the end-of-cylinder observables with
// jackknife errors, and log-weights ln Th(x) + ln p_model(x) (sys.LogHorizontal) reweight
// the same rows to the bulk. During training, with two batches x and x' of soft rows,
//
//	lnT := make([]float64, nx*nxp)
//	sys.LogTransferWeight(lnT, x, xp) // lnT[a*nxp+b] = ln T(x_a, x'_b)
//	// … the loss uses lnT; with g[k] = ∂loss/∂lnT[k]:
//	sys.LogTransferWeightBackward(gx, gxp, x, xp, g) // gx += ∂loss/∂x, gxp += ∂loss/∂x'
//
// The scaled interface free energy σ_L(β) = L·(ln λ_periodic − ln λ_twisted) becomes
// independent of L at the critical point; the tests locate the crossings of σ_L curves
// from exact eigenvalues.
//
// # Caveats
//
//   - All methods work in log space with rescaled weights, so L·β does not overflow; but
//     PerronResult.P and the bulk distribution are plain probabilities, and entries below
//     about 1e-308 underflow to zero.
//   - Slices of the wrong length are programmer errors and panic, as in gonum. Invalid
//     parameters (β, q, couplings, L, W, boundary, options, distributions, samples) are returned as
//     errors wrapping the sentinel ErrX values, with messages naming the parameter and its
//     allowed range.
//   - Power iteration converges at the rate of the spectral gap; near a first-order
//     transition, or for a custom W with a nearly degenerate second eigenvalue, it can need
//     many iterations (PerronOptions.MaxIterations; a warm start helps in β sweeps).
//   - The bulk distribution Th·p² needs a symmetric vertical weight Wv; for an asymmetric
//     one Bulk returns ErrAsymmetric.
//   - The order parameter is the Z_q clock variable m_j = exp(2πi s_j/q) for every model,
//     including Potts and custom ones; for the Ashkin–Teller model its |m|² is the mean of
//     the squared magnetisations of the two Ising spins.
//   - A System is safe for concurrent use, and must not be copied after first use.
package statmech
