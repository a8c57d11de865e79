package kernel

import (
	"bytes"
	"context"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// BenchmarkIdentifyXZ measures the format check of a bzImage whose payload
// is xz with the x86 BCJ filter (as the kernel's build makes it): the check
// must cost a bounded prefix of the payload, not a whole decode.
func BenchmarkIdentifyXZ(b *testing.B) {
	data := formattest.ReadShared(b, "corpus/formats/kernel/bzImage_xz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := New().Identify(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractXZ measures identification plus extraction of the same
// image, the work a scan does for it.
func BenchmarkExtractXZ(b *testing.B) {
	data := formattest.ReadShared(b, "corpus/formats/kernel/bzImage_xz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := New().Identify(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
		s := &formattest.MemSink{}
		if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s); err != nil || s.Get("vmlinux") == nil {
			b.Fatal(err, s.Problems)
		}
	}
}
