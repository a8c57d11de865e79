//go:build !purego

#include "textflag.h"

// func indexStopSSE2(b []byte, tag byte) int
//
// len(b) is 16k+1 for some k >= 1; positions 0 to 16k-1 are searched, 16
// at a time. A position stops the search when its byte is '-', or when it
// is tag and the byte after it is in 0x3e-0x7f or 0x81-0x83 (a DER
// SEQUENCE of 64 bytes or more; see derLenByte). SSE2 only: every amd64
// has it. Each block's mask is exact, so the loop branches out only at a
// stop (a cheaper test for the tag alone, then the exact one, was slower:
// one block in five has a 0x30 byte, and that branch is unpredictable).
TEXT ·indexStopSSE2(SB), NOSPLIT, $0-40
	MOVQ	b_base+0(FP), SI
	MOVQ	b_len+8(FP), BX
	MOVBQZX	tag+24(FP), AX

	MOVQ	$0x0101010101010101, CX
	IMULQ	CX, AX
	MOVQ	AX, X0
	PUNPCKLQDQ	X0, X0 // tag in every byte
	MOVQ	$0x2d2d2d2d2d2d2d2d, AX
	MOVQ	AX, X1
	PUNPCKLQDQ	X1, X1 // '-'
	MOVQ	$0x3d3d3d3d3d3d3d3d, AX
	MOVQ	AX, X2
	PUNPCKLQDQ	X2, X2 // 0x3d: signed greater is 0x3e-0x7f
	MOVQ	$0x8181818181818181, AX
	MOVQ	AX, X3
	PUNPCKLQDQ	X3, X3 // 0x81
	MOVQ	$0x0202020202020202, AX
	MOVQ	AX, X4
	PUNPCKLQDQ	X4, X4 // 2: byte-0x81 at most 2 is 0x81-0x83

	MOVQ	SI, DI
	LEAQ	-1(SI)(BX*1), DX // the end of the searched positions

loop:
	CMPQ	DI, DX
	JAE	none
	MOVOU	(DI), X5  // the bytes
	MOVOU	1(DI), X6 // the bytes after them
	MOVO	X6, X7
	PCMPGTB	X2, X7    // X7: next in 0x3e-0x7f
	PSUBB	X3, X6
	MOVO	X6, X8
	PMINUB	X4, X8
	PCMPEQB	X6, X8    // X8: next in 0x81-0x83
	POR	X8, X7
	MOVO	X5, X9
	PCMPEQB	X0, X9    // X9: the tag
	PAND	X9, X7
	PCMPEQB	X1, X5    // X5: a dash
	POR	X5, X7
	PMOVMSKB	X7, AX
	TESTL	AX, AX
	JNZ	found
	ADDQ	$16, DI
	JMP	loop

found:
	BSFL	AX, AX
	SUBQ	SI, DI
	ADDQ	AX, DI
	MOVQ	DI, ret+32(FP)
	RET

none:
	MOVQ	$-1, ret+32(FP)
	RET

// func indexStopAVX2(b []byte, tag byte) int
//
// indexStopSSE2 32 positions at a time: len(b) is 32k+1 for some k >= 1.
TEXT ·indexStopAVX2(SB), NOSPLIT, $0-40
	MOVQ	b_base+0(FP), SI
	MOVQ	b_len+8(FP), BX
	MOVBQZX	tag+24(FP), AX

	MOVQ	AX, X0
	VPBROADCASTB	X0, Y0 // tag in every byte
	MOVQ	$0x2d, AX
	MOVQ	AX, X1
	VPBROADCASTB	X1, Y1 // '-'
	MOVQ	$0x3d, AX
	MOVQ	AX, X2
	VPBROADCASTB	X2, Y2 // 0x3d: signed greater is 0x3e-0x7f
	MOVQ	$0x81, AX
	MOVQ	AX, X3
	VPBROADCASTB	X3, Y3 // 0x81
	MOVQ	$0x02, AX
	MOVQ	AX, X4
	VPBROADCASTB	X4, Y4 // 2: byte-0x81 at most 2 is 0x81-0x83

	MOVQ	SI, DI
	LEAQ	-1(SI)(BX*1), DX // the end of the searched positions

avxloop:
	CMPQ	DI, DX
	JAE	avxnone
	VMOVDQU	(DI), Y5  // the bytes
	VMOVDQU	1(DI), Y6 // the bytes after them
	VPCMPGTB	Y2, Y6, Y7 // Y7: next in 0x3e-0x7f
	VPSUBB	Y3, Y6, Y8
	VPMINUB	Y4, Y8, Y9
	VPCMPEQB	Y8, Y9, Y9 // Y9: next in 0x81-0x83
	VPOR	Y9, Y7, Y7
	VPCMPEQB	Y0, Y5, Y9 // Y9: the tag
	VPAND	Y9, Y7, Y7
	VPCMPEQB	Y1, Y5, Y5 // Y5: a dash
	VPOR	Y5, Y7, Y7
	VPMOVMSKB	Y7, AX
	TESTL	AX, AX
	JNZ	avxfound
	ADDQ	$32, DI
	JMP	avxloop

avxfound:
	VZEROUPPER
	BSFL	AX, AX
	SUBQ	SI, DI
	ADDQ	AX, DI
	MOVQ	DI, ret+32(FP)
	RET

avxnone:
	VZEROUPPER
	MOVQ	$-1, ret+32(FP)
	RET
