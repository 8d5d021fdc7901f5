//go:build amd64 && !purego

#include "textflag.h"

// AVX2/FMA micro-kernels for kernels.go. Every kernel accumulates into C.
//
// nnRx8(p, a, am, ap, b, ldb, c, ldc):
//	C[r*ldc+j] += Σ_{l<p} a[r*am+l*ap] · b[l*ldb+j]   for r < R, j < 8; p ≥ 1.
// dotRxC(p, x, ldx, y, ldy, c, ldc):
//	C[r*ldc+j] += Σ_{l<p} x[r*ldx+l] · y[j*ldy+l]     for r < R, j < C; p ≥ 4, p%4 == 0.
// Strides are in elements.

#define NNPROLOGUE \
	MOVQ p+0(FP), CX   \
	MOVQ a+8(FP), SI   \
	MOVQ am+16(FP), R8 \
	SHLQ $3, R8        \
	MOVQ ap+24(FP), R9 \
	SHLQ $3, R9        \
	MOVQ b+32(FP), DI  \
	MOVQ ldb+40(FP), R10 \
	SHLQ $3, R10       \
	MOVQ c+48(FP), DX  \
	MOVQ ldc+56(FP), R11 \
	SHLQ $3, R11

// ROWFMA broadcasts one a-element and updates one row of two accumulators.
#define ROWFMA(addr, t, acc0, acc1) \
	VBROADCASTSD addr, t       \
	VFMADD231PD Y12, t, acc0   \
	VFMADD231PD Y13, t, acc1

// STOREROW adds a row of two accumulators to C at DX and advances DX.
#define STOREROW(acc0, acc1) \
	VADDPD (DX), acc0, acc0    \
	VMOVUPD acc0, (DX)         \
	VADDPD 32(DX), acc1, acc1  \
	VMOVUPD acc1, 32(DX)       \
	ADDQ R11, DX

#define DOTPROLOGUE \
	MOVQ p+0(FP), CX   \
	SHRQ $2, CX        \
	MOVQ x+8(FP), SI   \
	MOVQ ldx+16(FP), R8 \
	SHLQ $3, R8        \
	MOVQ y+24(FP), DI  \
	MOVQ ldy+32(FP), R9 \
	SHLQ $3, R9        \
	MOVQ c+40(FP), DX  \
	MOVQ ldc+48(FP), R11 \
	SHLQ $3, R11

// HSUM4 reduces four accumulators to their four sums, adds them to C[0:4] at
// DX and advances DX by one row. Clobbers t0, t1.
#define HSUM4(a0, a1, a2, a3, t0, t1) \
	VHADDPD a1, a0, a0              \
	VHADDPD a3, a2, a2              \
	VPERM2F128 $0x20, a2, a0, t0    \
	VPERM2F128 $0x31, a2, a0, t1    \
	VADDPD t1, t0, t0               \
	VADDPD (DX), t0, t0             \
	VMOVUPD t0, (DX)                \
	ADDQ R11, DX

// HSUM1 reduces one accumulator (ya, with low half xa), adds it to C[0] at DX and advances DX by one row.
#define HSUM1(ya, xa, xt) \
	VEXTRACTF128 $1, ya, xt \
	VADDPD xt, xa, xa       \
	VHADDPD xa, xa, xa      \
	VADDSD (DX), xa, xa     \
	VMOVSD xa, (DX)         \
	ADDQ R11, DX

// func nn6x8(p int, a *float64, am, ap int, b *float64, ldb int, c *float64, ldc int)
TEXT ·nn6x8(SB), NOSPLIT, $0-64
	NNPROLOGUE
	LEAQ (SI)(R8*2), R12
	ADDQ R8, R12
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11

