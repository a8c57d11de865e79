//go:build !linux

package engine

func allocReadBuf(size int) []byte { return make([]byte, size) }
