package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveNN and naiveNT are the definitions the kernels implement.
func naiveNN(m, n, p int, a []float64, am, ap int, b []float64, ldb int, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < p; l++ {
				s += a[i*am+l*ap] * b[l*ldb+j]
			}
			c[i*ldc+j] += s
		}
	}
}

func naiveNT(m, n, p int, x []float64, ldx int, y []float64, ldy int, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < p; l++ {
				s += x[i*ldx+l] * y[j*ldy+l]
			}
			c[i*ldc+j] += s
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

func closeSlices(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(got[i] - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(got[i]) {
			t.Fatalf("%s: element %d: got %v, want %v", what, i, got[i], want[i])
		}
	}
}

func kernelsUnderTest() []kernel {
	ks := []kernel{goKernel}
	if kern.name != goKernel.name {
		ks = append(ks, kern)
	}
	return ks
}

func TestKernelsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	shapes := [][3]int{{1, 1, 1}, {1, 8, 1}, {2, 8, 2}, {3, 9, 3}, {6, 8, 5}, {7, 17, 4}, {13, 33, 9}, {16, 256, 32}, {2, 64, 70}, {32, 72, 64}, {5, 3, 2}, {8, 9, 12}, {2, 16, 256}}
	for _, k := range kernelsUnderTest() {
		for _, s := range shapes {
			m, n, p := s[0], s[1], s[2]
			t.Run(fmt.Sprintf("%s/NN/%dx%dx%d", k.name, m, n, p), func(t *testing.T) {
				for _, trans := range []bool{false, true} {
					am, ap := p+1, 1 // row-major m×p with padded stride
					if trans {
						am, ap = 1, m+2 // transpose of a row-major p×m matrix
					}
					a := randSlice(rng, (m-1)*am+(p-1)*ap+1)
					ldb, ldc := n+3, n+1
					b := randSlice(rng, (p-1)*ldb+n)
					c := randSlice(rng, (m-1)*ldc+n)
					want := append([]float64(nil), c...)
					naiveNN(m, n, p, a, am, ap, b, ldb, want, ldc)
					k.gemmNN(m, n, p, a, am, ap, b, ldb, c, ldc)
					closeSlices(t, "gemmNN", c, want, 1e-12)
				}
			})
			t.Run(fmt.Sprintf("%s/NT/%dx%dx%d", k.name, m, n, p), func(t *testing.T) {
				ldx, ldy, ldc := p+2, p+5, n+1
				x := randSlice(rng, (m-1)*ldx+p)
				y := randSlice(rng, (n-1)*ldy+p)
				c := randSlice(rng, (m-1)*ldc+n)
				want := append([]float64(nil), c...)
				naiveNT(m, n, p, x, ldx, y, ldy, want, ldc)
				k.gemmNT(m, n, p, x, ldx, y, ldy, c, ldc)
				closeSlices(t, "gemmNT", c, want, 1e-12)
			})
		}
	}
}
