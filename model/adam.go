package model

import (
	"fmt"
	"math"
)

// Adam is the Adam optimiser (Kingma & Ba) over a flat parameter vector, with
// PyTorch's arithmetic: bias-corrected moments and ε added to the corrected
// root second moment. Its state (M, V, Step) is exported so that a
// checkpoint can save and restore it; the learning rate is given to each
// Update, so that a schedule outside drives it.
type Adam struct {
	Beta1, Beta2 float64   // decay rates of the moments; NewAdam sets 0.9 and 0.999
	Eps          float64   // added to the root second moment; NewAdam sets 1e-8
	M, V         []float64 // first and second moments, one per parameter
	Step         int       // number of updates done
}

// NewAdam returns an optimiser for n parameters with β1 = 0.9, β2 = 0.999,
// ε = 1e-8 and zero state.
func NewAdam(n int) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, M: make([]float64, n), V: make([]float64, n)}
}

// Update takes one step of size lr along −grad: params -= lr·m̂/(√v̂ + ε).
func (a *Adam) Update(params, grad []float64, lr float64) {
	if len(params) != len(a.M) || len(grad) != len(a.M) || len(a.V) != len(a.M) {
		panic(fmt.Sprintf("model: Adam.Update: %d params, %d grads, state for %d", len(params), len(grad), len(a.M)))
	}
	a.Step++
	b1, b2 := a.Beta1, a.Beta2
	bc1 := 1 - math.Pow(b1, float64(a.Step))
	bc2 := 1 - math.Pow(b2, float64(a.Step))
	step := lr / bc1
	rbc2 := 1 / math.Sqrt(bc2)
	m, v := a.M[:len(params)], a.V[:len(params)]
	grad = grad[:len(params)]
	for i, g := range grad {
		mi := b1*m[i] + (1-b1)*g
		vi := b2*v[i] + (1-b2)*g*g
		m[i], v[i] = mi, vi
		params[i] -= step * mi / (math.Sqrt(vi)*rbc2 + a.Eps)
	}
}
