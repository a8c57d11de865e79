package compress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/ulikunitz/xz/lzma"
)

// The xz reader of ulikunitz/xz supports only a lone LZMA2 filter, but
// kernels and some firmware use a branch-call-jump (BCJ) filter before it.
// xzFiltered decodes such streams in memory: it walks the blocks itself,
// decodes the LZMA2 data with the raw LZMA2 reader and undoes the filter.

// xzFilteredMax bounds the decoded size of a filtered stream.
const xzFilteredMax = 256 << 20

// xz filter IDs.
const (
	xzFilterX86       = 0x04
	xzFilterPowerPC   = 0x05
	xzFilterARM       = 0x07
	xzFilterARMThumb  = 0x08
	xzFilterLZMA2     = 0x21
	xzMaxFilterHeader = 1024
)

var crc64Table = crc64.MakeTable(crc64.ECMA)

type xzFilter struct {
	id    uint64
	start uint32 // BCJ start offset
}

// xzBlockFilters parses a block header (without its size byte handling:
// h is the whole header, CRC included) into the filter chain and LZMA2
// dictionary byte.
func xzBlockFilters(h []byte) ([]xzFilter, byte, error) {
	if crc32.ChecksumIEEE(h[:len(h)-4]) != binary.LittleEndian.Uint32(h[len(h)-4:]) {
		return nil, 0, errors.New("xz: block header CRC mismatch")
	}
	flags := h[1]
	b := h[2 : len(h)-4]
	varint := func() (uint64, error) {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, errors.New("xz: bad block header")
		}
		b = b[k:]
		return v, nil
	}
	for _, f := range []byte{0x40, 0x80} {
		if flags&f != 0 {
			if _, err := varint(); err != nil {
				return nil, 0, err
			}
		}
	}
	var fs []xzFilter
	for i := 0; i <= int(flags&3); i++ {
		id, err := varint()
		if err != nil {
			return nil, 0, err
		}
		ps, err := varint()
		if err != nil || ps > uint64(len(b)) {
			return nil, 0, errors.New("xz: bad filter properties")
		}
		props := b[:ps]
		b = b[ps:]
		last := i == int(flags&3)
		switch {
		case last && id == xzFilterLZMA2 && ps == 1:
			return fs, props[0], nil
		case !last && (id == xzFilterX86 || id == xzFilterPowerPC || id == xzFilterARM || id == xzFilterARMThumb) && (ps == 0 || ps == 4):
			f := xzFilter{id: id}
			if ps == 4 {
				f.start = binary.LittleEndian.Uint32(props)
			}
			fs = append(fs, f)
		default:
			return nil, 0, format.Unsupported(fmt.Sprintf("xz filter %#x", id))
		}
	}
	return nil, 0, errors.New("xz: filter chain does not end with LZMA2")
}

// lzma2Len walks the LZMA2 chunk headers of b and returns the length of
// the chunk sequence including its end marker.
func lzma2Len(b []byte) (int, error) {
	off := 0
	for off < len(b) {
		c := b[off]
		switch {
		case c == 0:
			return off + 1, nil
		case c == 1 || c == 2:
			if off+3 > len(b) {
				return 0, io.ErrUnexpectedEOF
			}
			off += 3 + int(binary.BigEndian.Uint16(b[off+1:])) + 1
		case c >= 0x80:
			hl := 5
			if c >= 0xc0 {
				hl = 6
			}
			if off+hl > len(b) {
				return 0, io.ErrUnexpectedEOF
			}
			off += hl + int(binary.BigEndian.Uint16(b[off+3:])) + 1
		default:
			return 0, errors.New("xz: bad LZMA2 chunk")
		}
	}
	return 0, io.ErrUnexpectedEOF
}

// decodeXZFiltered decodes the single xz stream at the start of src.
func decodeXZFiltered(src []byte) ([]byte, error) {
	if len(src) < 12 || !bytes.Equal(src[:6], xzMagic) || crc32.ChecksumIEEE(src[6:8]) != binary.LittleEndian.Uint32(src[8:12]) {
		return nil, errors.New("xz: bad stream header")
	}
	check := src[7] & 0x0f
	checkSize := []int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}[check]
	var out []byte
	off := 12
	for {
		if off >= len(src) {
			return out, io.ErrUnexpectedEOF
		}
		if src[off] == 0 { // index: the blocks are done
			return out, nil
		}
		hl := (int(src[off]) + 1) * 4
		if off+hl > len(src) {
			return out, io.ErrUnexpectedEOF
		}
		filters, dict, err := xzBlockFilters(src[off : off+hl])
		if err != nil {
			return out, err
		}
		off += hl
		n, err := lzma2Len(src[off:])
		if err != nil {
			return out, err
		}
		dc, err := lzma.DecodeDictCap(dict)
		if err != nil || dc > xzMaxDict {
			return out, format.Unsupported("xz dictionary larger than 64 MiB")
		}
		rd, err := lzma.Reader2Config{DictCap: int(max(dc, lzma.MinDictCap))}.NewReader2(bytes.NewReader(src[off : off+n]))
		if err != nil {
			return out, err
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, io.LimitReader(rd, int64(xzFilteredMax-len(out)+1))); err != nil {
			return out, err
		}
		block := buf.Bytes()
		if len(out)+len(block) > xzFilteredMax {
			return out, ErrTooLarge
		}
		for i := len(filters) - 1; i >= 0; i-- {
			unfilter(filters[i], block)
		}
		off += n
		off += (4 - n%4) % 4 // block padding (the header is a multiple of 4)
		if off+checkSize > len(src) {
			return append(out, block...), io.ErrUnexpectedEOF
		}
		sum := src[off : off+checkSize]
		switch {
		case check == 1 && crc32.ChecksumIEEE(block) != binary.LittleEndian.Uint32(sum),
			check == 4 && crc64.Checksum(block, crc64Table) != binary.LittleEndian.Uint64(sum):
			return append(out, block...), errors.New("xz: block check mismatch")
		}
		off += checkSize
		out = append(out, block...)
	}
}

