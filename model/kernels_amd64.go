//go:build amd64 && !purego

package model

import "golang.org/x/sys/cpu"

//go:noescape
func nn6x8(p int, a *float64, am, ap int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func nn4x8(p int, a *float64, am, ap int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func nn2x8(p int, a *float64, am, ap int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func nn1x8(p int, a *float64, am, ap int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func dot3x4(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)

//go:noescape
func dot2x4(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)

//go:noescape
func dot1x4(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)

//go:noescape
func dot3x1(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)

//go:noescape
func dot1x1(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)

// avx2Kernel drives the AVX2/FMA micro-kernels of kernels_amd64.s.
var avx2Kernel = kernel{name: "avx2", gemmNN: gemmNNAVX2, gemmNT: gemmNTAVX2}

func bestKernel() kernel {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return avx2Kernel
	}
	return goKernel
}

// nnBlock is the width of the column panels of gemmNN: a panel of b (p rows of
// nnBlock columns) is reused by all row groups of a before the next is read.
const nnBlock = 16

func gemmNNAVX2(m, n, p int, a []float64, am, ap int, b []float64, ldb int, c []float64, ldc int) {
	checkNN(m, n, p, a, am, ap, b, ldb, c, ldc)
	if m == 0 || n == 0 || p == 0 {
		return
	}
	// checkNN proved every element the micro-kernels touch is in range.
	n8 := n &^ 7
	for j0 := 0; j0 < n8; j0 += nnBlock {
		j1 := min(j0+nnBlock, n8)
		i := 0
		for ; i+6 <= m; i += 6 {
			for j := j0; j < j1; j += 8 {
				nn6x8(p, &a[i*am], am, ap, &b[j], ldb, &c[i*ldc+j], ldc)
			}
		}
		if m-i >= 4 {
			for j := j0; j < j1; j += 8 {
				nn4x8(p, &a[i*am], am, ap, &b[j], ldb, &c[i*ldc+j], ldc)
			}
			i += 4
		}
		if m-i >= 2 {
			for j := j0; j < j1; j += 8 {
				nn2x8(p, &a[i*am], am, ap, &b[j], ldb, &c[i*ldc+j], ldc)
			}
			i += 2
		}
		if m-i == 1 {
			for j := j0; j < j1; j += 8 {
				nn1x8(p, &a[i*am], am, ap, &b[j], ldb, &c[i*ldc+j], ldc)
			}
		}
	}
	if n8 < n {
		nnRowsGo(0, m, n8, n, p, a, am, ap, b, ldb, c, ldc)
	}
}

func gemmNTAVX2(m, n, p int, x []float64, ldx int, y []float64, ldy int, c []float64, ldc int) {
	checkNT(m, n, p, x, ldx, y, ldy, c, ldc)
	if m == 0 || n == 0 || p == 0 {
		return
	}
	// checkNT proved every element the micro-kernels touch is in range.
	if p4 := p &^ 3; p4 > 0 {
		n4 := n &^ 3
		m3 := m - m%3
		// Columns outside, rows inside: each y row is read once from memory
		// while the few x rows stay in cache.
		for j := 0; j < n4; j += 4 {
			i := 0
			for ; i < m3; i += 3 {
				dot3x4(p4, &x[i*ldx], ldx, &y[j*ldy], ldy, &c[i*ldc+j], ldc)
			}
			if m-i == 2 {
				dot2x4(p4, &x[i*ldx], ldx, &y[j*ldy], ldy, &c[i*ldc+j], ldc)
				i += 2
			}
			for ; i < m; i++ {
				dot1x4(p4, &x[i*ldx], ldx, &y[j*ldy], ldy, &c[i*ldc+j], ldc)
			}
		}
		for j := n4; j < n; j++ {
			i := 0
			for ; i < m3; i += 3 {
				dot3x1(p4, &x[i*ldx], ldx, &y[j*ldy], ldy, &c[i*ldc+j], ldc)
			}
			for ; i < m; i++ {
				dot1x1(p4, &x[i*ldx], ldx, &y[j*ldy], ldy, &c[i*ldc+j], ldc)
			}
		}
		if p4 < p {
			ntBlockGo(0, m, 0, n, p4, p, x, ldx, y, ldy, c, ldc)
		}
		return
	}
	ntBlockGo(0, m, 0, n, 0, p, x, ldx, y, ldy, c, ldc)
}
