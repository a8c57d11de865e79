package format

import "io"

// ReadFull reads len(p) bytes at off or returns io.ErrUnexpectedEOF.
func ReadFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Bytes reads n bytes at off, refusing sizes beyond limit (a guard against
// hostile length fields).
func Bytes(r io.ReaderAt, off, n, limit int64) ([]byte, error) {
	if n < 0 || n > limit {
		return nil, errTooLarge
	}
	p := make([]byte, n)
	if err := ReadFull(r, p, off); err != nil {
		return nil, err
	}
	return p, nil
}

var errTooLarge = &UnsupportedError{What: "length field beyond limit"}
