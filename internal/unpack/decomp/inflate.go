package decomp

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"math/bits"
	"sync"
)

// inflate decodes a whole raw deflate stream (RFC 1951) from src into
// out[pos:] when the output fits in memory at once, as a file system block
// does: matches are copied inside out itself, so no window is kept and no
// byte is copied twice, which makes it about twice as fast as a streaming
// decoder. It returns the end of the output and the bytes of src used.
//
// It accepts only what the streaming decoder accepts and decodes it alike;
// any error (a corrupt or cut stream, output past len(out)) is reported as
// errInflate with nothing said about where, and the caller decodes the
// block again with the streaming decoder for its exact error and partial
// output. Valid blocks never pay for that.
func inflate(out []byte, pos int, src []byte) (end, used int, err error) {
	var d inflater
	return d.run(out, pos, src)
}

var errInflate = errors.New("deflate: cannot decode in one pass")

// Huffman table entries: bits 0-7 the code length to consume, 8-11 the
// kind, 12-15 extra bits (of a length or distance) or the subtable's index
// bits, 16-31 the value (literal, length or distance base, subtable
// offset).
const (
	kindLiteral  = 0
	kindLength   = 1
	kindEnd      = 2
	kindSub      = 3
	kindInvalid  = 4
	kindDistance = 5
)

const (
	litBits  = 10 // primary table index bits of literal/length codes
	distBits = 8  // and of distance codes
	// Largest tables: primary plus every subtable a complete code of up to
	// 15 bits can need (zlib's ENOUGH figures for these index sizes).
	litTableSize  = 1334
	distTableSize = 402
)

func entry(value, extra, kind, n int) uint32 {
	return uint32(value)<<16 | uint32(extra)<<12 | uint32(kind)<<8 | uint32(n)
}

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder     = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// symbolEntry is the table entry of literal/length symbol s or, with
// dist, of distance symbol s; n is its code length.
func symbolEntry(s, n int, dist bool) uint32 {
	switch {
	case dist && s < 30:
		return entry(int(distBase[s]), int(distExtra[s]), kindDistance, n)
	case dist:
		return entry(0, 0, kindInvalid, n)
	case s < 256:
		return entry(s, 0, kindLiteral, n)
	case s == 256:
		return entry(0, 0, kindEnd, n)
	case s < 286:
		return entry(int(lengthBase[s-257]), int(lengthExtra[s-257]), kindLength, n)
	}
	return entry(0, 0, kindInvalid, n)
}

// buildTable fills t with the decoding table of the canonical code with
// code lengths lens and returns it, or false for a code the streaming
// decoder rejects: over-subscribed, or incomplete unless it is one code
// of one bit. An empty code gives a table that only holds invalid entries.
func buildTable(t []uint32, lens []uint8, primary int, dist bool) ([]uint32, bool) {
	var count [16]int
	maxLen := 0
	for _, n := range lens {
		count[n]++
		if int(n) > maxLen {
			maxLen = int(n)
		}
	}
	size := 1 << primary
	if cap(t) < size {
		return nil, false
	}
	t = t[:size]
	if maxLen == 0 {
		for i := range t {
			t[i] = entry(0, 0, kindInvalid, 0)
		}
		return t, true
	}
	left := 1
	for n := 1; n <= 15; n++ {
		left = left<<1 - count[n]
		if left < 0 {
			return nil, false
		}
	}
	if left > 0 && maxLen != 1 {
		return nil, false
	}
	// Canonical codes, bit-reversed as deflate sends them.
	var next [16]int
	code := 0
	for n := 1; n <= 15; n++ {
		code = (code + count[n-1]) << 1
		next[n] = code
	}
	var revs [288]uint16
	// Codes longer than primary bits share a subtable per primary prefix,
	// sized for the longest of them.
	var longest [1 << litBits]uint8
	mask := size - 1
	for s, n := range lens {
		if n == 0 {
			continue
		}
		c := next[n]
		next[n]++
		revs[s] = bits.Reverse16(uint16(c)) >> (16 - n)
		if int(n) > primary {
			p := int(revs[s]) & mask
			longest[p] = max(longest[p], n)
		}
	}
	for i := range t {
		t[i] = entry(0, 0, kindInvalid, 0)
	}
	for s, n8 := range lens {
		n := int(n8)
		if n == 0 {
			continue
		}
		rev := int(revs[s])
		if n <= primary {
			e := symbolEntry(s, n, dist)
			for i := rev; i < size; i += 1 << n {
				t[i] = e
			}
			continue
		}
		p := rev & mask
		head := t[p]
		if head>>8&0xf != kindSub {
			subBits := int(longest[p]) - primary
			off := len(t)
			if off+1<<subBits > cap(t) {
				return nil, false // beyond the table arrays; not met in valid codes
			}
			for range 1 << subBits {
				t = append(t, entry(0, 0, kindInvalid, 0))
			}
			head = entry(off, subBits, kindSub, primary)
			t[p] = head
		}
		off, subBits := int(head>>16), int(head>>12&0xf)
		e := symbolEntry(s, n-primary, dist)
		for i := rev >> primary; i < 1<<subBits; i += 1 << (n - primary) {
			t[off+i] = e
		}
	}
	return t, true
}

