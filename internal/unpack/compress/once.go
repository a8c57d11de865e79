package compress

import (
	"bytes"
	"context"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// holdMax bounds the decoded payload AddChecked holds in memory to decide
// whether it is whole before writing it: every real kernel or root file
// system of a boot container fits; a larger payload is checked by a first
// decoding pass and decoded again into the sink.
var holdMax = 32 << 20 // a variable for tests

// checkMax bounds the first pass over a payload larger than holdMax; past
// it the stream is decoded straight into the sink, whose limits apply.
const checkMax = 1 << 30

// AddChecked adds the stream that method decodes from data (n bytes) as
// the file name, decoding it once. A payload that does not decode is kept
// raw, with the problem that undecodable(err) returns, rather than as a
// broken prefix: so the stream is decoded into memory (up to holdMax)
// before anything is written.
func AddChecked(ctx context.Context, sink format.Sink, name, method string, data io.ReaderAt, n int64, undecodable func(error) error) error {
	raw := func(err error) error {
		sink.Problem(name, undecodable(err))
		return sink.Add(format.Entry{Path: name, Mode: 0o644, Size: n}, io.NewSectionReader(data, 0, n))
	}
	rd, err := decomp.NewReader(method, io.NewSectionReader(data, 0, n))
	if err != nil {
		return raw(err)
	}
	held, err := hold(ctx, rd, holdMax)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err == io.EOF:
		return AddStream(ctx, sink, name, held)
	case err != nil:
		return raw(err)
	}
	// Too large to hold: finish the check, then decode for real.
	if err := drain(ctx, rd, int64(checkMax-holdMax)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return raw(err)
	}
	rd.Close()
	rd, err = decomp.NewReader(method, io.NewSectionReader(data, 0, n))
	if err != nil {
		return raw(err)
	}
	return AddStream(ctx, sink, name, rd)
}

// hold decodes rd into memory, in chunks so nothing is copied twice, up to
// max bytes. It returns a reader of what it decoded and io.EOF when the
// stream ended within max, nil when it did not, or the decoding error.
func hold(ctx context.Context, rd io.Reader, max int) (io.Reader, error) {
	const chunk = 1 << 20
	var parts []io.Reader
	b := make([]byte, 0, chunk)
	for total := 0; total <= max; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			parts = append(parts, bytes.NewReader(b))
			b = make([]byte, 0, chunk)
		}
		m, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		total += m
		if err == io.EOF {
			return io.MultiReader(append(parts, bytes.NewReader(b))...), io.EOF
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// drain decodes up to max more bytes of rd; nil when they decoded or the
// stream ended.
func drain(ctx context.Context, rd io.Reader, max int64) error {
	buf := make([]byte, 256<<10)
	for total := int64(0); total < max; {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := rd.Read(buf)
		total += int64(m)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}
