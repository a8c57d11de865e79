package extfs

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

var fixtureNames = []string{"ext2.img", "ext3.img", "ext4.img", "ext4-64bit.img", "ext4-inline.img", "ext4-metabg.img"}

func TestFixtures(t *testing.T) {
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			data := formattest.ReadXZ(t, filepath.Join("testdata", name+".xz"))
			s, m := formattest.Extract(t, New(), data)
			if m.Size != int64(len(data)) {
				t.Errorf("Match.Size = %d, want %d", m.Size, len(data))
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			formattest.DiskTree(t, s, formattest.DiskOptions{Unix: true})
			if f := s.Get("hello.txt"); f != nil && !f.ModTime.Equal(mtime) {
				t.Errorf("hello.txt: mtime %v", f.ModTime)
			}
			// many/ is an htree directory (read linearly).
			for i := 100; i < 400; i++ {
				p := fmt.Sprintf("many/file-with-a-longer-name-%d", i)
				if f := s.Get(p); f == nil || string(f.Data) != fmt.Sprintf("%d\n", i) {
					t.Errorf("%s: %+v", p, f)
					break
				}
			}
		})
	}
}

func TestRealSamples(t *testing.T) {
	dir := formattest.Shared(t, "corpus/formats/misc")
	for _, name := range []string{"ext2.img.xz", "ext3.img.xz", "ext4.img.xz"} {
		t.Run(name, func(t *testing.T) {
			data := formattest.ReadXZ(t, filepath.Join(dir, name))
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
				f := s.Get(p)
				if f == nil || len(f.Data) != n || f.UID != 1000 || f.Mode != 0o644 {
					t.Errorf("%s: %+v (have %v)", p, f, s.Paths())
				}
			}
			if f := s.Get("get_files_test/testfile2"); f != nil && !strings.HasPrefix(string(f.Data), "test file") {
				t.Logf("testfile2 = %q", f.Data)
			}
		})
	}
}

func TestIdentifyRejects(t *testing.T) {
	data := formattest.ReadXZ(t, "testdata/ext2.img.xz")
	for _, tc := range []struct {
		name string
		mod  func(b []byte)
	}{
		{"magic", func(b []byte) { b[0x438] = 0 }},
		{"blocksize", func(b []byte) { b[0x418] = 9 }},
		{"inodes", func(b []byte) { b[0x400]++ }},
	} {
		b := append([]byte(nil), data...)
		tc.mod(b)
		if _, err := New().Identify(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%s: Identify accepted a damaged superblock", tc.name)
		}
	}
	if _, err := New().Identify(bytes.NewReader(data[:1500]), 1500); err == nil {
		t.Error("Identify accepted a truncated superblock")
	}
}

// TestDamaged truncates and bit-flips each fixture: no panic, and an error
// or a problem.
func TestDamaged(t *testing.T) {
	for _, name := range []string{"ext2.img", "ext4.img", "ext4-64bit.img", "ext4-inline.img", "ext4-metabg.img"} {
		data := formattest.ReadXZ(t, filepath.Join("testdata", name+".xz"))
		for _, cut := range []int{4096, 20000, 40000, len(data) / 2} {
			s := &formattest.MemSink{}
			err := New().Extract(context.Background(), bytes.NewReader(data[:cut]), int64(cut), s)
			if err == nil && len(s.Problems) == 0 {
				t.Errorf("%s cut at %d: no error and no problem", name, cut)
			}
		}
		for off := 2048; off < 70000 && off < len(data); off += formattest.Stride(397) {
			b := append([]byte(nil), data...)
			b[off] ^= 0x5A
			s := &formattest.MemSink{MaxBytes: 8 << 20}
			_ = New().Extract(context.Background(), bytes.NewReader(b), int64(len(b)), s)
		}
	}
}

func FuzzExtfs(f *testing.F) {
	for _, name := range []string{"ext2.img", "ext4-inline.img", "ext4-metabg.img"} {
		data := formattest.ReadXZ(f, filepath.Join("testdata", name+".xz"))
		f.Add(data[:32<<10])
		f.Add(data[:8<<10]) // small: many more executions per second
	}
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}

var _ format.Format = Format{}

// TestMetaBG checks group descriptors found through the meta_bg layout
// against dumpe2fs (groups 17 and 40 are in the second and third meta
// groups of 16 descriptors).
func TestMetaBG(t *testing.T) {
	data := formattest.ReadXZ(t, "testdata/ext4-metabg.img.xz")
	r := bytes.NewReader(data)
	sb, err := readSuperblock(r, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fsys{r: r, size: int64(len(data)), sb: sb}
	for g, want := range map[uint64]uint64{17: 4132, 40: 8242} {
		if got, err := f.inodeTable(g); err != nil || got != want {
			t.Errorf("group %d: inode table %d, %v; want %d", g, got, err, want)
		}
	}
}
