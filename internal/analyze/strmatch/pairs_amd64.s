//go:build !purego

#include "textflag.h"

// func pairMasksAVX512(t *pairTable, text []byte, masks []uint64) int
//
// Needs AVX512F, AVX512BW and AVX512VBMI. For each block of 64 positions
// at off = 64j while off+67 <= len(text) and j < len(masks): the block's
// bytes and the bytes one further are loaded, each byte squeezed to its
// seven-bit class index (pairIndex: bits 0-4 kept, bits 6-7 shifted down
// to 5-6; bit 7 of the index is left over from the shift and VPERMI2B
// ignores it), looked up in the first and second tables of both halves
// (128 bytes each, two registers per table), and each half's two lookups
// tested together: a bit per position in K1 and K2, or-ed into masks[j].
TEXT ·pairMasksAVX512(SB), NOSPLIT, $0-64
	MOVQ	t+0(FP), AX
	MOVQ	text_base+8(FP), SI
	MOVQ	text_len+16(FP), DX
	MOVQ	masks_base+32(FP), DI
	MOVQ	masks_len+40(FP), R8
	VMOVDQU64	0(AX), Z0   // half 0 first, indexes 0-63
	VMOVDQU64	64(AX), Z1  // half 0 first, indexes 64-127
	VMOVDQU64	128(AX), Z2 // half 0 second
	VMOVDQU64	192(AX), Z3
	VMOVDQU64	256(AX), Z4 // half 1 first
	VMOVDQU64	320(AX), Z5
	VMOVDQU64	384(AX), Z6 // half 1 second
	VMOVDQU64	448(AX), Z7
	MOVL	$0x1f, BX
	VPBROADCASTB	BX, Z8 // bits kept in place
	XORQ	R9, R9 // j
	SUBQ	$67, DX // blocks while 64j <= len-67
	JLT	done

loop:
	CMPQ	R9, R8
	JGE	done
	MOVQ	R9, CX
	SHLQ	$6, CX
	CMPQ	CX, DX
	JGT	done
	VMOVDQU64	(SI)(CX*1), Z16
	VMOVDQU64	1(SI)(CX*1), Z17
	VPSRLW	$1, Z16, Z18
	VPSRLW	$1, Z17, Z19
	// Z18 = Z8 ? Z16 : Z18 (bits 0-4 from the byte, 5-7 from it shifted)
	VPTERNLOGD	$0xD8, Z8, Z16, Z18
	VPTERNLOGD	$0xD8, Z8, Z17, Z19
	VMOVDQA64	Z18, Z20
	VMOVDQA64	Z19, Z21
	VPERMI2B	Z1, Z0, Z18
	VPERMI2B	Z3, Z2, Z19
	VPERMI2B	Z5, Z4, Z20
	VPERMI2B	Z7, Z6, Z21
	VPTESTMB	Z19, Z18, K1
	VPTESTMB	Z21, Z20, K2
	KORQ	K1, K2, K1
	KMOVQ	K1, (DI)(R9*8)
	INCQ	R9
	JMP	loop

done:
	MOVQ	R9, ret+56(FP)
	VZEROUPPER
	RET

// func pairMasksAVX2(t *pairTable, text []byte, masks []uint64) int
//
// pairMasksAVX512 by the nibble tables (t.nib, from offset 512), 32
// positions a step, two steps a mask: each byte and the byte after it
// are or-ed with 0x20 and split into nibbles, the four tables of a half
// are looked up with VPSHUFB (a nibble index has bit 7 clear, so no lane
// is zeroed) and and-ed, the halves or-ed; a position is kept where the
// result is not zero.
TEXT ·pairMasksAVX2(SB), NOSPLIT, $0-64
	MOVQ	t+0(FP), AX
	MOVQ	text_base+8(FP), SI
	MOVQ	text_len+16(FP), DX
	MOVQ	masks_base+32(FP), DI
	MOVQ	masks_len+40(FP), R8
	VBROADCASTI128	512(AX), Y0 // half 0: first by low nibble
	VBROADCASTI128	528(AX), Y1 // first by high nibble
	VBROADCASTI128	544(AX), Y2 // second by low nibble
	VBROADCASTI128	560(AX), Y3 // second by high nibble
	VBROADCASTI128	576(AX), Y4 // half 1
	VBROADCASTI128	592(AX), Y5
	VBROADCASTI128	608(AX), Y6
	VBROADCASTI128	624(AX), Y7
	MOVL	$0x0f0f0f0f, BX
	MOVD	BX, X8
	VPBROADCASTD	X8, Y8 // 0x0f
	MOVL	$0x20202020, BX
	MOVD	BX, X9
	VPBROADCASTD	X9, Y9 // 0x20
	XORQ	R9, R9 // j
	SUBQ	$67, DX // blocks while 64j <= len-67
	JLT	done2

loop2:
	CMPQ	R9, R8
	JGE	done2
	MOVQ	R9, CX
	SHLQ	$6, CX
	CMPQ	CX, DX
	JGT	done2
	XORQ	R11, R11
	MOVQ	$2, R12

half2:
	VMOVDQU	(SI)(CX*1), Y10
	VMOVDQU	1(SI)(CX*1), Y11
	VPOR	Y9, Y10, Y10
	VPOR	Y9, Y11, Y11
	VPSRLW	$4, Y10, Y12
	VPSRLW	$4, Y11, Y13
	VPAND	Y8, Y10, Y10 // low nibbles
	VPAND	Y8, Y11, Y11
	VPAND	Y8, Y12, Y12 // high nibbles
	VPAND	Y8, Y13, Y13
	VPSHUFB	Y10, Y0, Y14
	VPSHUFB	Y12, Y1, Y15
	VPAND	Y15, Y14, Y14
	VPSHUFB	Y11, Y2, Y15
	VPAND	Y15, Y14, Y14
	VPSHUFB	Y13, Y3, Y15
	VPAND	Y15, Y14, Y14 // half 0
	VPSHUFB	Y10, Y4, Y10
	VPSHUFB	Y12, Y5, Y12
	VPAND	Y12, Y10, Y10
	VPSHUFB	Y11, Y6, Y11
	VPAND	Y11, Y10, Y10
	VPSHUFB	Y13, Y7, Y13
	VPAND	Y13, Y10, Y10 // half 1
	VPOR	Y10, Y14, Y14
	VPXOR	Y15, Y15, Y15
	VPCMPEQB	Y15, Y14, Y14
	VPMOVMSKB	Y14, BX
	NOTL	BX
	SHRQ	$32, R11
	SHLQ	$32, BX
	ORQ	BX, R11
	ADDQ	$32, CX
	DECQ	R12
	JNZ	half2

	MOVQ	R11, (DI)(R9*8)
	INCQ	R9
	JMP	loop2

done2:
	MOVQ	R9, ret+56(FP)
	VZEROUPPER
	RET
