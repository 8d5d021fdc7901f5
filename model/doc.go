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
// # Gradients through relaxed samples
//
// The seed trains p by minimising Σ_{x∼p} [ln p(x) − ln Σ_{x'∼p} T(x,x') +
// ln Σ_{x'∼p} T(x')] over two batches of Gumbel-softmax samples. A sampler's
// tape keeps everything the backward pass needs: [Tape.SampleGumbel] draws the
// rows, [Tape.SampleLogProb] reads log p off the tape without a second forward
// pass, and [Tape.Backward] takes ∂L/∂x of the rows and ∂L/∂log p back through
// the relaxed softmax, the log-softmax and the network, site by site in
// reverse, including the dependence of later sites on earlier relaxed samples,
// with the Gumbel noise held fixed. The runnable Example trains a small model
// with exact samples and the score-function gradient; train's gumbel-rkl
// objective is the full use of the relaxed path.
//
// [Tape.SampleLookahead] samples site by site like [Tape.SampleFunc] but shows
// the sampler the next site's conditionals for every candidate of the current
// one, from split products that cost little more than a plain pass.
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
//     one at a time, or give each goroutine its own view ([Model.WithGrad])
//     and sum the views' gradients. Filling several tapes of one model
//     concurrently is safe.
//   - The straight-through gradient is, by design, not the gradient of any
//     expectation; the Gumbel-softmax one is exact for the relaxed objective,
//     which is not the discrete one.
//   - A temperature of 0 passed to the relaxed samplers means the seed's
//     default 1/(q−1).
package model
