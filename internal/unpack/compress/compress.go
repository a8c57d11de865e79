// Package compress unpacks single compressed streams: gzip, zlib, xz,
// lzma-alone, bzip2, zstd, lz4 (frame and legacy), lzop and Unix compress
// (.Z). It identifies them and measures their length; the decoding itself
// is package decomp's, which every other unpacker uses too.
package compress

import (
	"context"
	"errors"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Formats returns every single-stream format of this package.
func Formats() []format.Format {
	return []format.Format{Gzip(), Zlib(), XZ(), LZMA(), Bzip2(), Zstd(), LZ4(), Lzop(), LZW()}
}

// stream is the shared shape of the formats here: a header check that may
// also find the compressed length, and an opener of the decoded stream.
type stream struct {
	name     string
	sigs     []format.Signature
	identify func(r io.ReaderAt, size int64) (format.Match, error)
	// check, when set, decides like identify but decodes only a bounded
	// prefix: it does not measure the stream (see Check).
	check func(r io.ReaderAt, size int64) error
	// open returns the decoded stream and the file name to give it.
	open func(r io.ReaderAt, size int64) (io.Reader, string, error)
}

func (s *stream) Name() string                   { return s.name }
func (s *stream) Kind() format.Kind              { return format.Stream }
func (s *stream) Signatures() []format.Signature { return s.sigs }
func (s *stream) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	return s.identify(r, size)
}

// Check validates a candidate of f at offset 0 of r as Identify does,
// accepting and refusing the same candidates, but without measuring the
// compressed length, which can mean decoding megabytes: it decodes at most
// a bounded prefix. It is for callers that decode the stream anyway (a
// kernel's payload). Formats of other packages are identified.
func Check(f format.Format, r io.ReaderAt, size int64) error {
	if s, ok := f.(*stream); ok && s.check != nil {
		return s.check(r, size)
	}
	_, err := f.Identify(r, size)
	return err
}

func (s *stream) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	rd, name, err := s.open(r, size)
	if err != nil {
		return err
	}
	return AddStream(ctx, sink, name, rd)
}

// AddStream adds rd as one regular file. A decoding error ends the file
// (keeping what was decoded) and is reported as a problem; the sink's own
// errors and cancellation are returned.
func AddStream(ctx context.Context, sink format.Sink, name string, rd io.Reader) error {
	return AddFile(ctx, sink, format.Entry{Path: name, Mode: 0o644}, rd)
}

// AddFile adds a regular file entry whose content is rd, with the error
// handling of AddStream.
func AddFile(ctx context.Context, sink format.Sink, e format.Entry, rd io.Reader) error {
	er := &errReader{r: rd, ctx: ctx}
	if err := sink.Add(e, er); err != nil {
		return err
	}
	if er.err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sink.Problem(e.Path, er.err)
	}
	return nil
}

// errReader turns a decoding error into a clean EOF and remembers it, so the
// sink keeps the decoded prefix.
type errReader struct {
	r   io.Reader
	ctx context.Context
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, io.EOF
	}
	if err := e.ctx.Err(); err != nil {
		e.err = err
		return 0, io.EOF
	}
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		e.err = err
		err = io.EOF
	}
	return n, err
}

func notMatch(what string) error { return &notMatchError{what} }

type notMatchError struct{ what string }

func (e *notMatchError) Error() string { return format.ErrNotMatch.Error() + ": " + e.what }
func (e *notMatchError) Unwrap() error { return format.ErrNotMatch }

// header reads up to n bytes at offset 0 (fewer when size is smaller).
func header(r io.ReaderAt, size int64, n int) []byte {
	if int64(n) > size {
		n = int(size)
	}
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	if format.ReadFull(r, b, 0) != nil {
		return nil
	}
	return b
}
