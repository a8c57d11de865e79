//go:build !amd64 || purego

package accounts

const hasBlock8Asm = false

// block8Asm stands in for the assembly; it is never chosen.
func block8Asm(h *[8]lanes, m []lanes) { block8Generic(h, m) }
