package statmech

import (
	"fmt"
	"math"
	"sync"
)

// MaxStates is the largest number of row states q^L that the exact solvers enumerate
// (Perron, System.Observables, System.Bulk). Power iteration at this size holds three
// float64 vectors of q^L entries, 384 MiB.
const MaxStates = 1 << 24

// MaxSize is the largest row length L that NewSystem accepts.
const MaxSize = 1 << 16

// System is a row of L sites on a ring with a horizontal bond weight Wh (the bonds within
// a row), a vertical bond weight Wv (the bonds between consecutive rows) and a seam
// boundary condition: it evaluates the row-to-row transfer weight
//
//	T(x, x') = Th(x') · Π_i Wv(x_i, x'_i),   Th(x') = Π_i Wh(x'_i, x'_{i−1})
//
// (site indices mod L; the i = 0 factor is the seam bond, Wh twisted for Twisted) and its
// marginal T(x') = Σ_x T(x, x') = Th(x') Π_i w(x'_i), w_b = Σ_a Wv(a, b), in log space.
// An isotropic system (NewSystem) has Wh = Wv = W; an anisotropic one
// (NewAnisotropicSystem) has, for example, Wh = W(β J_x) and Wv = W(β J_y).
//
// A row is a []float64 of length L·q, site-major: x[i*q+a] is the weight of state a at site
// i, one-hot for a hard row, any nonnegative numbers for a soft (relaxed one-hot) row, for
// which the factors become x'_iᵀ Wh x'_{i−1} and x_iᵀ Wv x'_i. A batch is rows concatenated.
// Slices of the wrong length are programmer errors and make the methods panic.
//
// The exact solvers index the q^L hard rows by n = Σ_i s_i q^i, where s_i is the state of
// site i: site 0 is the least significant digit (see Index and Decode).
//
// For L = 2 the two sites are joined by two bonds, the ordinary one and the seam, as on a
// ring of two.
//
// A System is safe for concurrent use; it keeps scratch space in a sync.Pool, so a call
// allocates nothing once the pool is warm. It must not be copied after first use.
type System struct {
	wh, wv, seam BondWeight
	l, q         int
	boundary     Boundary
	states       int // q^L, or -1 when it overflows an int

	logWh, logSeam []float64 // ln Wh, ln of the seam matrix, row-major q×q
	whT, seamT     []float64 // transposes, row-major
	wvT            []float64 // Wvᵀ, row-major
	col            []float64 // w_b = Σ_a Wv(a, b)

	pool sync.Pool // *workspace
}

// NewSystem returns the isotropic system of rows of L sites with bond weight w, within and
// between rows, and boundary b. L must be in [2, MaxSize]; q^L need not be small unless
// the exact solvers are used.
func NewSystem(w BondWeight, L int, b Boundary) (*System, error) {
	return NewAnisotropicSystem(w, w, L, b)
}

// NewAnisotropicSystem returns the system of rows of L sites whose bonds within a row
// (and the seam, twisted by horizontal.Twist for Twisted) have the bond weight horizontal,
// and whose bonds between consecutive rows have the bond weight vertical; both must have
// the same q. With horizontal = vertical it is NewSystem.
func NewAnisotropicSystem(horizontal, vertical BondWeight, L int, b Boundary) (*System, error) {
	for _, w := range []BondWeight{horizontal, vertical} {
		if w.q < 2 || len(w.w) != w.q*w.q {
			return nil, fmt.Errorf("%w: the bond weight is empty; build it with Ising, Potts, Clock, AshkinTeller or Custom", ErrBondWeight)
		}
	}
	if horizontal.q != vertical.q {
		return nil, fmt.Errorf("%w: the horizontal and vertical bond weights must have the same q, got %d and %d", ErrBondWeight, horizontal.q, vertical.q)
	}
	if L < 2 || L > MaxSize {
		return nil, fmt.Errorf("%w: L must be in [2, %d], got %d", ErrSize, MaxSize, L)
	}
	if !b.valid() {
		return nil, fmt.Errorf("%w: boundary must be periodic or twisted, got %d", ErrBoundary, int(b))
	}
	q := horizontal.q
	s := &System{wh: horizontal, wv: vertical, seam: horizontal, l: L, q: q, boundary: b}
	if b == Twisted {
		s.seam = horizontal.Twist()
	}
	s.logWh = logAll(horizontal.w)
	s.logSeam = logAll(s.seam.w)
	s.whT = transpose(horizontal.w, q)
	s.seamT = transpose(s.seam.w, q)
	s.wvT = s.whT
	if !sameWeights(horizontal, vertical) {
		s.wvT = transpose(vertical.w, q)
	}
	s.col = make([]float64, q)
	for a := 0; a < q; a++ {
		for c := 0; c < q; c++ {
			s.col[c] += vertical.w[a*q+c]
		}
	}
	s.states = 1
	for range L {
		if s.states > math.MaxInt/q {
			s.states = -1
			break
		}
		s.states *= q
	}
	s.pool.New = func() any { return new(workspace) }
	return s, nil
}

