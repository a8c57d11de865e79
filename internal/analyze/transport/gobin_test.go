package transport

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoHostKey builds testdata/rsupport, a Go SSH client that passes
// ssh.InsecureIgnoreHostKey() as its host key callback, with the
// flags vendors strip binaries with, and finds
// the callback by the function name the linker keeps, with the relay's
// host:port (the corpus test covers mipsle; Go packs strings without
// separators, so the host name may lose its first label). The fixture is built here
// because the binary is megabytes.
func TestGoHostKey(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	a := New()
	for _, arch := range []string{"arm64"} {
		out := filepath.Join(t.TempDir(), "rsupport")
		cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out, "./testdata/rsupport")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOFLAGS=-mod=mod")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", arch, err, b)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		fs := analyzeFile(t, a, "/usr/sbin/rsupport", data)
		var ev []string
		for _, f := range fs {
			if f.RuleID == RuleHostKey {
				ev = append(ev, f.Evidence)
			}
		}
		if len(ev) != 1 || !strings.Contains(ev[0], "InsecureIgnoreHostKey") || !strings.Contains(ev[0], "example.net:2222") {
			t.Errorf("%s: host key findings %q (all: %+v)", arch, ev, fs)
		}
	}
}
