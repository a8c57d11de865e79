//go:build !amd64 || purego

package crypto

// blockSearch: search uses searchBytes, indexStop only in the tests.
const blockSearch = false

// indexStop returns the first position of b where the search stops (see
// isStop), or -1.
func indexStop(b []byte, tag byte) int { return indexStopGeneric(b, 0, tag) }

// useAVX2 is for the tests, which run the block searches of amd64 both
// ways.
var useAVX2 = false
