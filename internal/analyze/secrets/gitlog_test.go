package secrets

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanGitHistory makes a real repository with the git CLI: a secret
// added in one commit and removed in the next is still found, with its
// commit and line.
func TestScanGitHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.net", "-c", "commit.gpgsign=false"}, args...)...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, b)
		}
		return strings.TrimSpace(string(b))
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("app.lua", "local x = 1\n")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	first := git("rev-parse", "HEAD")
	write("app.lua", "local x = 1\nlocal y = 2\nlocal KEY = \"sk_live_vDlx2LQpclqbacxYTlgRW0gD\"\n")
	git("commit", "-q", "-am", "two")
	leak := git("rev-parse", "HEAD")
	write("app.lua", "local x = 1\n")
	git("commit", "-q", "-am", "three")

	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := a.ScanGitHistory(context.Background(), dir, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].RuleID != "TS-SECRET-064" || fs[0].Location.Chain != "git:"+leak || fs[0].Location.Line != 3 || fs[0].Location.Path != "/app.lua" {
		t.Fatalf("findings %+v", fs)
	}
	if fs, _ := a.ScanGitHistory(context.Background(), dir, leak); len(fs) != 0 {
		t.Fatalf("--since the leaking commit still reports it: %+v", fs)
	}
}
