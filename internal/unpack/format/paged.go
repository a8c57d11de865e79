package format

import (
	"context"
	"io"
)

// PagedReader streams a file of Size bytes that a format stores in
// fixed-size pages (blocks, chunks) decoded one at a time, in order.
type PagedReader struct {
	ctx  context.Context
	page int64
	left int64
	i    int64
	buf  []byte // the rest of the current page
	mem  []byte // the page buffer, reused
	read func(i int64, page []byte) error
	err  error
}

// NewPagedReader returns a reader of size bytes whose page i (0, 1, ...)
// read fills: page is zeroed and holds min(pageSize, bytes left) bytes,
// so a hole is a page read leaves alone. An error from read (or ctx)
// ends the stream with it.
func NewPagedReader(ctx context.Context, size, pageSize int64, read func(i int64, page []byte) error) *PagedReader {
	return &PagedReader{ctx: ctx, page: pageSize, left: max(size, 0), read: read}
}

func (r *PagedReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.left <= 0 {
			return 0, io.EOF
		}
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
		if r.mem == nil {
			r.mem = make([]byte, r.page)
		}
		b := r.mem[:min(r.page, r.left)]
		clear(b)
		if err := r.read(r.i, b); err != nil {
			r.err = err
			return 0, err
		}
		r.i++
		r.left -= int64(len(b))
		r.buf = b
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
