// Package analysis turns stored sweep results into a critical point: it builds the
// scaled interface free energy σ_L(β) = L·(ln λ_periodic − ln λ_twisted) of every size,
// finds where the curves of consecutive sizes cross, extrapolates the crossings in L to
// β_c with bootstrap error bars, and draws and tabulates the results. It is pure: it
// reads result messages (package critsweepv1) and writes plots (gonum.org/v1/plot) and
// JSON-ready values; of the project it imports only the messages and package spec (for
// the names of the seams).
//
// The main types are Point (one grid point's result: β, L, τ, boundary and estimates),
// Curve (a quantity against β at one size), Crossing, Fit (β_c(L) = β_c + a·L^−ω) and
// Analysis (all of it for one τ). The main functions are PointsFromResults, Analyze and
// WritePlots; Cross and Extrapolate are the steps of Analyze, usable alone.
//
// # Worked example
//
// ExampleAnalyze (in example_test.go) analyses a sweep over β ∈ {0.40, 0.405, …, 0.48}
// and L ∈ {6, 8, 10, 12} with both seams: PointsFromResults, ByTau, Analyze, and the
// crossings and β_c it finds.
//
// With Kaufman's exact ln λ of the Ising model as input (see ExampleAnalyze), the exact
// σ_L crossings lie at β_c + 1.1183e-3 (6,8), + 4.859e-4 (8,10) and + 2.571e-4 (10,12),
// that is +2.5375e-3, +1.1027e-3 and +5.835e-4 relative to β_c = ln(1+√2)/2; Cross
// finds them on that grid within 1e-5. With ω fixed at 3, the extrapolation lands
// 5.9e-5 below Onsager's value, four times closer than the largest pair's crossing;
// adding L = 14 and 16 lets ω be fitted (ω ≈ 3.3) and brings β_c within 1e-5.
//
// # Method
//
// Crossings: at the β two curves share, the difference D = y_L − y_L' is formed; where it
// changes sign, a cubic is fitted by weighted least squares to the three grid points on
// each side (Options.Window, Options.Degree) and its root in the bracket is the crossing.
// On a grid of step 0.005 this is within 1e-5 of the exact crossing for exact input
// (4-point interpolation, Window 2, is within 1e-6, but follows noise more closely).
// Noise that makes D flip sign several times widens the window over all the flips.
//
// Extrapolation: β_c(L̄) = β_c + a·L̄^−ω with L̄ = (L + L')/2, by weighted least squares
// with weights 1/stderr² of the crossings. With two or three crossings ω is fixed at
// DefaultOmega = 3, the Ising shift exponent 1/ν + ω₂ (ν = 1, leading correction
// ω₂ = 2), which the exact crossings follow; with four or more it is fitted when the data
// resolve it (see Extrapolate). One crossing is taken as β_c.
//
// Error bars: a parametric bootstrap redraws every input estimate from N(value, stderr),
// recomputes every crossing and the extrapolation, and reports the standard deviation
// over Options.Replicas replicas (DefaultReplicas = 400) from a generator seeded by
// Options.Seed, so the same input and seed give the same error bars.
//
// Binder cumulant and ξ/L crossings are found the same way from the periodic points,
// from the bulk observables (P ∝ Th·p²) when every periodic point has them and from the
// end ones (p) otherwise; Analysis.ObservableSource says which. They are reported, not
// extrapolated: the row observables of p converge far more slowly than σ_L (docs/design.md,
// "The physics").
//
// # Caveats
//
//   - β are matched across boundaries and sizes to 1e-9, so the grid must place both
//     seams at the same β.
//   - Crossings of neighbouring pairs share a size and so are correlated; the bootstrap
//     accounts for that in β_c's error, the fit's reduced χ² does not.
//   - A crossing that falls outside the β range of the grid is not found: the pair is
//     listed in Analysis.Skipped; when no σ_L pair crosses, Analyze fails with
//     ErrNoCrossing.
//   - The error bars are statistical. The bias of the extrapolation ansatz (the
//     −5.9e-5 above) is not in them, and exceeds them once inputs are precise enough.
//   - Bootstrap replicas in which a σ_L pair fails to cross (noise comparable to the
//     curves' separation across the whole grid) are left out of β_c's error and counted
//     in Analysis.FailedReplicas; many of them mean the error bar is too small.
package analysis
