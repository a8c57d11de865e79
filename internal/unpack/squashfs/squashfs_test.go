package squashfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// bigBin and randomBin rebuild the contents that scripts/fixtures/squashfs.sh
// writes.
func bigBin() []byte {
	var a bytes.Buffer
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&a, "line %05d of big.bin\n", i)
	}
	text := a.Bytes()[:4096]
	out := append([]byte{}, text...)
	out = append(out, make([]byte, 4096)...)
	return append(out, bytes.ToUpper(text[:1000])...)
}

func manyBin() []byte {
	var b bytes.Buffer
	for i := 0; i < 4000; i++ {
		fmt.Fprintf(&b, "many %05d\n", i*7919%100000)
	}
	return b.Bytes()[:40000]
}

func randomBin() []byte {
	var out []byte
	for i := 0; i < 128; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("%d\n", i)))
		out = append(out, h[:]...)
	}
	return out
}

func TestFixtures(t *testing.T) {
	mtime := time.Unix(1700000000, 0).UTC()
	type want struct {
		mode fs.FileMode
		data string
		link string
		hard bool
	}
	files := map[string]want{
		"/hello.txt":        {mode: 0o644, data: "hello squashfs\n"},
		"/empty":            {mode: 0o644},
		"/big.bin":          {mode: 0o644, data: string(bigBin())},
		"/random.bin":       {mode: 0o644, data: string(randomBin())},
		"/many.bin":         {mode: 0o644, data: string(manyBin())},
		"/suid":             {mode: 0o755 | fs.ModeSetuid, data: "#!/bin/sh\n"},
		"/dir":              {mode: 0o755 | fs.ModeDir},
		"/dir/sub":          {mode: 0o755 | fs.ModeDir},
		"/dir/sub/deep.txt": {mode: 0o644, data: "nested\n"},
		"/dir/link":         {mode: 0o777 | fs.ModeSymlink, link: "../hello.txt"},
		"/dev":              {mode: 0o755 | fs.ModeDir},
		"/dev/null":         {mode: 0o666 | fs.ModeDevice | fs.ModeCharDevice},
		"/dev/sda":          {mode: 0o660 | fs.ModeDevice},
		"/fifo":             {mode: 0o644 | fs.ModeNamedPipe},
		"/sock":             {mode: 0o600 | fs.ModeSocket},
		"/hard.txt":         {mode: 0o644},
	}
	for _, comp := range []string{"gzip", "xz", "lzo", "lz4", "zstd", "lzma"} {
		t.Run(comp, func(t *testing.T) {
			data := readFixture(t, comp+".sqfs")
			s, m := formattest.Extract(t, New(), data)
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			wantDesc := "squashfs 4.0 little endian, " + comp + ", 16 inodes, block 4096"
			if used := int64(binary.LittleEndian.Uint64(data[40:])); m.Description != wantDesc || m.Size != used || used >= int64(len(data)) {
				t.Errorf("match = %+v", m)
			}
			if got := s.Paths(); len(got) != len(files) {
				t.Errorf("paths = %v", got)
			}
			// The hard link pair: whichever comes first holds the data.
			h1, h2 := s.Get("/hello.txt"), s.Get("/hard.txt")
			if h1 == nil || h2 == nil || h1.Hardlink == h2.Hardlink {
				t.Fatalf("hard link pair not found")
			}
			if h1.Hardlink {
				h1, h2 = h2, h1
			}
			if string(h1.Data) != "hello squashfs\n" || h2.Linkname != strings.TrimPrefix(h1.Path, "/") {
				t.Errorf("hard link: %q -> %q (%q)", h2.Path, h2.Linkname, h1.Data)
			}
			for p, w := range files {
				f := s.Get(p)
				if f == nil {
					t.Errorf("%s missing", p)
					continue
				}
				if f.Mode != w.mode || f.UID != 1000 || f.GID != 1000 || !f.ModTime.Equal(mtime) {
					t.Errorf("%s: mode %v uid %d gid %d mtime %v", p, f.Mode, f.UID, f.GID, f.ModTime)
				}
				if p == "/hello.txt" || p == "/hard.txt" {
					continue
				}
				if string(f.Data) != w.data || f.Linkname != w.link || f.Hardlink != w.hard {
					t.Errorf("%s: data %d bytes (want %d), link %q", p, len(f.Data), len(w.data), f.Linkname)
				}
			}
		})
	}
}

