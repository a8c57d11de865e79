// Package supervise runs thingsec's work in a child process so that the
// promises the command line makes hold even when the work dies: the work
// directory is always removed, and a crash (a Go runtime fatal error such
// as "out of memory" or a stack overflow, which exits 2 by itself) is
// exit code 3, never 2, the code reserved for bad input. The parent only
// starts the child, forwards signals, waits, cleans up and translates
// the exit status; the child runs the command as usual and reports the
// exit code it chose through a pipe just before it exits.
package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
)

// Environment of the child.
const (
	envChild    = "THINGSEC_SUPERVISED"
	envWorkRoot = "THINGSEC_WORK_ROOT"
	// EnvOff turns supervision off (debugging, profiling one process).
	EnvOff = "THINGSEC_NO_SUPERVISOR"
)

// ExitInternal is the exit code of a crashed child.
const ExitInternal = 3

// codeFD is the child's file descriptor for its exit code.
const codeFD = 3

// Child says whether this process is the supervised child.
func Child() bool { return os.Getenv(envChild) == "1" }

// WorkRoot is the directory the child makes its work directories in ("" when
// unsupervised: the system's temporary directory).
func WorkRoot() string {
	if !Child() {
		return ""
	}
	return os.Getenv(envWorkRoot)
}

// Exit reports code to the supervisor (when there is one) and exits.
func Exit(code int) {
	if Child() {
		if f := os.NewFile(codeFD, "exit-code"); f != nil {
			fmt.Fprintf(f, "%d\n", code)
			f.Close()
		}
	}
	os.Exit(code)
}

// Run supervises a child running this same program with args. It returns
// ok=false when supervision is off or not possible, and the caller then
// does the work itself.
func Run(args []string, stderr io.Writer) (code int, ok bool) {
	if Child() || os.Getenv(EnvOff) != "" {
		return 0, false
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, false
	}
	root, err := os.MkdirTemp("", "thingsec-run-")
	if err != nil {
		return 0, false
	}
	defer os.RemoveAll(root)
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, false
	}
	cmd := exec.Command(exe, args[1:]...)
	// the child keeps the name it was called by (a multi-call binary, or
	// a test binary that dispatches on it, runs the same command)
	cmd.Args[0] = args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// TMPDIR too, so that every temporary file of the child (work
	// directories, downloads) lies in the root this process removes
	cmd.Env = append(os.Environ(), envChild+"=1", envWorkRoot+"="+root, "TMPDIR="+root)
	cmd.ExtraFiles = []*os.File{pw} // fd 3 in the child
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return 0, false
	}
	pw.Close()
	reported := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(pr, 32))
		pr.Close()
		reported <- string(b)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
wait:
	for {
		select {
		case s := <-sigs:
			// a terminal's Ctrl-C reaches the child too; a signal sent to
			// this process alone must reach it as well
			_ = cmd.Process.Signal(s)
		case werr = <-done:
			break wait
		}
	}
	msg := <-reported
	if c, err := strconv.Atoi(trim(msg)); err == nil {
		return c, true
	}
	var xe *exec.ExitError
	if errors.As(werr, &xe) {
		if st, ok := xe.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			sig := st.Signal()
			// interrupted, or a reader of the output went away (| head):
			// the shell's usual status, no message
			if sig == syscall.SIGINT || sig == syscall.SIGTERM || sig == syscall.SIGHUP || sig == syscall.SIGPIPE {
				return 128 + int(sig), true
			}
			fmt.Fprintf(stderr, "thingsec: internal error: the worker process was killed by %v\n", sig)
			return ExitInternal, true
		}
		fmt.Fprintf(stderr, "thingsec: internal error: the worker process crashed (exit status %d); its message is above\n", xe.ExitCode())
		return ExitInternal, true
	}
	if werr != nil {
		fmt.Fprintf(stderr, "thingsec: internal error: %v\n", werr)
		return ExitInternal, true
	}
	// exited 0 without reporting: only a program that does not call Exit
	return 0, true
}

func trim(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
