package crypto

import "bytes"

// The literals Scan looks for. Every one contains a '-': a pass that stops
// at dashes finds them all.
const (
	pemBegin   = "-----BEGIN "
	pgpBegin   = "-----BEGIN PGP PRIVATE KEY BLOCK-----"
	puttyBegin = "PuTTY-User-Key-File-"
	puttyDash  = 5 // the offset of puttyBegin's first '-'
)

// marks is what one pass over a file finds.
type marks struct {
	begins []int // offset of every pemBegin
	putty  int   // offset of the first puttyBegin, or -1
	ders   []int // offsets where a carved DER key or certificate may start (derCandidate)
}

// derLenByte says which second bytes of a SEQUENCE give a definite
// length of at least 64 bytes (derLen): a short form of 62 and more, or a
// long form of one to three length bytes. Every other 0x30 byte is no
// carving candidate.
var derLenByte = func() (t [256]bool) {
	for b := 0x3e; b < 0x80; b++ {
		t[b] = true
	}
	t[0x81], t[0x82], t[0x83] = true, true, true
	return
}()

// derCandidate says whether a DER key or certificate worth a parse
// attempt may start at data[p]: a SEQUENCE of 64 bytes or more that
// data holds whole, whose body opens like one of derStarts.
func derCandidate(data []byte, p int) bool {
	if p+1 >= len(data) || !derLenByte[data[p+1]] {
		return false
	}
	hdr := 2
	if data[p+1] >= 0x80 {
		hdr += int(data[p+1] & 0x7f)
	}
	// every derStarts entry opens with a SEQUENCE or an INTEGER tag:
	// most candidates fail here, before their length is read
	if p+hdr >= len(data) || data[p+hdr] != 0x30 && data[p+hdr] != 0x02 {
		return false
	}
	n := derLen(data[p:])
	if n < 64 || p+n > len(data) {
		return false
	}
	body := data[p+hdr:]
	for _, s := range derStarts {
		if len(body) >= len(s) && string(body[:len(s)]) == string(s) {
			return true
		}
	}
	return false
}

// isStop says whether the search stops at b[i]: a dash (every literal
// has one) or tag followed by a length byte of derLenByte (tag is 0x30
// when carving, else '-' again).
func isStop(b []byte, i int, tag byte) bool {
	c := b[i]
	return c == '-' || c == tag && i+1 < len(b) && derLenByte[b[i+1]]
}

// indexStopGeneric is indexStop from position from on, one byte at a time.
func indexStopGeneric(b []byte, from int, tag byte) int {
	for i := from; i < len(b); i++ {
		if isStop(b, i, tag) {
			return i
		}
	}
	return -1
}

// search reads data once, stopping only at dashes and, when carve is
// set, at SEQUENCE tags (0x30) followed by a fitting length byte: the
// literals are checked at their dashes and DER candidates at their tag.
// This replaces one search per literal and a bytes.IndexByte call at
// every 0x30 byte, as frequent in binaries as one in 150 bytes, most of
// them followed by no length byte a carved key or certificate can have.
func search(data []byte, carve bool) marks {
	if !blockSearch {
		return searchBytes(data, carve)
	}
	m := marks{putty: -1}
	tag := byte(0x30)
	if !carve {
		tag = '-'
	}
	for off := 0; off < len(data); {
		i := indexStop(data[off:], tag)
		if i < 0 {
			break
		}
		p := off + i
		off = p + 1
		if data[p] == '-' {
			m.dash(data, p)
			continue
		}
		if derCandidate(data, p) {
			m.ders = append(m.ders, p)
		}
	}
	return m
}

// dash records the literal, if any, whose dash data[p] is.
func (m *marks) dash(data []byte, p int) {
	// a first byte compared before the whole literal: most dashes are in
	// neither
	if p+len(pemBegin) <= len(data) && data[p+1] == '-' && string(data[p:p+len(pemBegin)]) == pemBegin {
		m.begins = append(m.begins, p)
	}
	if s := p - puttyDash; m.putty < 0 && s >= 0 && s+len(puttyBegin) <= len(data) && data[s] == 'P' && string(data[s:s+len(puttyBegin)]) == puttyBegin {
		m.putty = s
	}
}

// searchBytes is search where no block search is written (see
// blockSearch): the dashes and the SEQUENCE tags are found in two passes
// of bytes.IndexByte, as fast there as one byte-at-a-time pass is slow.
func searchBytes(data []byte, carve bool) marks {
	m := marks{putty: -1}
	for off := 0; off < len(data); {
		i := bytes.IndexByte(data[off:], '-')
		if i < 0 {
			break
		}
		m.dash(data, off+i)
		off += i + 1
	}
	for off := 0; carve && off < len(data); {
		i := bytes.IndexByte(data[off:], 0x30)
		if i < 0 {
			break
		}
		if derCandidate(data, off+i) {
			m.ders = append(m.ders, off+i)
		}
		off += i + 1
	}
	return m
}
