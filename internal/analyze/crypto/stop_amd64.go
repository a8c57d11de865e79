//go:build !purego

package crypto

// indexStopSSE2 is indexStop over the first 16k positions of b, where
// len(b) is 16k+1 (stop_amd64.s).
//
//go:noescape
func indexStopSSE2(b []byte, tag byte) int

// indexStop returns the first position of b where the search stops (see
// isStop), or -1.
func indexStop(b []byte, tag byte) int {
	n := 0
	if len(b) > 16 {
		n = (len(b) - 1) &^ 15
		if i := indexStopSSE2(b[:n+1], tag); i >= 0 {
			return i
		}
	}
	return indexStopGeneric(b, n, tag)
}
