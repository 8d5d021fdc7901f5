package model

// Dense kernels behind every layer of the network. All matrices are row-major
// with explicit strides, so that a unit's active prefix of a feature-major
// activation buffer is used in place, without copying.
//
// gemmNN: C[i*ldc+j] += Σ_l a[i*am+l*ap] · b[l*ldb+j]    (i < m, j < n, l < p)
// gemmNT: C[i*ldc+j] += Σ_l x[i*ldx+l] · y[j*ldy+l]      (i < m, j < n, l < p)
//
// gemmNN with (am, ap) = (p, 1) multiplies by a row-major m×p matrix; with
// (am, ap) = (1, m) by the transpose of a row-major p×m matrix. Both kernels
// accumulate into C. The AVX2/FMA versions (kernels_amd64.s) are used when the
// CPU has them; the portable versions below are the reference they are tested
// against, and the build tag purego selects them everywhere.

// kernel names one implementation of the two products.
type kernel struct {
	name   string
	gemmNN func(m, n, p int, a []float64, am, ap int, b []float64, ldb int, c []float64, ldc int)
	gemmNT func(m, n, p int, x []float64, ldx int, y []float64, ldy int, c []float64, ldc int)
}

// goKernel is the portable implementation.
var goKernel = kernel{name: "go", gemmNN: gemmNNGo, gemmNT: gemmNTGo}

// kern is the implementation in use: the fastest this CPU runs.
var kern = bestKernel()

func checkNN(m, n, p int, a []float64, am, ap int, b []float64, ldb int, c []float64, ldc int) {
	if m < 0 || n < 0 || p < 0 || am < 0 || ap < 0 || ldb < n || ldc < n {
		panic("model: bad gemmNN shape")
	}
	if m == 0 || n == 0 || p == 0 {
		return
	}
	if len(a) <= (m-1)*am+(p-1)*ap || len(b) < (p-1)*ldb+n || len(c) < (m-1)*ldc+n {
		panic("model: gemmNN slice too short")
	}
}

func checkNT(m, n, p int, x []float64, ldx int, y []float64, ldy int, c []float64, ldc int) {
	if m < 0 || n < 0 || p < 0 || ldx < p || ldy < p || ldc < n {
		panic("model: bad gemmNT shape")
	}
	if m == 0 || n == 0 || p == 0 {
		return
	}
	if len(x) < (m-1)*ldx+p || len(y) < (n-1)*ldy+p || len(c) < (m-1)*ldc+n {
		panic("model: gemmNT slice too short")
	}
}

func gemmNNGo(m, n, p int, a []float64, am, ap int, b []float64, ldb int, c []float64, ldc int) {
	checkNN(m, n, p, a, am, ap, b, ldb, c, ldc)
	if m == 0 || n == 0 || p == 0 {
		return
	}
	nnRowsGo(0, m, 0, n, p, a, am, ap, b, ldb, c, ldc)
}

// nnRowsGo is gemmNN restricted to rows [i0,i1) and columns [j0,j1).
func nnRowsGo(i0, i1, j0, j1, p int, a []float64, am, ap int, b []float64, ldb int, c []float64, ldc int) {
	for i := i0; i < i1; i++ {
		ci := c[i*ldc+j0 : i*ldc+j1]
		for l := 0; l < p; l++ {
			s := a[i*am+l*ap]
			if s == 0 {
				continue
			}
			bl := b[l*ldb+j0 : l*ldb+j1]
			bl = bl[:len(ci)]
			for j, v := range bl {
				ci[j] += s * v
			}
		}
	}
}

func gemmNTGo(m, n, p int, x []float64, ldx int, y []float64, ldy int, c []float64, ldc int) {
	checkNT(m, n, p, x, ldx, y, ldy, c, ldc)
	if m == 0 || n == 0 || p == 0 {
		return
	}
	ntBlockGo(0, m, 0, n, 0, p, x, ldx, y, ldy, c, ldc)
}

// ntBlockGo is gemmNT restricted to rows [i0,i1), columns [j0,j1) and the
// reduction range [l0,l1).
func ntBlockGo(i0, i1, j0, j1, l0, l1 int, x []float64, ldx int, y []float64, ldy int, c []float64, ldc int) {
	if l0 >= l1 {
		return
	}
	for i := i0; i < i1; i++ {
		xi := x[i*ldx+l0 : i*ldx+l1]
		for j := j0; j < j1; j++ {
			yj := y[j*ldy+l0 : j*ldy+l1]
			yj = yj[:len(xi)]
			var s0, s1, s2, s3 float64
			k := 0
			for ; k+4 <= len(xi); k += 4 {
				s0 += xi[k] * yj[k]
				s1 += xi[k+1] * yj[k+1]
				s2 += xi[k+2] * yj[k+2]
				s3 += xi[k+3] * yj[k+3]
			}
			for ; k < len(xi); k++ {
				s0 += xi[k] * yj[k]
			}
			c[i*ldc+j] += (s0 + s1) + (s2 + s3)
		}
	}
}