// TestBigDir reads a directory large enough for an extended directory
// inode with an index.
func TestBigDir(t *testing.T) {
	data := readFixture(t, "bigdir.sqfs")
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 {
		t.Errorf("problems: %v", s.Problems)
	}
	if len(s.Files) != 401 {
		t.Fatalf("%d entries", len(s.Files))
	}
	for i := 0; i < 400; i++ {
		f := s.Get(fmt.Sprintf("many/file-with-a-longish-name-%d", i))
		if f == nil || f.Mode != 0o644 || len(f.Data) != 0 {
			t.Fatalf("entry %d: %+v", i, f)
		}
	}
	// The directory really is an extended one.
	sb, err := readSuper(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	img := newImage(bytes.NewReader(data), sb)
	root, err := img.readInode(sb.rootInode)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := img.readDir(root)
	if err != nil || len(ents) != 1 {
		t.Fatalf("root listing: %v %v", ents, err)
	}
	c := &cursor{img: img, block: int64(sb.inodeStart + ents[0].ref>>16), off: int(ents[0].ref & 0xffff), limit: int64(sb.dirStart)}
	if typ, err := c.u16(); err != nil || typ != typeLDir {
		t.Errorf("many: inode type %d, %v", typ, err)
	}
}

// cyclic patches plain.sqfs (uncompressed metadata, tree /a/b) so that the
// entry "b" inside "a" points back at the root directory inode.
func cyclic(t testing.TB) []byte {
	data := readFixture(t, "plain.sqfs")
	le := binary.LittleEndian
	root := le.Uint64(data[32:])
	dirStart := le.Uint64(data[72:])
	// entry: offset u16, inode delta s16, type u16 = 1, name_size u16 = 0, "b"
	i := bytes.Index(data[dirStart:], []byte{1, 0, 0, 0, 'b'})
	if i < 16 {
		t.Fatal("entry b not found in plain.sqfs")
	}
	ent := int(dirStart) + i - 4
	hdr := ent - 12
	le.PutUint32(data[hdr+4:], uint32(root>>16))
	le.PutUint16(data[ent:], uint16(root))
	return data
}

func TestCyclicDirectory(t *testing.T) {
	s, _ := formattest.Extract(t, New(), readFixture(t, "plain.sqfs"))
	if s.Get("a/b") == nil || len(s.Problems) > 0 {
		t.Fatalf("plain.sqfs: %v %v", s.Paths(), s.Problems)
	}
	done := make(chan *formattest.MemSink)
	go func() {
		s, _ := formattest.Extract(t, New(), cyclic(t))
		done <- s
	}()
	select {
	case s = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("extraction of a cyclic directory does not finish")
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "directory loop") {
		t.Errorf("problems: %v", s.Problems)
	}
	if s.Get("a") == nil || s.Get("a/b") != nil || len(s.Files) != 1 {
		t.Errorf("paths: %v", s.Paths())
	}
}

// sharedDirOrEmpty is the folder of real squashfs samples, or "".
func sharedDirOrEmpty() string {
	dir := filepath.Join(formattest.SharedRoot(), "corpus", "formats", "squashfs")
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

func TestCorpus(t *testing.T) {
	dir := formattest.Shared(t, "corpus", "formats", "squashfs")
	samples := map[string]string{
		"gzip.sqfs":      "squashfs 4.0 little endian, gzip, 5 inodes, block 131072",
		"lz4.sqfs":       "squashfs 4.0 little endian, lz4, 5 inodes, block 131072",
		"lzma.sqfs":      "squashfs 4.0 little endian, lzma, 5 inodes, block 131072",
		"lzo.sqfs":       "squashfs 4.0 little endian, lzo, 5 inodes, block 131072",
		"xz.sqfs":        "squashfs 4.0 little endian, xz, 5 inodes, block 131072",
		"zstd.sqfs":      "squashfs 4.0 little endian, zstd, 5 inodes, block 131072",
		"avm_le.sqfs4":   "squashfs 4.0 little endian, xz, 5 inodes, block 65536",
		"avm_be.sqfs4":   "squashfs 4.0 big endian, xz, 5 inodes, block 65536",
		"zlib_le.sqfs3":  "squashfs 3.1 little endian, zlib, 5 inodes, block 65536",
		"zlib_be.sqfs3":  "squashfs 3.1 big endian, zlib, 5 inodes, block 65536",
		"lzma1_le.sqfs3": "squashfs 3.76 little endian, lzma, 5 inodes, block 65536",
		"lzma1_be.sqfs3": "squashfs 3.76 big endian, lzma, 5 inodes, block 65536",
		"lzma_le.sqfs2":  "squashfs 2.76 little endian, lzma, 5 inodes, block 65536",
		"lzma_be.sqfs2":  "squashfs 2.76 big endian, lzma, 5 inodes, block 65536",
	}
	for name, desc := range samples {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			s, m := formattest.Extract(t, New(), data)
			if m.Description != desc || m.Size < 200 || m.Size > 600 {
				t.Errorf("match = %+v", m)
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems: %v", s.Problems)
			}
			checkStandardSet(t, s)
		})
	}
}