// fixed tables of block type 1, built once.
var (
	fixedOnce      sync.Once
	fixedLit       *litTable
	fixedDist      *distTable
	fixedLitLens   [288]uint8
	fixedDistLens  [30]uint8
	fixedTablesErr bool
)

// litTable and distTable are the decoding tables; indexing them with the
// primary bits needs no bounds check.
type (
	litTable  [litTableSize]uint32
	distTable [distTableSize]uint32
)

func fixedTables() (*litTable, *distTable) {
	fixedOnce.Do(func() {
		for i := range fixedLitLens {
			switch {
			case i < 144:
				fixedLitLens[i] = 8
			case i < 256:
				fixedLitLens[i] = 9
			case i < 280:
				fixedLitLens[i] = 7
			default:
				fixedLitLens[i] = 8
			}
		}
		for i := range fixedDistLens {
			fixedDistLens[i] = 5
		}
		fixedLit, fixedDist = new(litTable), new(distTable)
		_, ok1 := buildTable(fixedLit[:0], fixedLitLens[:], litBits, false)
		// 30 codes of 5 bits are an incomplete code; the two unused ones
		// (30, 31) are invalid symbols, as the streaming decoder has them.
		var d32 [32]uint8
		copy(d32[:], fixedDistLens[:])
		d32[30], d32[31] = 5, 5
		_, ok2 := buildTable(fixedDist[:0], d32[:], distBits, true)
		fixedTablesErr = !ok1 || !ok2
	})
	return fixedLit, fixedDist
}

// inflater holds the tables of the block being decoded.
type inflater struct {
	lit  litTable
	dist distTable
	lens [286 + 32]uint8
}

func (d *inflater) run(out []byte, pos int, src []byte) (int, int, error) {
	var (
		bitbuf   uint64
		bitsleft uint
		in       int
		overread int
	)
	// need makes at least n bits (n <= 56) available; past the end of src
	// zero bytes are fed, and a stream that uses them is cut.
	need := func(n uint) bool {
		for bitsleft < n {
			if in < len(src) {
				bitbuf |= uint64(src[in]) << bitsleft
				in++
			} else {
				if overread++; overread > 8 {
					return false
				}
			}
			bitsleft += 8
		}
		return true
	}
	for {
		if !need(3) {
			return 0, 0, errInflate
		}
		final := bitbuf&1 != 0
		typ := bitbuf >> 1 & 3
		bitbuf >>= 3
		bitsleft -= 3
		var lit *litTable
		var dist *distTable
		switch typ {
		case 0: // stored
			drop := bitsleft & 7
			bitbuf >>= drop
			bitsleft -= drop
			if !need(32) {
				return 0, 0, errInflate
			}
			n, nn := int(bitbuf&0xffff), int(bitbuf>>16&0xffff)
			bitbuf >>= 32
			bitsleft -= 32
			if n != ^nn&0xffff {
				return 0, 0, errInflate
			}
			// Whole bytes still in bitbuf come first, then src.
			for ; n > 0 && bitsleft >= 8; n-- {
				if pos >= len(out) {
					return 0, 0, errInflate
				}
				out[pos] = byte(bitbuf)
				pos++
				bitbuf >>= 8
				bitsleft -= 8
			}
			if n > 0 {
				if overread > 0 || len(src)-in < n || len(out)-pos < n {
					return 0, 0, errInflate
				}
				copy(out[pos:pos+n], src[in:in+n])
				pos += n
				in += n
				// Bits loaded past the old position are stale now.
				bitbuf = 0
			}
		case 1:
			lit, dist = fixedTables()
			if fixedTablesErr {
				return 0, 0, errInflate
			}
		case 2:
			var ok bool
			if lit, dist, ok = d.readTables(&bitbuf, &bitsleft, need); !ok {
				return 0, 0, errInflate
			}
		default:
			return 0, 0, errInflate
		}
		if lit != nil {
			var ok bool
			if pos, ok = decodeHuffman(out, pos, lit, dist, &bitbuf, &bitsleft, src, &in, need); !ok {
				return 0, 0, errInflate
			}
		}
		if final {
			break
		}
	}
	// Bytes in bitbuf that were loaded but not used go back to src.
	if overread > int(bitsleft/8) {
		return 0, 0, errInflate
	}
	return pos, in + overread - int(bitsleft/8), nil
}

