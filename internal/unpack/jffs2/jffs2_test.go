package jffs2

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

var fixtures = []string{
	"le-zlib", "le-rtime", "le-lzo", "le-none",
	"be-zlib", "be-rtime", "be-lzo", "be-none",
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".jffs2"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func first(b []byte) []byte { return b[:min(len(b), 16)] }

func TestFixtures(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			s, m := formattest.Extract(t, New(), data)
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			order := "little endian"
			if strings.HasPrefix(name, "be") {
				order = "big endian"
			}
			if !strings.Contains(m.Description, order) {
				t.Errorf("description %q", m.Description)
			}
			if m.Size <= 0 || m.Size > int64(len(data)) {
				t.Errorf("size %d of %d", m.Size, len(data))
			}
			formattest.FlashTree(t, s)
		})
	}
}

// TestCompressors checks that each fixture really uses the compressor it is
// named after.
func TestCompressors(t *testing.T) {
	want := map[string]uint8{"zlib": comprZlib, "rtime": comprRtime, "lzo": comprLZO, "none": comprNone}
	for _, name := range fixtures {
		data := readFixture(t, name)
		bo, err := byteOrder(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		f := newFsys(bytes.NewReader(data), bo, &formattest.MemSink{})
		if _, err := scan(context.Background(), bytes.NewReader(data), int64(len(data)), bo, f.visit); err != nil {
			t.Fatal(err)
		}
		seen := map[uint8]bool{}
		for _, ns := range f.nodes {
			for _, n := range ns {
				if n.dsize > 0 {
					seen[n.compr] = true
				}
			}
		}
		if c := want[name[3:]]; !seen[c] {
			t.Errorf("%s: compressors seen %v, want %d", name, seen, c)
		}
	}
}

// TestEraseBlockEnd checks that the match ends at the last node, before the
// erased padding, and that data after a long non-JFFS2 run is not included.
func TestEraseBlockEnd(t *testing.T) {
	data := readFixture(t, "be-zlib") // padded to a whole erase block
	m, err := New().Identify(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Size >= int64(len(data)) || data[m.Size] != 0xFF {
		t.Errorf("size %d of %d", m.Size, len(data))
	}
	tail := bytes.Repeat([]byte("not jffs2 "), 10000)
	joined := append(append(append([]byte{}, data...), tail...), readFixture(t, "be-zlib")...)
	m2, err := New().Identify(bytes.NewReader(joined), int64(len(joined)))
	if err != nil || m2.Size != m.Size {
		t.Errorf("joined: size %d, %v; want %d", m2.Size, err, m.Size)
	}
}

func TestRtime(t *testing.T) {
	// "abcabcabc" = a,0 b,0 c,0 then a repeating 5 bytes from after the first a.
	got, err := rtime([]byte{'a', 0, 'b', 0, 'c', 0, 'a', 5}, 9)
	if err != nil || string(got) != "abcabcabc" {
		t.Errorf("rtime = %q, %v", got, err)
	}
	if _, err := rtime([]byte{'a'}, 4); err == nil {
		t.Error("short input accepted")
	}
}

func TestNotJFFS2(t *testing.T) {
	for _, d := range [][]byte{nil, []byte("\x85\x19\x03\x20 garbage garbage"), bytes.Repeat([]byte{0xFF}, 64)} {
		if _, err := New().Identify(bytes.NewReader(d), int64(len(d))); err == nil {
			t.Errorf("Identify(%q) accepted", d)
		}
	}
}

func TestRealSamples(t *testing.T) {
	dir := formattest.Shared(t, "corpus", "formats", "jffs2")
	for _, name := range []string{"jffs2_le.img", "jffs2_be.img"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			s, _ := formattest.Extract(t, New(), data)
			want := map[string]string{
				"testfile1":                       "test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n",
				"testfile2":                       "This is the second test file",
				"generic folder/test file 3_.txt": "The third test file!",
			}
			for p, content := range want {
				if f := s.Get(p); f == nil || string(f.Data) != content {
					t.Errorf("%s: got %v", p, f)
				}
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
		})
	}
}

// TestDamaged: truncated and bit-flipped fixtures never panic, and either
// fail or report a problem or lose entries.
func TestDamaged(t *testing.T) {
	for _, name := range fixtures {
		data := readFixture(t, name)
		for _, cut := range []int{12, 100, len(data) / 2, len(data) - 7} {
			damagedRun(t, data[:cut])
		}
		for _, pos := range []int{5, 9, 40, 70, len(data) / 3, len(data) / 2} {
			d := append([]byte(nil), data...)
			d[pos] ^= 0x10
			// A flip in erased padding is harmless; anything else must show.
			if s, ok := damagedRun(t, d); ok && len(s.Problems) == 0 && data[pos] != 0xFF {
				t.Errorf("%s: flip at %d went unnoticed", name, pos)
			}
		}
	}
}

func damagedRun(t *testing.T, data []byte) (*formattest.MemSink, bool) {
	r := bytes.NewReader(data)
	m, err := New().Identify(r, int64(len(data)))
	if err != nil {
		return nil, false
	}
	size := int64(len(data))
	if m.Size > 0 {
		size = m.Size
	}
	s := &formattest.MemSink{MaxBytes: 1 << 24}
	err = New().Extract(context.Background(), io.NewSectionReader(r, 0, size), size, s)
	return s, err == nil
}

func FuzzJFFS2(f *testing.F) {
	for _, name := range fixtures {
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}

var _ format.Format = New()

// fixCRCs recomputes the header, node and data CRCs of every node so that
// fuzzing reaches the code behind the CRC checks.
func fixCRCs(d []byte) {
	var bo binary.ByteOrder = binary.LittleEndian
	if len(d) > 1 && d[0] == 0x19 {
		bo = binary.BigEndian
	}
	for pos := 0; pos+hdrSize <= len(d); pos += 4 {
		p := d[pos:]
		if bo.Uint16(p) != magic {
			continue
		}
		var c [8]byte
		copy(c[:], p[:8])
		bo.PutUint16(c[2:], bo.Uint16(p[2:])|nodeAccurate)
		bo.PutUint32(p[8:], crc(c[:]))
		n := int(min(bo.Uint32(p[4:]), uint32(len(p))))
		switch bo.Uint16(p[2:]) {
		case typeDirent:
			if n >= direntSize {
				bo.PutUint32(p[32:], crc(p[:32]))
				bo.PutUint32(p[36:], crc(p[direntSize:direntSize+min(int(p[28]), n-direntSize)]))
			}
		case typeInode:
			if n >= inodeSize {
				bo.PutUint32(p[64:], crc(p[:60]))
				bo.PutUint32(p[60:], crc(p[inodeSize:inodeSize+min(int(bo.Uint32(p[48:])), n-inodeSize)]))
			}
		}
	}
}

func FuzzJFFS2FixedCRC(f *testing.F) {
	for _, name := range fixtures {
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fixCRCs(data)
		formattest.Fuzz(t, New(), data)
	})
}
