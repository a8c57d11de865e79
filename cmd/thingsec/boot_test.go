package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestParentSkipsInitialisers runs the real binary with the runtime's
// initialisation trace (GODEBUG=inittrace=1, one line per package whose
// initialiser did work): the supervising parent's trace, which ends where
// the child's begins, holds none of the packages that the child
// initialises after internal/supervise/boot, and those are the many
// heavy ones (CEL, protobuf, SQLite).
func TestParentSkipsInitialisers(t *testing.T) {
	bin := binary(t)
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "THINGSEC_NO_SUPERVISOR=", "THINGSEC_SUPERVISED=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var procs [][]string // packages initialised, per process
	for _, line := range strings.Split(stderr.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		if f[1] == "runtime" {
			procs = append(procs, nil)
		}
		if len(procs) > 0 {
			procs[len(procs)-1] = append(procs[len(procs)-1], f[1])
		}
	}
	if len(procs) != 2 {
		t.Fatalf("%d processes traced, want the parent and the child:\n%s", len(procs), stderr.String())
	}
	parent, child := procs[0], procs[1]
	inParent := map[string]bool{}
	for _, p := range parent {
		inParent[p] = true
	}
	const boot = "github.com/thingsec/thingsec/internal/supervise/boot"
	if inParent[boot] {
		t.Errorf("the parent's boot initialiser returned")
	}
	after := -1
	for i, p := range child {
		if p == boot {
			after = i
		}
	}
	if after < 0 {
		t.Fatalf("the child never initialised %s:\n%s", boot, stderr.String())
	}
	heavy := child[after+1:]
	for _, p := range heavy {
		if inParent[p] {
			t.Errorf("the parent initialised %s", p)
		}
	}
	// the bulk of the program comes after boot
	for _, want := range []string{"google.golang.org/protobuf/reflect/protodesc", "modernc.org/libc"} {
		found := false
		for _, p := range heavy {
			found = found || p == want
		}
		if !found {
			t.Errorf("%s is not initialised after boot in the child", want)
		}
	}
	t.Logf("parent: %d initialisers, child: %d (%d after boot)", len(parent), len(child), len(heavy))
}
