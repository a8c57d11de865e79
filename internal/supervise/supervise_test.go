package supervise

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crasher")
	out, err := exec.Command("go", "build", "-o", bin, "./testdata/crasher").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestSupervisedExitCodesAndCleanup(t *testing.T) {
	bin := build(t)
	for _, c := range []struct {
		mode string
		want int
	}{
		{"ok", 0},
		{"usage", 2},
		{"fatal", ExitInternal}, // the runtime's own exit 2 becomes 3
	} {
		t.Run(c.mode, func(t *testing.T) {
			where := filepath.Join(t.TempDir(), "root")
			cmd := exec.Command(bin, c.mode, where)
			cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
			err := cmd.Run()
			got := 0
			var xe *exec.ExitError
			if errors.As(err, &xe) {
				got = xe.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("exit %d, want %d", got, c.want)
			}
			root, err := os.ReadFile(where)
			if err != nil {
				t.Fatalf("the child never ran supervised with its work root as TMPDIR: %v", err)
			}
			if _, err := os.Stat(string(root)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("work root %s left behind (%v)", root, err)
			}
		})
	}
}

func TestSignalStopsChildAndCleansUp(t *testing.T) {
	bin := build(t)
	for _, c := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		where := filepath.Join(t.TempDir(), "root")
		cmd := exec.Command(bin, "hang", where)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := os.Stat(where); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = cmd.Process.Signal(c.sig)
		err := cmd.Wait()
		var xe *exec.ExitError
		if !errors.As(err, &xe) || xe.ExitCode() != c.want {
			t.Errorf("%v: %v, want exit %d", c.sig, err, c.want)
		}
		root, _ := os.ReadFile(where)
		if len(root) == 0 {
			t.Fatalf("%v: child did not start", c.sig)
		}
		if _, err := os.Stat(string(root)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: work root left behind", c.sig)
		}
	}
}

func TestOffWhenChildOrDisabled(t *testing.T) {
	t.Setenv(EnvOff, "1")
	if _, ok := Run([]string{"x"}, nil); ok {
		t.Fatal("supervised although disabled")
	}
}
