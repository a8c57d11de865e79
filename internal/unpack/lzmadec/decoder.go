// Package lzmadec decodes LZMA (raw and lzma-alone) and LZMA2 data, written
// from the LZMA specification for speed: the range decoder reads a byte
// slice, the probabilities live in one struct, and the dictionary is
// either the caller's output slice (a block of bounded size: the output is
// the dictionary) or a circular window for streams of unknown size. A
// Decoder keeps its buffers across Reset, so file systems decode block
// after block without allocating.
//
// Every malformed stream ends in an error: no panic, no endless loop and
// never more output than the window or limit the caller set.
package lzmadec

import (
	"errors"
	"fmt"
)

// Errors returned for malformed data.
var (
	ErrCorrupt = errors.New("lzma: corrupt data")
	ErrProps   = errors.New("lzma: bad properties")
)

func corrupt(what string) error { return fmt.Errorf("%w: %s", ErrCorrupt, what) }

const (
	numStates   = 12
	minMatchLen = 2
	probInit    = 1 << 10
	endPosModel = 14
	fullDists   = 128
	litProbs    = 0x300
	eosDist     = 0xFFFFFFFF
)

// Props are the literal context bits, literal position bits and position
// bits of an LZMA stream.
type Props struct{ LC, LP, PB uint }

// ParseProps decodes the properties byte (pb*45 + lp*9 + lc).
func ParseProps(b byte) (Props, error) {
	if b >= 9*5*5 {
		return Props{}, ErrProps
	}
	return Props{LC: uint(b % 9), LP: uint(b / 9 % 5), PB: uint(b / 45)}, nil
}

type lenProbs struct {
	choice, choice2 uint16
	low             [16][8]uint16
	mid             [16][8]uint16
	high            [256]uint16
}

// probs is every adaptive probability but the literal coder's.
type probs struct {
	isMatch    [numStates << 4]uint16
	isRep      [numStates]uint16
	isRepG0    [numStates]uint16
	isRepG1    [numStates]uint16
	isRepG2    [numStates]uint16
	isRep0Long [numStates << 4]uint16
	posSlot    [4][64]uint16
	posSpecial [1 + fullDists - endPosModel]uint16
	align      [16]uint16
	matchLen   lenProbs
	repLen     lenProbs
}

// rangeDec is the range decoder over an in-memory input. Reading past the
// end yields zeros and moves pos past len(in), which the decoding loop
// checks once per symbol.
type rangeDec struct {
	rng, code uint32
	in        []byte
	pos       int
}

// init starts the range decoder at in[pos:]: a zero byte and the 32-bit code.
func (rc *rangeDec) init() error {
	if len(rc.in)-rc.pos < 5 {
		return errTruncated
	}
	if rc.in[rc.pos] != 0 {
		return corrupt("range coder start byte")
	}
	b := rc.in[rc.pos+1 : rc.pos+5]
	rc.code = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	rc.rng = 0xFFFFFFFF
	rc.pos += 5
	if rc.code == rc.rng {
		return corrupt("range coder start")
	}
	return nil
}

// normalize shifts in the next input byte when the range got small. The
// decoder normalizes before each bit (and once at the end, see flush), so
// the rare shift stays out of the inlined bit decoding.
func (rc *rangeDec) normalize() {
	if rc.rng < 1<<24 {
		rc.shift()
	}
}

//go:noinline
func (rc *rangeDec) shift() {
	rc.rng <<= 8
	var b byte
	if rc.pos < len(rc.in) {
		b = rc.in[rc.pos]
	}
	rc.pos++
	rc.code = rc.code<<8 | uint32(b)
}

func (rc *rangeDec) bit(p *uint16) uint32 {
	if rc.rng < 1<<24 {
		rc.shift()
	}
	v := uint32(*p)
	bound := (rc.rng >> 11) * v
	if rc.code < bound {
		rc.rng = bound
		*p = uint16(v + (2048-v)>>5)
		return 0
	}
	rc.rng -= bound
	rc.code -= bound
	*p = uint16(v - v>>5)
	return 1
}

// direct decodes n bits of probability one half.
func (rc *rangeDec) direct(n uint) uint32 {
	rng, code, ip, in := rc.rng, rc.code, rc.pos, rc.in
	var res uint32
	for ; n > 0; n-- {
		if rng < 1<<24 {
			rng <<= 8
			code <<= 8
			if ip < len(in) {
				code |= uint32(in[ip])
			}
			ip++
		}
		rng >>= 1
		code -= rng
		t := 0 - (code >> 31)
		code += rng & t
		res = res<<1 + t + 1
	}
	rc.rng, rc.code, rc.pos = rng, code, ip
	return res
}

