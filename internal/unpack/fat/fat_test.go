package fat

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

var fixtures = []string{"fat12.img", "fat16.img", "fat32.img"}

func TestFixtures(t *testing.T) {
	mtime := time.Date(2020, 1, 2, 3, 4, 6, 0, time.UTC)
	for i, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			data := formattest.ReadXZ(t, filepath.Join("testdata", name+".xz"))
			m, err := New().Identify(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("FAT%d ", []int{12, 16, 32}[i]); !bytes.HasPrefix([]byte(m.Description), []byte(want)) {
				t.Errorf("description %q, want prefix %q", m.Description, want)
			}
			s, m := formattest.Extract(t, New(), data)
			if m.Size != int64(len(data)) {
				t.Errorf("Match.Size = %d, want %d", m.Size, len(data))
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			files := map[string]string{
				"hello.txt":         "hello world\n",
				"dir/sub/deep.txt":  "nested\n",
				"big.bin":           string(formattest.DiskBig()),
				"empty":             "",
				formattest.DiskLong: "long name\n",
			}
			for p, want := range files {
				f := s.Get(p)
				if f == nil {
					t.Errorf("%s missing; have %v", p, s.Paths())
					continue
				}
				if string(f.Data) != want {
					t.Errorf("%s: got %q, want %d bytes", p, f.Data, len(want))
				}
				wantMode := fs.FileMode(0o644)
				if p == "hello.txt" {
					wantMode = 0o444
				}
				if f.Mode != wantMode || !f.ModTime.Equal(mtime) {
					t.Errorf("%s: mode %v mtime %v", p, f.Mode, f.ModTime)
				}
			}
			for _, d := range []string{"dir", "dir/sub", "A long directory name"} {
				if f := s.Get(d); f == nil || f.Mode != fs.ModeDir|0o755 {
					t.Errorf("%s: %+v", d, f)
				}
			}
			if n := len(s.Files); n != 8 {
				t.Errorf("%d entries, want 8: %v", n, s.Paths())
			}
		})
	}
}

func TestRealSample(t *testing.T) {
	data := formattest.ReadXZ(t, formattest.Shared(t, "corpus/formats/misc/fat.img.xz"))
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 {
		t.Errorf("problems: %v", s.Problems)
	}
	want := map[string]int{
		"get_files_test/testfile1":                       62,
		"get_files_test/testfile2":                       28,
		"get_files_test/generic folder/test file 3_.txt": 20,
	}
	for p, n := range want {
		if f := s.Get(p); f == nil || len(f.Data) != n {
			t.Errorf("%s: %+v (have %v)", p, f, s.Paths())
		}
	}
}

func TestIdentifyRejects(t *testing.T) {
	data := formattest.ReadXZ(t, "testdata/fat12.img.xz")
	for _, tc := range []struct {
		name string
		off  int
		val  byte
	}{
		{"signature", 510, 0}, {"sectors per cluster", 0x0D, 3}, {"fat count", 0x10, 0}, {"media", 0x15, 0x12},
	} {
		b := append([]byte(nil), data[:4096]...)
		b[tc.off] = tc.val
		if _, err := New().Identify(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%s: damaged boot sector accepted", tc.name)
		}
	}
}

// TestLoop makes a file's cluster chain loop: it must be reported, not
// followed.
func TestLoop(t *testing.T) {
	data := formattest.ReadXZ(t, "testdata/fat12.img.xz")
	v, err := readVolume(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Point big.bin's chain back to its start: clusters 2 and 3 loop.
	ents := parseDir(data[v.rootOff : v.rootOff+v.rootEntries*32])
	var start uint32
	for _, e := range ents {
		if e.name == "big.bin" {
			start = e.cluster
		}
	}
	if start == 0 {
		t.Fatal("big.bin not found")
	}
	setFAT12(data[v.fatOff:], start+1, start)
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s); err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) == 0 {
		t.Error("loop not reported")
	}
}

func setFAT12(fat []byte, c, val uint32) {
	off := c + c/2
	if c&1 == 1 {
		fat[off] = fat[off]&0x0F | byte(val<<4)
		fat[off+1] = byte(val >> 4)
	} else {
		fat[off] = byte(val)
		fat[off+1] = fat[off+1]&0xF0 | byte(val>>8)&0x0F
	}
}

func TestDamaged(t *testing.T) {
	for _, name := range fixtures {
		data := formattest.ReadXZ(t, filepath.Join("testdata", name+".xz"))
		for _, cut := range []int{1024, 20000, len(data) / 2} {
			s := &formattest.MemSink{}
			err := New().Extract(context.Background(), bytes.NewReader(data[:cut]), int64(cut), s)
			if err == nil && len(s.Problems) == 0 {
				t.Errorf("%s cut at %d: no error and no problem", name, cut)
			}
		}
		for off := 0; off < 300000 && off < len(data); off += formattest.Stride(173) {
			data[off] ^= 0x5A // in place: the FAT32 image is 34 MB
			s := &formattest.MemSink{MaxBytes: 8 << 20}
			_ = New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), s)
			data[off] ^= 0x5A
		}
	}
}

func FuzzFAT(f *testing.F) {
	for _, name := range []string{"fat12.img"} {
		data := formattest.ReadXZ(f, filepath.Join("testdata", name+".xz"))
		f.Add(data[:32<<10])
		f.Add(data[:600])
	}
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}
