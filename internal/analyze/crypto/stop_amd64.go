//go:build !purego

package crypto

import "golang.org/x/sys/cpu"

// indexStopSSE2 is indexStop over the first 16k positions of b, where
// len(b) is 16k+1; indexStopAVX2 over the first 32k, where len(b) is
// 32k+1 (stop_amd64.s).
//
//go:noescape
func indexStopSSE2(b []byte, tag byte) int

//go:noescape
func indexStopAVX2(b []byte, tag byte) int

// blockSearch: search uses indexStop.
const blockSearch = true

// useAVX2 selects the 32-byte blocks (a variable: the tests run both).
var useAVX2 = cpu.X86.HasAVX2

// indexStop returns the first position of b where the search stops (see
// isStop), or -1.
func indexStop(b []byte, tag byte) int {
	n := 0
	if useAVX2 && len(b) > 32 {
		n = (len(b) - 1) &^ 31
		if i := indexStopAVX2(b[:n+1], tag); i >= 0 {
			return i
		}
	}
	if len(b)-n > 16 {
		m := (len(b) - n - 1) &^ 15
		if i := indexStopSSE2(b[n:n+m+1], tag); i >= 0 {
			return n + i
		}
		n += m
	}
	return indexStopGeneric(b, n, tag)
}