// sameWeights reports whether two bond weights hold the same matrix.
func sameWeights(a, b BondWeight) bool {
	if a.q != b.q {
		return false
	}
	for k, v := range a.w {
		if b.w[k] != v {
			return false
		}
	}
	return true
}

func logAll(w []float64) []float64 {
	l := make([]float64, len(w))
	for i, v := range w {
		l[i] = math.Log(v)
	}
	return l
}

func transpose(w []float64, q int) []float64 {
	t := make([]float64, q*q)
	for a := 0; a < q; a++ {
		for b := 0; b < q; b++ {
			t[b*q+a] = w[a*q+b]
		}
	}
	return t
}

// Size returns the row length L.
func (s *System) Size() int { return s.l }

// Q returns the number of states per site.
func (s *System) Q() int { return s.q }

// RowLen returns L·q, the length of one row.
func (s *System) RowLen() int { return s.l * s.q }

// HorizontalWeight returns Wh, the bond weight within a row (of Th).
func (s *System) HorizontalWeight() BondWeight { return s.wh }

// VerticalWeight returns Wv, the bond weight between consecutive rows (of V).
func (s *System) VerticalWeight() BondWeight { return s.wv }

// SeamWeight returns the bond weight of the seam between site L−1 and site 0: Wh for
// Periodic, Wh.Twist() for Twisted. The seam factor of Th(x') is SeamWeight().At(x'_0,
// x'_{L−1}).
func (s *System) SeamWeight() BondWeight { return s.seam }

// Boundary returns the seam boundary condition.
func (s *System) Boundary() Boundary { return s.boundary }

// Isotropic reports whether the horizontal and vertical bond weights are equal.
func (s *System) Isotropic() bool { return sameWeights(s.wh, s.wv) }

// Symmetric reports whether the vertical bond weight is symmetric, Wv(a, b) = Wv(b, a),
// so that V is a symmetric matrix: then Th·p is the left Perron vector (Bulk), and
// Perron iterates on the symmetric Th^{1/2} V Th^{1/2}. The horizontal weight need not be
// symmetric for either.
func (s *System) Symmetric() bool { return s.wv.Symmetric() }

// Shifts returns the global shifts k in [0, q), 0 first, that leave the transfer matrix
// unchanged: Wh, Wv and the seam weight all satisfy W(a+k, b+k) = W(a, b) (mod q). They
// commute with T, so the Perron vector is invariant under them: Z_2 for the Ising model,
// Z_q for Potts and clock (both seams), Z_4 for the periodic Ashkin–Teller model and
// {0, 2} for its σ-twisted seam, whatever subgroup custom weights keep.
func (s *System) Shifts() []int {
	q := s.q
	var shifts []int
	for k := 0; k < q; k++ {
		if shiftInvariant(s.wh, k) && shiftInvariant(s.wv, k) && shiftInvariant(s.seam, k) {
			shifts = append(shifts, k)
		}
	}
	return shifts
}

func shiftInvariant(w BondWeight, k int) bool {
	q := w.q
	for a := 0; a < q; a++ {
		for b := 0; b < q; b++ {
			if w.w[((a+k)%q)*q+(b+k)%q] != w.w[a*q+b] {
				return false
			}
		}
	}
	return true
}

// NumStates returns q^L, the number of hard rows. It returns ErrTooLarge when q^L exceeds
// MaxStates, the limit of the exact solvers.
func (s *System) NumStates() (int, error) {
	if s.states < 0 || s.states > MaxStates {
		return 0, fmt.Errorf("%w: q^L = %d^%d exceeds the exact-enumeration limit MaxStates = %d (2^24); use a smaller L (size) or q",
			ErrTooLarge, s.q, s.l, MaxStates)
	}
	return s.states, nil
}

