//go:build !amd64 || purego

package strmatch

// useVector: without the vector instructions scanVector would only be
// slower than scanScalar; the tests still run it.
var useVector = false

// hasVector: no pairMaskAVX512 here.
var hasVector = false

func pairMask(t *pairTable, text []byte) (off int, mask uint64) { return pairMaskGo(t, text) }