// readTables reads the code length code and the two codes of a dynamic
// block.
func (d *inflater) readTables(bitbuf *uint64, bitsleft *uint, need func(uint) bool) (*litTable, *distTable, bool) {
	get := func(n uint) (int, bool) {
		if !need(n) {
			return 0, false
		}
		v := int(*bitbuf & (1<<n - 1))
		*bitbuf >>= n
		*bitsleft -= n
		return v, true
	}
	hlit, ok1 := get(5)
	hdist, ok2 := get(5)
	hclen, ok3 := get(4)
	if !ok1 || !ok2 || !ok3 {
		return nil, nil, false
	}
	nlit, ndist, nclen := hlit+257, hdist+1, hclen+4
	if nlit > 286 || ndist > 30 {
		return nil, nil, false
	}
	var clLens [19]uint8
	for i := 0; i < nclen; i++ {
		v, ok := get(3)
		if !ok {
			return nil, nil, false
		}
		clLens[clOrder[i]] = uint8(v)
	}
	var clTable [1 << 7]uint32
	cl, ok := buildCLTable(clTable[:], clLens[:])
	if !ok {
		return nil, nil, false
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if !need(7) {
			return nil, nil, false
		}
		e := cl[*bitbuf&0x7f]
		n := uint(e & 0xff)
		if n == 0 {
			return nil, nil, false
		}
		*bitbuf >>= n
		*bitsleft -= n
		sym := int(e >> 16)
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return nil, nil, false
			}
			v, ok := get(2)
			if !ok {
				return nil, nil, false
			}
			rep, val = 3+v, lens[i-1]
		case 17:
			v, ok := get(3)
			if !ok {
				return nil, nil, false
			}
			rep = 3 + v
		default:
			v, ok := get(7)
			if !ok {
				return nil, nil, false
			}
			rep = 11 + v
		}
		if i+rep > len(lens) {
			return nil, nil, false
		}
		for ; rep > 0; rep-- {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		return nil, nil, false // a block that cannot end
	}
	if _, ok := buildTable(d.lit[:0], lens[:nlit], litBits, false); !ok {
		return nil, nil, false
	}
	if _, ok := buildTable(d.dist[:0], lens[nlit:], distBits, true); !ok {
		return nil, nil, false
	}
	return &d.lit, &d.dist, true
}

// buildCLTable builds the one-level table of the code length code (codes
// of at most 7 bits); entries hold the symbol and the code length, 0 for
// unused bit patterns.
func buildCLTable(t []uint32, lens []uint8) ([]uint32, bool) {
	var count [8]int
	maxLen := 0
	for _, n := range lens {
		count[n]++
		maxLen = max(maxLen, int(n))
	}
	if maxLen == 0 {
		return nil, false
	}
	left := 1
	for n := 1; n <= 7; n++ {
		left = left<<1 - count[n]
		if left < 0 {
			return nil, false
		}
	}
	if left > 0 && maxLen != 1 {
		return nil, false
	}
	var next [8]int
	code := 0
	for n := 1; n <= 7; n++ {
		code = (code + count[n-1]) << 1
		next[n] = code
	}
	next[1] = 0
	for i := range t {
		t[i] = 0
	}
	for s, n8 := range lens {
		n := int(n8)
		if n == 0 {
			continue
		}
		c := next[n]
		next[n]++
		rev := int(bits.Reverse8(uint8(c)) >> (8 - n))
		for i := rev; i < len(t); i += 1 << n {
			t[i] = uint32(s)<<16 | uint32(n)
		}
	}
	return t, true
}