// Index returns the index n = Σ_i s_i q^i of a row, where s_i is the state with the largest
// entry at site i (the state of a hard row; ties go to the lower state). Site 0 is the least
// significant digit. Index panics if len(row) ≠ L·q or if q^L does not fit in an int.
func (s *System) Index(row []float64) int {
	if len(row) != s.l*s.q {
		panic(fmt.Sprintf("statmech: Index: row length %d, want L·q = %d", len(row), s.l*s.q))
	}
	if s.states < 0 {
		panic(fmt.Sprintf("statmech: Index: q^L = %d^%d does not fit in an int", s.q, s.l))
	}
	q := s.q
	n := 0
	for i := s.l - 1; i >= 0; i-- {
		n = n*q + argmax(row[i*q:(i+1)*q])
	}
	return n
}

// Decode writes into dst the hard row with index n, the inverse of Index. It panics if
// len(dst) ≠ L·q or n is not in [0, q^L).
func (s *System) Decode(dst []float64, n int) {
	if len(dst) != s.l*s.q {
		panic(fmt.Sprintf("statmech: Decode: row length %d, want L·q = %d", len(dst), s.l*s.q))
	}
	if n < 0 || (s.states >= 0 && n >= s.states) {
		panic(fmt.Sprintf("statmech: Decode: index %d out of range [0, %d^%d)", n, s.q, s.l))
	}
	clear(dst)
	q := s.q
	for i := 0; i < s.l; i++ {
		dst[i*q+n%q] = 1
		n /= q
	}
}

func argmax(v []float64) int {
	best := 0
	for a := 1; a < len(v); a++ {
		if v[a] > v[best] {
			best = a
		}
	}
	return best
}

// rows returns the number of rows in a batch, panicking on a ragged batch.
func (s *System) rows(x []float64, name string) int {
	rl := s.l * s.q
	if len(x)%rl != 0 {
		panic(fmt.Sprintf("statmech: %s has length %d, not a multiple of L·q = %d", name, len(x), rl))
	}
	return len(x) / rl
}

func checkLen(name string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("statmech: %s has length %d, want %d", name, got, want))
	}
}

// logHorizontalAll writes ln Th(x) for every hard row x, dst[n] for state index n, in
// O(q^L) time: the row is split into a low half (sites 0…h−1) and a high half whose
// internal bond sums are tabulated; the two bonds joining the halves are added per state.
func (s *System) logHorizontalAll(dst []float64) {
	q, L := s.q, s.l
	h := L / 2
	lo, loFirst, loLast := s.chain(h)
	hi, hiFirst, hiLast := s.chain(L - h)
	nlo := len(lo)
	seamCol := make([]float64, q)
	for j, base := range hi {
		sh, sl := hiFirst[j], hiLast[j]  // states of sites h and L−1
		rowW := s.logWh[sh*q : (sh+1)*q] // bond h: Wh(s_h, s_{h−1})
		for a := 0; a < q; a++ {
			seamCol[a] = s.logSeam[a*q+sl] // seam: Ws(s_0, s_{L−1})
		}
		d := dst[j*nlo : (j+1)*nlo]
		for k := range d {
			d[k] = lo[k] + base + rowW[loLast[k]] + seamCol[loFirst[k]]
		}
	}
}

// chain tabulates, for the q^k rows of k consecutive sites (digits d_0…d_{k−1}), the sum
// of ln Wh(d_j, d_{j−1}) over the k−1 bonds inside them, and the states d_0 and d_{k−1}.
func (s *System) chain(k int) (sum []float64, first, last []int) {
	q := s.q
	sum, first, last = make([]float64, q), make([]int, q), make([]int, q)
	for d := 0; d < q; d++ {
		first[d], last[d] = d, d
	}
	for range k - 1 {
		n := len(sum)
		for d := 1; d < q; d++ {
			for m := 0; m < n; m++ {
				sum = append(sum, sum[m]+s.logWh[d*q+last[m]])
				first = append(first, first[m])
				last = append(last, d)
			}
		}
		for m := 0; m < n; m++ {
			sum[m] += s.logWh[last[m]] // d = 0: Wh(0, d_{k−1})
			last[m] = 0
		}
	}
	return sum, first, last
}
