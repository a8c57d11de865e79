package squashfs

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

var sample = bytes.Repeat([]byte("squashfs block content "), 200)

// TestXZBlockLargeDict: an xz block whose header asks for a 64 MiB
// dictionary decodes without allocating it (a block is at most 1 MiB).
func TestXZBlockLargeDict(t *testing.T) {
	var buf bytes.Buffer
	w, err := xz.WriterConfig{DictCap: 64 << 20}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sample)
	w.Close()
	img := &image{sb: &super{comp: compXZ}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := img.decompress(buf.Bytes(), 8192, -1)
	runtime.ReadMemStats(&after)
	if err != nil || !bytes.Equal(out, sample) {
		t.Fatalf("decode: %v", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 4<<20 {
		t.Fatalf("allocated %d MiB for one block", grown>>20)
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
	out, err := lzmaBlock(nil, src, 8192, -1, 4096)
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
		out, err := lzmaBlock(nil, raw, 8192, want, 65536)
		if err != nil || !bytes.Equal(out, sample) {
			t.Errorf("want %d: %v, %d bytes", want, err, len(out))
		}
	}
}
