package compress

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Identification of gzip, zlib and lzma streams decodes up to probeOut
// bytes to find where a stream ends. What it decoded is handed to the
// extraction (format.Match.Held) instead of being decoded again:
//
//   - a stream that ended within probeOut is held whole, or with the
//     decoding error that ended it;
//   - a longer one is held as the decoded prefix plus its live decoder,
//     which the extraction resumes once its input is bound to the
//     extraction's reader (the same bytes of the same file).
//
// The engine bounds what all the held streams of a session may cost
// (format.Held.Cost); one costs at most probeOut plus its decoder.

// held is what one identification decoded.
type held struct {
	parts [][]byte
	n     int64  // bytes in parts
	name  string // the file name the extraction gives the stream
	// live resumes decoding after the prefix; nil when the stream ended
	// (err == nil) or failed with err.
	live io.Reader
	err  error
	// in is the input of live, rebound to the extraction's reader; size
	// is the input size identification saw: a live decoder is resumed
	// only over the same input.
	in   *rebind
	size int64
	// decoder is the memory the live decoder holds.
	decoder int64
	used    bool
}

func (h *held) Cost() int64 {
	c := h.decoder
	for _, p := range h.parts {
		c += int64(cap(p))
	}
	return c
}

// reader yields the stream as a fresh decode would: the prefix, then the
// live decoder or the error that ended it.
func (h *held) reader() io.Reader {
	rs := make([]io.Reader, 0, len(h.parts)+1)
	for _, p := range h.parts {
		rs = append(rs, bytes.NewReader(p))
	}
	switch {
	case h.live != nil:
		rs = append(rs, h.live)
	case h.err != nil:
		rs = append(rs, errAfter{h.err})
	}
	return io.MultiReader(rs...)
}

type errAfter struct{ err error }

func (e errAfter) Read([]byte) (int, error) { return 0, e.err }

// ExtractHeld extracts the stream from what its identification decoded;
// a Held that does not fit (another input size, already used) is ignored
// and the stream decoded again.
func (s *stream) ExtractHeld(ctx context.Context, r io.ReaderAt, size int64, h format.Held, sink format.Sink) error {
	hd, ok := h.(*held)
	if !ok || hd.used || (hd.live != nil && size != hd.size) {
		return s.Extract(ctx, r, size, sink)
	}
	hd.used = true
	if hd.live != nil {
		hd.in.bind(r)
	}
	return AddStream(ctx, sink, hd.name, hd.reader())
}

// rebind is the input of a decoder that identification may hand over:
// while identifying it reads the carver's view of the file; afterwards it
// is detached until an extraction binds it to its own view of the same
// bytes. It remembers a read error that was not the end of the input,
// which makes the decoder's state unfit to hand over.
type rebind struct {
	r      io.ReaderAt
	failed bool
}

var errDetached = errors.New("decoder input detached")

func (b *rebind) ReadAt(p []byte, off int64) (int, error) {
	if b.r == nil {
		return 0, errDetached
	}
	n, err := b.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		b.failed = true
	}
	return n, err
}

func (b *rebind) bind(r io.ReaderAt) { b.r = r }

// capture collects decoded bytes in chunks that grow with the output, so
// a small stream holds little and nothing is copied twice.
type capture struct {
	parts [][]byte
	n     int64
}

const (
	captureFirst = 16 << 10
	captureChunk = 1 << 20
)

func (c *capture) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := c.space()
		m := copy(b[len(b):cap(b)], p)
		c.parts[len(c.parts)-1] = b[:len(b)+m]
		p = p[m:]
	}
	c.n += int64(n)
	return n, nil
}

// ReadFrom lets io.CopyN decode straight into the chunks.
func (c *capture) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		b := c.space()
		m, err := r.Read(b[len(b):cap(b)])
		c.parts[len(c.parts)-1] = b[:len(b)+m]
		total += int64(m)
		c.n += int64(m)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// space returns the last chunk, with room after its length.
func (c *capture) space() []byte {
	if k := len(c.parts); k > 0 && len(c.parts[k-1]) < cap(c.parts[k-1]) {
		return c.parts[k-1]
	}
	size := captureFirst
	if k := len(c.parts); k > 0 {
		size = min(2*cap(c.parts[k-1]), captureChunk)
	}
	c.parts = append(c.parts, make([]byte, 0, size))
	return c.parts[len(c.parts)-1]
}

// flateState is what a live inflater holds: its 32 KiB window, tables and
// input buffer.
const flateState = 64 << 10

// hand builds the Held of a probe: p is how the probe of rd (reading in)
// ended, c what it decoded. It returns nil when the decoder's state does
// not stand for the stream (its input failed).
func hand(p probeResult, c *capture, rd io.Reader, in *rebind, size int64, name string, decoder int64) format.Held {
	if in.failed {
		return nil
	}
	in.r = nil // identification is over: nothing may read the carver's view
	h := &held{parts: c.parts, n: c.n, name: name, in: in, size: size}
	switch {
	case p.ended:
	case p.raw != nil:
		h.err = p.raw
	default:
		h.live, h.decoder = rd, decoder
	}
	return h
}
