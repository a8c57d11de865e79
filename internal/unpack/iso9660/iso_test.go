package iso9660

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

func TestFixtures(t *testing.T) {
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	long := formattest.DiskLong
	for _, tc := range []struct {
		name string
		rr   bool
		// plain ISO 9660 level 1 names are upper case 8.3
		names map[string]string
	}{
		{"rr.iso", true, nil},
		{"zisofs.iso", true, nil},
		{"joliet.iso", false, nil},
		{"plain.iso", false, map[string]string{"hello.txt": "HELLO.TXT", "dir/sub/deep.txt": "DIR/SUB/DEEP.TXT", "big.bin": "BIG.BIN", "empty": "EMPTY", long: "A_LONG_D/MIXED_CA.TXT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := formattest.ReadXZ(t, filepath.Join("testdata", tc.name+".xz"))
			s, m := formattest.Extract(t, New(), data)
			if m.Size != int64(len(data)) {
				t.Errorf("Match.Size = %d, want %d", m.Size, len(data))
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			formattest.DiskTree(t, s, formattest.DiskOptions{Unix: tc.rr, Names: tc.names})
			if !tc.rr {
				return
			}
			if f := s.Get("owned"); f == nil || !f.ModTime.Equal(mtime) {
				t.Errorf("owned: %+v", f)
			}
			if f := s.Get("d1/d2/d3/d4/d5/d6/d7/d8/d9/deep.txt"); f == nil || string(f.Data) != "deep\n" {
				t.Errorf("relocated deep directory: %+v", f)
			}
		})
	}
}

func TestRealSamples(t *testing.T) {
	dir := formattest.Shared(t, "corpus/formats/misc")
	t.Run("test.iso", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(dir, "test.iso"))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := formattest.Extract(t, New(), data)
		if len(s.Problems) > 0 {
			t.Errorf("problems: %v", s.Problems)
		}
		for p, n := range map[string]int{"testfile1": 62, "testfile2": 28, "generic folder/test file 3_.txt": 20} {
			if f := s.Get(p); f == nil || len(f.Data) != n || f.Mode != 0o444 {
				t.Errorf("%s: %+v (have %v)", p, f, s.Paths())
			}
		}
	})
	// test_zisofs.iso holds mkzftree output without ZF entries: LOREM is
	// recognised by its zisofs header and inflated; FOO is stored.
	t.Run("test_zisofs.iso", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(dir, "test_zisofs.iso"))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := formattest.Extract(t, New(), data)
		if len(s.Problems) > 0 {
			t.Errorf("problems: %v", s.Problems)
		}
		if f := s.Get("FOO"); f == nil || string(f.Data) != "foo\n" {
			t.Errorf("FOO: %+v (have %v)", f, s.Paths())
		}
		if f := s.Get("LOREM"); f == nil || len(f.Data) != 446 || !strings.HasPrefix(string(f.Data), "Lorem ipsum") {
			t.Errorf("LOREM: %+v", f)
		}
	})
}

func TestIdentifyRejects(t *testing.T) {
	data := formattest.ReadXZ(t, "testdata/plain.iso.xz")
	for _, tc := range []struct {
		name string
		off  int
		val  byte
	}{
		{"magic", 0x8001, 'X'}, {"block size", 0x8000 + 128, 3}, {"root record", 0x8000 + 156, 0},
	} {
		b := append([]byte(nil), data...)
		b[tc.off] = tc.val
		if _, err := New().Identify(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%s: damaged descriptor accepted", tc.name)
		}
	}
}

// TestDirLoop points a subdirectory at the root extent: it must be
// reported, not walked forever.
func TestDirLoop(t *testing.T) {
	data := formattest.ReadXZ(t, "testdata/plain.iso.xz")
	v, err := readVolume(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	root, _, _ := parseRecord(v.root)
	dir := data[root.extent*2048 : root.extent*2048+root.size]
	found := false
	for p := 0; p < len(dir) && dir[p] != 0; {
		rec, n, ok := parseRecord(dir[p:])
		if !ok {
			break
		}
		if string(rec.name) == "DIR" {
			copy(dir[p+2:p+6], v.root[2:6])
			found = true
		}
		p += n
	}
	if !found {
		t.Fatal("DIR not found")
	}
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s); err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) == 0 {
		t.Error("loop not reported")
	}
}

func TestDamaged(t *testing.T) {
	for _, name := range []string{"rr.iso", "zisofs.iso", "joliet.iso"} {
		data := formattest.ReadXZ(t, filepath.Join("testdata", name+".xz"))
		for _, cut := range []int{0x8800, 60000, 100000, len(data) / 2} {
			s := &formattest.MemSink{}
			err := New().Extract(context.Background(), bytes.NewReader(data[:cut]), int64(cut), s)
			if err == nil && len(s.Problems) == 0 {
				t.Errorf("%s cut at %d: no error and no problem", name, cut)
			}
		}
		for off := 0x8000; off < 140000 && off < len(data); off += formattest.Stride(331) {
			data[off] ^= 0x5A
			s := &formattest.MemSink{MaxBytes: 8 << 20}
			_ = New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s)
			data[off] ^= 0x5A
		}
	}
}

func FuzzISO9660(f *testing.F) {
	for _, name := range []string{"rr.iso", "zisofs.iso"} {
		data := formattest.ReadXZ(f, filepath.Join("testdata", name+".xz"))
		f.Add(data[:min(len(data), 128<<10)])
	}
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}
