package lzmadec

import (
	"encoding/binary"
	"errors"
	"io"
)

// HeaderSize is the size of the lzma-alone header: properties byte,
// 32-bit dictionary size, 64-bit unpacked size (all ones: unknown).
const HeaderSize = 13

// Header is a parsed lzma-alone header.
type Header struct {
	Props    byte
	DictSize uint32
	Size     int64 // -1 when unknown (the stream ends with the end marker)
}

// ParseHeader reads the 13-byte lzma-alone header.
func ParseHeader(h []byte) (Header, error) {
	if len(h) < HeaderSize {
		return Header{}, io.ErrUnexpectedEOF
	}
	hd := Header{Props: h[0], DictSize: binary.LittleEndian.Uint32(h[1:5]), Size: int64(binary.LittleEndian.Uint64(h[5:13]))}
	if hd.Size < -1 {
		return hd, corrupt("unpacked size")
	}
	if _, err := ParseProps(hd.Props); err != nil {
		return hd, err
	}
	return hd, nil
}

// inMargin is more input than one symbol can consume (at most one byte per
// decoded bit, and a symbol has fewer than 64 bits): a streaming decode
// refills below it, so no symbol runs out of input mid-way.
const inMargin = 64

// inBuf is the input buffer of a Reader: identification opens a reader
// per candidate, so it is small; refilling costs one read per inBuf bytes.
const inBuf = 16 << 10

// streamBatch bounds the output decoded per Read beyond what the caller
// asked for, so a small read of a stream with a large window stays cheap.
const streamBatch = 256 << 10

// Reader decodes a raw LZMA stream from an io.Reader into a window of at
// most the dictionary size (or the unpacked size when that is smaller, so
// a stream of known size decodes into a flat buffer).
type Reader struct {
	d     Decoder
	src   io.Reader
	buf   []byte // input buffer; d.rc.in is buf[:n]
	eof   bool   // src is exhausted
	read  int64  // bytes read from src
	size  int64  // -1 unknown
	out   int64  // bytes decoded
	rd    int    // next window byte to hand out
	err   error
	start bool
}

// NewReader opens a raw LZMA stream (no header) with the given properties
// byte, dictionary size (the window is at most maxDict) and unpacked size
// (-1 when unknown: the stream must end with the end marker).
func NewReader(r io.Reader, props byte, dictSize uint32, size int64, maxDict int) (*Reader, error) {
	rd := &Reader{}
	if err := rd.Reset(r, props, dictSize, size, maxDict); err != nil {
		return nil, err
	}
	return rd, nil
}

// NewAloneReader opens an lzma-alone stream, reading its header.
func NewAloneReader(r io.Reader, maxDict int) (*Reader, error) {
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	hd, err := ParseHeader(h[:])
	if err != nil {
		return nil, err
	}
	return NewReader(r, hd.Props, hd.DictSize, hd.Size, maxDict)
}

// Reset makes r decode a new stream, reusing its buffers.
func (r *Reader) Reset(src io.Reader, props byte, dictSize uint32, size int64, maxDict int) error {
	p, err := ParseProps(props)
	if err != nil {
		return err
	}
	if size < -1 {
		return corrupt("unpacked size")
	}
	win := int64(max(dictSize, 4096))
	if size >= 0 {
		win = min(win, size)
	}
	if maxDict > 0 {
		win = min(win, int64(maxDict))
	}
	w := (int(win) + 15) &^ 15
	w = max(w, 16)
	if cap(r.d.dict) < w {
		r.d.dict = make([]byte, w)
	}
	r.d.dict = r.d.dict[:w]
	r.d.resetDict()
	if err := r.d.SetProps(p); err != nil {
		return err
	}
	if r.buf == nil {
		r.buf = make([]byte, inBuf)
	}
	r.src, r.eof, r.read, r.size, r.out, r.rd, r.err, r.start = src, false, 0, size, 0, 0, nil, false
	r.d.rc = rangeDec{in: r.buf[:0]}
	return nil
}

// Consumed is the number of input bytes the stream used so far: after
// io.EOF, the compressed length.
func (r *Reader) Consumed() int64 {
	return r.read - int64(len(r.d.rc.in)-min(r.d.rc.pos, len(r.d.rc.in)))
}

