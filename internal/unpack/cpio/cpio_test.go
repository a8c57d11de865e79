package cpio

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// toBigEndianBin turns a little-endian old binary archive into the
// big-endian one by swapping each 16-bit header word (names and data stay).
func toBigEndianBin(t testing.TB, le []byte) []byte {
	out := append([]byte(nil), le...)
	off := 0
	for off+26 <= len(out) {
		for i := 0; i < 26; i += 2 {
			out[off+i], out[off+i+1] = out[off+i+1], out[off+i]
		}
		nameSize := int(binary.BigEndian.Uint16(out[off+20:]))
		fileSize := int(binary.BigEndian.Uint16(out[off+22:]))<<16 | int(binary.BigEndian.Uint16(out[off+24:]))
		name := string(out[off+26 : off+26+nameSize-1])
		if name == "TRAILER!!!" {
			return out
		}
		off += 26 + nameSize + nameSize&1
		off += fileSize + fileSize&1
	}
	t.Fatal("no trailer")
	return nil
}

func TestFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		data []byte
	}{
		{file: "newc.cpio"},
		{file: "crc.cpio"},
		{file: "odc.cpio"},
		{file: "bin.cpio"},
		{file: "bin-be", data: toBigEndianBin(t, formattest.Testdata(t, "bin.cpio"))},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := tc.data
			if data == nil {
				data = formattest.Testdata(t, tc.file)
			}
			s, m := formattest.Extract(t, New(), data)
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			if m.Size == 0 || m.Size > int64(len(data)) || m.Size < int64(len(data))-512 {
				t.Errorf("size %d of %d", m.Size, len(data))
			}
			checkTree(t, s)
			if tc.file == "newc.cpio" || tc.file == "crc.cpio" {
				// Data on the last link, the first one a hard link to it.
				if f := s.Get("/dir/hard.txt"); f == nil || !f.Hardlink || f.Linkname != "hello.txt" {
					t.Errorf("hard link: %+v", f)
				}
			}
		})
	}
}

func checkTree(t *testing.T, s *formattest.MemSink) {
	t.Helper()
	want := map[string]fs.FileMode{
		"/hello.txt":        0o644,
		"/empty":            0o644,
		"/suid":             0o755 | fs.ModeSetuid,
		"/dir":              0o755 | fs.ModeDir,
		"/dir/sub":          0o755 | fs.ModeDir,
		"/dir/sub/deep.txt": 0o644,
		"/dir/link":         0o777 | fs.ModeSymlink,
		"/dir/null":         0o644 | fs.ModeDevice | fs.ModeCharDevice,
		"/dir/sda":          0o644 | fs.ModeDevice,
		"/dir/fifo":         0o644 | fs.ModeNamedPipe,
		"/dir/hard.txt":     0o644,
	}
	for p, mode := range want {
		f := s.Get(p)
		if f == nil {
			t.Errorf("%s missing; have %v", p, s.Paths())
			continue
		}
		if f.Mode != mode {
			t.Errorf("%s: mode %v, want %v", p, f.Mode, mode)
		}
	}
	if f := s.Get("/dir/sub/deep.txt"); f != nil && string(f.Data) != "nested\n" {
		t.Errorf("deep.txt = %q", f.Data)
	}
	if f := s.Get("/dir/link"); f != nil && f.Linkname != "../hello.txt" {
		t.Errorf("link -> %q", f.Linkname)
	}
	// One of the pair holds the data, the other is a hard link to it.
	h, d := s.Get("/hello.txt"), s.Get("/dir/hard.txt")
	if h == nil || d == nil {
		return
	}
	switch {
	case d.Hardlink && d.Linkname == "hello.txt" || d.Hardlink && d.Linkname == "./hello.txt":
		if string(h.Data) != "hello cpio\n" {
			t.Errorf("hello.txt = %q", h.Data)
		}
	case h.Hardlink && strings.TrimPrefix(h.Linkname, "./") == "dir/hard.txt":
		if string(d.Data) != "hello cpio\n" {
			t.Errorf("hard.txt = %q", d.Data)
		}
	case string(h.Data) == "hello cpio\n" && string(d.Data) == "hello cpio\n":
		// odc and binary archives repeat the data for each link.
	default:
		t.Errorf("hard link pair not linked: %+v / %+v", h.Entry, d.Entry)
	}
	if f := s.Get("/hello.txt"); f.ModTime.Unix() != 1704164645 {
		t.Errorf("mtime %v", f.ModTime)
	}
}

