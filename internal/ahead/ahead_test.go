package ahead

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/dirlist"
)

func TestTarget(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fw.bin")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string // "" for no guess
	}{
		{[]string{"thingsec", "secrets", dir}, dir},
		{[]string{"thingsec", "scan", "--format", "json", "-o", file, dir}, dir},
		{[]string{"thingsec", "-v", "secrets", "-q", dir}, dir},
		{[]string{"thingsec", "secrets", file}, ""},                   // a file target: nothing to list
		{[]string{"thingsec", "secrets", dir, "-o", file}, ""},        // the last argument is a flag's value
		{[]string{"thingsec", "secrets", "--git", dir}, ""},           // history, not the tree
		{[]string{"thingsec", "secrets", "--staged"}, ""},             // the index
		{[]string{"thingsec", "scan", "--help", dir}, ""},             // not a run
		{[]string{"thingsec", "unpack", dir, "--dir", dir + "x"}, ""}, // another command
		{[]string{"thingsec", "scan"}, ""},
		{[]string{"thingsec"}, ""},
	} {
		got, ok := target(c.args)
		if !ok {
			got = ""
		}
		if got != c.want {
			t.Errorf("%q: guessed %q, want %q", c.args, got, c.want)
		}
	}
}

// TestTake: the listing started is taken once, and only for its own
// directory and skipped names.
func TestTake(t *testing.T) {
	dir := t.TempDir()
	ls := dirlist.Start(context.Background(), dir, dirlist.SourceSkips)
	pending.Lock()
	pending.ls = ls
	pending.Unlock()
	if Take(dir+"/", dirlist.SourceSkips) != nil {
		t.Error("taken for another spelling of the directory")
	}
	if Take(dir, map[string]string{".svn": "x"}) != nil {
		t.Error("taken with other skipped names")
	}
	if Take(dir, dirlist.SourceSkips) != ls {
		t.Error("not taken for its directory")
	}
	if Take(dir, dirlist.SourceSkips) != nil {
		t.Error("taken twice")
	}
}
