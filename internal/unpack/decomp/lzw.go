package decomp

import (
	"bufio"
	"errors"
	"io"
)

// NewLZWReader decodes a .Z stream (header 1f 9d, flags) from r.
func NewLZWReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	var h [3]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	max := int(h[2] & 0x1f)
	if h[0] != 0x1f || h[1] != 0x9d || max < 9 || max > 16 {
		return nil, errors.New("compress: bad header")
	}
	z := &lzwReader{r: br, maxBits: max, block: h[2]&0x80 != 0, oldcode: -1}
	z.reset()
	return z, nil
}

type lzwReader struct {
	r       *bufio.Reader
	maxBits int
	block   bool

	bitBuf  uint32
	bitN    int
	nBits   int
	maxCode int
	free    int
	oldcode int
	finchar byte
	inGroup int // codes read in the current group of 8 (the encoder pads groups)

	prefix [1 << 16]uint16
	suffix [1 << 16]byte
	stack  []byte
	chunks
}

func (z *lzwReader) reset() {
	z.nBits = 9
	z.maxCode = 1<<9 - 1
	z.free = 256
	if z.block {
		z.free = 257
	}
}

// code reads one nBits-wide code, least significant bit first.
func (z *lzwReader) code() (int, error) {
	for z.bitN < z.nBits {
		b, err := z.r.ReadByte()
		if err != nil {
			if z.bitN > 0 && err == io.EOF {
				return 0, io.EOF // padding bits at the end
			}
			return 0, err
		}
		z.bitBuf |= uint32(b) << z.bitN
		z.bitN += 8
	}
	c := int(z.bitBuf & (1<<z.nBits - 1))
	z.bitBuf >>= z.nBits
	z.bitN -= z.nBits
	z.inGroup = (z.inGroup + 1) % 8
	return c, nil
}

// skipGroup drops the rest of the current group of 8 codes, which the
// encoder wrote as padding before a width change or a clear.
func (z *lzwReader) skipGroup() error {
	for z.inGroup != 0 {
		if _, err := z.code(); err != nil {
			return err
		}
	}
	return nil
}

func (z *lzwReader) Read(p []byte) (int, error) { return z.read(p, z.next) }

func (z *lzwReader) next() error {
	if z.free > z.maxCode && z.nBits < z.maxBits {
		if err := z.skipGroup(); err != nil {
			return err
		}
		z.nBits++
		z.maxCode = 1<<z.nBits - 1
	}
	c, err := z.code()
	if err != nil {
		return err
	}
	if z.oldcode < 0 {
		if c > 255 {
			return errors.New("compress: bad first code")
		}
		z.oldcode, z.finchar = c, byte(c)
		z.out = append(z.stack[:0], byte(c))
		return nil
	}
	if z.block && c == 256 {
		if err := z.skipGroup(); err != nil {
			return err
		}
		z.reset()
		z.oldcode = -1
		return nil
	}
	in := c
	z.stack = z.stack[:0]
	if c >= z.free {
		if c > z.free {
			return errors.New("compress: bad code")
		}
		z.stack = append(z.stack, z.finchar)
		c = z.oldcode
	}
	for c >= 256 {
		if len(z.stack) >= 1<<16 {
			return errors.New("compress: code loop")
		}
		z.stack = append(z.stack, z.suffix[c])
		c = int(z.prefix[c])
	}
	z.finchar = byte(c)
	z.stack = append(z.stack, z.finchar)
	for i, j := 0, len(z.stack)-1; i < j; i, j = i+1, j-1 {
		z.stack[i], z.stack[j] = z.stack[j], z.stack[i]
	}
	if z.free < 1<<z.maxBits {
		z.prefix[z.free] = uint16(z.oldcode)
		z.suffix[z.free] = z.finchar
		z.free++
	}
	z.oldcode = in
	z.out = z.stack
	return nil
}
