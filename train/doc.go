// Package train fits a model.Model to the Perron vector of a statmech.System's transfer
// matrix and estimates the free energy and the observables from it, with error bars.
//
// # Objectives
//
// The default objective is stochastic power iteration by forward KL. One step of power
// iteration maps the model's p to p' = Tp/λ; each optimiser step fits the model to p' by
// descending −E_{x~p'}[ln p_θ(x)], with p' held at the current model. Samples of p' come
// in pairs: x' from p tilted by the bonds of the new row (each bond enters as soon as both
// of its sites are drawn, and exact backward messages along the row account for the rest,
// so the importance weights stay close to uniform), then x given x' exactly, site by site.
// The model is averaged over the bond weight's shift symmetry (Z2 for Ising, Z_q for Potts
// and clock), which removes the slowest mode of power iteration, and a cosine decay of
// the learning rate removes the noise of the last steps. Its fixed point is the Perron
// vector; it does not use the Gumbel temperature τ.
//
// The gumbel-rkl objective is the seed notebook's method, kept faithfully so that the τ
// axis of a sweep means what the seed meant: x and x' drawn by Gumbel-softmax at τ, loss
// Σ_a [ln p(x_a) − ln mean_b T(x_a, x'_b) + ln mean_b T(x'_b)], gradients through the
// samples, PyTorch's initialisation, no biases, constant learning rate.
//
// # Estimates
//
// Estimate reports ln λ/L by the Rayleigh quotient of the symmetrised transfer matrix,
// λ_R = E_p[Th·(Tp)] / E_p[Th·p], which is second order in the model's error and a lower
// bound; (Tp)(x) is estimated by bond-tilted draws, spent where the weight Th·p is large.
// The first-order ln E_p[T(x)] is reported beside it. Observables of p, and of the bulk
// distribution P ∝ Th·p² by reweighting, come with jackknife errors. CompareExact sets the
// model beside the exact Perron vector where q^L ≤ ExactStateLimit.
//
// # Reproducibility
//
// Every random choice comes from the Config's seed: training from one PCG stream, the
// estimates from another. The same seed gives the same model and estimates bit for bit,
// and Checkpoint/Restore continue a run exactly where it stopped.
//
// # Example
//
//	w, _ := statmech.Ising(statmech.IsingBetaC)
//	sys, _ := statmech.NewSystem(w, 8, statmech.Periodic)
//	tr, err := train.New(sys, train.Config{Steps: 3000, Seed: 1})
//	if err != nil {
//		return err
//	}
//	if err := tr.Run(ctx, 500, func(p train.Progress) error {
//		log.Printf("step %d: loss %.4f", p.Step, p.Loss)
//		return nil
//	}); err != nil {
//		return err
//	}
//	est, err := tr.Estimate(0)
//	// est.LnLambdaPerSite.Mean ± est.LnLambdaPerSite.StdErr, est.End.Binder, …
package train
