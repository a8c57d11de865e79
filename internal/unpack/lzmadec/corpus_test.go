package lzmadec

import (
	"bytes"
	"encoding/binary"
	"io"
	"os/exec"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestKernelPayload decodes the lzma payload of an x86 bzImage (the
// setup header locates it; the build appends the 4-byte unpacked size)
// and compares it with what xz --format=lzma -dc makes of it.
func TestKernelPayload(t *testing.T) {
	needXZ(t)
	img := formattest.ReadShared(t, "corpus", "formats", "kernel", "bzImage_lzma")
	if len(img) < 0x250 {
		t.Fatal("short bzImage")
	}
	setup := int(img[0x1f1])
	if setup == 0 {
		setup = 4
	}
	pm := (setup + 1) * 512
	off, n := int(binary.LittleEndian.Uint32(img[0x248:])), int(binary.LittleEndian.Uint32(img[0x24c:]))
	if pm+off+n > len(img) || n < HeaderSize+4 {
		t.Fatalf("payload %d+%d outside the image", off, n)
	}
	payload := img[pm+off : pm+off+n-4]
	size := int(binary.LittleEndian.Uint32(img[pm+off+n-4:]))

	cmd := exec.Command("xz", "--format=lzma", "-dc")
	cmd.Stdin = bytes.NewReader(payload)
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz: %v", err)
	}
	if len(want) != size {
		t.Fatalf("xz decoded %d bytes, the kernel says %d", len(want), size)
	}
	// As the kernel stores it: the size word follows the stream.
	r, err := NewAloneReader(bytes.NewReader(img[pm+off:pm+off+n]), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("decoded %d bytes (%v), xz %d", len(got), err, len(want))
	}
	if r.Consumed() != int64(len(payload)-HeaderSize) {
		t.Errorf("consumed %d, stream is %d", r.Consumed(), len(payload)-HeaderSize)
	}
	var d Decoder
	dst := make([]byte, size)
	k, err := d.DecodeBlock(dst, payload[HeaderSize:], payload[0], -1)
	if err != nil || !bytes.Equal(dst[:k], want) {
		t.Fatalf("DecodeBlock: %d bytes, %v", k, err)
	}
}

// TestDecoderReuse decodes many small blocks of different properties with
// one Decoder and one Reader2, as a file system does: state from one block
// must not leak into the next.
func TestDecoderReuse(t *testing.T) {
	needXZ(t)
	var d Decoder
	r2 := NewReader2(nil, 0)
	settings := []string{"lc=3,lp=0,pb=2", "lc=0,lp=2,pb=0", "lc=4,lp=0,pb=4", "lc=1,lp=1,pb=1"}
	for i := 0; i < 12; i++ {
		s := settings[i%len(settings)] + ",dict=64KiB"
		data := sample(20<<10+i*3001, int64(200+i))
		alone := xzCLI(t, data, "--format=lzma", "--lzma1="+s)
		dst := make([]byte, 128<<10)
		n, err := d.DecodeBlock(dst, alone[HeaderSize:], alone[0], -1)
		if err != nil || !bytes.Equal(dst[:n], data) {
			t.Fatalf("block %d (%s): %v", i, s, err)
		}
		raw2 := xzCLI(t, data, "--format=raw", "--lzma2="+s)
		r2.Reset(bytes.NewReader(raw2), 64<<10)
		if got := readAll(t, r2); !bytes.Equal(got, data) {
			t.Fatalf("LZMA2 block %d (%s) differs", i, s)
		}
	}
}
