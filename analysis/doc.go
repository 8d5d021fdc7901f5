// Package analysis turns stored sweep results into critical points: it builds the
// scaled interface free energy σ_L(β) = L·(ln λ_periodic − ln λ_twisted) of every size,
// finds where the curves of consecutive sizes cross, extrapolates the crossings in L to
// β_c with bootstrap error bars and systematic errors, estimates the universal numbers
// ν, c and x, and draws and tabulates the results — per slice of a sweep (the points
// that share every parameter but β, L and the seam: τ and the model's second couplings),
// and across the slices as a phase boundary β_c(parameter). It is pure: it reads result
// messages (package critsweepv1) and writes plots (gonum.org/v1/plot) and JSON-ready
// values; of the project it imports only the messages and package spec (for the names of
// the seams and the parameters).
//
// The main types are Point (one grid point's result: β, L, its slice's Params, boundary
// and estimates), Curve (a quantity against β at one size), Crossing, Fit
// (β_c(L) = β_c + a·L^−ω), Analysis (all of it for one slice), Sweep (every slice) and
// PhaseBoundary. The main functions are PointsFromResults, AnalyzeSweep (Slices, then
// Analyze per slice) and WriteSweepPlots; Cross and Extrapolate are the steps of
// Analyze, usable alone.
//
// # Worked example
//
// ExampleAnalyze (in example_test.go) analyses a sweep over β ∈ {0.40, 0.405, …, 0.48}
// and L ∈ {6, 8, 10, 12} with both seams: PointsFromResults, Analyze, and the crossings
// and β_c it finds. The tests of acceptance_test.go analyse exact inputs of the Ising,
// anisotropic Ising, Potts and Ashkin–Teller models and log the precision each L range
// reaches.
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
// end ones (p) otherwise; Analysis.ObservableSource says which. They are reported beside
// σ_L's as second estimators of β_c, not extrapolated: the row observables of p converge
// far more slowly than σ_L (docs/design.md, "The physics").
//
// Universal numbers: ν from the slopes dσ_L/dβ ∝ L^{1/ν} at the crossings, the central
// charge from ln λ/L = f_∞ + πc/(6L²) + d·L^−4 on the periodic seam at β_c, and the twist
// scaling dimension from σ_L(β_c) → 2πx, each extrapolated in L from effective values
// per size (see universal.go). On an anisotropic lattice the last two carry the anisotropy
// factor ζ of the critical line (Options.Anisotropy).
//
// Systematic errors: each estimate is recomputed with the admissible alternatives of its
// extrapolation — ω ± 1 and the smallest pair dropped for β_c; other correction exponents,
// the smallest size dropped and β_c moved by its systematic error for ν, c and x — and the
// largest change is its systematic error, reported beside the statistical one and
// combined with it in the total error. Where no alternative exists (a single crossing,
// two sizes for c) the systematic error is not estimated, and the Analysis says so in
// Notes and with a null in JSON.
//
// # Caveats
//
//   - β are matched across boundaries and sizes to 1e-9, so the grid must place both
//     seams at the same β.
//   - Crossings of neighbouring pairs share a size and so are correlated; the bootstrap
//     accounts for that in β_c's error, the fit's reduced χ² does not.
//   - A crossing that falls outside the β range of the grid is not found: the pair is
//     listed in Analysis.Skipped; when no σ_L pair crosses, Analyze returns
//     ErrNoCrossing with a partial Analysis (Status StatusNoCrossing, its curves), and
//     AnalyzeSweep keeps it beside the other slices.
//   - The systematic errors cover the extrapolation's ansatz only as far as its
//     alternatives reach. On exact inputs they cover β_c in every slice tested with more
//     than one crossing, but not slow drifts of ν: the anisotropic Ising model at
//     L = 8–16 gives ν = 1.009 ± 0.001, and the 4-state Potts model, whose corrections are
//     logarithmic, ν = 0.750 ± 0.008 at L = 4–7 (2/3 exact).
//   - Bootstrap replicas in which a σ_L pair fails to cross (noise comparable to the
//     curves' separation across the whole grid) are left out of β_c's error and counted
//     in Analysis.FailedReplicas; many of them mean the error bar is too small.
package analysis
