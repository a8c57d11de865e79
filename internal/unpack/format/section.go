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
	return ReadGrow(r, off, n)
}

var errTooLarge = &UnsupportedError{What: "length field beyond limit"}

// ReadGrow reads n bytes at off into a buffer that grows with what was
// read (64 KiB at first, then doubling), so a hostile length field costs
// memory only for the bytes that are really there and that a metered
// reader let through.
func ReadGrow(r io.ReaderAt, off, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, 64<<10))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, min(n-int64(len(buf)), int64(cap(buf))))...)[:len(buf)]
		}
		chunk := buf[len(buf):min(int64(cap(buf)), n)]
		if err := ReadFull(r, chunk, off+int64(len(buf))); err != nil {
			return nil, err
		}
		buf = buf[:len(buf)+len(chunk)]
	}
	return buf, nil
}
