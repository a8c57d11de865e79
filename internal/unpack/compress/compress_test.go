package compress

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

type fixture struct {
	file  string
	f     format.Format
	name  string // expected output name
	exact bool   // Identify must find the compressed length
	check bool   // the format checksums its content
}

var fixtures = []fixture{
	{"hello.txt.gz", Gzip(), "hello.txt", true, true},
	{"nameless.gz", Gzip(), "data", true, true},
	{"hello.txt.xz", XZ(), "data", false, true},
	{"hello.txt.lzma", LZMA(), "data", false, false},
	{"hello.txt.bz2", Bzip2(), "data", false, true},
	{"hello.txt.zst", Zstd(), "data", true, true},
	{"hello.txt.lz4", LZ4(), "data", true, true},
	{"hello.txt.legacy.lz4", LZ4(), "data", true, false},
	{"hello.txt.lzo", Lzop(), "hello.txt", true, true},
	{"crc.lzo", Lzop(), "hello.txt", true, true},
	{"zlib", Zlib(), "data", true, true},
	{"bcj-x86.xz", XZ(), "data", false, true},
	{"bcj-arm.xz", XZ(), "data", false, true},
	{"bcj-armthumb.xz", XZ(), "data", false, true},
	{"bcj-powerpc.xz", XZ(), "data", false, true},
}

