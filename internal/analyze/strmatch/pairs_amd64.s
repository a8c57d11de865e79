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
