package sparse

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

func TestFixtures(t *testing.T) {
	for _, name := range []string{"ext4", "fill"} {
		t.Run(name, func(t *testing.T) {
			data := formattest.Testdata(t, name+".simg")
			s, m := formattest.Extract(t, New(), data)
			if m.Size != int64(len(data)) {
				t.Errorf("size %d, want %d", m.Size, len(data))
			}
			if len(s.Files) != 1 || len(s.Problems) > 0 {
				t.Fatalf("files %v problems %v", s.Paths(), s.Problems)
			}
			f := s.Get(OutName)
			sum := sha256.Sum256(f.Data)
			want := strings.TrimSpace(string(formattest.Testdata(t, name+".raw.sha256")))
			if hex.EncodeToString(sum[:]) != want {
				t.Errorf("unsparsed sha256 %x, want %s (%d bytes)", sum, want, len(f.Data))
			}
		})
	}
}

// The fill fixture must really contain raw and fill chunks.
func TestFillFixtureChunks(t *testing.T) {
	data := formattest.Testdata(t, "fill.simg")
	h, err := readHeader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	segs, _, err := chunks(bytes.NewReader(data), int64(len(data)), h)
	if err != nil {
		t.Fatal(err)
	}
	types := map[uint16]bool{}
	for _, s := range segs {
		types[s.typ] = true
	}
	if !types[chunkFill] || !types[chunkRaw] {
		t.Fatalf("chunk types %v", types)
	}
}

// build writes a sparse image from chunk specs, per the libsparse format.
func build(blk uint32, chunks ...[]byte) []byte {
	var b bytes.Buffer
	var blocks uint32
	for _, c := range chunks {
		blocks += binary.LittleEndian.Uint32(c[4:])
	}
	hdr := make([]byte, 28)
	le := binary.LittleEndian
	le.PutUint32(hdr[0:], magic)
	le.PutUint16(hdr[4:], 1)
	le.PutUint16(hdr[8:], 28)
	le.PutUint16(hdr[10:], 12)
	le.PutUint32(hdr[12:], blk)
	le.PutUint32(hdr[16:], blocks)
	le.PutUint32(hdr[20:], uint32(len(chunks)))
	b.Write(hdr)
	for _, c := range chunks {
		b.Write(c)
	}
	return b.Bytes()
}

func chunk(typ uint16, blocks uint32, data []byte) []byte {
	c := make([]byte, 12, 12+len(data))
	binary.LittleEndian.PutUint16(c[0:], typ)
	binary.LittleEndian.PutUint32(c[4:], blocks)
	binary.LittleEndian.PutUint32(c[8:], uint32(12+len(data)))
	return append(c, data...)
}

func TestCRCChunk(t *testing.T) {
	raw := bytes.Repeat([]byte("abcd"), 4)
	good := make([]byte, 4)
	binary.LittleEndian.PutUint32(good, crc32.ChecksumIEEE(append(raw, make([]byte, 16)...)))
	img := build(16, chunk(chunkRaw, 1, raw), chunk(chunkSkip, 1, nil), chunk(chunkCRC, 0, good))
	s, _ := formattest.Extract(t, New(), img)
	if len(s.Problems) != 0 || len(s.Get(OutName).Data) != 32 {
		t.Fatalf("problems %v", s.Problems)
	}
	img = build(16, chunk(chunkRaw, 1, raw), chunk(chunkCRC, 0, []byte{1, 2, 3, 4}))
	s, _ = formattest.Extract(t, New(), img)
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "crc32") {
		t.Fatalf("problems %v", s.Problems)
	}
}

func TestDamaged(t *testing.T) {
	data := formattest.Testdata(t, "fill.simg")
	// Truncated inside the last raw chunk: a problem, and the image keeps
	// its declared size.
	b := data[:len(data)-100]
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s); err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) == 0 || len(s.Get(OutName).Data) != 40960 {
		t.Fatalf("problems %v, %d bytes", s.Problems, len(s.Get(OutName).Data))
	}
	for cut := 0; cut < len(data); cut += 97 {
		run(t, data[:cut])
	}
	for i := 0; i < 200; i++ {
		b := append([]byte(nil), data...)
		b[i] ^= 0x81
		run(t, b)
	}
}

// run identifies and extracts b into a small sink: a flipped header bit can
// declare a huge image, which the sink's limit cuts short.
func run(t *testing.T, b []byte) {
	if _, err := New().Identify(bytes.NewReader(b), int64(len(b))); err != nil {
		return
	}
	s := &formattest.MemSink{MaxBytes: 1 << 20}
	_ = New().Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s)
}

func TestRealSample(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/android-sparse/simg.img")
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 {
		t.Errorf("problems %v", s.Problems)
	}
	f := s.Get(OutName)
	if f == nil {
		t.Fatal("no output")
	}
	sum := sha256.Sum256(f.Data)
	if got := hex.EncodeToString(sum[:]); got != realSHA256 {
		t.Errorf("sha256 %s, want %s (simg2img)", got, realSHA256)
	}
}

func FuzzSparse(f *testing.F) {
	f.Add(formattest.Testdata(f, "fill.simg"))
	f.Add(build(16, chunk(chunkRaw, 1, make([]byte, 16)), chunk(chunkFill, 2, []byte{1, 2, 3, 4}), chunk(chunkCRC, 0, make([]byte, 4))))
	f.Fuzz(func(t *testing.T, b []byte) { formattest.Fuzz(t, New(), b) })
}
