package lzmadec

import (
	"io"
)

// Reader2 decodes LZMA2 data (the chunked LZMA of the .xz format) from an
// io.Reader, reading exactly up to and including the end-of-data byte.
// Each chunk's compressed bytes (at most 64 KiB) are read whole, so the
// range decoder always works on memory.
type Reader2 struct {
	d   Decoder
	src io.Reader
	buf []byte
	rd  int
	err error

	left      int  // unpacked bytes left in the current chunk
	copying   bool // the current chunk is uncompressed
	needDict  bool // the next chunk must reset the dictionary
	needProps bool // the next LZMA chunk must set properties
	short     bool // the input ended inside the current chunk
}

// NewReader2 opens LZMA2 data with a window of dictSize bytes (the caller
// caps it: a block of known size needs no more than that size).
func NewReader2(r io.Reader, dictSize int) *Reader2 {
	rd := &Reader2{}
	rd.Reset(r, dictSize)
	return rd
}

// Reset makes r decode new LZMA2 data, reusing its window and buffers.
func (r *Reader2) Reset(src io.Reader, dictSize int) {
	w := (max(dictSize, 4096) + 15) &^ 15
	if cap(r.d.dict) < w {
		r.d.dict = make([]byte, w)
	}
	r.d.dict = r.d.dict[:w]
	r.d.resetDict()
	if r.buf == nil {
		r.buf = make([]byte, 1<<16)
	}
	r.d.rc = rangeDec{}
	r.d.pending, r.d.eos = 0, false
	r.src, r.rd, r.err = src, 0, nil
	r.left, r.copying, r.needDict, r.needProps, r.short = 0, false, true, true, false
}

// WindowSize is the size of the window buffer (for pooling decisions).
func (r *Reader2) WindowSize() int { return cap(r.d.dict) }

func (r *Reader2) Read(p []byte) (int, error) {
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

func (r *Reader2) step(want int) error {
	d := &r.d
	if r.left == 0 {
		if r.short {
			return io.ErrUnexpectedEOF
		}
		if err := r.chunk(); err != nil {
			return err
		}
	}
	if d.pos == len(d.dict) {
		d.pos, d.wrapped, r.rd = 0, true, 0
	}
	n := min(r.left, len(d.dict)-d.pos, max(want, streamBatch))
	if r.copying {
		rc := &d.rc
		copy(d.dict[d.pos:d.pos+n], rc.in[rc.pos:rc.pos+n])
		rc.pos += n
		d.pos += n
		r.left -= n
		return nil
	}
	start := d.pos
	err := d.decode(d.pos+n, len(d.rc.in), true)
	r.left -= d.pos - start
	if err != nil {
		return truncErr(err)
	}
	if d.eos {
		return corrupt("end marker in LZMA2 data")
	}
	if r.left == 0 && !r.short {
		if d.pending > 0 {
			return corrupt("match beyond the LZMA2 chunk")
		}
		if !d.finishedOK() || d.rc.pos != len(d.rc.in) {
			return corrupt("LZMA2 chunk size")
		}
	}
	return nil
}

// data reads a chunk's n data bytes. A chunk cut short by the end of the
// input still decodes up to where its data ends (a probe of a truncated
// stream sees its first bytes), then fails with io.ErrUnexpectedEOF.
func (r *Reader2) data(n int) (int, error) {
	m, err := io.ReadFull(r.src, r.buf[:n])
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		r.short = true
	case err != nil:
		return 0, err
	}
	return m, nil
}

// chunk reads the next chunk header and its compressed data.
func (r *Reader2) chunk() error {
	d := &r.d
	var h [6]byte
	if _, err := io.ReadFull(r.src, h[:1]); err != nil {
		return io.ErrUnexpectedEOF
	}
	c := h[0]
	if c == 0 {
		return io.EOF
	}
	if c >= 0xE0 || c == 1 {
		r.needProps, r.needDict = true, false
		d.resetDict()
	} else if r.needDict {
		return corrupt("LZMA2 data does not start with a dictionary reset")
	}
	if c < 0x80 {
		if c > 2 {
			return corrupt("LZMA2 control byte")
		}
		if _, err := io.ReadFull(r.src, h[1:3]); err != nil {
			return io.ErrUnexpectedEOF
		}
		n, err := r.data(int(h[1])<<8 | int(h[2]) + 1)
		if err != nil {
			return err
		}
		d.rc = rangeDec{in: r.buf[:n]}
		r.left, r.copying = n, true
		return nil
	}
	hl := 5
	if c >= 0xC0 {
		hl = 6
	}
	if _, err := io.ReadFull(r.src, h[1:hl]); err != nil {
		return io.ErrUnexpectedEOF
	}
	unpacked := int(c&0x1F)<<16 | int(h[1])<<8 | int(h[2]) + 1
	packed := int(h[3])<<8 | int(h[4]) + 1
	switch {
	case c >= 0xC0:
		p, err := ParseProps(h[5])
		if err != nil || p.LC+p.LP > 4 {
			return ErrProps
		}
		if err := d.SetProps(p); err != nil {
			return err
		}
		r.needProps = false
	case r.needProps:
		return corrupt("LZMA2 chunk without properties")
	case c >= 0xA0:
		d.resetState()
	}
	n, err := r.data(packed)
	if err != nil {
		return err
	}
	d.rc = rangeDec{in: r.buf[:n]}
	if err := d.rc.init(); err != nil {
		return truncErr(err)
	}
	d.pending, d.eos = 0, false
	r.left, r.copying = unpacked, false
	return nil
}
