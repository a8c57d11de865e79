package decomp

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Branch/call/jump (BCJ) filters, as defined by the .xz format (filter IDs
// 0x04-0x0B) and used by xz, squashfs (-Xbcj) and Linux kernels. The
// encoder turns the relative target of a branch instruction into an
// absolute one (so repeated calls to one function compress well); the
// decoder subtracts the instruction's position again. Each converter works
// in place on b, whose first byte sits at stream position pos, and returns
// how many bytes it is done with; the rest (an instruction cut by the end
// of b) is offered again with more data, and left as is at the end of the
// stream.

// bcjFunc is one direction of a filter; encode is only used by tests and
// fuzzing to check that the decoder inverts it.
type bcjFunc func(f *bcj, b []byte, pos uint32, encode bool) int

// bcj is a filter with its state (only x86 keeps any).
type bcj struct {
	code     bcjFunc
	prevMask uint32
	prevPos  uint32
}

// bcjSpec describes a filter: its converter and the alignment of its
// start offset. A converter leaves at most 15 bytes (an IA-64 bundle)
// undone at the end of a buffer, so bcjReader's buffer must be larger.
type bcjSpec struct {
	name  string
	code  bcjFunc
	align uint32
}

// bcjFilters are the BCJ filters by .xz filter ID.
var bcjFilters = map[uint64]bcjSpec{
	0x04: {"x86", bcjX86, 1},
	0x05: {"powerpc", bcjPowerPC, 4},
	0x06: {"ia64", bcjIA64, 16},
	0x07: {"arm", bcjARM, 4},
	0x08: {"armthumb", bcjARMThumb, 2},
	0x09: {"sparc", bcjSPARC, 4},
	0x0a: {"arm64", bcjARM64, 4},
	0x0b: {"riscv", bcjRISCV, 2},
}

func newBCJ(code bcjFunc) *bcj { return &bcj{code: code, prevPos: ^uint32(4)} } // prevPos = -5

// bcjX86 converts the 32-bit operand of E8 (call) and E9 (jmp) whose top
// byte is 00 or FF. prevMask remembers which of the last bytes were E8/E9
// opcodes left alone, so operands that overlap them are skipped the same
// way in both directions.
func bcjX86(f *bcj, b []byte, pos uint32, encode bool) int {
	allowed := [8]bool{true, true, true, false, true, false, false, false}
	bitNum := [8]uint32{0, 1, 2, 2, 3, 3, 3, 3}
	msb := func(c byte) bool { return c == 0 || c == 0xff }
	if len(b) < 5 {
		return 0
	}
	if pos-f.prevPos > 5 {
		f.prevPos = pos - 5
	}
	mask, prev := f.prevMask, f.prevPos
	i := 0
	for ; i <= len(b)-5; i++ {
		if b[i] != 0xe8 && b[i] != 0xe9 {
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
		if !msb(c) || !allowed[(mask>>1)&7] || mask>>1 >= 0x10 {
			mask |= 1
			if msb(c) {
				mask |= 0x10
			}
			continue
		}
		src := binary.LittleEndian.Uint32(b[i+1:])
		var dest uint32
		for {
			at := pos + uint32(i) + 5
			if encode {
				dest = src + at
			} else {
				dest = src - at
			}
			if mask == 0 {
				break
			}
			n := bitNum[(mask>>1)&7]
			if !msb(byte(dest >> (24 - n*8))) {
				break
			}
			src = dest ^ (1<<(32-n*8) - 1)
		}
		dest &= 0x01ffffff
		if dest&0x01000000 != 0 {
			dest |= 0xff000000
		}
		binary.LittleEndian.PutUint32(b[i+1:], dest)
		i += 4
		mask = 0
	}
	f.prevMask, f.prevPos = mask, prev
	return i
}

// bcjPowerPC converts "bl" (opcode 18 with AA=0, LK=1), big endian.
func bcjPowerPC(_ *bcj, b []byte, pos uint32, encode bool) int {
	i := 0
	for ; i+4 <= len(b); i += 4 {
		v := binary.BigEndian.Uint32(b[i:])
		if v&0xfc000003 != 0x48000001 {
			continue
		}
		at := pos + uint32(i)
		src := v & 0x03fffffc
		dest := src - at
		if encode {
			dest = src + at
		}
		b[i] = 0x48 | byte(dest>>24)&3
		b[i+1], b[i+2] = byte(dest>>16), byte(dest>>8)
		b[i+3] = b[i+3]&3 | byte(dest)
	}
	return i
}

// bcjARM converts "bl" with the always condition (top byte EB), whose
// 24-bit word offset is relative to the instruction address + 8.
func bcjARM(_ *bcj, b []byte, pos uint32, encode bool) int {
	i := 0
	for ; i+4 <= len(b); i += 4 {
		if b[i+3] != 0xeb {
			continue
		}
		src := (uint32(b[i+2])<<16 | uint32(b[i+1])<<8 | uint32(b[i])) << 2
		at := pos + uint32(i) + 8
		dest := src - at
		if encode {
			dest = src + at
		}
		dest >>= 2
		b[i], b[i+1], b[i+2] = byte(dest), byte(dest>>8), byte(dest>>16)
	}
	return i
}

// bcjARMThumb converts the two-halfword Thumb "bl" (F000 F800 pattern),
// relative to the instruction address + 4.
func bcjARMThumb(_ *bcj, b []byte, pos uint32, encode bool) int {
	i := 0
	for ; i+4 <= len(b); i += 2 {
		if b[i+1]&0xf8 != 0xf0 || b[i+3]&0xf8 != 0xf8 {
			continue
		}
		src := (uint32(b[i+1]&7)<<19 | uint32(b[i])<<11 | uint32(b[i+3]&7)<<8 | uint32(b[i+2])) << 1
		at := pos + uint32(i) + 4
		dest := src - at
		if encode {
			dest = src + at
		}
		dest >>= 1
		b[i+1] = 0xf0 | byte(dest>>19)&7
		b[i] = byte(dest >> 11)
		b[i+3] = 0xf8 | byte(dest>>8)&7
		b[i+2] = byte(dest)
		i += 2
	}
	return i
}

// bcjSPARC converts "call" whose 30-bit displacement fits in 23 bits
// (sign-extended), big endian.
func bcjSPARC(_ *bcj, b []byte, pos uint32, encode bool) int {
	i := 0
	for ; i+4 <= len(b); i += 4 {
		if !(b[i] == 0x40 && b[i+1]&0xc0 == 0) && !(b[i] == 0x7f && b[i+1]&0xc0 == 0xc0) {
			continue
		}
		src := binary.BigEndian.Uint32(b[i:]) << 2
		at := pos + uint32(i)
		dest := src - at
		if encode {
			dest = src + at
		}
		dest >>= 2
		dest = ((0-(dest>>22)&1)<<22)&0x3fffffff | dest&0x3fffff | 0x40000000
		binary.BigEndian.PutUint32(b[i:], dest)
	}
	return i
}

// ia64Slots says, per bundle template, which of the three 41-bit slots
// may hold a branch (bit n = slot n).
var ia64Slots = [32]byte{
	16: 4, 17: 4, 18: 6, 19: 6, 22: 7, 23: 7, 24: 4, 25: 4, 28: 4, 29: 4,
}

// bcjIA64 converts the IP-relative branches of 128-bit Itanium bundles.
func bcjIA64(_ *bcj, b []byte, pos uint32, encode bool) int {
	i := 0
	for ; i+16 <= len(b); i += 16 {
		slots := ia64Slots[b[i]&0x1f]
		for slot, bit := 0, uint32(5); slot < 3; slot, bit = slot+1, bit+41 {
			if slots>>slot&1 == 0 {
				continue
			}
			p := i + int(bit>>3)
			shift := bit & 7
			var ins uint64
			for j := 0; j < 6; j++ {
				ins |= uint64(b[p+j]) << (8 * j)
			}
			norm := ins >> shift
			if (norm>>37)&0xf != 0x5 || (norm>>9)&7 != 0 {
				continue
			}
			src := uint32((norm>>13)&0xfffff) | uint32((norm>>36)&1)<<20
			src <<= 4
			at := pos + uint32(i)
			dest := src - at
			if encode {
				dest = src + at
			}
			dest >>= 4
			norm &^= uint64(0x8fffff) << 13
			norm |= uint64(dest&0xfffff) << 13
			norm |= uint64(dest&0x100000) << (36 - 20)
			ins &= 1<<shift - 1
			ins |= norm << shift
			for j := 0; j < 6; j++ {
				b[p+j] = byte(ins >> (8 * j))
			}
		}
	}
	return i
}

// bcjARM64 converts "bl" (26-bit word offset) and "adrp" within
// +/-512 MiB (page offset), little endian.
func bcjARM64(_ *bcj, b []byte, pos uint32, encode bool) int {
	i := 0
	for ; i+4 <= len(b); i += 4 {
		v := binary.LittleEndian.Uint32(b[i:])
		pc := pos + uint32(i)
		switch {
		case v>>26 == 0x25:
			d := pc >> 2
			if !encode {
				d = -d
			}
			binary.LittleEndian.PutUint32(b[i:], 0x94000000|(v+d)&0x03ffffff)
		case v&0x9f000000 == 0x90000000:
			src := (v>>29)&3 | (v>>3)&0x001ffffc
			if (src+0x00020000)&0x001c0000 != 0 {
				continue
			}
			d := pc >> 12
			if !encode {
				d = -d
			}
			dest := src + d
			v &= 0x9000001f
			v |= (dest & 3) << 29
			v |= (dest & 0x0003fffc) << 3
			v |= (0 - dest&0x00020000) & 0x00e00000
			binary.LittleEndian.PutUint32(b[i:], v)
		}
	}
	return i
}

// bcjRISCV converts "jal" with rd = ra or t0 and "auipc" paired with the
// following 32-bit instruction that uses its result. The encoder stores a
// pair in a special form (auipc with rd = sp, the absolute address big
// endian in place of the second instruction); input that already looks
// like that form is swapped back the other way so the filter stays a
// bijection.
func bcjRISCV(_ *bcj, b []byte, pos uint32, encode bool) int {
	if len(b) < 8 {
		return 0
	}
	le, be := binary.LittleEndian, binary.BigEndian
	last := len(b) - 8
	i := 0
	for ; i <= last; i += 2 {
		pc := pos + uint32(i)
		if b[i] == 0xef { // jal
			b1 := uint32(b[i+1])
			if b1&0x0d != 0 {
				continue
			}
			b2, b3 := uint32(b[i+2]), uint32(b[i+3])
			if encode {
				addr := (b1&0xf0)<<8 | (b2&0x0f)<<16 | (b2&0x10)<<7 | (b2&0xe0)>>4 | (b3&0x7f)<<4 | (b3&0x80)<<13
				addr += pc
				b[i+1] = byte(b1&0x0f | (addr>>13)&0xf0)
				b[i+2] = byte(addr >> 9)
				b[i+3] = byte(addr >> 1)
			} else {
				addr := (b1&0xf0)<<13 | b2<<9 | b3<<1
				addr -= pc
				b[i+1] = byte(b1&0x0f | (addr>>8)&0xf0)
				b[i+2] = byte((addr>>16)&0x0f | (addr>>7)&0x10 | (addr<<4)&0xe0)
				b[i+3] = byte((addr>>4)&0x7f | (addr>>13)&0x80)
			}
			i += 2
			continue
		}
		if b[i]&0x7f != 0x17 { // not auipc
			continue
		}
		ins := le.Uint32(b[i:])
		if ins&0xe80 != 0 { // rd is neither x0 nor x2: a candidate pair
			ins2 := le.Uint32(b[i+4:])
			if ((ins<<8)^(ins2-3))&0xf8003 != 0 {
				i += 4
				continue
			}
			if encode {
				addr := ins&0xfffff000 + ins2>>20 - (ins2>>19)&0x1000 + pc
				le.PutUint32(b[i:], 0x17|2<<7|ins2<<12)
				be.PutUint32(b[i+4:], addr)
			} else {
				addr := ins&0xfffff000 + ins2>>20
				le.PutUint32(b[i:], 0x17|2<<7|ins2<<12)
				le.PutUint32(b[i+4:], addr)
			}
			i += 6
			continue
		}
		// rd is x0 or x2: the special form (or data that looks like it).
		rs1 := ins >> 27
		if (ins-0x3117)<<18 >= rs1&0x1d {
			i += 2
			continue
		}
		if encode {
			fake := le.Uint32(b[i+4:])
			le.PutUint32(b[i+4:], ins>>12|fake<<20)
			le.PutUint32(b[i:], 0x17|rs1<<7|fake&0xfffff000)
		} else {
			addr := be.Uint32(b[i+4:]) - pc
			le.PutUint32(b[i+4:], ins>>12|addr<<20)
			le.PutUint32(b[i:], 0x17|rs1<<7|(addr+0x800)&0xfffff000)
		}
		i += 6
	}
	return i
}

// bcjReader undoes a BCJ filter on a stream. buf[:done] is converted and
// waits to be read from buf[off:], buf[done:end] still needs more data.
type bcjReader struct {
	r         io.Reader
	f         *bcj
	pos       uint32
	buf       []byte
	off, done int
	end       int
	eof       bool
	err       error
}

func newBCJReader(r io.Reader, spec bcjSpec, start uint32) *bcjReader {
	return &bcjReader{r: r, f: newBCJ(spec.code), pos: start, buf: make([]byte, 64<<10)}
}

func (br *bcjReader) Read(p []byte) (int, error) {
	for br.off == br.done {
		if br.eof {
			return 0, br.err
		}
		n := copy(br.buf, br.buf[br.done:br.end])
		br.off, br.done, br.end = 0, 0, n
		for br.end < len(br.buf) && !br.eof {
			k, err := br.r.Read(br.buf[br.end:])
			br.end += k
			if err != nil {
				br.eof, br.err = true, err
			} else if k == 0 {
				break
			}
		}
		br.done = br.f.code(br.f, br.buf[:br.end], br.pos, false)
		br.pos += uint32(br.done)
		if br.eof {
			if br.err == io.EOF {
				br.done = br.end // the tail no instruction fits in stays as is
			} else {
				br.end = br.done // a decoding error: the tail is lost
			}
		}
	}
	n := copy(p, br.buf[br.off:br.done])
	br.off += n
	return n, nil
}

// deltaReader undoes the Delta filter: each byte was replaced by its
// difference to the byte dist positions before it.
type deltaReader struct {
	r    io.Reader
	dist int
	hist [256]byte
	pos  int
}

func (d *deltaReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	for i := range p[:n] {
		c := p[i] + d.hist[(d.pos-d.dist)&0xff]
		p[i] = c
		d.hist[d.pos&0xff] = c
		d.pos++
	}
	return n, err
}

// NewBCJReader undoes the BCJ filter of the named architecture (x86,
// powerpc, ia64, arm, armthumb, sparc, arm64, riscv) on r, whose first
// byte sits at stream position start; for containers other than .xz that
// use the same filters (7z, raw LZMA2 payloads).
func NewBCJReader(r io.Reader, arch string, start uint32) (io.Reader, error) {
	for _, spec := range bcjFilters {
		if spec.name == arch {
			if start%spec.align != 0 {
				return nil, format.Unsupported(fmt.Sprintf("%s filter start offset %d not aligned", arch, start))
			}
			return newBCJReader(r, spec, start), nil
		}
	}
	return nil, format.Unsupported("BCJ filter " + arch)
}

// NewDeltaReader undoes the Delta filter with distance dist (1-256).
func NewDeltaReader(r io.Reader, dist int) (io.Reader, error) {
	if dist < 1 || dist > 256 {
		return nil, fmt.Errorf("delta: distance %d out of range", dist)
	}
	return &deltaReader{r: r, dist: dist}, nil
}