// tree decodes an n-bit symbol with a bit tree of 1<<n probabilities.
// The bit decoding is written out here and in the literal loop: the
// compiler does not inline it.
func (rc *rangeDec) tree(p []uint16, n uint) uint32 {
	rng, code, ip, in := rc.rng, rc.code, rc.pos, rc.in
	top := uint32(1) << n
	p = p[:top]
	m := uint32(1)
	for m < top {
		if rng < 1<<24 {
			rng <<= 8
			code <<= 8
			if ip < len(in) {
				code |= uint32(in[ip])
			}
			ip++
		}
		pr := &p[m]
		v := uint32(*pr)
		bound := (rng >> 11) * v
		if code < bound {
			rng = bound
			*pr = uint16(v + (2048-v)>>5)
			m <<= 1
		} else {
			rng -= bound
			code -= bound
			*pr = uint16(v - v>>5)
			m = m<<1 | 1
		}
	}
	rc.rng, rc.code, rc.pos = rng, code, ip
	return m - top
}

// reverse decodes an n-bit symbol least significant bit first.
func (rc *rangeDec) reverse(p []uint16, n uint) uint32 {
	rng, code, ip, in := rc.rng, rc.code, rc.pos, rc.in
	m, sym := uint32(1), uint32(0)
	for i := uint(0); i < n; i++ {
		if rng < 1<<24 {
			rng <<= 8
			code <<= 8
			if ip < len(in) {
				code |= uint32(in[ip])
			}
			ip++
		}
		pr := &p[m]
		v := uint32(*pr)
		bound := (rng >> 11) * v
		if code < bound {
			rng = bound
			*pr = uint16(v + (2048-v)>>5)
			m <<= 1
		} else {
			rng -= bound
			code -= bound
			*pr = uint16(v - v>>5)
			m = m<<1 | 1
			sym |= 1 << i
		}
	}
	rc.rng, rc.code, rc.pos = rng, code, ip
	return sym
}

func (rc *rangeDec) length(l *lenProbs, posState uint32) uint32 {
	if rc.bit(&l.choice) == 0 {
		return rc.tree(l.low[posState][:], 3)
	}
	if rc.bit(&l.choice2) == 0 {
		return 8 + rc.tree(l.mid[posState][:], 3)
	}
	return 16 + rc.tree(l.high[:], 8)
}

var errTruncated = fmt.Errorf("%w: truncated input", ErrCorrupt)

// Decoder is the LZMA decoding state: probabilities, coder state, range
// decoder and dictionary. The zero value is not ready; call Reset.
type Decoder struct {
	p     probs
	lit   []uint16
	props Props
	state uint32
	rep   [4]uint32
	rc    rangeDec

	// dict is the window: pos is the next byte to write, wrapped says the
	// bytes from pos to the end are history too. Its length is a multiple
	// of 16 in circular use, so pos keeps the low bits the position
	// contexts need.
	dict    []byte
	pos     int
	wrapped bool

	pending int  // match bytes still to copy when the limit stopped a match
	eos     bool // the end marker was decoded
}

// SetProps sets lc/lp/pb and resets the coder state (not the dictionary).
func (d *Decoder) SetProps(p Props) error {
	if p.LC > 8 || p.LP > 4 || p.PB > 4 {
		return ErrProps
	}
	d.props = p
	n := litProbs << (p.LC + p.LP)
	if cap(d.lit) < n {
		d.lit = make([]uint16, n)
	}
	d.lit = d.lit[:n]
	d.resetState()
	return nil
}

// resetState resets probabilities, state and reps.
func (d *Decoder) resetState() {
	fill(d.lit)
	p := &d.p
	fill(p.isMatch[:])
	fill(p.isRep[:])
	fill(p.isRepG0[:])
	fill(p.isRepG1[:])
	fill(p.isRepG2[:])
	fill(p.isRep0Long[:])
	for i := range p.posSlot {
		fill(p.posSlot[i][:])
	}
	fill(p.posSpecial[:])
	fill(p.align[:])
	resetLen(&p.matchLen)
	resetLen(&p.repLen)
	d.state = 0
	d.rep = [4]uint32{}
	d.pending = 0
	d.eos = false
}

func resetLen(l *lenProbs) {
	l.choice, l.choice2 = probInit, probInit
	for i := range l.low {
		fill(l.low[i][:])
		fill(l.mid[i][:])
	}
	fill(l.high[:])
}

func fill(p []uint16) {
	for i := range p {
		p[i] = probInit
	}
}

// resetDict empties the dictionary, keeping its buffer.
func (d *Decoder) resetDict() {
	d.pos = 0
	d.wrapped = false
}

// has says whether the dictionary holds any byte.
func (d *Decoder) has() bool { return d.pos > 0 || d.wrapped }

