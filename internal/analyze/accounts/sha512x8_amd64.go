//go:build amd64 && !purego

package accounts

import "golang.org/x/sys/cpu"

// block8AVX512 is block8Func in AVX-512 (sha512x8_amd64.s); m holds n
// blocks.
//
//go:noescape
func block8AVX512(h *[8]lanes, m *lanes, n int)

// hasBlock8Asm says whether this CPU runs block8AVX512: it uses zmm
// registers with AVX-512F instructions only.
var hasBlock8Asm = cpu.X86.HasAVX512F

func block8Asm(h *[8]lanes, m []lanes) {
	if n := len(m) / 16; n > 0 {
		block8AVX512(h, &m[0], n)
	}
}
