// Package outfile writes a command's output to the path a user gave with
// -o. A regular file (or a new one) is written atomically: a temporary
// file beside it is renamed over it only when the whole output was
// written, so a failed run never leaves half a report. Anything else is
// streamed and never replaced: "-" is standard output, and a character
// device, FIFO or socket (/dev/null, /dev/stdout, a named pipe) is opened
// and written in place. Renaming over /dev/null as root would break the
// host. A directory is a usage error.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrUsage marks errors that are the user's to fix (a directory, a
// missing parent, no permission); callers map it to the usage exit code.
var ErrUsage = errors.New("unusable output path")

// Error is an output path that cannot be written, and why.
type Error struct {
	Path   string
	Reason string
}

func (e *Error) Error() string { return "cannot write " + e.Path + ": " + e.Reason }

// Is makes every Error an ErrUsage.
func (e *Error) Is(target error) bool { return target == ErrUsage }

func bad(path, format string, args ...any) *Error {
	return &Error{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// Kind is how an output path is written.
type Kind int

// Output kinds.
const (
	Stdout Kind = iota // "-" or ""
	Stream             // an existing device, FIFO or socket, or a path under /dev or /proc: written in place
	Atomic             // a regular file or a new path: temporary file + rename
)

// Target is a checked output path.
type Target struct {
	Path string // as given
	Kind Kind
	// Final is the path that is replaced for Atomic targets: symlinks are
	// resolved so that a link to a report keeps being a link.
	Final string
}

// Check classifies path and proves it can be written, before any work is
// done, so that a wrong -o fails in a second, not after a long scan. It
// creates nothing.
func Check(path string) (Target, error) {
	t := Target{Path: path}
	if path == "" || path == "-" {
		t.Kind = Stdout
		return t, nil
	}
	st, err := os.Stat(path) // follows symlinks: /dev/stdout -> /proc/self/fd/1
	if err == nil && isStdout(path, st) {
		// -o /dev/stdout: write to our standard output as it is, keeping
		// the shell's redirection (an append stays an append)
		t.Kind = Stdout
		return t, nil
	}
	switch {
	case err == nil && st.IsDir():
		return t, bad(path, "it is a directory; give a file name")
	case err == nil && !st.Mode().IsRegular():
		t.Kind = Stream
		return t, nil
	case err == nil && special(path):
		// a regular file reached through /dev/stdout or /proc/self/fd/N:
		// the shell holds it open, so write through it, never rename
		t.Kind = Stream
		return t, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return t, bad(path, "%v", errors.Unwrap(err))
	}
	final := path
	if err == nil {
		if r, err := filepath.EvalSymlinks(path); err == nil {
			final = r
		}
	} else if lst, lerr := os.Lstat(path); lerr == nil && lst.Mode()&fs.ModeSymlink != 0 {
		return t, bad(path, "it is a dangling symbolic link")
	}
	t.Kind, t.Final = Atomic, final
	dir := filepath.Dir(final)
	dst, err := os.Stat(dir)
	if err != nil {
		return t, bad(path, "directory %s: %v", dir, errors.Unwrap(err))
	}
	if !dst.IsDir() {
		return t, bad(path, "%s is not a directory", dir)
	}
	if err := writable(dir); err != nil {
		return t, bad(path, "%v", err)
	}
	return t, nil
}

// isStdout says whether path is this process's standard output.
func isStdout(path string, st fs.FileInfo) bool {
	switch path {
	case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1":
		return true
	}
	if !special(path) {
		return false
	}
	so, err := os.Stdout.Stat()
	return err == nil && os.SameFile(so, st)
}

// special says whether path names a device or process file whatever it
// resolves to.
func special(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	return strings.HasPrefix(abs, "/dev/") || strings.HasPrefix(abs, "/proc/")
}

// writable proves that a file can be created in dir by creating and
// removing one.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".thingsec-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("directory %s: %v", dir, pe.Err)
		}
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// Write checks path and writes what enc produces to it: stdout for "-",
// in place for devices and pipes, atomically otherwise.
func Write(path string, stdout io.Writer, enc func(io.Writer) error) error {
	t, err := Check(path)
	if err != nil {
		return err
	}
	return t.Write(stdout, enc)
}

// Write writes what enc produces to the checked target.
func (t Target) Write(stdout io.Writer, enc func(io.Writer) error) error {
	switch t.Kind {
	case Stdout:
		return enc(stdout)
	case Stream:
		f, err := os.OpenFile(t.Path, os.O_WRONLY, 0)
		if err != nil {
			return bad(t.Path, "%v", unwrapPath(err))
		}
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			// /dev/stdout redirected to a file: start it afresh
			_ = f.Truncate(0)
		}
		if err := enc(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(t.Final), ".thingsec-*")
	if err != nil {
		return bad(t.Path, "%v", unwrapPath(err))
	}
	defer os.Remove(tmp.Name())
	if err := enc(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(t.Final); err == nil && st.Mode().IsRegular() {
		mode = st.Mode().Perm()
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), t.Final)
}

// WriteFile is Write for a finished file on disk (a database bundle): it
// copies src to path with the same rules and never renames over a device.
func WriteFile(path string, stdout io.Writer, src string) error {
	return Write(path, stdout, func(w io.Writer) error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
