// Package train fits a model.Model to the Perron vector of a statmech.System's transfer
// matrix and estimates the free energy and the observables from it, with error bars.
//
// # Objectives
//
// The default objective is stochastic power iteration by forward KL. One step of power
// iteration maps the model's p to p' = Tp/λ; each optimiser step fits the model to p' by
// descending −E_{x~p'}[ln p_θ(x)], with p' held at the current model. Samples of p' come
// in pairs: x' from p tilted by the bonds of the new row (each bond enters as soon as both
// of its sites are drawn; a look one site ahead through the network and exact backward
// messages along the row account for the rest, so the importance weights stay close to
// uniform), then x given x' exactly, site by site. The weights are normalised by a
// running average, not the batch's own sum, which would bias the fixed point. The model
// is averaged over the bond weight's shift symmetry (Z2 for Ising, Z_q for Potts and
// clock), which removes the slowest mode of power iteration, and a cosine decay of the
// learning rate removes the noise of the last steps. Its fixed point is the Perron
// vector; it does not use the Gumbel temperature τ. The batch is cut into chunks with
// their own random streams, which run on Config.Threads goroutines.
//
// The gumbel-rkl objective is the seed notebook's method, kept faithfully so that the τ
// axis of a sweep means what the seed meant: x and x' drawn by Gumbel-softmax at τ, loss
// Σ_a [ln p(x_a) − ln mean_b T(x_a, x'_b) + ln mean_b T(x'_b)], gradients through the
// samples, PyTorch's initialisation, no biases, constant learning rate. It runs on one
// goroutine.
//
// # Estimates
//
// Estimate reports ln λ/L by a projector (MethodSMC, the default): a population of rows
// walks up the cylinder by the transfer matrix, guided by the model (sequential Monte
// Carlo, or transfer-matrix Monte Carlo with a neural guide), and the mean growth of its
// weights is λ whatever the model's error, which only sets the variance. Independent
// replicas give the error bar and run in parallel. The Rayleigh quotient of the
// symmetrised transfer matrix (MethodRayleigh, second order in the model's error and a
// lower bound) and the first-order ln E_p[T(x)] (reported beside either) remain for
// comparison. Observables of p, and of the bulk distribution P ∝ Th·p² by reweighting,
// come with jackknife errors. CompareExact sets the model beside the exact Perron vector
// where q^L ≤ ExactStateLimit.
//
// # Reproducibility
//
// Every random choice comes from the Config's seed: each chunk of each training step and
// each replica of the estimate has its own stream. The same seed gives the same model and
// estimates bit for bit whatever the number of threads, and Checkpoint/Restore continue a
// run exactly where it stopped. StartFrom starts a run from a parent's final model
// (continuation along β).
//
// The package's Example trains a small model and estimates ln λ/L with its error bar.
package train
