package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// OutputError is an output file that cannot be written.
type OutputError struct {
	Path string
	Err  error
}

func (e *OutputError) Error() string { return fmt.Sprintf("cannot write %s: %v", e.Path, e.Err) }
func (e *OutputError) Unwrap() error { return e.Err }

// WriteFile is how every command writes an output file: write fills a
// temporary file beside path, which then replaces path in one rename, so
// a failed or interrupted run never leaves a partial report where a good
// one was. It is the one place that decides how output reaches path.
func WriteFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".thingsec-*")
	if err != nil {
		return &OutputError{Path: path, Err: err}
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return &OutputError{Path: path, Err: err}
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return &OutputError{Path: path, Err: err}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return &OutputError{Path: path, Err: err}
	}
	return nil
}