// decode decodes symbols until the dictionary position reaches limit
// (<= len(d.dict)), the end marker, or the input position passes inSafe,
// checked before each symbol. With final set the input ends at len(in):
// a symbol that read past it is undone and the input is truncated.
func (d *Decoder) decode(limit, inSafe int, final bool) error {
	if d.eos {
		return nil
	}
	dict := d.dict
	pos := d.pos
	wrapped := d.wrapped
	rc := d.rc
	p := &d.p
	state := d.state
	rep0, rep1, rep2, rep3 := d.rep[0], d.rep[1], d.rep[2], d.rep[3]
	lc := d.props.LC
	lpMask := uint32(1)<<d.props.LP - 1
	pbMask := uint32(1)<<d.props.PB - 1
	lit := d.lit
	var err error

	// A match the previous call could not finish.
	if d.pending > 0 {
		n := min(d.pending, limit-pos)
		pos = copyMatch(dict, pos, int(rep0), n)
		d.pending -= n
	}

	// The range decoder's state lives in locals in the loop; the less
	// frequent parts call rc's methods between syncs.
	rng, code, ip, in := rc.rng, rc.code, rc.pos, rc.in
	symStart := pos
	for pos < limit {
		if ip > inSafe {
			if final && ip > len(in) {
				pos = symStart
				err = errTruncated
			}
			break
		}
		symStart = pos
		posState := uint32(pos) & pbMask
		if rng < 1<<24 {
			rng <<= 8
			code <<= 8
			if ip < len(in) {
				code |= uint32(in[ip])
			}
			ip++
		}
		pr := &p.isMatch[state<<4|posState]
		v := uint32(*pr)
		bound := (rng >> 11) * v
		if code < bound {
			rng = bound
			*pr = uint16(v + (2048-v)>>5)
			// Literal.
			var prev uint32
			if pos > 0 {
				prev = uint32(dict[pos-1])
			} else if wrapped {
				prev = uint32(dict[len(dict)-1])
			}
			probs := lit[litProbs*((uint32(pos)&lpMask)<<lc+prev>>(8-lc)):]
			probs = probs[:litProbs]
			sym := uint32(1)
			if state >= 7 {
				src := pos - int(rep0) - 1
				if src < 0 {
					src += len(dict)
				}
				match := uint32(dict[src])
				for sym < 0x100 {
					mb := (match >> 7) & 1
					match <<= 1
					if rng < 1<<24 {
						rng <<= 8
						code <<= 8
						if ip < len(in) {
							code |= uint32(in[ip])
						}
						ip++
					}
					pr := &probs[(1+mb)<<8+sym]
					v := uint32(*pr)
					bound := (rng >> 11) * v
					var b uint32
					if code < bound {
						rng = bound
						*pr = uint16(v + (2048-v)>>5)
					} else {
						rng -= bound
						code -= bound
						*pr = uint16(v - v>>5)
						b = 1
					}
					sym = sym<<1 | b
					if mb != b {
						break
					}
				}
			}
			for sym < 0x100 {
				if rng < 1<<24 {
					rng <<= 8
					code <<= 8
					if ip < len(in) {
						code |= uint32(in[ip])
					}
					ip++
				}
				pr := &probs[sym&0xff]
				v := uint32(*pr)
				bound := (rng >> 11) * v
				if code < bound {
					rng = bound
					*pr = uint16(v + (2048-v)>>5)
					sym <<= 1
				} else {
					rng -= bound
					code -= bound
					*pr = uint16(v - v>>5)
					sym = sym<<1 | 1
				}
			}
			dict[pos] = byte(sym)
			pos++
			switch {
			case state < 4:
				state = 0
			case state < 10:
				state -= 3
			default:
				state -= 6
			}
			continue
		}
		rng -= bound
		code -= bound
		*pr = uint16(v - v>>5)
		rc.rng, rc.code, rc.pos = rng, code, ip
		var length uint32
		if rc.bit(&p.isRep[state]) != 0 {
			if pos == 0 && !wrapped {
				rng, code, ip = rc.rng, rc.code, rc.pos
				err = corrupt("repeated match in an empty dictionary")
				break
			}
			if rc.bit(&p.isRepG0[state]) == 0 {
				if rc.bit(&p.isRep0Long[state<<4|posState]) == 0 {
					// Short rep: one byte at rep0.
					if state < 7 {
						state = 9
					} else {
						state = 11
					}
					src := pos - int(rep0) - 1
					if src < 0 {
						src += len(dict)
					}
					dict[pos] = dict[src]
					pos++
					rng, code, ip = rc.rng, rc.code, rc.pos
					continue
				}
			} else {
				var dist uint32
				if rc.bit(&p.isRepG1[state]) == 0 {
					dist = rep1
				} else {
					if rc.bit(&p.isRepG2[state]) == 0 {
						dist = rep2
					} else {
						dist = rep3
						rep3 = rep2
					}
					rep2 = rep1
				}
				rep1 = rep0
				rep0 = dist
			}
			length = rc.length(&p.repLen, posState)
			if state < 7 {
				state = 8
			} else {
				state = 11
			}
		} else {
			rep3, rep2, rep1 = rep2, rep1, rep0
			length = rc.length(&p.matchLen, posState)
			if state < 7 {
				state = 7
			} else {
				state = 10
			}
			// Distance.
			lenState := min(length, 3)
			slot := rc.tree(p.posSlot[lenState][:], 6)
			if slot < 4 {
				rep0 = slot
			} else {
				n := uint(slot>>1) - 1
				dist := (2 | slot&1) << n
				if slot < endPosModel {
					dist += rc.reverse(p.posSpecial[dist-slot:], n)
				} else {
					dist += rc.direct(n-4) << 4
					dist += rc.reverse(p.align[:], 4)
				}
				rep0 = dist
			}
			if rep0 == eosDist {
				rng, code, ip = rc.rng, rc.code, rc.pos
				if ip > len(in) {
					pos = symStart
					err = errTruncated
					break
				}
				d.eos = true
				break
			}
		}
		rng, code, ip = rc.rng, rc.code, rc.pos
		// Distance check: rep0 must reach into the history. (Reps are
		// checked again here since any of them may be garbage.)
		if int64(rep0) >= int64(pos) && (!wrapped || int64(rep0) >= int64(len(dict))) {
			err = corrupt("match distance beyond the dictionary")
			break
		}
		n := int(length) + minMatchLen
		room := limit - pos
		if n > room {
			d.pending = n - room
			n = room
		}
		if src := pos - int(rep0) - 1; src >= 0 && n <= 16 {
			// Most matches are short: a forward byte copy (which also
			// repeats an overlapping source) beats a call.
			dst, from := dict[pos:pos+n], dict[src:src+n]
			for i := range dst {
				dst[i] = from[i]
			}
			pos += n
			continue
		}
		pos = copyMatch(dict, pos, int(rep0), n)
	}
	rc.rng, rc.code, rc.pos = rng, code, ip
	if err == nil && rc.pos > len(rc.in) && final {
		// The last symbol read past the input.
		pos = symStart
		d.pending = 0
		err = errTruncated
	}
	d.pos = pos
	d.rc = rc
	d.state = state
	d.rep = [4]uint32{rep0, rep1, rep2, rep3}
	return err
}