// decodeHuffman decodes the symbols of one block up to its end code.
func decodeHuffman(out []byte, pos int, lit *litTable, dist *distTable, bitbufp *uint64, bitsleftp *uint, src []byte, inp *int, need func(uint) bool) (int, bool) {
	bitbuf, bitsleft, in := *bitbufp, *bitsleftp, *inp
	defer func() { *bitbufp, *bitsleftp, *inp = bitbuf, bitsleft, in }()
	const litMask = 1<<litBits - 1
	const distMask = 1<<distBits - 1
	for {
		// One literal/length code (15 bits), its extra bits (5), a
		// distance code (15) and its extra bits (13) take at most 48 bits.
		if bitsleft < 48 {
			if in+8 <= len(src) {
				bitbuf |= binary.LittleEndian.Uint64(src[in:]) << bitsleft
				in += 7 - int(bitsleft>>3)
				bitsleft |= 56
			} else {
				*bitbufp, *bitsleftp, *inp = bitbuf, bitsleft, in
				ok := need(48)
				bitbuf, bitsleft, in = *bitbufp, *bitsleftp, *inp
				if !ok {
					return pos, false
				}
			}
		}
		e := lit[bitbuf&litMask]
		if e>>8&0xf == kindSub {
			bitbuf >>= litBits
			bitsleft -= litBits
			e = lit[int(e>>16)+int(bitbuf&(1<<(e>>12&0xf)-1))]
		}
		n := uint(e & 0xff)
		bitbuf >>= n
		bitsleft -= n
		switch e >> 8 & 0xf {
		case kindLiteral:
			if pos >= len(out) {
				return pos, false
			}
			out[pos] = byte(e >> 16)
			pos++
			continue
		case kindLength:
		case kindEnd:
			return pos, true
		default:
			return pos, false
		}
		x := uint(e >> 12 & 0xf)
		length := int(e>>16) + int(bitbuf&(1<<x-1))
		bitbuf >>= x
		bitsleft -= x
		e = dist[bitbuf&distMask]
		if e>>8&0xf == kindSub {
			bitbuf >>= distBits
			bitsleft -= distBits
			e = dist[int(e>>16)+int(bitbuf&(1<<(e>>12&0xf)-1))]
		}
		if e>>8&0xf != kindDistance {
			return pos, false
		}
		n = uint(e & 0xff)
		bitbuf >>= n
		bitsleft -= n
		x = uint(e >> 12 & 0xf)
		distance := int(e>>16) + int(bitbuf&(1<<x-1))
		bitbuf >>= x
		bitsleft -= x
		if distance > pos || length > len(out)-pos {
			return pos, false
		}
		from := pos - distance
		switch {
		case length <= 16 && distance >= 8 && len(out)-pos >= 16:
			// Most matches are short: two word moves, no call. With a
			// distance of 8 or more each word reads only bytes already
			// final; bytes written past the match are not output yet and
			// are overwritten later.
			binary.LittleEndian.PutUint64(out[pos:], binary.LittleEndian.Uint64(out[from:]))
			if length > 8 {
				binary.LittleEndian.PutUint64(out[pos+8:], binary.LittleEndian.Uint64(out[from+8:]))
			}
		case distance >= length:
			copy(out[pos:pos+length], out[from:from+length])
		default:
			// Overlapping: the copied run repeats; double it each step.
			k := copy(out[pos:pos+length], out[from:pos])
			for k < length {
				k += copy(out[pos+k:pos+length], out[pos:pos+k])
			}
		}
		pos += length
	}
}

// zlibBlock decodes a whole zlib stream (RFC 1950) onto dst with inflate;
// ok is false for anything the fast path does not take on (a preset
// dictionary, an error), which the streaming decoder then handles.
func zlibBlock(dst, src []byte, max int) ([]byte, bool) {
	if len(src) < 2 || src[0]&0x0f != 8 || src[0]>>4 > 7 || (uint16(src[0])<<8|uint16(src[1]))%31 != 0 || src[1]&0x20 != 0 {
		return nil, false
	}
	start := len(dst)
	dst = room(dst, max)
	end, used, err := inflate(dst[:start+max], start, src[2:])
	if err != nil {
		return nil, false
	}
	rest := src[2+used:]
	if len(rest) < 4 || binary.BigEndian.Uint32(rest) != adler32.Checksum(dst[start:end]) {
		return nil, false
	}
	return dst[:end], true
}
