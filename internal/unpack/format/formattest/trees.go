package formattest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The trees that scripts/fixtures/flash.sh (jffs2, ubifs) and
// scripts/fixtures/disk.sh (ext, fat, iso9660) build, described once.

// FlashBig is the 9000-byte big.txt of the flash tree.
func FlashBig() string {
	var b strings.Builder
	for i := 0; i < 900; i++ {
		fmt.Fprintf(&b, "line %04d\n", i)
	}
	return b.String()
}

// FlashTreeDir writes the flash tree's files, directories and symlink
// (the hard link as a second copy) to a fresh directory: the source tree
// that CompareTree checks an extraction against byte for byte.
func FlashTreeDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	write := func(p, data string, perm fs.FileMode) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, perm); err != nil {
			t.Fatal(err)
		}
	}
	write("hello.txt", "hello flash\n", 0o644)
	write("empty", "", 0o644)
	write("dir/sub/deep.txt", "nested\n", 0o600)
	write("big.txt", FlashBig(), 0o644)
	write("dir/hard.txt", "hello flash\n", 0o644)
	write("suid", "#!/bin/sh\n", 0o755|fs.ModeSetuid)
	if err := os.Symlink("../hello.txt", filepath.Join(dir, "dir/link")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// FlashTree asserts that s holds the flash tree: exactly its paths, every
// file byte for byte with its mode, owner and mtime, the symlink, the hard
// link, the character device 1:3 and the fifo.
func FlashTree(t testing.TB, s *MemSink) {
	t.Helper()
	want := []string{"/big.txt", "/dir", "/dir/fifo", "/dir/hard.txt", "/dir/link", "/dir/null",
		"/dir/sub", "/dir/sub/deep.txt", "/empty", "/hello.txt", "/suid"}
	if got := s.Paths(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("paths = %v, want %v", got, want)
	}
	CompareTree(t, s, FlashTreeDir(t), CompareOptions{Perm: true, Special: true})
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, p := range []string{"hello.txt", "empty", "big.txt", "dir/sub/deep.txt", "suid"} {
		if f := s.Get(p); !f.ModTime.Equal(mtime) {
			t.Errorf("%s: mtime %v", p, f.ModTime)
		}
	}
	if f := s.Get("hello.txt"); f.UID != 1000 || f.GID != 100 {
		t.Errorf("hello.txt owner %d:%d, want 1000:100", f.UID, f.GID)
	}
	if f := s.Get("dir/hard.txt"); !(f.Hardlink && f.Linkname == "hello.txt") {
		t.Errorf("dir/hard.txt: hardlink %v -> %q", f.Hardlink, f.Linkname)
	}
	Device(t, s, "dir/null", fs.ModeDevice|fs.ModeCharDevice, 1, 3)
	if f := s.Get("dir/fifo"); f.Mode.Type() != fs.ModeNamedPipe {
		t.Errorf("dir/fifo: mode %v", f.Mode)
	}
}

// Device asserts that p is a device node of type typ with the numbers
// major:minor.
func Device(t testing.TB, s *MemSink, p string, typ fs.FileMode, major, minor uint32) {
	t.Helper()
	f := s.Get(p)
	if f == nil {
		t.Errorf("%s missing", p)
		return
	}
	if f.Mode.Type() != typ || f.DevMajor != major || f.DevMinor != minor {
		t.Errorf("%s: %v %d:%d, want %v %d:%d", p, f.Mode.Type(), f.DevMajor, f.DevMinor, typ, major, minor)
	}
}

// DiskBig is the 40000-byte big.bin of the disk tree.
func DiskBig() []byte {
	var b bytes.Buffer
	for i := 1; i <= 7000; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.Bytes() // seq 1 7000 is shorter than the 40000 bytes head -c keeps
}

// DiskLong is the file in a directory with a long mixed-case name.
const DiskLong = "A long directory name/Mixed Case File.txt"

// DiskOptions say which part of the disk tree a format holds.
type DiskOptions struct {
	// Unix: owners, setuid, symlinks, hard link, devices, fifo and the
	// sparse file (ext, iso9660 with Rock Ridge).
	Unix bool
	// Names maps a tree path to the name the format stores it under
	// (ISO 9660 level 1 8.3 upper-case names).
	Names map[string]string
	// Perm is the mode every regular file has (0o644 unless the format
	// says otherwise).
	Perm fs.FileMode
}

// DiskTree asserts the disk tree's files (content and mode) and, with
// o.Unix, its owners, links, device numbers and special files.
func DiskTree(t testing.TB, s *MemSink, o DiskOptions) {
	t.Helper()
	if o.Perm == 0 {
		o.Perm = 0o644
	}
	files := map[string]string{
		"hello.txt":        "hello world\n",
		"dir/sub/deep.txt": "nested\n",
		"big.bin":          string(DiskBig()),
		"empty":            "",
		DiskLong:           "long name\n",
	}
	if o.Unix {
		files["owned"] = "owned\n"
		files["sparse.bin"] = string(make([]byte, 300000)) + "X"
		files["suid"] = "#!/bin/sh\n"
	}
	for p, want := range files {
		if n, ok := o.Names[p]; ok {
			p = n
		}
		f := s.Get(p)
		if f == nil {
			t.Errorf("%s missing; have %v", p, s.Paths())
			continue
		}
		if got := s.content(f); string(got) != want {
			t.Errorf("%s: got %d bytes, want %d", p, len(got), len(want))
		}
		mode := o.Perm
		if p == "suid" {
			mode = fs.ModeSetuid | 0o755
		}
		if f.Mode&^fs.ModeType != mode || !(f.Mode.IsRegular() || f.Hardlink) {
			t.Errorf("%s: mode %v, want %v", p, f.Mode, mode)
		}
	}
	if !o.Unix {
		return
	}
	if f := s.Get("owned"); f != nil && (f.UID != 1234 || f.GID != 5678) {
		t.Errorf("owned: uid/gid %d/%d", f.UID, f.GID)
	}
	if f := s.Get("link"); f == nil || f.Mode.Type() != fs.ModeSymlink || f.Linkname != "hello.txt" {
		t.Errorf("link: %+v", f)
	}
	if f := s.Get("longlink"); f == nil || f.Mode.Type() != fs.ModeSymlink || f.Linkname != strings.Repeat("x", 70)+"/target" {
		t.Errorf("longlink: %+v", f)
	}
	if f := s.Get("dir/sub"); f == nil || !f.Mode.IsDir() {
		t.Errorf("dir/sub: %+v", f)
	}
	Device(t, s, "dir/null", fs.ModeDevice|fs.ModeCharDevice, 1, 3)
	Device(t, s, "dir/loop0", fs.ModeDevice, 7, 0)
	if f := s.Get("dir/fifo"); f == nil || f.Mode.Type() != fs.ModeNamedPipe {
		t.Errorf("dir/fifo: %+v", f)
	}
	// hello.txt and dir/hard.txt share an inode: one is a hard link to
	// the other (iso9660 has no hard links: two files, same bytes).
	h, d := s.Get("hello.txt"), s.Get("dir/hard.txt")
	if h == nil || d == nil || string(s.content(d)) != "hello world\n" {
		t.Errorf("hard link: %+v %+v", h, d)
	}
}
