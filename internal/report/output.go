package report

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/thingsec/thingsec/internal/outfile"
)

// OutputError is an output file that cannot be written.
type OutputError struct {
	Path string
	Err  error
}

func (e *OutputError) Error() string { return fmt.Sprintf("cannot write %s: %v", e.Path, e.Err) }
func (e *OutputError) Unwrap() error { return e.Err }

// CheckOutput proves that path can be written before any work is done: a
// directory, a missing parent or an unwritable place is an OutputError.
func CheckOutput(path string) error {
	if _, err := outfile.Check(path); err != nil {
		return outputError(path, err)
	}
	return nil
}

func outputError(path string, err error) error {
	var fe *outfile.Error
	if errors.As(err, &fe) {
		return &OutputError{Path: path, Err: errors.New(fe.Reason)}
	}
	return &OutputError{Path: path, Err: err}
}

// WriteFile is how every command writes an output file, the one place
// that decides how output reaches path (package outfile): a regular file
// is replaced in one rename once write has filled a temporary file beside
// it, so a failed or interrupted run never leaves a partial report where a
// good one was; a device, FIFO or "-" is streamed to, never replaced.
func WriteFile(path string, write func(io.Writer) error) error {
	t, err := outfile.Check(path)
	if err != nil {
		return outputError(path, err)
	}
	if err := t.Write(os.Stdout, write); err != nil {
		if errors.Is(err, outfile.ErrUsage) {
			return outputError(path, err)
		}
		return err
	}
	return nil
}
