package model

// The benchmarks also run the step on gonum's blas64.Dgemm, so that the distance between
// the hand-written kernels and gonum's is plain.

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

var gonumKernel = kernel{name: "gonum", gemmNN: gemmNNGonum, gemmNT: gemmNTGonum}

func init() { benchKernels = append(benchKernels, gonumKernel) }

func gemmNNGonum(m, n, p int, a []float64, am, ap int, b []float64, ldb int, c []float64, ldc int) {
	checkNN(m, n, p, a, am, ap, b, ldb, c, ldc)
	if m == 0 || n == 0 || p == 0 {
		return
	}
	bm := blas64.General{Rows: p, Cols: n, Stride: ldb, Data: b}
	cm := blas64.General{Rows: m, Cols: n, Stride: ldc, Data: c}
	if ap == 1 {
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, blas64.General{Rows: m, Cols: p, Stride: max(am, p), Data: a}, bm, 1, cm)
		return
	}
	if am != 1 {
		panic("gonum kernel: a is neither row- nor column-major")
	}
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, blas64.General{Rows: p, Cols: m, Stride: ap, Data: a}, bm, 1, cm)
}

func gemmNTGonum(m, n, p int, x []float64, ldx int, y []float64, ldy int, c []float64, ldc int) {
	checkNT(m, n, p, x, ldx, y, ldy, c, ldc)
	if m == 0 || n == 0 || p == 0 {
		return
	}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1,
		blas64.General{Rows: m, Cols: p, Stride: ldx, Data: x},
		blas64.General{Rows: n, Cols: p, Stride: ldy, Data: y}, 1,
		blas64.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}