// ErrTooLarge is returned when a filtered xz stream decodes to more than
// the in-memory decoder allows.
var ErrTooLarge = errors.New("xz: filtered stream larger than 256 MiB")

// unfilter undoes a BCJ filter on a whole block (the filters convert
// relative branch targets to absolute ones; decoding converts back).
func unfilter(f xzFilter, b []byte) {
	pos := f.start
	switch f.id {
	case xzFilterX86:
		x86Unfilter(b, pos)
	case xzFilterARM:
		for i := 0; i+4 <= len(b); i += 4 {
			if b[i+3] == 0xeb {
				src := (uint32(b[i+2])<<16 | uint32(b[i+1])<<8 | uint32(b[i])) << 2
				dest := (src - (pos + uint32(i) + 8)) >> 2
				b[i], b[i+1], b[i+2] = byte(dest), byte(dest>>8), byte(dest>>16)
			}
		}
	case xzFilterARMThumb:
		for i := 0; i+4 <= len(b); i += 2 {
			if b[i+1]&0xf8 == 0xf0 && b[i+3]&0xf8 == 0xf8 {
				src := (uint32(b[i+1]&7)<<19 | uint32(b[i])<<11 | uint32(b[i+3]&7)<<8 | uint32(b[i+2])) << 1
				dest := (src - (pos + uint32(i) + 4)) >> 1
				b[i+1] = 0xf0 | byte(dest>>19)&7
				b[i] = byte(dest >> 11)
				b[i+3] = 0xf8 | byte(dest>>8)&7
				b[i+2] = byte(dest)
				i += 2
			}
		}
	case xzFilterPowerPC:
		for i := 0; i+4 <= len(b); i += 4 {
			if b[i]>>2 == 0x12 && b[i+3]&3 == 1 {
				src := uint32(b[i]&3)<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3]&^3)
				dest := src - (pos + uint32(i))
				b[i] = 0x48 | byte(dest>>24)&3
				b[i+1], b[i+2] = byte(dest>>16), byte(dest>>8)
				b[i+3] = b[i+3]&3 | byte(dest)&^3
			}
		}
	}
}

// x86Unfilter undoes the x86 filter, which rewrites the 32-bit operand of
// E8 (call) and E9 (jmp) opcodes whose top byte is 00 or FF, skipping
// operands that overlap recently seen opcode bytes.
func x86Unfilter(b []byte, pos uint32) {
	allowed := [8]bool{true, true, true, false, true, false, false, false}
	bitNum := [8]uint32{0, 1, 2, 2, 3, 3, 3, 3}
	msb := func(c byte) bool { return c == 0 || c == 0xff }
	var mask uint32
	prev := pos - 5
	for i := 0; i+5 <= len(b); {
		if b[i] != 0xe8 && b[i] != 0xe9 {
			i++
			continue
		}
		d := pos + uint32(i) - prev
		prev = pos + uint32(i)
		if d > 5 {
			mask = 0
		} else {
			for k := uint32(0); k < d; k++ {
				mask = (mask & 0x77) << 1
			}
		}
		c := b[i+4]
		if msb(c) && allowed[(mask>>1)&7] && mask>>1 < 0x10 {
			src := uint32(c)<<24 | uint32(b[i+3])<<16 | uint32(b[i+2])<<8 | uint32(b[i+1])
			var dest uint32
			for {
				dest = src - (pos + uint32(i) + 5)
				if mask == 0 {
					break
				}
				n := bitNum[mask>>1]
				if !msb(byte(dest >> (24 - n*8))) {
					break
				}
				src = dest ^ (1<<(32-n*8) - 1)
			}
			b[i+4] = ^byte((dest>>24)&1 - 1)
			b[i+3], b[i+2], b[i+1] = byte(dest>>16), byte(dest>>8), byte(dest)
			i += 5
			mask = 0
		} else {
			i++
			mask |= 1
			if msb(c) {
				mask |= 0x10
			}
		}
	}
}
