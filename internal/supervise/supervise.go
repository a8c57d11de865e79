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
	"io"
	"os"
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
			_, _ = f.WriteString(strconv.Itoa(code) + "\n")
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
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// the child keeps the name it was called by (a multi-call binary, or
	// a test binary that dispatches on it, runs the same command); fd 3
	// is its end of the exit-code pipe. syscall.ForkExec, not
	// os.StartProcess: the latter first starts and reaps a throwaway
	// child to check that pidfds work, and this process does not need
	// them (the child's pid stays ours until it is reaped below).
	pid, err := syscall.ForkExec(exe, args, &syscall.ProcAttr{
		Env:   childEnv(root),
		Files: []uintptr{os.Stdin.Fd(), os.Stdout.Fd(), os.Stderr.Fd(), pw.Fd()},
	})
	pw.Close()
	if err != nil {
		pr.Close()
		return 0, false
	}
	reported := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(pr, 32))
		pr.Close()
		reported <- string(b)
	}()
	type result struct {
		st  syscall.WaitStatus
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		for {
			_, r.err = syscall.Wait4(pid, &r.st, 0, nil)
			if r.err != syscall.EINTR {
				break
			}
		}
		done <- r
	}()
	var res result
wait:
	for {
		select {
		case s := <-sigs:
			// a terminal's Ctrl-C reaches the child too; a signal sent to
			// this process alone must reach it as well
			if sig, ok := s.(syscall.Signal); ok {
				_ = syscall.Kill(pid, sig)
			}
		case res = <-done:
			break wait
		}
	}
	msg := <-reported
	if c, err := strconv.Atoi(trim(msg)); err == nil {
		return c, true
	}
	if res.err != nil {
		say(stderr, "thingsec: internal error: "+res.err.Error()+"\n")
		return ExitInternal, true
	}
	if st := res.st; st.Signaled() {
		sig := st.Signal()
		// interrupted, or a reader of the output went away (| head):
		// the shell's usual status, no message
		if sig == syscall.SIGINT || sig == syscall.SIGTERM || sig == syscall.SIGHUP || sig == syscall.SIGPIPE {
			return 128 + int(sig), true
		}
		say(stderr, "thingsec: internal error: the worker process was killed by "+sig.String()+"\n")
		return ExitInternal, true
	}
	if c := res.st.ExitStatus(); c != 0 {
		say(stderr, "thingsec: internal error: the worker process crashed (exit status "+strconv.Itoa(c)+"); its message is above\n")
		return ExitInternal, true
	}
	// exited 0 without reporting: only a program that does not call Exit
	return 0, true
}

// childEnv is this process's environment for a child whose work root is
// root: TMPDIR too, so that every temporary file of the child (work
// directories, downloads) lies in the root the parent removes. A variable
// set here replaces the inherited one (a process reads the first of two).
func childEnv(root string) []string {
	set := []string{envChild + "=1", envWorkRoot + "=" + root, "TMPDIR=" + root}
	env := make([]string, 0, len(os.Environ())+len(set))
	for _, kv := range os.Environ() {
		if !hasKey(kv, envChild) && !hasKey(kv, envWorkRoot) && !hasKey(kv, "TMPDIR") {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

func hasKey(kv, key string) bool {
	return len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key
}

func trim(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}

// say writes msg to w. The package does without fmt and os/exec:
// internal/supervise/boot runs it before the initialisers of most other
// packages, and every standard package it needs would come first.
func say(w io.Writer, msg string) { _, _ = io.WriteString(w, msg) }
