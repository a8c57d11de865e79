package squashfs

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

var sample = bytes.Repeat([]byte("squashfs block content "), 200)

func TestBoundXZHeader(t *testing.T) {
	var buf bytes.Buffer
	w, err := xz.WriterConfig{DictCap: 64 << 20}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sample)
	w.Close()
	src := buf.Bytes()
	got := boundXZHeader(src, 8192)
	if bytes.Equal(got, src) {
		t.Fatal("dictionary not lowered")
	}
	out, err := decomp.Block(decomp.XZ, got, 8192)
	if err != nil || !bytes.Equal(out, sample) {
		t.Fatalf("decode after bound: %v", err)
	}
	if again := boundXZHeader(got, 8192); !bytes.Equal(again, got) {
		t.Error("bound is not idempotent")
	}
	for n := 0; n < len(src); n++ { // no panic on any cut
		boundXZHeader(src[:n], 8192)
	}
}

func TestBoundLZMAHeader(t *testing.T) {
	var buf bytes.Buffer
	w, err := lzma.WriterConfig{DictCap: 1 << 20, Size: int64(len(sample))}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sample)
	w.Close()
	src := buf.Bytes()
	got := boundLZMAHeader(src, 8192)
	if binary.LittleEndian.Uint32(got[1:]) != 8192 || binary.LittleEndian.Uint32(src[1:]) != 1<<20 {
		t.Fatal("dictionary not lowered")
	}
	out, err := lzmaBlock(src, 8192, -1, 4096)
	if err != nil || !bytes.Equal(out, sample) {
		t.Fatalf("decode after bound: %v", err)
	}
}

// TestRawLZMA covers the vendor 2.x/3.x blocks: a raw stream without
// header, end marker or size.
func TestRawLZMA(t *testing.T) {
	var buf bytes.Buffer
	w, err := lzma.WriterConfig{Size: int64(len(sample))}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sample)
	w.Close()
	raw := buf.Bytes()[13:]
	for _, want := range []int{-1, len(sample)} {
		out, err := lzmaBlock(raw, 8192, want, 65536)
		if err != nil || !bytes.Equal(out, sample) {
			t.Errorf("want %d: %v, %d bytes", want, err, len(out))
		}
	}
}