// fill reads more input when fewer than inMargin bytes are left.
func (r *Reader) fill() error {
	rc := &r.d.rc
	if r.eof || len(rc.in)-rc.pos >= inMargin {
		return nil
	}
	n := copy(r.buf, rc.in[rc.pos:])
	for tries := 0; n < inMargin && !r.eof; {
		m, err := r.src.Read(r.buf[n:])
		n += m
		r.read += int64(m)
		switch {
		case err == io.EOF:
			r.eof = true
		case err != nil:
			return err
		case m == 0:
			if tries++; tries > 100 {
				return io.ErrNoProgress
			}
		}
	}
	rc.in, rc.pos = r.buf[:n], 0
	return nil
}

func (r *Reader) Read(p []byte) (int, error) {
	d := &r.d
	for {
		if r.rd < d.pos {
			n := copy(p, d.dict[r.rd:d.pos])
			r.rd += n
			return n, nil
		}
		if r.err != nil {
			return 0, r.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		r.err = r.step(len(p))
	}
}

// step decodes the next batch into the window.
func (r *Reader) step(want int) error {
	d := &r.d
	if err := r.fill(); err != nil {
		return err
	}
	if !r.start {
		if err := d.rc.init(); err != nil {
			if errors.Is(err, errTruncated) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		r.start = true
	}
	if d.eos {
		if !d.finishedOK() {
			return corrupt("data after the end marker")
		}
		if r.size >= 0 && r.out != r.size {
			return corrupt("end marker before the unpacked size")
		}
		return io.EOF
	}
	if r.size >= 0 && r.out == r.size {
		if d.pending > 0 {
			return corrupt("match beyond the unpacked size")
		}
		if !d.finishedOK() {
			if err := d.decodeMarker(); err != nil {
				return truncErr(err)
			}
		}
		return io.EOF
	}
	if d.pos == len(d.dict) {
		d.pos, d.wrapped, r.rd = 0, true, 0
	}
	limit := d.pos + min(len(d.dict)-d.pos, max(want, streamBatch))
	if r.size >= 0 {
		limit = min(limit, d.pos+int(min(r.size-r.out, int64(len(d.dict)))))
	}
	inSafe := len(d.rc.in) - inMargin
	if r.eof {
		inSafe = len(d.rc.in)
	}
	start := d.pos
	err := d.decode(limit, inSafe, r.eof)
	r.out += int64(d.pos - start)
	if err != nil {
		return truncErr(err)
	}
	if d.pos == start && !d.eos && r.eof && d.rc.pos >= len(d.rc.in) {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func truncErr(err error) error {
	if errors.Is(err, errTruncated) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// DecodeBlock decodes a raw LZMA stream held in src into dst, which is
// the dictionary: the output is at most len(dst) bytes, and size, when
// not -1, is the exact unpacked size. It returns the output length.
func (d *Decoder) DecodeBlock(dst, src []byte, props byte, size int64) (int, error) {
	p, err := ParseProps(props)
	if err != nil {
		return 0, err
	}
	if err := d.SetProps(p); err != nil {
		return 0, err
	}
	limit := len(dst)
	if size >= 0 {
		if size > int64(len(dst)) {
			return 0, corrupt("unpacked size beyond the limit")
		}
		limit = int(size)
	}
	d.dict = dst
	d.resetDict()
	d.rc = rangeDec{in: src}
	defer func() { d.dict, d.rc.in = nil, nil }()
	if err := d.rc.init(); err != nil {
		return 0, truncErr(err)
	}
	if err := d.decode(limit, len(src), true); err != nil {
		return d.pos, truncErr(err)
	}
	switch {
	case d.eos:
		if !d.finishedOK() {
			return d.pos, corrupt("data after the end marker")
		}
		if size >= 0 && int64(d.pos) != size {
			return d.pos, corrupt("end marker before the unpacked size")
		}
	case d.pending > 0 && size < 0:
		return d.pos, errTooLarge
	case d.pending > 0:
		return d.pos, corrupt("match beyond the unpacked size")
	case size < 0:
		// The limit was reached: only the end marker may follow.
		if d.decodeMarker() != nil || !d.finishedOK() {
			return d.pos, errTooLarge
		}
	case !d.finishedOK():
		if err := d.decodeMarker(); err != nil {
			return d.pos, truncErr(err)
		}
	}
	return d.pos, nil
}

var errTooLarge = errors.New("lzma: output exceeds the limit")

// ErrTooLarge is returned by DecodeBlock when the output would exceed dst.
var ErrTooLarge = errTooLarge
