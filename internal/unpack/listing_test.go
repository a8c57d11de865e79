package unpack

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/dirlist"
)

// TestListingSameAsAddDir: the root layer made from a listing started
// early is the one AddDir makes (entries, size, problems), and a listing
// made with other skipped names than the session's is made again.
func TestListingSameAsAddDir(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{".git/config", "etc/shadow", "usr/lib/libz.so.1", "vendor/m/.git", "vendor/m/x.c"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("libz.so.1", filepath.Join(dir, "usr/lib/libz.so")); err != nil {
		t.Fatal(err)
	}
	skip := map[string]string{".git": "history"}
	layer := func(t *testing.T, add func(*Session) (*Layer, error)) (*Layer, []any) {
		s, err := NewSession(Options{WorkDir: t.TempDir(), SkipDirs: skip})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		l, err := add(s)
		if err != nil {
			t.Fatal(err)
		}
		var probs []any
		for _, p := range s.Problems() {
			probs = append(probs, p)
		}
		return l, probs
	}
	ctx := context.Background()
	want, wantProbs := layer(t, func(s *Session) (*Layer, error) { return s.AddDir(ctx, dir) })
	if len(want.Entries) != 9 || len(wantProbs) != 2 || want.Entries["/usr/lib/libz.so"].Linkname != "libz.so.1" {
		t.Fatalf("AddDir: %d entries, problems %v", len(want.Entries), wantProbs)
	}
	for _, c := range []struct {
		name string
		skip map[string]string
	}{
		{"same skips", skip},
		{"other skips", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ls := dirlist.Start(ctx, dir, c.skip)
			got, gotProbs := layer(t, func(s *Session) (*Layer, error) { return s.AddListing(ctx, ls) })
			if !reflect.DeepEqual(got.Entries, want.Entries) || got.Size != want.Size || got.Files != want.Files || got.Dir != want.Dir || got.Chain != want.Chain {
				t.Errorf("layer differs from AddDir's:\n got %+v\nwant %+v", got.Layer, want.Layer)
			}
			if !reflect.DeepEqual(gotProbs, wantProbs) {
				t.Errorf("problems %v, want %v", gotProbs, wantProbs)
			}
		})
	}
	// a directory that is not there: what AddDir does (a problem)
	missing := filepath.Join(dir, "missing")
	_, wantProbs = layer(t, func(s *Session) (*Layer, error) { return s.AddDir(ctx, missing) })
	_, gotProbs := layer(t, func(s *Session) (*Layer, error) { return s.AddListing(ctx, dirlist.Start(ctx, missing, skip)) })
	if !reflect.DeepEqual(gotProbs, wantProbs) || len(gotProbs) != 1 {
		t.Errorf("missing directory: problems %v, AddDir's %v", gotProbs, wantProbs)
	}
}

// TestListingLinkedRoot: a target that is a link to a directory is the
// directory (links below it stay links).
func TestListingLinkedRoot(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.MkdirAll(filepath.Join(real, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(real, "hostetc")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(Options{WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.AddDir(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := l.Entries["/etc/passwd"]; !ok || !e.Mode.IsRegular() {
		t.Errorf("entries %v: no /etc/passwd", l.Entries)
	}
	if e := l.Entries["/hostetc"]; e.Linkname != "/etc" || len(l.Entries) != 3 {
		t.Errorf("entries %v: the link below the root was followed", l.Entries)
	}
}
