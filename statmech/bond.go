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
	q     int
	w     []float64 // row-major, w[a*q+b] = W(a, b)
	twist []int     // the state map of a twisted seam, W'(a, b) = W(a, twist[b]); nil: b+1 mod q
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

// Twist returns the bond weight of a twisted seam, W'(a, b) = W(a, g(b)), where g is the
// model's twist (TwistState): for Ising, Potts, clock and custom weights the shift
// g(b) = (b+1) mod q, so that W' is W with its columns shifted by one (for the Ising model
// the antiperiodic bond, W evaluated at −β); for the Ashkin–Teller model the flip of the
// first Ising spin σ (see AshkinTeller). The twist of a twisted weight is not defined: the
// result carries no twist of its own and shifts again.
func (w BondWeight) Twist() BondWeight {
	q := w.q
	t := make([]float64, q*q)
	for a := 0; a < q; a++ {
		for b := 0; b < q; b++ {
			t[a*q+b] = w.w[a*q+w.TwistState(b)]
		}
	}
	return BondWeight{q: q, w: t}
}

// TwistState returns g(b), the state that the twisted seam reads in place of state b of
// site L−1 (see Twist). It panics if b is not in [0, Q()).
func (w BondWeight) TwistState(b int) int {
	if uint(b) >= uint(w.q) {
		panic(fmt.Sprintf("statmech: BondWeight.TwistState(%d) out of range for q = %d", b, w.q))
	}
	if w.twist != nil {
		return w.twist[b]
	}
	return (b + 1) % w.q
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

// AshkinTeller returns the bond weight of the Ashkin–Teller model: two Ising spins σ, τ = ±1
// per site and W = exp(β [σσ' + ττ' + U σσ'ττ']), the two-spin coupling J = 1 and the
// four-spin coupling U = fourSpin. Its q = 4 states are the spin pairs in cyclic order,
// 0 = (+,+), 1 = (+,−), 2 = (−,−), 3 = (−,+) (AshkinTellerSpins), in which W depends on
// (a − b) mod 4 alone: W = exp(β(2+U)), exp(−βU), exp(β(U−2)), exp(−βU) for a − b = 0, 1,
// 2, 3. So W has the Z_4 shift symmetry, and the clock variable exp(2πi s/4) of a site is
// ((σ+τ) + i(σ−τ))/2, whose |m|² is the mean of the squared magnetisations of σ and τ.
//
// Its twisted seam (Twist) flips σ alone: the seam bond reads site L−1 in state g(b), g
// exchanging 0 ↔ 3 and 1 ↔ 2, so that σ is antiperiodic and τ periodic around the row.
// The interface free energy of that seam stays finite and L-independent at the critical
// points of the self-dual line, where it measures the dimension 1/8 of the σ disorder
// operator (σ_L → π/4); the shift twist of Potts and clock models would instead rotate
// (σ, τ) into (τ, −σ).
//
// At U = 0 the model is two independent Ising models at β (and equals Clock(4, 2β)); at
// U = 1, e^β·W is Potts(4, 4β). Its transitions lie on the self-dual line
// sinh 2β = e^{−2βU} for −1 < U ≤ 1 (AshkinTellerCriticalBeta). U must be finite and
// > −1 (ErrCoupling otherwise): at U ≤ −1 the ferromagnetic state, whose order the σ twist
// probes, is no longer the ground state. β must be finite and > 0.
func AshkinTeller(fourSpin, beta float64) (BondWeight, error) {
	if !(fourSpin > -1) || math.IsInf(fourSpin, 0) {
		return BondWeight{}, fmt.Errorf("%w: the four-spin coupling U of the Ashkin–Teller model must be finite and > −1, got %v", ErrCoupling, fourSpin)
	}
	if err := checkBeta(beta); err != nil {
		return BondWeight{}, err
	}
	energy := [4]float64{2 + fourSpin, -fourSpin, fourSpin - 2, -fourSpin}
	w, err := fromFunc(4, beta, func(a, b int) float64 { return energy[((a-b)%4+4)%4] })
	if err != nil {
		return BondWeight{}, err
	}
	w.twist = []int{3, 2, 1, 0}
	return w, nil
}

// AshkinTellerSpins returns the spins (σ, τ) of state s in [0, 4) of AshkinTeller: 0 is
// (+1, +1), 1 is (+1, −1), 2 is (−1, −1) and 3 is (−1, +1). It panics for any other s.
func AshkinTellerSpins(s int) (sigma, tau int) {
	switch s {
	case 0:
		return 1, 1
	case 1:
		return 1, -1
	case 2:
		return -1, -1
	case 3:
		return -1, 1
	}
	panic(fmt.Sprintf("statmech: AshkinTellerSpins(%d): the states are 0 to 3", s))
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
