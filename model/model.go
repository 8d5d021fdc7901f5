package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Errors returned when a model is built or decoded.
var (
	// ErrShape reports units or features that do not make a model.
	ErrShape = errors.New("model: bad shape")
	// ErrFormat reports bytes that are not an encoding of this package.
	ErrFormat = errors.New("model: bad encoding")
)

// Nonlinearity is the elementwise function between layers.
type Nonlinearity int

const (
	ReLU     Nonlinearity = iota // max(0, z); the seed's default
	Tanh                         // tanh z
	ELU                          // z for z > 0, e^z − 1 otherwise
	Softplus                     // ln(1 + e^z)
)

func (f Nonlinearity) String() string {
	switch f {
	case ReLU:
		return "ReLU"
	case Tanh:
		return "Tanh"
	case ELU:
		return "ELU"
	case Softplus:
		return "Softplus"
	}
	return fmt.Sprintf("Nonlinearity(%d)", int(f))
}

// Init names a scheme for the initial weights.
type Init int

const (
	// InitActiveFanIn draws the weights of output unit i from N(0, g²/Active(i)),
	// the fan-in counted over the active inputs only (g² = 2 for ReLU, 1
	// otherwise), and sets the last layer and every bias to zero, so that p
	// starts exactly uniform and the first steps are gentle.
	InitActiveFanIn Init = iota
	// InitTorch is PyTorch's nn.Linear default, as in the seed: every weight
	// and bias uniform in ±1/√(units·in), the fan-in of the dense matrix.
	InitTorch
)

// Options configure New. A nil *Options means the zero value; every field
// says what its zero value does.
type Options struct {
	// Nonlinearity between layers; zero is ReLU, as the seed.
	Nonlinearity Nonlinearity
	// NoBias drops every bias, as the seed. Zero: all layers but the first
	// (which never has one) carry a bias.
	NoBias bool
	// Init is the weight initialisation; zero is InitActiveFanIn.
	Init Init
	// Rand draws the initial weights; nil means rand.New(rand.NewPCG(1, 1)).
	Rand *rand.Rand
}

// Model is the seed's AutoregressiveModel: a stack of Linear layers, the
// first with diagonal −1 and no bias, the rest with diagonal 0, with a
// nonlinearity between them. For a row x of units sites with q states it
// gives logits_i(x_<i) and p(x) = Π_i softmax(logits_i)[x_i].
//
// All parameters live in one flat vector (Params), the layers are views into
// it, and the gradient (Grad) has the same layout: layer 0's panels, its
// bias (none), layer 1's panels, its bias, and so on.
type Model struct {
	units    int
	features []int
	act      Nonlinearity
	bias     bool
	layers   []*Linear
	params   []float64
	grad     []float64
}

// New returns a model of units sites with layer widths features = [q, h1, …, q]
// (first and last equal, at least two entries), initialised as opts says.
func New(units int, features []int, opts *Options) (*Model, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if units < 1 {
		return nil, fmt.Errorf("%w: units %d", ErrShape, units)
	}
	if len(features) < 2 {
		return nil, fmt.Errorf("%w: features %v: need at least [q, q]", ErrShape, features)
	}
	if features[0] != features[len(features)-1] {
		return nil, fmt.Errorf("%w: features %v: first and last must be equal", ErrShape, features)
	}
	if features[0] < 2 {
		return nil, fmt.Errorf("%w: features %v: q must be at least 2", ErrShape, features)
	}
	for _, f := range features {
		if f < 1 {
			return nil, fmt.Errorf("%w: features %v", ErrShape, features)
		}
	}
	if o.Nonlinearity < ReLU || o.Nonlinearity > Softplus {
		return nil, fmt.Errorf("%w: %v", ErrShape, o.Nonlinearity)
	}
	if o.Init != InitActiveFanIn && o.Init != InitTorch {
		return nil, fmt.Errorf("%w: init %d", ErrShape, o.Init)
	}
	m := &Model{units: units, features: append([]int(nil), features...), act: o.Nonlinearity, bias: !o.NoBias}
	n := 0
	for l := 0; l+1 < len(features); l++ {
		diag, bias := 0, m.bias
		if l == 0 {
			diag, bias = -1, false
		}
		layer := newLinear(units, features[l], features[l+1], diag, bias)
		m.layers = append(m.layers, layer)
		n += layer.NumParams()
	}
	m.params = make([]float64, n)
	m.grad = make([]float64, n)
	off := 0
	for _, layer := range m.layers {
		k := layer.NumParams()
		layer.bind(m.params[off:off+k], m.grad[off:off+k])
		off += k
	}
	rng := o.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 1))
	}
	m.initialise(o.Init, rng)
	return m, nil
}

