package statmech

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The brute-force twins below evaluate the formulas of DESIGN.md §1 as plain products over
// all sites and all pairs of states, with no logarithms, no tables and no fast paths.

// lattice is what the brute-force twins need: the horizontal (within a row) and vertical
// (between rows) bond weights, and the state the twisted seam reads for state c of site
// L−1, given here independently of BondWeight.Twist.
type lattice struct {
	h, v  BondWeight
	twist func(c int) int // nil: c+1 mod q
}

// iso is the isotropic lattice of w with the shift twist.
func iso(w BondWeight) lattice { return lattice{h: w, v: w} }

func (lat lattice) q() int { return lat.h.Q() }

// system builds the System of the lattice.
func (lat lattice) system(t testing.TB, L int, b Boundary) *System {
	t.Helper()
	s, err := NewAnisotropicSystem(lat.h, lat.v, L, b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seamW returns the weight of the bond (a at site 0, c at site L−1) across the seam.
func (lat lattice) seamW(b Boundary, a, c int) float64 {
	if b == Twisted {
		if lat.twist != nil {
			return lat.h.At(a, lat.twist(c))
		}
		return lat.h.At(a, (c+1)%lat.q())
	}
	return lat.h.At(a, c)
}

// bruteTh returns Th(x') = Π_i x'_iᵀ M_i x'_{i−1}.
func bruteTh(lat lattice, b Boundary, L int, xp []float64) float64 {
	q := lat.q()
	prod := 1.0
	for i := 0; i < L; i++ {
		j := (i - 1 + L) % L
		f := 0.0
		for a := 0; a < q; a++ {
			for c := 0; c < q; c++ {
				wac := lat.h.At(a, c)
				if i == 0 {
					wac = lat.seamW(b, a, c)
				}
				f += xp[i*q+a] * wac * xp[j*q+c]
			}
		}
		prod *= f
	}
	return prod
}

// bruteV returns Π_i x_iᵀ Wv x'_i.
func bruteV(lat lattice, L int, x, xp []float64) float64 {
	q := lat.q()
	prod := 1.0
	for i := 0; i < L; i++ {
		f := 0.0
		for a := 0; a < q; a++ {
			for c := 0; c < q; c++ {
				f += x[i*q+a] * lat.v.At(a, c) * xp[i*q+c]
			}
		}
		prod *= f
	}
	return prod
}

// bruteT returns T(x, x') = Th(x')·V(x, x').
func bruteT(lat lattice, b Boundary, L int, x, xp []float64) float64 {
	return bruteTh(lat, b, L, xp) * bruteV(lat, L, x, xp)
}

// bruteMarginal returns T(x') = Th(x') Π_i Σ_c w_c x'_{i,c}, w_c = Σ_a Wv(a, c).
func bruteMarginal(lat lattice, b Boundary, L int, xp []float64) float64 {
	q := lat.q()
	prod := bruteTh(lat, b, L, xp)
	for i := 0; i < L; i++ {
		f := 0.0
		for a := 0; a < q; a++ {
			for c := 0; c < q; c++ {
				f += lat.v.At(a, c) * xp[i*q+c]
			}
		}
		prod *= f
	}
	return prod
}

// flipSigma is the Ashkin–Teller twist written from the spins: the state with σ flipped
// and τ kept.
func flipSigma(c int) int {
	sigma, tau := AshkinTellerSpins(c)
	for d := range 4 {
		if s, u := AshkinTellerSpins(d); s == -sigma && u == tau {
			return d
		}
	}
	panic("no state with σ flipped")
}

// hardRow returns the one-hot row of the states s (site 0 first).
func hardRow(q int, s []int) []float64 {
	x := make([]float64, len(s)*q)
	for i, a := range s {
		x[i*q+a] = 1
	}
	return x
}

// decodeStates returns the states of the row with index n, site 0 the least significant
// digit, written out independently of System.Decode.
func decodeStates(n, q, L int) []int {
	s := make([]int, L)
	for i := range s {
		s[i] = n % q
		n /= q
	}
	return s
}

// randomHard returns a batch of n random hard rows.
func randomHard(rng *rand.Rand, n, q, L int) []float64 {
	x := make([]float64, 0, n*L*q)
	for range n {
		s := make([]int, L)
		for i := range s {
			s[i] = rng.IntN(q)
		}
		x = append(x, hardRow(q, s)...)
	}
	return x
}

// randomSoft returns a batch of n random relaxed one-hot rows: each site's entries are
// positive and sum to 1.
func randomSoft(rng *rand.Rand, n, q, L int) []float64 {
	x := make([]float64, n*L*q)
	for o := 0; o < len(x); o += q {
		sum := 0.0
		for c := range q {
			v := 0.05 + rng.Float64()
			x[o+c] = v
			sum += v
		}
		for c := range q {
			x[o+c] /= sum
		}
	}
	return x
}

// randomCustom returns a random positive q×q bond weight, not symmetric.
func randomCustom(t testing.TB, rng *rand.Rand, q int) BondWeight {
	m := make([][]float64, q)
	for a := range m {
		m[a] = make([]float64, q)
		for c := range m[a] {
			m[a][c] = 0.2 + 2*rng.Float64()
		}
	}
	w, err := Custom(m)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func mustSystem(t testing.TB, w BondWeight, err error, L int, b Boundary) *System {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSystem(w, L, b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func relDiff(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}

// seeded returns a generator with a fixed seed and logs the seed.
func seeded(t testing.TB, seed uint64) *rand.Rand {
	t.Helper()
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
