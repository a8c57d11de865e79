package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSignalsRemoveWorkDirectory runs the real binary on an image that
// takes a while to unpack, stops it with SIGINT or SIGTERM while it
// extracts, and checks the exit code and that nothing is left behind.
func TestSignalsRemoveWorkDirectory(t *testing.T) {
	bin := binary(t)
	// 2 GiB of zeros, gzip'd by the system's gzip (fast, and outside the
	// race detector): seconds to unpack and walk
	target := filepath.Join(t.TempDir(), "zeros.gz")
	gz := exec.Command("sh", "-c", "head -c 2147483648 /dev/zero | gzip -1 > "+target)
	if out, err := gz.CombinedOutput(); err != nil {
		t.Fatalf("gzip: %v\n%s", err, out)
	}
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		tmp := t.TempDir()
		cmd := exec.Command(bin, "scan", "-q", "--no-vuln", "--format", "json", "-o", filepath.Join(tmp, "r.json"), target)
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// wait until the layer is being extracted
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if m, _ := filepath.Glob(filepath.Join(tmp, "thingsec-run-*", "*", "L1")); len(m) > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		_ = cmd.Process.Signal(c.sig)
		err := cmd.Wait()
		var xe *exec.ExitError
		if !errors.As(err, &xe) {
			t.Fatalf("%v: the scan finished before the signal (%v); stderr: %s", c.sig, err, stderr.String())
		}
		if xe.ExitCode() != c.want {
			t.Errorf("%v: exit %d, want %d; stderr: %s", c.sig, xe.ExitCode(), c.want, stderr.String())
		}
		left, _ := os.ReadDir(tmp)
		if len(left) != 0 {
			t.Errorf("%v: left behind in TMPDIR: %v", c.sig, left)
		}
	}
}
