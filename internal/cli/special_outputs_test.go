package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOutputsToSpecialFiles: every command's -o (and each FORMAT=FILE
// output) streams to a character device, a FIFO or standard output and
// leaves the path as it was; a directory is a usage error. The device is
// a null device the test makes itself (as root, the normal case in CI
// containers, renaming over it would succeed), never the host's.
func TestOutputsToSpecialFiles(t *testing.T) {
	hermetic()
	dir := t.TempDir()
	target := filepath.Join(dir, "fw.bin")
	if err := os.WriteFile(target, []byte("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join(dir, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Logf("mknod: %v (not root, or a nodev mount): the device cases are skipped", err)
		dev = ""
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), append([]string{"thingsec"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	scan := []string{"scan", "-q", "--no-vuln", "--no-unpack"}
	commands := map[string][]string{
		"scan":    append(append([]string{}, scan...), "--format", "json"),
		"secrets": {"secrets", "-q", "--format", "json"},
	}
	for name, cmd := range commands {
		t.Run(name, func(t *testing.T) {
			if dev != "" {
				code, _, stderr := run(append(append([]string{}, cmd...), "-o", dev, target)...)
				checkNode(t, dev, os.ModeCharDevice, code, stderr)
			}
			fifo := filepath.Join(t.TempDir(), "pipe")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			got := readFIFO(fifo)
			code, _, stderr := run(append(append([]string{}, cmd...), "-o", fifo, target)...)
			checkNode(t, fifo, os.ModeNamedPipe, code, stderr)
			checkJSON(t, "the FIFO", <-got)
			for _, p := range []string{"-", "/dev/stdout"} {
				code, stdout, stderr := run(append(append([]string{}, cmd...), "-o", p, target)...)
				if code > 1 {
					t.Fatalf("-o %s: exit %d: %s", p, code, stderr)
				}
				checkJSON(t, "-o "+p, stdout)
			}
			code, _, stderr = run(append(append([]string{}, cmd...), "-o", dir, target)...)
			if code != ExitUsage || !strings.Contains(stderr, "directory") {
				t.Errorf("-o DIR: exit %d, %q; want a usage error", code, stderr)
			}
		})
	}
	t.Run("several formats", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "pipe")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		got := readFIFO(fifo)
		formats := "json=" + fifo + ",sarif=-"
		if dev != "" {
			formats += ",junit=" + dev
		}
		code, stdout, stderr := run(append(append([]string{}, scan...), "--format", formats, target)...)
		checkNode(t, fifo, os.ModeNamedPipe, code, stderr)
		if dev != "" {
			checkNode(t, dev, os.ModeCharDevice, code, stderr)
		}
		checkJSON(t, "the FIFO", <-got)
		checkJSON(t, "standard output", stdout)
	})
}

func readFIFO(path string) <-chan string {
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	return got
}

func checkNode(t *testing.T, path string, mode os.FileMode, code int, stderr string) {
	t.Helper()
	if code > 1 {
		t.Fatalf("-o %s: exit %d: %s", path, code, stderr)
	}
	st, err := os.Lstat(path)
	if err != nil || st.Mode()&mode == 0 {
		t.Fatalf("%s was replaced: mode %v, %v", path, st.Mode(), err)
	}
}

func checkJSON(t *testing.T, where, s string) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil || len(v) == 0 {
		t.Errorf("%s did not get a JSON document: %v (%.80q)", where, err, s)
	}
}
