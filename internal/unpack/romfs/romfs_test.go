package romfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

func bigBin() string {
	var b strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "line %05d of big.bin\n", i)
	}
	return b.String()
}

func TestFixture(t *testing.T) {
	data := formattest.Testdata(t, "tree.romfs")
	s, m := formattest.Extract(t, New(), data)
	if m.Size > int64(len(data)) || m.Size <= int64(len(data))-1024 || !strings.Contains(m.Description, `"fixture"`) {
		t.Errorf("match %+v", m)
	}
	if len(s.Problems) > 0 {
		t.Errorf("problems %v", s.Problems)
	}
	want := map[string]fs.FileMode{
		"/hello.txt":        0o644,
		"/empty":            0o644,
		"/big.bin":          0o644,
		"/run.sh":           0o755,
		"/dir":              0o755 | fs.ModeDir,
		"/dir/sub":          0o755 | fs.ModeDir,
		"/dir/sub/deep.txt": 0o644,
		"/dir/link":         0o777 | fs.ModeSymlink,
		"/dir/null":         0o644 | fs.ModeDevice | fs.ModeCharDevice,
		"/dir/sda":          0o644 | fs.ModeDevice,
		"/dir/fifo":         0o644 | fs.ModeNamedPipe,
		"/dir/hard.txt":     0o644,
	}
	if len(s.Files) != len(want) {
		t.Errorf("paths %v", s.Paths())
	}
	for p, mode := range want {
		if f := s.Get(p); f == nil {
			t.Errorf("%s missing", p)
		} else if f.Mode != mode {
			t.Errorf("%s: mode %v, want %v", p, f.Mode, mode)
		}
	}
	for p, c := range map[string]string{"/dir/sub/deep.txt": "nested\n", "/big.bin": bigBin(), "/empty": "", "/run.sh": "#!/bin/sh\n"} {
		if f := s.Get(p); f != nil && string(f.Data) != c {
			t.Errorf("%s: %q", p, f.Data)
		}
	}
	if f := s.Get("/dir/link"); f != nil && f.Linkname != "../hello.txt" {
		t.Errorf("link -> %q", f.Linkname)
	}
	// genromfs stores the second name of a file as a hard link (type 0).
	h, d := s.Get("/hello.txt"), s.Get("/dir/hard.txt")
	switch {
	case h == nil || d == nil:
	case d.Hardlink && d.Linkname == "hello.txt" && string(h.Data) == "hello romfs\n":
	case h.Hardlink && h.Linkname == "dir/hard.txt" && string(d.Data) == "hello romfs\n":
	default:
		t.Errorf("hard link: %+v / %+v", h.Entry, d.Entry)
	}
	formattest.Device(t, s, "dir/null", fs.ModeDevice|fs.ModeCharDevice, 1, 3)
	formattest.Device(t, s, "dir/sda", fs.ModeDevice, 8, 0)
}

// A directory whose first entry points back to the root must not loop.
func TestCycle(t *testing.T) {
	data := formattest.Testdata(t, "tree.romfs")
	// Find the "sub" header and point its spec (first child) at the root
	// directory's first header.
	i := bytes.Index(data, []byte("sub\x00"))
	hdr := i - 16
	_, first, err := readName(bytes.NewReader(data), 16, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(data[hdr+4:], uint32(first))
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(s.Problems, ","), "cycle") {
		t.Fatalf("problems %v", s.Problems)
	}
}

func TestDamaged(t *testing.T) {
	data := formattest.Testdata(t, "tree.romfs")
	for cut := 0; cut < 7280; cut += 53 { // 7280: the image size; genromfs pads after
		b := data[:cut]
		if _, err := New().Identify(bytes.NewReader(b), int64(len(b))); err != nil {
			continue
		}
		s := &formattest.MemSink{}
		err := New().Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s)
		if err == nil && len(s.Problems) == 0 {
			t.Errorf("cut at %d: nothing reported", cut)
		}
	}
	for i := 0; i < len(data); i += formattest.Stride(2) {
		b := append([]byte(nil), data...)
		b[i] ^= 0x11
		formattest.Fuzz(t, New(), b)
	}
	// A flipped bit in a file header is a checksum problem.
	b := append([]byte(nil), data...)
	b[bytes.Index(b, []byte("deep.txt"))] ^= 1
	s, _ := formattest.Extract(t, New(), b)
	if len(s.Problems) == 0 {
		t.Error("checksum damage not reported")
	}
}

func TestRealSample(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/romfs/romfs.img")
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 {
		t.Errorf("problems %v", s.Problems)
	}
	for p, want := range map[string]string{
		"testfile1":                       "test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n",
		"testfile2":                       "This is the second test file",
		"generic folder/test file 3_.txt": "The third test file!",
	} {
		if f := s.Get(p); f == nil || string(f.Data) != want {
			t.Errorf("%s: %+v (have %v)", p, f, s.Paths())
		}
	}
}

func FuzzRomfs(f *testing.F) {
	f.Add(formattest.Testdata(f, "tree.romfs"))
	f.Fuzz(func(t *testing.T, b []byte) { formattest.Fuzz(t, New(), b) })
}