// copyMatch copies n bytes from distance rep0+1 behind pos to pos and
// returns the new position. The distance was checked.
func copyMatch(dict []byte, pos, rep0, n int) int {
	src := pos - rep0 - 1
	if src >= 0 {
		end := pos + n
		if pos-src >= n {
			copy(dict[pos:end], dict[src:src+n])
			return end
		}
		// Overlapping: the copied part repeats with period pos-src, so
		// the source run doubles each step.
		for pos < end {
			pos += copy(dict[pos:end], dict[src:pos])
		}
		return end
	}
	src += len(dict)
	for i := 0; i < n; i++ {
		dict[pos] = dict[src]
		pos++
		src++
		if src == len(dict) {
			src = 0
		}
	}
	return pos
}

// finishedOK says whether the range decoder ended cleanly (code 0), as
// after the last symbol of a stream without end marker. The final
// normalization reads the stream's last byte.
func (d *Decoder) finishedOK() bool {
	d.rc.normalize()
	return d.rc.code == 0 && d.rc.pos <= len(d.rc.in)
}

// decodeMarker decodes one symbol after the known size was reached; it must
// be the end marker. The decoder is unusable afterwards.
func (d *Decoder) decodeMarker() error {
	rc := &d.rc
	p := &d.p
	posState := uint32(d.pos) & (uint32(1)<<d.props.PB - 1)
	if rc.bit(&p.isMatch[d.state<<4|posState]) == 0 || rc.bit(&p.isRep[d.state]) != 0 {
		return corrupt("data after the unpacked size")
	}
	length := rc.length(&p.matchLen, posState)
	slot := rc.tree(p.posSlot[min(length, 3)][:], 6)
	if slot != 63 {
		return corrupt("data after the unpacked size")
	}
	n := uint(slot>>1) - 1
	dist := (2 | slot&1) << n
	dist += rc.direct(n-4) << 4
	dist += rc.reverse(p.align[:], 4)
	if rc.pos > len(rc.in) {
		return errTruncated
	}
	if dist != eosDist {
		return corrupt("data after the unpacked size")
	}
	d.eos = true
	return nil
}
