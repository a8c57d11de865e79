//go:build !purego

#include "textflag.h"

// func pairMaskAVX512(t *pairTable, text []byte) (off int, mask uint64)
//
// Needs AVX512F, AVX512BW and AVX512VBMI. For each block of 64 positions
// at off = 0, 64, 128... while off+67 <= len(text): the block's bytes and
// the bytes one further are loaded, each byte squeezed to its seven-bit
// class index (pairIndex: bits 0-4 kept, bits 6-7 shifted down to 5-6;
// bit 7 of the index is left over from the shift and VPERMI2B ignores
// it), looked up in the first and second tables (128 bytes each, two
// registers per table), and the two lookups and-ed: a byte of the mask
// per position, one bit each in K1. The first block with a bit returns.
TEXT ·pairMaskAVX512(SB), NOSPLIT, $0-48
	MOVQ	t+0(FP), AX
	MOVQ	text_base+8(FP), SI
	MOVQ	text_len+16(FP), DX
	VMOVDQU64	0(AX), Z0   // first, indexes 0-63
	VMOVDQU64	64(AX), Z1  // first, indexes 64-127
	VMOVDQU64	128(AX), Z2 // second, indexes 0-63
	VMOVDQU64	192(AX), Z3 // second, indexes 64-127
	MOVL	$0x1f, BX
	VPBROADCASTB	BX, Z4 // bits kept in place
	XORQ	CX, CX
	SUBQ	$67, DX // blocks while off <= len-67
	JLT	none

loop:
	CMPQ	CX, DX
	JGT	none
	VMOVDQU64	(SI)(CX*1), Z5
	VMOVDQU64	1(SI)(CX*1), Z6
	VPSRLW	$1, Z5, Z7
	VPSRLW	$1, Z6, Z8
	// Z7 = Z4 ? Z5 : Z7 (bits 0-4 from the byte, 5-7 from it shifted)
	VPTERNLOGD	$0xD8, Z4, Z5, Z7
	VPTERNLOGD	$0xD8, Z4, Z6, Z8
	VPERMI2B	Z1, Z0, Z7
	VPERMI2B	Z3, Z2, Z8
	VPTESTMB	Z8, Z7, K1
	KMOVQ	K1, BX
	TESTQ	BX, BX
	JNZ	found
	ADDQ	$64, CX
	JMP	loop

found:
	MOVQ	CX, off+32(FP)
	MOVQ	BX, mask+40(FP)
	VZEROUPPER
	RET

none:
	MOVQ	CX, off+32(FP)
	MOVQ	$0, mask+40(FP)
	VZEROUPPER
	RET