nn6loop:
	VMOVUPD (DI), Y12
	VMOVUPD 32(DI), Y13
	ROWFMA((SI), Y14, Y0, Y1)
	ROWFMA((SI)(R8*1), Y15, Y2, Y3)
	ROWFMA((SI)(R8*2), Y14, Y4, Y5)
	ROWFMA((R12), Y15, Y6, Y7)
	ROWFMA((R12)(R8*1), Y14, Y8, Y9)
	ROWFMA((R12)(R8*2), Y15, Y10, Y11)
	ADDQ R9, SI
	ADDQ R9, R12
	ADDQ R10, DI
	DECQ CX
	JNZ  nn6loop

	STOREROW(Y0, Y1)
	STOREROW(Y2, Y3)
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	STOREROW(Y8, Y9)
	STOREROW(Y10, Y11)
	VZEROUPPER
	RET

// func nn4x8(p int, a *float64, am, ap int, b *float64, ldb int, c *float64, ldc int)
TEXT ·nn4x8(SB), NOSPLIT, $0-64
	NNPROLOGUE
	LEAQ (SI)(R8*2), R12
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

nn4loop:
	VMOVUPD (DI), Y12
	VMOVUPD 32(DI), Y13
	ROWFMA((SI), Y14, Y0, Y1)
	ROWFMA((SI)(R8*1), Y15, Y2, Y3)
	ROWFMA((R12), Y14, Y4, Y5)
	ROWFMA((R12)(R8*1), Y15, Y6, Y7)
	ADDQ R9, SI
	ADDQ R9, R12
	ADDQ R10, DI
	DECQ CX
	JNZ  nn4loop

	STOREROW(Y0, Y1)
	STOREROW(Y2, Y3)
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	VZEROUPPER
	RET

// func nn2x8(p int, a *float64, am, ap int, b *float64, ldb int, c *float64, ldc int)
TEXT ·nn2x8(SB), NOSPLIT, $0-64
	NNPROLOGUE
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	// Two partial sums per accumulator (even and odd l) hide the FMA latency.
	SUBQ $1, CX
	JZ   nn2tail

nn2loop:
	VMOVUPD (DI), Y12
	VMOVUPD 32(DI), Y13
	ROWFMA((SI), Y14, Y0, Y1)
	ROWFMA((SI)(R8*1), Y15, Y2, Y3)
	ADDQ R9, SI
	ADDQ R10, DI
	VMOVUPD (DI), Y12
	VMOVUPD 32(DI), Y13
	ROWFMA((SI), Y14, Y4, Y5)
	ROWFMA((SI)(R8*1), Y15, Y6, Y7)
	ADDQ R9, SI
	ADDQ R10, DI
	SUBQ $2, CX
	JG   nn2loop
	JL   nn2done

nn2tail:
	VMOVUPD (DI), Y12
	VMOVUPD 32(DI), Y13
	ROWFMA((SI), Y14, Y0, Y1)
	ROWFMA((SI)(R8*1), Y15, Y2, Y3)

nn2done:
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	STOREROW(Y0, Y1)
	STOREROW(Y2, Y3)
	VZEROUPPER
	RET

// func nn1x8(p int, a *float64, am, ap int, b *float64, ldb int, c *float64, ldc int)
TEXT ·nn1x8(SB), NOSPLIT, $0-64
	NNPROLOGUE
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	SUBQ $1, CX
	JZ   nn1tail

nn1loop:
	VMOVUPD (DI), Y12
	VMOVUPD 32(DI), Y13
	ROWFMA((SI), Y14, Y0, Y1)
	ADDQ R9, SI
	ADDQ R10, DI
	VMOVUPD (DI), Y12
	VMOVUPD 32(DI), Y13
	ROWFMA((SI), Y15, Y2, Y3)
	ADDQ R9, SI
	ADDQ R10, DI
	SUBQ $2, CX
	JG   nn1loop
	JL   nn1done

nn1tail:
	VMOVUPD (DI), Y12
	VMOVUPD 32(DI), Y13
	ROWFMA((SI), Y14, Y0, Y1)

nn1done:
	VADDPD Y2, Y0, Y0
	VADDPD Y3, Y1, Y1
	STOREROW(Y0, Y1)
	VZEROUPPER
	RET

// func dot3x4(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)
TEXT ·dot3x4(SB), NOSPLIT, $0-56
	DOTPROLOGUE
	LEAQ (DI)(R9*2), R10
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11

