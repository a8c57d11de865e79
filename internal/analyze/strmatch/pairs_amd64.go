//go:build !purego

package strmatch

import "golang.org/x/sys/cpu"

// pairMasksAVX512 is pairMasksGo with VPERMI2B lookups, 64 positions a
// step (pairs_amd64.s).
//
//go:noescape
func pairMasksAVX512(t *pairTable, text []byte, masks []uint64) int

// useVector selects scanVector (a variable: the tests run both scans).
var useVector = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI

// hasVector says whether pairMasksAVX512 can run here.
var hasVector = useVector

func pairMasks(t *pairTable, text []byte, masks []uint64) int {
	return pairMasksAVX512(t, text, masks)
}
