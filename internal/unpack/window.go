package unpack

import (
	"io"
	"sync"
)

// windowReader is an io.ReaderAt that serves small reads from a cached
// window of the underlying file. Decoders that read a byte at a time
// through an io.SectionReader (lzma's range decoder) would otherwise make
// one pread syscall per byte.
type windowReader struct {
	r    io.ReaderAt
	size int64
	mu   sync.Mutex
	off  int64
	buf  []byte
	n    int
}

const windowSize = 256 << 10

func newWindowReader(r io.ReaderAt, size int64) *windowReader {
	return &windowReader{r: r, size: size, off: -1} // the window is allocated on the first small read
}

func (w *windowReader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) >= windowSize/4 {
		return w.r.ReadAt(p, off) // large reads gain nothing from the window
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf == nil {
		w.buf = make([]byte, windowSize)
	}
	total := 0
	for len(p) > 0 {
		if off >= w.size {
			return total, io.EOF
		}
		if w.off < 0 || off < w.off || off >= w.off+int64(w.n) {
			w.off = off
			n, err := w.r.ReadAt(w.buf, off)
			w.n = n
			if n == 0 {
				w.off = -1
				if err == nil {
					err = io.EOF
				}
				return total, err
			}
		}
		c := copy(p, w.buf[off-w.off:w.n])
		total += c
		p = p[c:]
		off += int64(c)
	}
	return total, nil
}
