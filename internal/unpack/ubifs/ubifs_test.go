package ubifs

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
	"github.com/thingsec/thingsec/internal/unpack/ubi"
)

var fixtures = []string{"lzo", "zlib", "zstd", "none", "nand"}

// readFixture returns a gunzipped testdata image (the images are mostly
// erased space and are committed compressed).
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	return formattest.ReadGzip(t, filepath.Join("testdata", name+".ubifs.gz"))
}

func TestFixtures(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			s, m := formattest.Extract(t, New(), data)
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			want := "LEB 16256 bytes"
			if name == "nand" {
				want = "LEB 126976 bytes"
			}
			if !strings.Contains(m.Description, want) || (name != "nand" && !strings.HasSuffix(m.Description, name)) {
				t.Errorf("description %q", m.Description)
			}
			formattest.FlashTree(t, s)
		})
	}
}

func TestNotUBIFS(t *testing.T) {
	data := readFixture(t, "lzo")
	for _, d := range [][]byte{nil, data[:100], data[:3*16256-1]} {
		if _, err := New().Identify(bytes.NewReader(d), int64(len(d))); err == nil {
			t.Errorf("Identify(%d bytes) accepted", len(d))
		}
	}
}

func TestRealSample(t *testing.T) {
	data := formattest.ReadShared(t, "corpus", "formats", "ubifs", "test.ubifs")
	s, _ := formattest.Extract(t, New(), data)
	want := map[string]string{
		"testfile1":                       "test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n",
		"testfile2":                       "This is the second test file",
		"generic folder/test file 3_.txt": "The third test file!",
	}
	for p, content := range want {
		if f := s.Get(p); f == nil || strings.TrimSpace(string(f.Data)) != strings.TrimSpace(content) {
			t.Errorf("%s: got %v", p, f)
		}
	}
	if len(s.Problems) > 0 {
		t.Errorf("problems: %v", s.Problems)
	}
}

// TestFirmwareUBI unpacks the UBI area of the acme firmware, then the UBIFS
// of its "cfg" volume.
func TestFirmwareUBI(t *testing.T) {
	f, err := os.Open(formattest.Shared(t, "corpus", "firmware", "acme-hg100-1.0.0.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// From the UBI area to the end of the image: the match must stop at the
	// end of the area (where a gzip member follows).
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rest := io.NewSectionReader(f, 0x1720000, st.Size()-0x1720000)
	m, err := ubi.New().Identify(rest, rest.Size())
	if err != nil {
		t.Fatal(err)
	}
	sec := io.NewSectionReader(f, 0x1720000, 0xA0000)
	if m.Size != 0xA0000 || !strings.Contains(m.Description, "PEB 32 KiB") || !strings.Contains(m.Description, "cfg (dynamic, 13 LEBs)") {
		t.Errorf("UBI match %+v", m)
	}
	us := &formattest.MemSink{}
	if err := ubi.New().Extract(context.Background(), sec, sec.Size(), us); err != nil {
		t.Fatal(err)
	}
	cfg := us.Get("cfg")
	if cfg == nil || len(us.Problems) > 0 {
		t.Fatalf("UBI volumes %v, problems %v", us.Paths(), us.Problems)
	}
	s, m := formattest.Extract(t, New(), cfg.Data)
	if !strings.Contains(m.Description, "zlib") {
		t.Errorf("UBIFS match %+v", m)
	}
	want := []struct {
		path string
		mode fs.FileMode
		size int
	}{
		{"network.json", 0o600, 329},
		{"system.json", 0o644, 182},
		{"wireless.json", 0o644, 173},
	}
	for _, w := range want {
		f := s.Get(w.path)
		if f == nil || f.Mode != w.mode || len(f.Data) != w.size || !bytes.HasPrefix(bytes.TrimSpace(f.Data), []byte("{")) {
			t.Errorf("%s: %+v", w.path, f)
		}
	}
	if len(s.Paths()) != 3 || len(s.Problems) > 0 {
		t.Errorf("paths %v, problems %v", s.Paths(), s.Problems)
	}
}

// TestDamaged: truncated and bit-flipped fixtures never panic, and either
// fail or report a problem.
func TestDamaged(t *testing.T) {
	for _, name := range fixtures {
		data := readFixture(t, name)
		for _, cut := range []int{100, 4096, 3 * 16256, len(data) / 2, len(data) - 7} {
			damagedRun(t, data[:cut])
		}
		// Flip the type byte of each node (covered by the CRC).
		ref := &formattest.MemSink{}
		_ = New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), ref)
		for off := 0; off+24 <= len(data); off += formattest.Stride(8) {
			if data[off] != 0x31 || data[off+1] != 0x18 || data[off+2] != 0x10 || data[off+3] != 0x06 {
				continue
			}
			d := append([]byte(nil), data...)
			d[off+20] ^= 0x01
			// A damaged node that is no longer referenced changes nothing.
			s, ok := damagedRun(t, d)
			if ok && len(s.Problems) == 0 && strings.Join(ref.Paths(), " ") != strings.Join(s.Paths(), " ") {
				t.Errorf("%s: flip at %d changed the tree silently", name, off+20)
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

func FuzzUBIFS(f *testing.F) {
	for _, name := range fixtures[:4] { // not the 1.6 MB NAND image
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}

// fixCRCs recomputes the CRC of every node so that fuzzing reaches the
// code behind the CRC checks.
func fixCRCs(d []byte) {
	for off := 0; off+chSize <= len(d); off += 8 {
		p := d[off:]
		if binary.LittleEndian.Uint32(p) != nodeMagic {
			continue
		}
		if n := binary.LittleEndian.Uint32(p[16:]); n >= chSize && int64(n) <= int64(len(p)) {
			binary.LittleEndian.PutUint32(p[4:], crc(p[8:n]))
		}
	}
}

func FuzzUBIFSFixedCRC(f *testing.F) {
	for _, name := range fixtures[:4] { // not the 1.6 MB NAND image
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fixCRCs(data)
		formattest.Fuzz(t, New(), data)
	})
}