dot34loop:
	VMOVUPD (SI), Y12
	VMOVUPD (SI)(R8*1), Y13
	VMOVUPD (SI)(R8*2), Y14
	VMOVUPD (DI), Y15
	VFMADD231PD Y15, Y12, Y0
	VFMADD231PD Y15, Y13, Y4
	VFMADD231PD Y15, Y14, Y8
	VMOVUPD (DI)(R9*1), Y15
	VFMADD231PD Y15, Y12, Y1
	VFMADD231PD Y15, Y13, Y5
	VFMADD231PD Y15, Y14, Y9
	VMOVUPD (R10), Y15
	VFMADD231PD Y15, Y12, Y2
	VFMADD231PD Y15, Y13, Y6
	VFMADD231PD Y15, Y14, Y10
	VMOVUPD (R10)(R9*1), Y15
	VFMADD231PD Y15, Y12, Y3
	VFMADD231PD Y15, Y13, Y7
	VFMADD231PD Y15, Y14, Y11
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R10
	DECQ CX
	JNZ  dot34loop

	HSUM4(Y0, Y1, Y2, Y3, Y12, Y13)
	HSUM4(Y4, Y5, Y6, Y7, Y12, Y13)
	HSUM4(Y8, Y9, Y10, Y11, Y12, Y13)
	VZEROUPPER
	RET

// func dot2x4(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)
TEXT ·dot2x4(SB), NOSPLIT, $0-56
	DOTPROLOGUE
	LEAQ (DI)(R9*2), R10
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

dot24loop:
	VMOVUPD (SI), Y12
	VMOVUPD (SI)(R8*1), Y13
	VMOVUPD (DI), Y15
	VFMADD231PD Y15, Y12, Y0
	VFMADD231PD Y15, Y13, Y4
	VMOVUPD (DI)(R9*1), Y15
	VFMADD231PD Y15, Y12, Y1
	VFMADD231PD Y15, Y13, Y5
	VMOVUPD (R10), Y15
	VFMADD231PD Y15, Y12, Y2
	VFMADD231PD Y15, Y13, Y6
	VMOVUPD (R10)(R9*1), Y15
	VFMADD231PD Y15, Y12, Y3
	VFMADD231PD Y15, Y13, Y7
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R10
	DECQ CX
	JNZ  dot24loop

	HSUM4(Y0, Y1, Y2, Y3, Y12, Y13)
	HSUM4(Y4, Y5, Y6, Y7, Y12, Y13)
	VZEROUPPER
	RET

// func dot1x4(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)
TEXT ·dot1x4(SB), NOSPLIT, $0-56
	DOTPROLOGUE
	LEAQ (DI)(R9*2), R10
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

dot14loop:
	VMOVUPD (SI), Y12
	VFMADD231PD (DI), Y12, Y0
	VFMADD231PD (DI)(R9*1), Y12, Y1
	VFMADD231PD (R10), Y12, Y2
	VFMADD231PD (R10)(R9*1), Y12, Y3
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R10
	DECQ CX
	JNZ  dot14loop

	HSUM4(Y0, Y1, Y2, Y3, Y12, Y13)
	VZEROUPPER
	RET

// func dot3x1(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)
TEXT ·dot3x1(SB), NOSPLIT, $0-56
	DOTPROLOGUE
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2

dot31loop:
	VMOVUPD (DI), Y12
	VFMADD231PD (SI), Y12, Y0
	VFMADD231PD (SI)(R8*1), Y12, Y1
	VFMADD231PD (SI)(R8*2), Y12, Y2
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  dot31loop

	HSUM1(Y0, X0, X12)
	HSUM1(Y1, X1, X12)
	HSUM1(Y2, X2, X12)
	VZEROUPPER
	RET

// func dot1x1(p int, x *float64, ldx int, y *float64, ldy int, c *float64, ldc int)
TEXT ·dot1x1(SB), NOSPLIT, $0-56
	DOTPROLOGUE
	VXORPD Y0, Y0, Y0

dot11loop:
	VMOVUPD (DI), Y12
	VFMADD231PD (SI), Y12, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  dot11loop

	HSUM1(Y0, X0, X12)
	VZEROUPPER
	RET