func checkStandardSet(t *testing.T, s *formattest.MemSink) {
	t.Helper()
	want := map[string]string{
		"/testfile1":                       "test file:\ncontent: MyTestRule 1.2.3\n",
		"/testfile2":                       "This is the second test file",
		"/generic folder/test file 3_.txt": "The third test file!",
	}
	for p, prefix := range want {
		f := s.Get(p)
		if f == nil {
			t.Errorf("%s missing (have %v)", p, s.Paths())
			continue
		}
		if !strings.HasPrefix(string(f.Data), prefix) || f.Mode != 0o644 {
			t.Errorf("%s: %v %q", p, f.Mode, f.Data)
		}
	}
	if f := s.Get("/testfile1"); f != nil && len(f.Data) != 62 {
		t.Errorf("testfile1: %d bytes", len(f.Data))
	}
	if f := s.Get("/generic folder"); f == nil || f.Mode != fs.ModeDir|0o755 {
		t.Errorf("generic folder: %+v", f)
	}
}

func TestIdentifyRejects(t *testing.T) {
	good := readFixture(t, "gzip.sqfs")
	patch := func(off int, b ...byte) []byte {
		d := append([]byte{}, good...)
		copy(d[off:], b)
		return d
	}
	cases := map[string][]byte{
		"empty":          nil,
		"magic":          patch(0, 'x'),
		"version":        patch(28, 5),
		"block size":     patch(12, 0, 0x30),
		"block log":      patch(22, 13),
		"compressor":     patch(20, 9),
		"bytes used":     patch(40, 0xff, 0xff, 0xff),
		"inode table":    patch(64, 0xff, 0xff),
		"truncated":      good[:1000],
		"superblock cut": good[:50],
	}
	for name, d := range cases {
		_, err := New().Identify(bytes.NewReader(d), int64(len(d)))
		if !errors.Is(err, format.ErrNotMatch) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestDamaged runs truncated and bit-flipped fixtures: no panic, and an
// error or a problem whenever the output differs from the intact image.
func TestDamaged(t *testing.T) {
	names := []string{"gzip.sqfs", "xz.sqfs", "lzo.sqfs", "lz4.sqfs", "zstd.sqfs", "lzma.sqfs", "plain.sqfs", "bigdir.sqfs"}
	for _, name := range names {
		data := readFixture(t, name)
		sb, err := readSuper(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		used := int(sb.bytesUsed)
		// Truncations: Identify refuses (bytes_used beyond the input); an
		// Extract told the cut size must fail or report.
		for _, cut := range []int{used / 4, used / 2, used - 1} {
			d := data[:cut]
			if _, err := New().Identify(bytes.NewReader(d), int64(len(d))); err == nil {
				t.Errorf("%s cut at %d: identified", name, cut)
			}
			s := &formattest.MemSink{}
			err := New().Extract(context.Background(), bytes.NewReader(d), int64(len(d)), s)
			if err == nil && len(s.Problems) == 0 {
				t.Errorf("%s cut at %d: no error and no problem", name, cut)
			}
		}
		step := 37
		if testing.Short() {
			step = 199
		}
		flips(data[:used], step)
	}
	// The real v2/v3/big-endian samples, when present.
	if dir := sharedDirOrEmpty(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sb, err := readSuper(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			flips(data[:sb.bytesUsed], 2)
		}
	}
}

// flips extracts copies of data with one bit flipped every step bytes
// past the superblock: none may panic or hang.
func flips(data []byte, step int) {
	for off := 64; off < len(data); off += formattest.Stride(step) {
		d := append([]byte{}, data...)
		d[off] ^= 1 << (off % 8)
		s := &formattest.MemSink{MaxBytes: 1 << 24}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = New().Extract(ctx, bytes.NewReader(d), int64(len(d)), s)
		cancel()
	}
}

// TestStreaming checks that file contents are read block by block: a
// damaged later block still yields the blocks before it and a problem.
func TestStreaming(t *testing.T) {
	data := readFixture(t, "gzip.sqfs")
	s, _ := formattest.Extract(t, New(), data)
	big := s.Get("big.bin")
	if big == nil {
		t.Fatal("big.bin missing")
	}
	// Corrupt the last data block of big.bin: its text tail is stored
	// compressed right after the first block.
	sb, _ := readSuper(bytes.NewReader(data), int64(len(data)))
	img := newImage(bytes.NewReader(data), sb)
	var n *inode
	ents, _ := img.readDir(mustInode(t, img, sb.rootInode))
	for _, e := range ents {
		if e.name == "big.bin" {
			n = mustInode(t, img, e.ref)
		}
	}
	if n == nil || n.blocksStart == 0 {
		t.Fatal("big.bin inode")
	}
	first, _ := n.blockList.u32()
	d := append([]byte{}, data...)
	tail := n.blocksStart + uint64(first&^sizeUncompressed)
	for i := tail + 2; i < tail+12; i++ {
		d[i] ^= 0xff
	}
	s2, _ := formattest.Extract(t, New(), d)
	got := s2.Get("big.bin")
	if got == nil || !bytes.Equal(got.Data, bigBin()[:8192]) {
		t.Errorf("damaged big.bin: %d bytes", len(got.Data))
	}
	if len(s2.Problems) == 0 {
		t.Error("no problem reported")
	}
}

func mustInode(t *testing.T, img *image, ref uint64) *inode {
	t.Helper()
	n, err := img.readInode(ref)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUnsupportedTypeIsProblem(t *testing.T) {
	// A bad inode type in one entry is a problem for that entry only.
	data := readFixture(t, "plain.sqfs")
	le := binary.LittleEndian
	inodeStart := le.Uint64(data[64:])
	// Inode of "b" is the first in the table (depth-first order).
	off := int(inodeStart) + 2
	if le.Uint16(data[off:]) != typeDir {
		t.Fatalf("unexpected first inode type %d", le.Uint16(data[off:]))
	}
	le.PutUint16(data[off:], 99)
	s, _ := formattest.Extract(t, New(), data)
	if s.Get("a") == nil || s.Get("a/b") != nil || len(s.Problems) != 1 {
		t.Errorf("paths %v problems %v", s.Paths(), s.Problems)
	}
}

func FuzzSquashfs(f *testing.F) {
	for _, name := range []string{"gzip.sqfs", "xz.sqfs", "lzo.sqfs", "lz4.sqfs", "zstd.sqfs", "lzma.sqfs", "plain.sqfs", "bigdir.sqfs"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		sb, err := readSuper(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:sb.bytesUsed])
	}
	if dir := sharedDirOrEmpty(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		formattest.Fuzz(t, New(), data)
	})
}
