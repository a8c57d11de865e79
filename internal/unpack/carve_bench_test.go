package unpack

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkCarverMatch measures the magic scan over random bytes (the
// common case: compressed data).
func BenchmarkCarverMatch(b *testing.B) {
	c := newCarver(Registry())
	data := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		c.match(data, len(data), func(int, int) { n++ })
	}
}
