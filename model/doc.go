// Package model is the autoregressive network that represents a row distribution p(x).
//
// A row has units sites on a ring, each in one of q states, one-hot encoded
// site-major: a batch of rows is a []float64 with x[(n·units+i)·q+a]. The
// network, the seed notebook's AutoregressiveModel, maps a row to logits for
// every site, where those of site i depend on sites < i only, and
//
//	log p(x) = Σ_i Σ_a x_ia · log softmax(logits_i(x_<i))_a,
//
// which holds for one-hot rows and extends to relaxed (soft) rows.
//
// The main types:
//
//   - [Model]: the network; layer widths [q, h1, …, q]; all parameters in one
//     flat vector ([Model.Params]) with a gradient of the same layout
//     ([Model.Grad]), so that optimisers, checkpoints and finite differences
//     see one slice.
//   - [Linear]: the seed's AutoregressiveLinear, a block-lower-triangular
//     layer that stores and multiplies only its active blocks.
//   - [Tape]: one batch of rows with every activation of the network on them.
//     It is filled by [Tape.LogProb] (given rows) or a sampler — exact
//     ([Tape.Sample]), Gumbel-softmax relaxed ([Tape.SampleGumbel]),
//     straight-through ([Tape.SampleStraightThrough]), or caller-chosen
//     ([Tape.SampleFunc]) — and differentiated by [Tape.Backward] and
//     [Tape.LogProbBackward], which add into the model's gradient.
//   - [Adam]: the optimiser, with exported state for checkpoints.
//
// # Worked example: one step of the seed's Gumbel reverse-KL objective
//
// The seed trains p to be the Perron vector of the transfer matrix by
// minimising Σ_{x∼p} [ln p(x) − ln Σ_{x'∼p} T(x,x') + ln Σ_{x'∼p} T(x')] over
// two batches of relaxed samples. The transfer weights are another package's;
// here they enter through ∂L/∂x of the two batches (gx, gxp):
//
//	m, _ := model.New(8, []int{2, 16, 16, 2}, &model.Options{Rand: rand.New(rand.NewPCG(seed, 0))})
//	adam := model.NewAdam(m.NumParams())
//	tx, txp := model.NewTape(m), model.NewTape(m) // kept across steps: no allocation
//	x, xp := make([]float64, batch*8*2), make([]float64, batch*8*2)
//	lp, ones := make([]float64, batch), make([]float64, batch) // ones[n] = 1
//	for step := 0; step < steps; step++ {
//		tx.SampleGumbel(x, batch, tau, rng)   // x_i = softmax((log p_i + g_i)/τ), site by site
//		txp.SampleGumbel(xp, batch, tau, rng)
//		tx.SampleLogProb(lp)                  // log p(x): already on the tape, no second forward
//		gx, gxp := transferTerms(x, xp)       // ∂L/∂x, ∂L/∂x' of −ln ΣT(x,x') + ln ΣT(x')
//		m.ZeroGrad()
//		tx.Backward(gx, ones)  // through x: T terms and Σ log p (∂L/∂log p = 1), reparameterised
//		txp.Backward(gxp, nil) // through x'
//		adam.Update(m.Params(), m.Grad(), lr)
//	}
//
// Backward walks the sites in reverse, through the relaxed softmax, the
// log-softmax and the network, including the dependence of later sites on
// earlier relaxed samples, with the Gumbel noise held fixed. Passing ∂L/∂log p
// to Backward does in one pass what a separate LogProb forward and
// LogProbBackward (with ∂/∂x added to gx) would do; both give the same
// gradient. The runnable Example below trains a small model with exact
// samples and the score-function gradient instead.
//
// # Parameter layout
//
// Layer by layer, first to last: the row panels of output units 0…units−1
// (panel i is Out×Active(i) row-major, Active(i) = (i+1+diagonal)·In), then
// the bias (units·Out values) if the layer has one. The first layer has
// diagonal −1 and no bias; the others diagonal 0 and, unless
// Options.NoBias, a bias. [Linear.Dense] and [Linear.SetDense] convert a
// layer to and from the seed's dense masked weight matrix.
//
// # Speed
//
// A tape stores activations feature-major (a row of the buffer is one
// feature of one unit over the whole batch), so the active inputs of a unit
// are a contiguous prefix and every product is a dense matrix product over
// that prefix, in place: the forward pass of unit i multiplies its panel by
// the prefix; the backward pass adds the panel's transpose times the unit's
// output gradient into the prefix's gradient, and the output gradient times
// the prefix's transpose into the panel's gradient. Work is spent only on
// active blocks: a forward pass costs 2·batch·(number of weights) flops. On
// amd64 with AVX2 and FMA the products run on register-blocked assembly
// micro-kernels; elsewhere, and with the build tag purego, on portable Go.
// No step allocates once its tapes have seen the batch size.
//
// # Caveats
//
//   - Results are bit-for-bit reproducible for the same seed, inputs and
//     kernels; the AVX2 and portable kernels round differently, so results
//     differ in the last bits between machines that use different ones.
//   - Backward passes add into the single gradient of the model: run them
//     one at a time. Filling several tapes of one model concurrently is safe.
//   - The straight-through gradient is, by design, not the gradient of any
//     expectation; the Gumbel-softmax one is exact for the relaxed objective,
//     which is not the discrete one.
//   - A temperature of 0 passed to the relaxed samplers means the seed's
//     default 1/(q−1).
package model
