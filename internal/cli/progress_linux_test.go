package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair: what the program writes to tty,
// the test reads from pty.
func openPTY(t *testing.T) (pty, tty *os.File) {
	t.Helper()
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, pty.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, pty.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("ptsname: %v", e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return pty, tty
}

// TestProgressOnTerminal runs scans with stderr on a real terminal: the
// progress line is drawn there, and not with --no-progress, --quiet,
// TERM=dumb or CI set; a note is never glued to the progress line.
func TestProgressOnTerminal(t *testing.T) {
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	absent := filepath.Join(t.TempDir(), "absent.db") // the sample is used, with a note
	tests := []struct {
		name     string
		env      map[string]string
		flags    []string
		progress bool
	}{
		{"terminal", nil, nil, true},
		{"no-progress", nil, []string{"--no-progress"}, false},
		{"quiet", nil, []string{"--quiet"}, false},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, nil, false},
		{"CI", map[string]string{"CI": "true"}, nil, false},
		{"THINGSEC_NO_PROGRESS", map[string]string{"THINGSEC_NO_PROGRESS": "true"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TERM", "xterm")
			t.Setenv("CI", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			pty, tty := openPTY(t)
			defer pty.Close()
			got := make(chan []byte)
			go func() {
				b, _ := io.ReadAll(pty) // ends with EIO once tty is closed
				got <- b
			}()
			var out bytes.Buffer
			args := append([]string{"thingsec", "scan", "--db-path", absent}, tt.flags...)
			code := Main(context.Background(), append(args, tree), &out, tty)
			tty.Close()
			errs := string(<-got)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			drawn := strings.Contains(errs, "\r\x1b[K") && strings.Contains(errs, "analysed")
			if drawn != tt.progress {
				t.Fatalf("progress drawn %v, want %v; stderr %q", drawn, tt.progress, errs)
			}
			if strings.Contains(out.String(), "\x1b") {
				t.Errorf("escape on stdout: %q", out.String())
			}
			if tt.progress {
				// every message starts on a cleared line
				i := strings.Index(errs, "thingsec: warning:")
				if i < 0 {
					t.Fatalf("no note: %q", errs)
				}
				if !strings.HasSuffix(errs[:i], "\r\x1b[K") {
					t.Errorf("note glued to the progress line: %q", errs)
				}
			}
		})
	}
}
