package engine

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// checkTarget turns every way a target can be unusable into one clear
// InputError, before any work starts.
func checkTarget(target string) (fs.FileInfo, error) {
	if target == "" {
		return nil, &InputError{Target: `""`, Reason: "no target given"}
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &InputError{Target: target, Reason: "no such file or directory", Err: err}
	case errors.Is(err, fs.ErrPermission):
		return nil, &InputError{Target: target, Reason: "permission denied", Err: err}
	case err != nil:
		return nil, &InputError{Target: target, Reason: err.Error(), Err: err}
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		f, err := os.Open(target)
		if err != nil {
			return nil, &InputError{Target: target, Reason: "cannot read directory (permission denied?)", Err: err}
		}
		defer f.Close()
		names, err := f.Readdirnames(1)
		if err != nil && err != io.EOF {
			return nil, &InputError{Target: target, Reason: "cannot read directory: " + err.Error(), Err: err}
		}
		if len(names) == 0 {
			return nil, &InputError{Target: target, Reason: "directory is empty: nothing to scan"}
		}
	case m.IsRegular():
		if fi.Size() == 0 {
			return nil, &InputError{Target: target, Reason: "file is empty (0 bytes): nothing to scan"}
		}
		f, err := os.Open(target)
		if err != nil {
			return nil, &InputError{Target: target, Reason: "cannot open file (permission denied?)", Err: err}
		}
		f.Close()
	case m&fs.ModeNamedPipe != 0:
		return nil, &InputError{Target: target, Reason: "is a FIFO (named pipe), not a file or directory; save the data to a file first"}
	case m&fs.ModeSocket != 0:
		return nil, &InputError{Target: target, Reason: "is a socket, not a file or directory"}
	case m&fs.ModeDevice != 0:
		return nil, &InputError{Target: target, Reason: "is a device node; dump it to a file first (e.g. dd if=... of=fw.bin)"}
	default:
		return nil, &InputError{Target: target, Reason: "is not a regular file or directory"}
	}
	return fi, nil
}
