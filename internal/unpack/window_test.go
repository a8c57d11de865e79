package unpack

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

func TestWindowReader(t *testing.T) {
	data := make([]byte, 3*windowSize+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	w := newWindowReader(bytes.NewReader(data), int64(len(data)))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		off := rng.Int64N(int64(len(data)) + 10)
		n := rng.IntN(windowSize / 2)
		p := make([]byte, n)
		got, err := w.ReadAt(p, off)
		want := 0
		if off < int64(len(data)) {
			want = min(n, len(data)-int(off))
		}
		if got != want || !bytes.Equal(p[:got], data[off:off+int64(got)]) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d", n, off, got, err, want)
		}
		if got < n && err != io.EOF {
			t.Fatalf("short read without EOF at %d", off)
		}
	}
}
