package yaffs2

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

var big = strings.Repeat("0123456789abcdef", 700) // 11200 bytes: several chunks

func tree() []testObj {
	return []testObj{
		{id: 257, parent: rootID, typ: typDir, name: "etc", mode: 0o040755},
		{id: 258, parent: 257, typ: typFile, name: "passwd", mode: 0o100644, data: "root:x:0:0::/root:/bin/sh\n"},
		{id: 259, parent: rootID, typ: typFile, name: "big.bin", mode: 0o104755, data: big},
		{id: 260, parent: 257, typ: typSymlink, name: "link", mode: 0o120777, alias: "passwd"},
		{id: 261, parent: rootID, typ: typHardlink, name: "hard", mode: 0, equiv: 258},
		{id: 262, parent: 257, typ: typSpecial, name: "null", mode: 0o020666, rdev: 1<<8 | 3},
		{id: 263, parent: 257, typ: typSpecial, name: "fifo", mode: 0o010600},
		{id: 264, parent: rootID, typ: typFile, name: "empty", mode: 0o100600},
		{id: 265, parent: deletedID, typ: typFile, name: "gone", mode: 0o100600, data: "deleted"},
	}
}

func TestWrittenImages(t *testing.T) {
	for _, tc := range []struct {
		name                string
		page, spare, tagOff int
		bo                  binary.ByteOrder
		extra               bool
	}{
		{"2k-le", 2048, 64, 2, binary.LittleEndian, false},
		{"2k-be-extra", 2048, 64, 2, binary.BigEndian, true},
		{"4k-le-off0", 4096, 128, 0, binary.LittleEndian, true},
		{"512-be", 512, 16, 0, binary.BigEndian, false},
		{"8k-le", 8192, 448, 2, binary.LittleEndian, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := writeImage(tc.page, tc.spare, tc.tagOff, tc.bo, tc.extra, tree())
			s, m := formattest.Extract(t, New(), data)
			if m.Size != int64(len(data)) {
				t.Errorf("size %d of %d (%s)", m.Size, len(data), m.Description)
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems %v", s.Problems)
			}
			checkTree(t, s)
		})
	}
}

func checkTree(t *testing.T, s *formattest.MemSink) {
	t.Helper()
	want := map[string]fs.FileMode{
		"/etc":        0o755 | fs.ModeDir,
		"/etc/passwd": 0o644,
		"/big.bin":    0o755 | fs.ModeSetuid,
		"/etc/link":   0o777 | fs.ModeSymlink,
		"/hard":       0o644,
		"/etc/null":   0o666 | fs.ModeDevice | fs.ModeCharDevice,
		"/etc/fifo":   0o600 | fs.ModeNamedPipe,
		"/empty":      0o600,
	}
	if len(s.Files) != len(want) {
		t.Errorf("paths %v", s.Paths())
	}
	for p, mode := range want {
		f := s.Get(p)
		if f == nil {
			t.Errorf("%s missing", p)
			continue
		}
		if f.Mode != mode {
			t.Errorf("%s: mode %v, want %v", p, f.Mode, mode)
		}
		if f.UID != 1000 || f.GID != 100 || f.ModTime.Unix() != 1700000000 {
			t.Errorf("%s: owner %d:%d time %v", p, f.UID, f.GID, f.ModTime)
		}
	}
	if f := s.Get("/big.bin"); f != nil && string(f.Data) != big {
		t.Errorf("big.bin: %d bytes", len(f.Data))
	}
	if f := s.Get("/etc/passwd"); f != nil && !strings.HasPrefix(string(f.Data), "root:x") {
		t.Errorf("passwd %q", f.Data)
	}
	if f := s.Get("/etc/link"); f != nil && f.Linkname != "passwd" {
		t.Errorf("link -> %q", f.Linkname)
	}
	if f := s.Get("/hard"); f != nil && (!f.Hardlink || f.Linkname != "etc/passwd") {
		t.Errorf("hard: %+v", f.Entry)
	}
	formattest.Device(t, s, "etc/null", fs.ModeDevice|fs.ModeCharDevice, 1, 3)
}

// A newer header (higher sequence number) renames an object and newer data
// replaces a chunk: the newest copy wins.
func TestNewestWins(t *testing.T) {
	objs := tree()
	objs = append(objs,
		testObj{id: 258, parent: 257, typ: typFile, name: "passwd2", mode: 0o100644, data: "new content", seq: 0x1001},
	)
	data := writeImage(2048, 64, 2, binary.LittleEndian, false, objs)
	s, _ := formattest.Extract(t, New(), data)
	if s.Get("/etc/passwd") != nil {
		t.Error("old name still present")
	}
	if f := s.Get("/etc/passwd2"); f == nil || string(f.Data) != "new content" {
		t.Errorf("passwd2: %+v", f)
	}
}

func TestCycleAndOrphans(t *testing.T) {
	objs := []testObj{
		{id: 300, parent: 301, typ: typDir, name: "a", mode: 0o040755},
		{id: 301, parent: 300, typ: typDir, name: "b", mode: 0o040755},
		{id: 302, parent: 999, typ: typFile, name: "orphan", mode: 0o100644, data: "x"},
		{id: 303, parent: rootID, typ: typFile, name: "ok", mode: 0o100644, data: "fine"},
		{id: 304, parent: rootID, typ: typHardlink, name: "self", equiv: 304},
	}
	data := writeImage(2048, 64, 2, binary.LittleEndian, false, objs)
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s); err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) < 4 {
		t.Errorf("problems %v", s.Problems)
	}
	if f := s.Get("ok"); f == nil || string(f.Data) != "fine" {
		t.Errorf("paths %v", s.Paths())
	}
}