func (m *Model) initialise(scheme Init, rng *rand.Rand) {
	for li, l := range m.layers {
		switch scheme {
		case InitTorch:
			bound := 1 / math.Sqrt(float64(l.units*l.in))
			for k := range l.params {
				l.params[k] = bound * (2*rng.Float64() - 1)
			}
		default:
			clear(l.params)
			if li == len(m.layers)-1 {
				continue
			}
			g2 := 1.0
			if m.act == ReLU {
				g2 = 2
			}
			for i := 0; i < l.units; i++ {
				if k := l.Active(i); k > 0 {
					s := math.Sqrt(g2 / float64(k))
					p := l.Panel(i)
					for j := range p {
						p[j] = s * rng.NormFloat64()
					}
				}
			}
		}
	}
}

// Units is the number of sites in a row.
func (m *Model) Units() int { return m.units }

// States is q, the number of states per site.
func (m *Model) States() int { return m.features[0] }

// Features returns a copy of the layer widths [q, h1, …, q].
func (m *Model) Features() []int { return append([]int(nil), m.features...) }

// Nonlinearity is the function between layers.
func (m *Model) Nonlinearity() Nonlinearity { return m.act }

// HasBias reports whether the layers after the first carry a bias.
func (m *Model) HasBias() bool { return m.bias }

// Layers returns the layers, first to last; they are views into the model.
func (m *Model) Layers() []*Linear { return append([]*Linear(nil), m.layers...) }

// NumParams is the length of Params and Grad.
func (m *Model) NumParams() int { return len(m.params) }

// Params is the flat parameter vector. It aliases the model: copy it to
// save a checkpoint, write into it (or use SetParams) to load one.
func (m *Model) Params() []float64 { return m.params }

// SetParams copies p, of length NumParams, into the parameters.
func (m *Model) SetParams(p []float64) {
	if len(p) != len(m.params) {
		panic(fmt.Sprintf("model: SetParams: len %d, want %d", len(p), len(m.params)))
	}
	copy(m.params, p)
}

// Grad is the flat gradient vector, laid out like Params. Backward passes
// add into it; it aliases the model.
func (m *Model) Grad() []float64 { return m.grad }

// WithGrad returns a view of m that shares its parameters but adds its gradients into
// grad (of length NumParams) instead of m.Grad(): tapes of different views can run their
// backward passes concurrently, and the caller sums the gradients in an order of its
// choosing. The view sees every later change to m's parameters.
func (m *Model) WithGrad(grad []float64) *Model {
	if len(grad) != len(m.params) {
		panic(fmt.Sprintf("model: WithGrad: len %d, want %d", len(grad), len(m.params)))
	}
	v := *m
	v.grad = grad
	v.layers = make([]*Linear, len(m.layers))
	off := 0
	for i, l := range m.layers {
		c := *l
		k := l.NumParams()
		c.bind(m.params[off:off+k], grad[off:off+k])
		v.layers[i] = &c
		off += k
	}
	return &v
}

// ZeroGrad sets the gradient to zero.
func (m *Model) ZeroGrad() { clear(m.grad) }

// LogProb writes log p(x) of each row of x to dst: x holds batch rows of
// Units()·States() values, site-major (x[(n·units+i)·q+a]), one-hot or soft,
// and log p(x) = Σ_i Σ_a x_ia · log softmax(logits_i)_a. It allocates a Tape
// on each call; loops should keep one and call Tape.LogProb.
func (m *Model) LogProb(dst, x []float64) {
	NewTape(m).LogProb(dst, x)
}
