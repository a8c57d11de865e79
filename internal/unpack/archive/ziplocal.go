package archive

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/compress"
	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Without a central directory (a truncated or streamed archive) the local
// headers are walked instead: stored and deflated entries, sizes from the
// header or, for deflate with a data descriptor, from the stream itself.

type localHeader struct {
	flags, method uint16
	crc           uint32
	csize, usize  int64
	name          string
	mtime         time.Time
	dataOff       int64
	hasDescriptor bool
}

func readLocal(r io.ReaderAt, size, off int64) (localHeader, error) {
	var h [30]byte
	if format.ReadFull(r, h[:], off) != nil || string(h[:4]) != string(zipLocal) {
		return localHeader{}, io.EOF
	}
	le := binary.LittleEndian
	l := localHeader{
		flags: le.Uint16(h[6:]), method: le.Uint16(h[8:]), crc: le.Uint32(h[14:]),
		csize: int64(le.Uint32(h[18:])), usize: int64(le.Uint32(h[22:])),
	}
	l.hasDescriptor = l.flags&8 != 0
	d, t := le.Uint16(h[12:]), le.Uint16(h[10:])
	l.mtime = time.Date(int(d>>9)+1980, time.Month(d>>5&0xf), int(d&0x1f), int(t>>11), int(t>>5&0x3f), int(t&0x1f)*2, 0, time.UTC)
	nl, el := int64(le.Uint16(h[26:])), int64(le.Uint16(h[28:]))
	if off+30+nl+el > size {
		return localHeader{}, io.ErrUnexpectedEOF
	}
	b := make([]byte, nl+el)
	if err := format.ReadFull(r, b, off+30); err != nil {
		return localHeader{}, err
	}
	l.name = cName(string(b[:nl]))
	// zip64 extra field: the sizes that are 0xffffffff in the header.
	for ex := b[nl:]; len(ex) >= 4; {
		id, n := le.Uint16(ex), int(le.Uint16(ex[2:]))
		if 4+n > len(ex) {
			break
		}
		if id == 1 {
			v := ex[4 : 4+n]
			if l.usize == 0xffffffff && len(v) >= 8 {
				l.usize, v = int64(le.Uint64(v)), v[8:]
			}
			if l.csize == 0xffffffff && len(v) >= 8 {
				l.csize = int64(le.Uint64(v))
			}
		}
		ex = ex[4+n:]
	}
	l.dataOff = off + 30 + nl + el
	return l, nil
}

// identifyLocal accepts an archive without central directory when its
// first entry can be read.
func identifyLocal(r io.ReaderAt, size int64) (format.Match, error) {
	l, err := readLocal(r, size, 0)
	if err != nil || l.name == "" {
		return format.Match{}, notMatch("zip local header")
	}
	switch {
	case l.flags&1 != 0, l.method != 0 && l.method != 8:
		return format.Match{}, notMatch("zip without central directory: first entry unreadable")
	case l.hasDescriptor && l.method == 0:
		return format.Match{}, notMatch("zip without central directory: stored entry of unknown size")
	case !l.hasDescriptor && (l.csize < 0 || l.dataOff+l.csize > size):
		return format.Match{}, notMatch("zip without central directory: first entry truncated")
	}
	if l.method == 8 {
		n := l.csize
		if l.hasDescriptor {
			n = size - l.dataOff
		}
		fr, _ := decomp.NewReader(decomp.Deflate, io.NewSectionReader(r, l.dataOff, n))
		if _, err := io.CopyN(io.Discard, fr, 1<<20); err != nil && err != io.EOF {
			return format.Match{}, notMatch("zip without central directory: first entry does not inflate")
		}
	}
	return format.Match{Extractable: true, Description: "zip archive without central directory"}, nil
}

func extractLocal(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	sink.Problem("", errors.New("zip: no central directory, reading local headers"))
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := readLocal(r, size, off)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			sink.Problem("", fmt.Errorf("zip: local header at %d: %w", off, err))
			return nil
		}
		e := format.Entry{Path: l.name, Mode: 0o644, ModTime: l.mtime}
		if len(l.name) > 0 && l.name[len(l.name)-1] == '/' {
			e.Mode = fs.ModeDir | 0o755
		}
		var end int64
		switch {
		case l.hasDescriptor && l.method == 8 && l.flags&1 == 0:
			cr := &countingReader{br: bufio.NewReader(io.NewSectionReader(r, l.dataOff, size-l.dataOff))}
			if e.Mode.IsDir() {
				err = sink.Add(e, nil)
			} else {
				fr, _ := decomp.NewReader(decomp.Deflate, cr)
				err = compress.AddFile(ctx, sink, e, fr)
			}
			if err != nil {
				return err
			}
			end = l.dataOff + cr.n
			// data descriptor: optional signature, CRC, sizes
			var sig [4]byte
			if format.ReadFull(r, sig[:], end) == nil && string(sig[:]) == "PK\x07\x08" {
				end += 4
			}
			end += 12
			if l.csize == 0xffffffff || l.usize == 0xffffffff {
				end += 8
			}
		case l.hasDescriptor:
			sink.Problem(l.name, format.Unsupported("zip entry of unknown size without central directory"))
			return nil
		default:
			end = l.dataOff + l.csize
			if end > size {
				sink.Problem(l.name, errors.New("zip: entry truncated"))
				return nil
			}
			if err := localEntry(ctx, sink, e, l, io.NewSectionReader(r, l.dataOff, l.csize)); err != nil {
				return err
			}
		}
		off = end
	}
	return nil
}

func localEntry(ctx context.Context, sink format.Sink, e format.Entry, l localHeader, data io.Reader) error {
	switch {
	case e.Mode.IsDir():
		return sink.Add(e, nil)
	case l.flags&1 != 0:
		return addLocked(sink, e, "encrypted zip entry")
	case l.method == 0:
	case l.method == 8:
		data, _ = decomp.NewReader(decomp.Deflate, data)
	default:
		sink.Problem(l.name, format.Unsupported(fmt.Sprintf("zip method %d", l.method)))
		return nil
	}
	return compress.AddFile(ctx, sink, e, &crcReader{r: data, want: l.crc, h: crc32.NewIEEE()})
}

// countingReader counts what flate consumed (it reads byte-wise through
// io.ByteReader, so the count is exact).
type countingReader struct {
	br *bufio.Reader
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.br.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.br.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// crcReader fails at the end when the content's CRC-32 is wrong.
type crcReader struct {
	r    io.Reader
	want uint32
	h    hash.Hash32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && c.h.Sum32() != c.want {
		return n, errors.New("zip: CRC-32 mismatch")
	}
	return n, err
}
