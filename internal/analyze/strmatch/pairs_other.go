//go:build !amd64 || purego

package strmatch

// useVector: without the vector instructions scanVector would only be
// slower than scanScalar; the tests still run it.
var useVector = false

// hasVector: no pairMasksAVX512 or pairMasksAVX2 here.
var hasVector, hasAVX512, useAVX512 = false, false, false

func pairMasks(t *pairTable, text []byte, masks []uint64) int { return pairMasksGo(t, text, masks) }