// want returns the decoded content of a fixture.
func want(t testing.TB, fx fixture) []byte {
	if strings.HasPrefix(fx.file, "bcj-") {
		return readFixture(t, "bcj-input.bin")
	}
	return readFixture(t, "plain.txt")
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	if name == "zlib" {
		// No Debian CLI writes bare zlib; the Go writer is the reference.
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		w.Write(readFixture(t, "plain.txt"))
		w.Close()
		return buf.Bytes()
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func extract(f format.Format, data []byte, size int64) (*formattest.MemSink, error) {
	s := &formattest.MemSink{MaxBytes: 64 << 20}
	err := f.Extract(context.Background(), io.NewSectionReader(bytes.NewReader(data), 0, size), size, s)
	return s, err
}

func TestFixtures(t *testing.T) {
	for _, fx := range fixtures {
		plain := want(t, fx)
		t.Run(fx.file, func(t *testing.T) {
			data := readFixture(t, fx.file)
			s, m := formattest.Extract(t, fx.f, data)
			if fx.exact && m.Size != int64(len(data)) {
				t.Errorf("Match.Size = %d, want %d", m.Size, len(data))
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			if got := s.Paths(); len(got) != 1 || got[0] != "/"+fx.name {
				t.Fatalf("paths = %v, want [/%s]", got, fx.name)
			}
			if f := s.Get(fx.name); !bytes.Equal(f.Data, plain) || f.Mode != 0o644 {
				t.Errorf("content differs (%d bytes, mode %v)", len(f.Data), f.Mode)
			}

			// Carved: the stream is followed by unrelated bytes.
			carved := append(append([]byte{}, data...), bytes.Repeat([]byte("garbage!"), 512)...)
			m2, err := fx.f.Identify(bytes.NewReader(carved), int64(len(carved)))
			if err != nil {
				t.Fatalf("carved Identify: %v", err)
			}
			if fx.exact && m2.Size != int64(len(data)) {
				t.Errorf("carved Match.Size = %d, want %d", m2.Size, len(data))
			}
			s2, err := extract(fx.f, carved, int64(len(carved)))
			if err != nil {
				t.Fatal(err)
			}
			if f := s2.Get(fx.name); f == nil || !bytes.Equal(f.Data, plain) {
				t.Errorf("carved content differs")
			}
			if len(s2.Problems) > 0 {
				t.Errorf("carved problems: %v", s2.Problems)
			}
		})
	}
}

// TestDamaged truncates and bit-flips every fixture: no panic, and wrong
// output always comes with a problem or an error.
func TestDamaged(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, fx := range fixtures {
		plain := want(t, fx)
		data := readFixture(t, fx.file)
		var variants [][]byte
		for _, n := range []int{len(data) / 2, len(data) - 5, len(data) - 1, 20} {
			variants = append(variants, data[:n])
		}
		for i := 0; i < 40; i++ {
			v := append([]byte{}, data...)
			v[rng.Intn(len(v))] ^= 1 << rng.Intn(8)
			variants = append(variants, v)
		}
		for i, v := range variants {
			m, err := fx.f.Identify(bytes.NewReader(v), int64(len(v)))
			if err != nil {
				if !errors.Is(err, format.ErrNotMatch) {
					t.Errorf("%s #%d: Identify error %v does not wrap ErrNotMatch", fx.file, i, err)
				}
				continue
			}
			size := int64(len(v))
			if m.Size > 0 && m.Size < size {
				size = m.Size
			}
			s, err := extract(fx.f, v, size)
			if err != nil || len(s.Problems) > 0 || !fx.check {
				continue
			}
			if f := s.Get(fx.name); f == nil || !bytes.Equal(f.Data, plain) {
				if len(s.Files) == 1 && s.Files["/data"] != nil && bytes.Equal(s.Files["/data"].Data, plain) {
					continue // a flipped name
				}
				t.Errorf("%s #%d: wrong output without a problem", fx.file, i)
			}
		}
	}
}

// TestBomb checks that a highly compressed stream stops at the sink limit.
func TestBomb(t *testing.T) {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zero := make([]byte, 1<<20)
	for i := 0; i < 256; i++ { // 256 MiB of zeros, ~250 KiB compressed
		w.Write(zero)
	}
	w.Close()
	f := Gzip()
	r := bytes.NewReader(buf.Bytes())
	if _, err := f.Identify(r, r.Size()); err != nil {
		t.Fatal(err)
	}
	s := &formattest.MemSink{MaxBytes: 16 << 20}
	if err := f.Extract(context.Background(), r, r.Size(), s); !errors.Is(err, formattest.ErrLimit) {
		t.Fatalf("Extract = %v, want the sink limit", err)
	}
}

func TestNotMatch(t *testing.T) {
	junk := bytes.Repeat([]byte{0x78, 0x9c, 0x1f, 0x8b, 0x08, 0x00, 0x5d, 0, 0, 0x80, 0}, 100)
	for _, f := range Formats() {
		for _, off := range []int{0, 2, 6} {
			if _, err := f.Identify(bytes.NewReader(junk[off:]), int64(len(junk)-off)); err == nil {
				t.Errorf("%s matched junk at %d", f.Name(), off)
			}
		}
	}
}

func TestCorpus(t *testing.T) {
	const want = "d34bb4669ac6e2b15b07f2489a22c289"
	for _, c := range []struct {
		file string
		f    format.Format
		name string
	}{
		{"archives/test.bz2", Bzip2(), "data"},
		{"archives/test.lz4", LZ4(), "data"},
		{"archives/test.lzo", Lzop(), "test.data"},
		{"archives/test.zst", Zstd(), "data"},
		{"misc/test.gz", Gzip(), "test.data"},
		{"misc/test.xz", XZ(), "data"},
	} {
		t.Run(c.file, func(t *testing.T) {
			s, _ := formattest.Extract(t, c.f, formattest.ReadShared(t, "corpus/formats", c.file))
			f := s.Get(c.name)
			if f == nil || len(f.Data) != 128 || !strings.HasPrefix(string(f.Data), want) || len(s.Problems) > 0 {
				t.Fatalf("got %v problems %v", s.Paths(), s.Problems)
			}
		})
	}
}

func TestCorpusTarZ(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/archives/test.tar.Z")
	s, _ := formattest.Extract(t, LZW(), data)
	f := s.Get("data")
	if f == nil || len(s.Problems) > 0 || len(f.Data) < 1024 || string(f.Data[257:262]) != "ustar" {
		t.Fatalf("got %v problems %v", s.Paths(), s.Problems)
	}
	if !bytes.Contains(f.Data, []byte("get_files_test/testfile1")) {
		t.Error("tar listing missing")
	}
}

func TestCorpusFakes(t *testing.T) {
	for _, file := range []string{"carving/fake_gz.gz", "carving/fake_xz.xz"} {
		data := formattest.ReadShared(t, "corpus/formats", file)
		for _, f := range Formats() {
			m, err := f.Identify(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				continue
			}
			size := int64(len(data))
			if m.Size > 0 {
				size = m.Size
			}
			s, err := extract(f, data, size)
			if err == nil && len(s.Problems) == 0 {
				t.Errorf("%s: %s extracted a fake without complaint", file, f.Name())
			}
		}
	}
}

// TestCorpusZlibCarving finds every zlib stream of the carving sample.
func TestCorpusZlibCarving(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/carving/zlib_carving_test")
	f := Zlib()
	n := 0
	for off := 0; off+2 <= len(data); off++ {
		m, err := f.Identify(bytes.NewReader(data[off:]), int64(len(data)-off))
		if err != nil {
			continue
		}
		if m.Size == 0 {
			t.Errorf("stream at %#x: no size", off)
			continue
		}
		s, err := extract(f, data[off:], m.Size)
		if err != nil || len(s.Problems) > 0 {
			t.Errorf("stream at %#x: %v %v", off, err, s.Problems)
		}
		t.Logf("zlib at %#x size %d -> %d bytes", off, m.Size, len(s.Get("data").Data))
		n++
		off += int(m.Size) - 1
	}
	if n < 2 {
		t.Errorf("found %d zlib streams, want several", n)
	}
}

func FuzzCompress(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(readFixture(f, fx.file))
	}
	formats := Formats()
	if n := os.Getenv("FUZZ_FORMAT"); n != "" {
		formats = nil
		for _, fm := range Formats() {
			if fm.Name() == n {
				formats = append(formats, fm)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range formats {
			formattest.Fuzz(t, fm, data)
			heldSame(t, fm, data)
		}
	})
}

// TestXZHugeDict refuses a stream whose header claims a 4 GiB dictionary
// (the reader would allocate it up front).
func TestXZHugeDict(t *testing.T) {
	data := readFixture(t, "hello.txt.xz")
	if data[14] != 0x21 || data[15] != 1 {
		t.Fatalf("unexpected block header % x", data[12:24])
	}
	data[16] = 40
	n := (int(data[12]) + 1) * 4
	binary.LittleEndian.PutUint32(data[12+n-4:], crc32.ChecksumIEEE(data[12:12+n-4]))
	s, err := extract(XZ(), data, int64(len(data)))
	if err == nil && len(s.Problems) == 0 {
		t.Fatal("huge dictionary accepted")
	}
}

// TestCorpusFirmwareKernel decodes the LZMA-alone kernel of TRX partition 0
// of the realistic firmware image and finds its compressed length.
func TestCorpusFirmwareKernel(t *testing.T) {
	if testing.Short() || formattest.Race {
		t.Skip("decodes a 16 MB kernel; too slow under -short or -race (internal/unpack's TestAcmeFirmwareLayout decodes it too)")
	}
	f, err := os.Open(formattest.Shared(t, "corpus/firmware/acme-hg100-1.0.0.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	part := io.NewSectionReader(f, 0x1c, 0x4a0000-0x1c)
	// The kernel unpacks to more than probeOut, so Identify leaves its
	// length unmeasured (0) and extraction runs to the end marker.
	m, err := LZMA().Identify(part, part.Size())
	if err != nil || m.Size != 0 {
		t.Fatalf("%+v %v", m, err)
	}
	s := &formattest.MemSink{}
	if err := LZMA().Extract(context.Background(), part, part.Size(), s); err != nil {
		t.Fatal(err)
	}
	d := s.Get("data")
	if len(s.Problems) > 0 || d == nil || len(d.Data) != 16679280 || !bytes.Contains(d.Data, []byte("Linux version 6.1.0-50-4kc-malta")) {
		t.Fatalf("problems %v", s.Problems)
	}
}
