package statmech

import (
	"fmt"
	"math"
	"strings"
)

// MaxQ is the largest number of states per site that the constructors accept.
const MaxQ = 1024

// BondWeight is the Boltzmann weight W(a, b) > 0 of a bond between a site in state a and a
// site in state b: a positive q×q matrix. Build one with Ising, Potts, Clock or Custom; the
// zero value is empty and is refused by NewSystem.
//
// A BondWeight is immutable and safe for concurrent use.
type BondWeight struct {
	q int
	w []float64 // row-major, w[a*q+b] = W(a, b)
}

// Q returns the number of states per site.
func (w BondWeight) Q() int { return w.q }

// At returns W(a, b). It panics if a or b is not in [0, Q()).
func (w BondWeight) At(a, b int) float64 {
	if uint(a) >= uint(w.q) || uint(b) >= uint(w.q) {
		panic(fmt.Sprintf("statmech: BondWeight.At(%d, %d) out of range for q = %d", a, b, w.q))
	}
	return w.w[a*w.q+b]
}

// Matrix returns a copy of W as rows.
func (w BondWeight) Matrix() [][]float64 {
	m := make([][]float64, w.q)
	for a := range m {
		m[a] = append([]float64(nil), w.w[a*w.q:(a+1)*w.q]...)
	}
	return m
}

// Symmetric reports whether W(a, b) = W(b, a) exactly.
func (w BondWeight) Symmetric() bool {
	for a := 0; a < w.q; a++ {
		for b := 0; b < a; b++ {
			if w.w[a*w.q+b] != w.w[b*w.q+a] {
				return false
			}
		}
	}
	return true
}

// Twist returns the bond weight of a twisted seam, W'(a, b) = W(a, (b+1) mod q): the
// matrix with its columns shifted by one. For the Ising model it is the antiperiodic
// bond, W evaluated at −β.
func (w BondWeight) Twist() BondWeight {
	q := w.q
	t := make([]float64, q*q)
	for a := 0; a < q; a++ {
		for b := 0; b < q; b++ {
			t[a*q+b] = w.w[a*q+(b+1)%q]
		}
	}
	return BondWeight{q: q, w: t}
}

// String formats W the way the command line takes it: rows separated by ";" and
// entries by ",".
func (w BondWeight) String() string {
	var sb strings.Builder
	for a := 0; a < w.q; a++ {
		if a > 0 {
			sb.WriteByte(';')
		}
		for b := 0; b < w.q; b++ {
			if b > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "%g", w.w[a*w.q+b])
		}
	}
	return sb.String()
}

func checkBeta(beta float64) error {
	if !(beta > 0) || math.IsInf(beta, 0) {
		return fmt.Errorf("%w: beta must be finite and > 0, got %v", ErrBeta, beta)
	}
	return nil
}

func checkQ(q int) error {
	if q < 2 || q > MaxQ {
		return fmt.Errorf("%w: q must be in [2, %d], got %d", ErrStates, MaxQ, q)
	}
	return nil
}

// fromFunc builds W(a, b) = exp(beta * e(a, b)) and checks that every entry is finite
// and positive (a huge beta overflows).
func fromFunc(q int, beta float64, e func(a, b int) float64) (BondWeight, error) {
	w := make([]float64, q*q)
	for a := 0; a < q; a++ {
		for b := 0; b < q; b++ {
			w[a*q+b] = math.Exp(beta * e(a, b))
		}
	}
	bw := BondWeight{q: q, w: w}
	if err := bw.check(); err != nil {
		return BondWeight{}, fmt.Errorf("%w (beta = %v is too large)", err, beta)
	}
	return bw, nil
}

func (w BondWeight) check() error {
	for a := 0; a < w.q; a++ {
		for b := 0; b < w.q; b++ {
			v := w.w[a*w.q+b]
			if !(v > 0) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: entry W[%d][%d] must be finite and > 0, got %v", ErrBondWeight, a, b, v)
			}
		}
	}
	return nil
}

// Ising returns the bond weight of the Ising model, W = exp(β [[1,−1],[−1,1]]). State 0 is
// spin up (+1) and state 1 spin down (−1). β must be finite and > 0.
func Ising(beta float64) (BondWeight, error) {
	if err := checkBeta(beta); err != nil {
		return BondWeight{}, err
	}
	return fromFunc(2, beta, func(a, b int) float64 {
		if a == b {
			return 1
		}
		return -1
	})
}

// Potts returns the bond weight of the q-state Potts model, W(a, b) = exp(β δ(a, b)).
// q must be in [2, MaxQ] and β finite and > 0. Its critical point is β_c = ln(1+√q).
func Potts(q int, beta float64) (BondWeight, error) {
	if err := checkQ(q); err != nil {
		return BondWeight{}, err
	}
	if err := checkBeta(beta); err != nil {
		return BondWeight{}, err
	}
	return fromFunc(q, beta, func(a, b int) float64 {
		if a == b {
			return 1
		}
		return 0
	})
}

// Clock returns the bond weight of the q-state clock model,
// W(a, b) = exp(β cos(2π(a−b)/q)). q must be in [2, MaxQ] and β finite and > 0.
// Clock(2, β) equals Ising(β).
func Clock(q int, beta float64) (BondWeight, error) {
	if err := checkQ(q); err != nil {
		return BondWeight{}, err
	}
	if err := checkBeta(beta); err != nil {
		return BondWeight{}, err
	}
	// cos(2πd/q) for d = (a−b) mod q, made exactly symmetric in d ↔ q−d (so that W is
	// exactly symmetric) and exact where it is 0, ±1/2 or ±1.
	cos := make([]float64, q)
	for d := 0; 2*d <= q; d++ {
		var c float64
		switch {
		case d == 0:
			c = 1
		case 2*d == q:
			c = -1
		case 4*d == q:
			c = 0
		case 6*d == q:
			c = 0.5
		case 3*d == q:
			c = -0.5
		default:
			c = math.Cos(2 * math.Pi * float64(d) / float64(q))
		}
		cos[d], cos[(q-d)%q] = c, c
	}
	return fromFunc(q, beta, func(a, b int) float64 {
		return cos[((a-b)%q+q)%q]
	})
}

// Custom returns the bond weight given by the rows of m, copied. m must be square, q×q
// with q in [2, MaxQ], and every entry finite and > 0.
func Custom(m [][]float64) (BondWeight, error) {
	q := len(m)
	if q < 2 || q > MaxQ {
		return BondWeight{}, fmt.Errorf("%w: the matrix must have q rows with q in [2, %d], got %d rows", ErrBondWeight, MaxQ, q)
	}
	w := make([]float64, 0, q*q)
	for a, row := range m {
		if len(row) != q {
			return BondWeight{}, fmt.Errorf("%w: the matrix must be square (%d×%d), row %d has %d entries", ErrBondWeight, q, q, a, len(row))
		}
		w = append(w, row...)
	}
	bw := BondWeight{q: q, w: w}
	if err := bw.check(); err != nil {
		return BondWeight{}, err
	}
	return bw, nil
}
