//go:build !purego

package strmatch

import "golang.org/x/sys/cpu"

// pairMasksAVX512 is pairMasksGo with VPERMI2B lookups, 64 positions a
// step (pairs_amd64.s).
//
//go:noescape
func pairMasksAVX512(t *pairTable, text []byte, masks []uint64) int

// pairMasksAVX2 is pairMasksGo by the coarser nibble tables, with
// VPSHUFB lookups, 32 positions a step (pairs_amd64.s).
//
//go:noescape
func pairMasksAVX2(t *pairTable, text []byte, masks []uint64) int

var (
	// hasAVX512 says whether pairMasksAVX512 can run here, hasVector
	// whether one of the two can.
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI
	hasAVX2   = cpu.X86.HasAVX2
	hasVector = hasAVX512 || hasAVX2
	// useVector selects scanVector, useAVX512 pairMasksAVX512 over
	// pairMasksAVX2 (variables: the tests run every path).
	useVector = hasVector
	useAVX512 = hasAVX512
)

func pairMasks(t *pairTable, text []byte, masks []uint64) int {
	switch {
	case useAVX512:
		return pairMasksAVX512(t, text, masks)
	case hasAVX2:
		return pairMasksAVX2(t, text, masks)
	}
	return pairMasksGo(t, text, masks) // the tests' scanVector elsewhere
}
