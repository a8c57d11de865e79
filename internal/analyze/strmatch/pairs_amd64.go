//go:build !purego

package strmatch

import "golang.org/x/sys/cpu"

// pairMaskAVX512 is pairMaskGo with VPERMI2B lookups, 64 positions a
// step (pairs_amd64.s).
//
//go:noescape
func pairMaskAVX512(t *pairTable, text []byte) (off int, mask uint64)

// useVector selects scanVector (a variable: the tests run both scans).
var useVector = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI

// hasVector says whether pairMaskAVX512 can run here.
var hasVector = useVector

func pairMask(t *pairTable, text []byte) (off int, mask uint64) {
	return pairMaskAVX512(t, text)
}
