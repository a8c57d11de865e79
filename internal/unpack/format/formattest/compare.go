package formattest

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// Reference runs a reference extractor (7z x, bsdtar, cpio -i, debugfs
// rdump, mcopy, ...) with dir set to a fresh directory, and returns dir.
// The test skips when the tool is not installed. args may contain "{}",
// replaced by dir.
func Reference(t testing.TB, tool string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed: %v", tool, err)
	}
	dir := t.TempDir()
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{}", dir)
	}
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return dir
}

// CompareOptions say what of the reference tree a format keeps.
type CompareOptions struct {
	// Under is the folder of s that holds the reference tree ("" = root).
	Under string
	// Perm compares the permission bits of regular files and
	// directories; off for formats or reference tools that do not keep
	// them. Special also compares setuid, setgid and sticky, which some
	// reference tools drop.
	Perm, Special bool
	// Skip lists reference paths (slash-separated, relative) that the
	// reference tool makes but the format does not hold (e.g. lost+found).
	Skip []string
}

// CompareTree asserts that s holds exactly the tree at dir: every regular
// file with the same SHA-256, every symlink with the same target, every
// directory, and no regular file or symlink that dir lacks. Hard links in
// s count as regular files whose content is their target's.
func CompareTree(t testing.TB, s *MemSink, dir string, o CompareOptions) {
	t.Helper()
	skip := map[string]bool{}
	for _, p := range o.Skip {
		skip[p] = true
	}
	seen := map[string]bool{}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if skip[rel] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		name := path.Join("/", o.Under, rel)
		seen[name] = true
		n++
		f := s.Get(name)
		if f == nil && d.IsDir() && s.hasUnder(name) {
			return nil // implied by its entries, as archives do
		}
		if f == nil {
			t.Errorf("%s: missing (reference has it)", name)
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			if f.Mode&fs.ModeSymlink == 0 || f.Linkname != target {
				t.Errorf("%s: %v -> %q, reference is a symlink to %q", name, f.Mode, f.Linkname, target)
			}
		case info.IsDir():
			if !f.Mode.IsDir() {
				t.Errorf("%s: %v, reference is a directory", name, f.Mode)
			} else if o.Perm && o.perm(f.Mode) != o.perm(info.Mode()) {
				t.Errorf("%s: mode %v, reference %v", name, f.Mode, info.Mode())
			}
		case info.Mode().IsRegular():
			want, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got := s.content(f)
			if sha256.Sum256(got) != sha256.Sum256(want) {
				t.Errorf("%s: %d bytes, sha256 differs from the reference's %d bytes", name, len(got), len(want))
			}
			if o.Perm && o.perm(f.Mode) != o.perm(info.Mode()) {
				t.Errorf("%s: mode %v, reference %v", name, f.Mode, info.Mode())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("reference tree %s is empty", dir)
	}
	prefix := path.Join("/", o.Under)
	for p, f := range s.Files {
		if seen[p] || !(f.Mode.IsRegular() || f.Mode&fs.ModeSymlink != 0) {
			continue
		}
		if prefix == "/" || strings.HasPrefix(p, prefix+"/") {
			t.Errorf("%s: extracted, but not in the reference tree", p)
		}
	}
}

// content is f's data, or its hard link target's.
func (s *MemSink) content(f *File) []byte {
	for i := 0; f.Hardlink && i < 8; i++ {
		g := s.Get(f.Linkname)
		if g == nil {
			return nil
		}
		f = g
	}
	return f.Data
}

func (o CompareOptions) perm(m fs.FileMode) fs.FileMode {
	if o.Special {
		return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	}
	return m & fs.ModePerm
}

// TempFile writes data to a fresh file for a reference tool to read.
func TempFile(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *MemSink) hasUnder(dir string) bool {
	for p := range s.Files {
		if strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return false
}
