package compress

import (
	"bufio"
	"errors"
	"io"
)

// probeOut bounds the output Identify decodes to find where a stream ends.
// 4 MiB covers the small streams that sit between other data (factory
// archives, config blobs); a larger stream (a kernel) is left unmeasured:
// decoding it twice, once here and once to extract it, would double the
// cost of the image.
const probeOut = 4 << 20

// countReader counts the bytes the decoder consumed. It implements
// io.ByteReader so flate reads exactly what it needs and the count is the
// compressed length.
type countReader struct {
	br *bufio.Reader
	n  int64
}

func newCountReader(r io.Reader) *countReader { return &countReader{br: bufio.NewReader(r)} }

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.br.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.br.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// probeResult is what decoding the start of a stream told us.
type probeResult struct {
	out   int64 // bytes decoded
	ended bool  // the stream ended cleanly within probeOut
	trunc bool  // the input ended inside the stream
	err   error // a corruption
	raw   error // the decoder's error when trunc or err
}

// checkOut is the output a Check decodes: the most any identification
// needs to decide (gzip and zlib accept a stream that decodes this much
// before an error).
const checkOut = 64 << 10

func probeN(rd io.Reader, max int64) probeResult { return probeInto(io.Discard, rd, max) }

// probeKeep is probeInto c when the decoded output is to be held for
// the extraction (keep), else probeN.
func probeKeep(c *capture, rd io.Reader, max int64, keep bool) probeResult {
	if keep {
		return probeInto(c, rd, max)
	}
	return probeN(rd, max)
}

// probeInto is probeN keeping what it decodes in w.
func probeInto(w io.Writer, rd io.Reader, max int64) probeResult {
	n, err := io.CopyN(w, rd, max)
	switch {
	case err == io.EOF:
		return probeResult{out: n, ended: true}
	case err == nil:
		return probeResult{out: n}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return probeResult{out: n, trunc: true, raw: err}
	}
	return probeResult{out: n, err: err, raw: err}
}
