//go:build !linux

package hugeheap

func advise([]byte) []byte { return nil }