// The unpacker passes hostile names through unchanged: rejecting them is the
// sink's job, and it can only do so if it sees them.
func TestHostileNamesPassThrough(t *testing.T) {
	s := &recSink{}
	data := formattest.Testdata(t, "evil.cpio")
	if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s); err != nil {
		t.Fatal(err)
	}
	want := []string{"../../etc/evil", "/etc/abs"}
	if strings.Join(s.names, ",") != strings.Join(want, ",") {
		t.Fatalf("names %q, want %q", s.names, want)
	}
}

type recSink struct {
	formattest.MemSink
	names []string
}

func (s *recSink) Add(e format.Entry, r io.Reader) error {
	s.names = append(s.names, e.Path)
	return s.MemSink.Add(e, r)
}

func TestCRCMismatch(t *testing.T) {
	data := formattest.Testdata(t, "crc.cpio")
	i := bytes.Index(data, []byte("nested\n"))
	data[i] = 'N'
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "checksum") {
		t.Fatalf("problems %v", s.Problems)
	}
	if f := s.Get("dir/sub/deep.txt"); f == nil || string(f.Data) != "Nested\n" {
		t.Fatal("damaged file not kept")
	}
}

func TestNotCPIO(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("0707"), []byte("070701zzzz"), {0xc7, 0x71, 0, 0}, bytes.Repeat([]byte{0xc7, 0x71}, 40)} {
		if _, err := New().Identify(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%q identified", b)
		}
	}
}

func TestDamaged(t *testing.T) {
	for _, name := range []string{"newc.cpio", "crc.cpio", "odc.cpio", "bin.cpio"} {
		data := formattest.Testdata(t, name)
		for cut := 0; cut < len(data); cut += 37 {
			damaged(t, data[:cut])
		}
		for i := 0; i < len(data); i += formattest.Stride(13) {
			b := append([]byte(nil), data...)
			b[i] ^= 0x5a
			damaged(t, b)
		}
	}
}

// damaged runs a broken input: no panic, and an error or a problem unless the
// damage hit only file contents.
func damaged(t *testing.T, b []byte) {
	f := New()
	if _, err := f.Identify(bytes.NewReader(b), int64(len(b))); err != nil {
		return
	}
	s := &formattest.MemSink{}
	_ = f.Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s)
}

func TestTruncatedReportsProblem(t *testing.T) {
	data := formattest.Testdata(t, "newc.cpio")
	b := data[:600]
	s := &formattest.MemSink{}
	err := New().Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s)
	if err == nil && len(s.Problems) == 0 {
		t.Fatal("truncation not reported")
	}
}

func TestRealSample(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/archives/test.cpio")
	s, _ := formattest.Extract(t, New(), data)
	for p, want := range map[string]string{
		"get_files_test/testfile1":                       "test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n",
		"get_files_test/testfile2":                       "This is the second test file",
		"get_files_test/generic folder/test file 3_.txt": "The third test file!",
	} {
		f := s.Get(p)
		if f == nil {
			t.Errorf("%s missing: %v", p, s.Paths())
		} else if !strings.HasPrefix(string(f.Data), want) {
			t.Errorf("%s = %q", p, f.Data)
		}
	}
}

func FuzzCPIO(f *testing.F) {
	for _, n := range []string{"newc.cpio", "crc.cpio", "odc.cpio", "bin.cpio", "evil.cpio"} {
		f.Add(formattest.Testdata(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) { formattest.Fuzz(t, New(), b) })
}