// yaffs2 has no magic: ordinary data must not be taken for an image.
func TestNoFalsePositives(t *testing.T) {
	hdrOnly := writeImage(2048, 64, 2, binary.LittleEndian, false, tree()[:1])
	bogus := append([]byte(nil), hdrOnly...)
	bogus = append(bogus, bytes.Repeat([]byte{0x55}, 4096)...)
	for name, b := range map[string][]byte{
		"zeros":       make([]byte, 64<<10),
		"ff":          bytes.Repeat([]byte{0xff}, 64<<10),
		"text":        bytes.Repeat([]byte("\x01\x00\x00\x00\x01\x00\x00\x00hello world "), 5000),
		"lone header": hdrOnly,
		"header+junk": bogus,
	} {
		if m, err := New().Identify(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%s identified: %+v", name, m)
		}
	}
}

func TestDamaged(t *testing.T) {
	data := writeImage(512, 16, 0, binary.BigEndian, false, tree())
	for cut := 0; cut < len(data); cut += 211 {
		formattest.Fuzz(t, New(), data[:cut])
	}
	for i := 0; i < len(data); i += formattest.Stride(5) {
		b := append([]byte(nil), data...)
		b[i] ^= 0x42
		formattest.Fuzz(t, New(), b)
	}
	// A truncated image reports its partial last chunk.
	b := data[:len(data)-100]
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s); err != nil || len(s.Problems) == 0 {
		t.Errorf("truncation: %v %v", err, s.Problems)
	}
}

func TestRealSamples(t *testing.T) {
	dir := formattest.Shared(t, "corpus/formats/yaffs2")
	for _, name := range []string{"yaffs2_le.img", "yaffs2_be.img"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		s, m := formattest.Extract(t, New(), data)
		if m.Size != int64(len(data)) || len(s.Problems) > 0 {
			t.Errorf("%s: %+v %v", name, m, s.Problems)
		}
		for p, want := range map[string]string{
			"testfile1":                       "test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n",
			"testfile2":                       "This is the second test file",
			"generic folder/test file 3_.txt": "The third test file!",
		} {
			if f := s.Get(p); f == nil || string(f.Data) != want {
				t.Errorf("%s: %s: %+v (have %v)", name, p, f, s.Paths())
			}
		}
		if f := s.Get("generic folder"); f == nil || f.Mode != fs.ModeDir|0o755 {
			t.Errorf("%s: generic folder %+v", name, f)
		}
	}
}

func FuzzYaffs2(f *testing.F) {
	f.Add(writeImage(512, 16, 0, binary.BigEndian, false, tree()))
	f.Add(writeImage(2048, 64, 2, binary.LittleEndian, true, tree()[:4]))
	f.Fuzz(func(t *testing.T, b []byte) { formattest.Fuzz(t, New(), b) })
}

// The match ends at the last sane chunk: trailing data is not part of the
// image, but one damaged chunk inside it does not cut it short.
func TestExtent(t *testing.T) {
	img := writeImage(2048, 64, 2, binary.LittleEndian, false, tree())
	withJunk := append(append([]byte(nil), img...), bytes.Repeat([]byte("junk"), 10000)...)
	m, err := New().Identify(bytes.NewReader(withJunk), int64(len(withJunk)))
	if err != nil || m.Size != int64(len(img)) {
		t.Fatalf("%+v %v, want size %d", m, err, len(img))
	}
	damaged := append([]byte(nil), img...)
	damaged[5*2112+2048+2+3] ^= 0xff // tags of chunk 5 (big.bin data): sequence number
	m, err = New().Identify(bytes.NewReader(damaged), int64(len(damaged)))
	if err != nil || m.Size != int64(len(img)) {
		t.Fatalf("%+v %v, want size %d", m, err, len(img))
	}
	s, _ := formattest.Extract(t, New(), damaged)
	if len(s.Problems) == 0 || s.Get("etc/passwd") == nil {
		t.Errorf("problems %v paths %v", s.Problems, s.Paths())
	}
}

// TestAgainstUnyaffs compares a written image (2 KiB pages, the layout
// unyaffs reads; without the deleted file, which unyaffs rejects) and the
// corpus samples, file by file, with unyaffs.
func TestAgainstUnyaffs(t *testing.T) {
	var live []testObj
	for _, o := range tree() {
		if o.parent != deletedID {
			live = append(live, o)
		}
	}
	images := map[string][]byte{"2k-le": writeImage(2048, 64, 2, binary.LittleEndian, false, live)}
	dir := formattest.SharedRoot()
	for _, n := range []string{"yaffs2_le.img"} {
		if b, err := os.ReadFile(filepath.Join(dir, "corpus", "formats", "yaffs2", n)); err == nil {
			images[n] = b
		}
	}
	for name, data := range images {
		t.Run(name, func(t *testing.T) {
			ref := formattest.Reference(t, "unyaffs", formattest.TempFile(t, data), "{}/root")
			s, _ := formattest.Extract(t, New(), data)
			formattest.CompareTree(t, s, filepath.Join(ref, "root"), formattest.CompareOptions{Skip: []string{"etc/null", "etc/fifo"}})
		})
	}
}
