package unpack

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestAddDirSkipDirs: a name in SkipDirs is left out at any depth, a
// directory with its whole subtree and a file (a submodule's .git) alike,
// each named in an "excluded" problem; names that only contain it stay.
func TestAddDirSkipDirs(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{".git/config", ".git/objects/ab/cdef", "src/main.c", "vendor/lib/.git", "vendor/lib/x.c", "docs/.github/ci.yml", "a.git/keep"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := NewSession(Options{WorkDir: t.TempDir(), SkipDirs: map[string]string{".git": "history"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.AddDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for p := range l.Entries {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	want := []string{"/a.git", "/a.git/keep", "/docs", "/docs/.github", "/docs/.github/ci.yml", "/src", "/src/main.c", "/vendor", "/vendor/lib", "/vendor/lib/x.c"}
	if !slices.Equal(paths, want) {
		t.Errorf("entries %q, want %q", paths, want)
	}
	var excluded []string
	for _, p := range s.Problems() {
		if p.Kind == "excluded" && p.Message == "not scanned: history" {
			excluded = append(excluded, p.Path)
		}
	}
	slices.Sort(excluded)
	if !slices.Equal(excluded, []string{"/.git", "/vendor/lib/.git"}) || len(s.Problems()) != 2 {
		t.Errorf("problems %+v", s.Problems())
	}
}
