package model

import "fmt"

// Linear is the seed's AutoregressiveLinear: a linear map from units·In()
// inputs to units·Out() outputs whose weight matrix is block lower
// triangular. Block (i, j), the Out()×In() block that maps the inputs of
// unit j to the outputs of unit i, is active iff j ≤ i+Diagonal(); the
// others are zero and are neither stored nor multiplied.
//
// The active blocks of output unit i form one row panel: an Out()×Active(i)
// row-major matrix (Panel(i)), whose column k reads input k of the flattened
// input row. The panels of units 0…units−1 follow one another in memory,
// then the bias (units·Out(), if any). In a Model these are views into the
// model's single parameter vector.
type Linear struct {
	units, in, out, diagonal int
	off                      []int     // off[i]: offset of unit i's panel; off[units]: end of the weights
	params, grad             []float64 // this layer's parameters and gradient: panels, then bias
	hasBias                  bool
}

// NewLinear returns a layer with zero weights (and zero bias if bias), with
// its own parameter and gradient storage. Diagonal must be 0 or −1.
func NewLinear(units, in, out, diagonal int, bias bool) (*Linear, error) {
	if units < 1 || in < 1 || out < 1 {
		return nil, fmt.Errorf("%w: units %d, in %d, out %d", ErrShape, units, in, out)
	}
	if diagonal != 0 && diagonal != -1 {
		return nil, fmt.Errorf("%w: diagonal %d, want 0 or -1", ErrShape, diagonal)
	}
	l := newLinear(units, in, out, diagonal, bias)
	n := l.NumParams()
	l.bind(make([]float64, n), make([]float64, n))
	return l, nil
}

func newLinear(units, in, out, diagonal int, bias bool) *Linear {
	l := &Linear{units: units, in: in, out: out, diagonal: diagonal, hasBias: bias}
	l.off = make([]int, units+1)
	for i := 0; i < units; i++ {
		l.off[i+1] = l.off[i] + out*l.Active(i)
	}
	return l
}

// bind makes the layer's parameters and gradient views of p and g.
func (l *Linear) bind(p, g []float64) {
	n := l.NumParams()
	l.params, l.grad = p[:n:n], g[:n:n]
}

// Units is the number of units (sites).
func (l *Linear) Units() int { return l.units }

// In is the number of input features per unit.
func (l *Linear) In() int { return l.in }

// Out is the number of output features per unit.
func (l *Linear) Out() int { return l.out }

// Diagonal is 0 when output unit i sees input units ≤ i, −1 when it sees units < i.
func (l *Linear) Diagonal() int { return l.diagonal }

// HasBias reports whether the layer has a bias.
func (l *Linear) HasBias() bool { return l.hasBias }

// Active is the number of inputs that output unit i sees: (i+1+Diagonal())·In().
func (l *Linear) Active(i int) int { return max(0, i+1+l.diagonal) * l.in }

// NumParams is the number of parameters: the active weights plus the bias.
func (l *Linear) NumParams() int {
	n := l.off[l.units]
	if l.hasBias {
		n += l.units * l.out
	}
	return n
}

// Params is the layer's parameter vector (panels, then bias); it aliases the layer.
func (l *Linear) Params() []float64 { return l.params }

// Grad is the layer's gradient vector, shaped like Params; it aliases the layer.
func (l *Linear) Grad() []float64 { return l.grad }

// Panel is the active weights of output unit i, an Out()×Active(i) row-major
// matrix; it aliases the layer.
func (l *Linear) Panel(i int) []float64 { return l.params[l.off[i]:l.off[i+1]] }

// Bias is the bias, Units()·Out() values, or nil; it aliases the layer.
func (l *Linear) Bias() []float64 {
	if !l.hasBias {
		return nil
	}
	return l.params[l.off[l.units]:]
}

func (l *Linear) gradPanel(i int) []float64 { return l.grad[l.off[i]:l.off[i+1]] }

func (l *Linear) gradBias() []float64 {
	if !l.hasBias {
		return nil
	}
	return l.grad[l.off[l.units]:]
}

// Dense returns the full masked weight matrix, (Units()·Out())×(Units()·In())
// row-major, zeros outside the active blocks: the seed's mask * weight.
func (l *Linear) Dense() []float64 {
	cols := l.units * l.in
	w := make([]float64, l.units*l.out*cols)
	for i := 0; i < l.units; i++ {
		k := l.Active(i)
		p := l.Panel(i)
		for o := 0; o < l.out; o++ {
			copy(w[(i*l.out+o)*cols:(i*l.out+o)*cols+k], p[o*k:(o+1)*k])
		}
	}
	return w
}

// SetDense loads the active blocks of a full (Units()·Out())×(Units()·In())
// row-major weight matrix, as the seed's weight; masked entries are ignored.
func (l *Linear) SetDense(w []float64) {
	cols := l.units * l.in
	if len(w) != l.units*l.out*cols {
		panic(fmt.Sprintf("model: SetDense: len %d, want %d", len(w), l.units*l.out*cols))
	}
	for i := 0; i < l.units; i++ {
		k := l.Active(i)
		p := l.Panel(i)
		for o := 0; o < l.out; o++ {
			copy(p[o*k:(o+1)*k], w[(i*l.out+o)*cols:(i*l.out+o)*cols+k])
		}
	}
}

// ForwardAt is the seed's forward_at: the outputs of unit i alone. x holds
// batch input rows of Units()·In() values, of which only the first Active(i)
// of each row are read (the rest may hold anything, such as units not yet
// sampled); dst receives batch rows of Out() values.
func (l *Linear) ForwardAt(dst, x []float64, batch, i int) {
	ldx := l.units * l.in
	if i < 0 || i >= l.units || len(x) < batch*ldx || len(dst) < batch*l.out {
		panic("model: ForwardAt: bad shape")
	}
	l.forwardAt(dst, l.out, x, batch, i)
}

// Forward applies the layer to batch input rows of Units()·In() values,
// writing batch rows of Units()·Out() values to dst.
func (l *Linear) Forward(dst, x []float64, batch int) {
	ldx, ldd := l.units*l.in, l.units*l.out
	if len(x) < batch*ldx || len(dst) < batch*ldd {
		panic("model: Forward: bad shape")
	}
	for i := 0; i < l.units; i++ {
		l.forwardAt(dst[i*l.out:], ldd, x, batch, i)
	}
}

// forwardAt writes unit i's outputs for batch-major rows: dst[n*ldd+o].
func (l *Linear) forwardAt(dst []float64, ldd int, x []float64, batch, i int) {
	b := l.Bias()
	for n := 0; n < batch; n++ {
		d := dst[n*ldd : n*ldd+l.out]
		if b != nil {
			copy(d, b[i*l.out:(i+1)*l.out])
		} else {
			clear(d)
		}
	}
	k := l.Active(i)
	kern.gemmNT(batch, l.out, k, x, l.units*l.in, l.Panel(i), k, dst, ldd)
}

// fillBias sets out, unit i's Out() feature-major rows of batch values, to the unit's
// bias (zero without one): where a forward pass starts before the products add in.
func (l *Linear) fillBias(out []float64, i, batch int) {
	bias := l.Bias()
	if bias == nil {
		clear(out[:l.out*batch])
		return
	}
	for o := 0; o < l.out; o++ {
		v := bias[i*l.out+o]
		r := out[o*batch : (o+1)*batch]
		for n := range r {
			r[n] = v
		}
	}
}
