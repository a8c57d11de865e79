package strmatch

import "encoding/binary"

// keywordDFA is an Aho-Corasick automaton compiled to a dense DFA over
// byte classes: ASCII letters fold to one class per letter (the match is
// case-insensitive without lower-casing the text), and every byte that
// occurs in no keyword shares class 0. The inner loop is one load per
// input byte.
//
// The automaton does not run over every byte: a prefilter looks for the
// next place where the first four bytes of some keyword occur (a hashed
// bit table of the keywords' first four bytes, each byte folded with
// 0x20, 16 KiB, in the L1 cache; tables of the first two or three bytes
// when shorter keywords exist; before any of them, a direct bit table of
// every keyword's first two bytes, which most bytes of a binary fail,
// and before that one of their first three, looked up at every other
// byte) and the automaton runs from there only until it is
// back in a state of depth one or less, where no keyword can be under way
// that did not start at the current byte. The prefilter's loads do not
// depend on each other, so it runs several times faster than the
// automaton's chain of dependent loads, and its cost hardly grows with the
// table: a larger rule set means a few more candidates, not a larger
// table to walk for every byte. On CPUs with the vector instructions for
// it, a first stage in front of these tables tests 64 positions at a time
// (pairs.go, scanVector) and leaves them only the few that may pass.
type keywordDFA struct {
	class  [256]uint8
	nclass int
	// delta[state*nclass + class] = next*nclass<<8 | depth(next)<<1 | 1 if
	// next ends a keyword: the state is kept pre-multiplied and the depth
	// (the length of the keyword prefix the state stands for; deepCap for
	// 127 and more) and the output test are bits of the same load.
	delta []uint32
	out   [][]int // state -> keyword indexes ending here
	lens  []int   // keyword lengths
	// quads has bit hash(b0 b1 b2 b3) set for the first four bytes of
	// every keyword of four or more, pairs bit b0<<8|b1 for the two-byte
	// keywords and triples bit hash(b0 b1 b2) for the three-byte ones,
	// every byte or-ed with 0x20 (a letter's two cases are one, and a few
	// other bytes share a bit: the prefilter may give false candidates,
	// never miss one). skip is false when a keyword is shorter than two
	// bytes, and the automaton then reads every byte.
	quads, triples   [1 << hashBits / 64]uint64
	pairs            [1 << 16 / 64]uint64
	skip, two, three bool
	// firsts has bit b0<<8|b1 set for the first two bytes of every
	// keyword (folded as above): a direct lookup, without the hash's
	// multiply, that rules out most bytes before the other tables are
	// read.
	firsts [1 << 16 / 64]uint64
	// spans has the firsts bits and the bits of every keyword's second
	// and third bytes (for a two-byte keyword: its second byte then any
	// byte): a keyword starting at i or i-1 has its bit for the pair at
	// i, so one lookup clears two positions.
	spans [1 << 16 / 64]uint64
	// vec is the vector filter's tables (scanVector), made when skip.
	vec *pairTable
}

// folded is or-ed into four text bytes before the prefilter's lookups.
const folded = 0x20202020

const (
	hashBits = 17
	deepCap  = 127
)

// hash maps up to four bytes, little-endian in w, to a table bit.
func hash(w uint32) uint { return uint(w*2654435761) >> (32 - hashBits) }

// newKeywordDFA builds the automaton; keywords must be lower case (the
// Set folds them).
func newKeywordDFA(keywords []string) *keywordDFA {
	d := &keywordDFA{nclass: 1}
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := k[i]
			if d.class[c] == 0 {
				d.class[c] = uint8(d.nclass)
				if c >= 'a' && c <= 'z' {
					d.class[c-'a'+'A'] = uint8(d.nclass)
				}
				d.nclass++
			}
		}
		d.lens = append(d.lens, len(k))
	}
	if d.nclass > 255 {
		panic("keywordDFA: too many byte classes")
	}
	// Trie over classes, every node's edges in one flat table (node s's
	// edge on class c at s*nc+c; -1 = no edge yet): one allocation that
	// grows, not one per node.
	nc := d.nclass
	size := 1
	for _, k := range keywords {
		size += len(k)
	}
	next := make([]int32, nc, size*nc)
	for i := range next {
		next[i] = -1
	}
	nodes := 1
	d.out = make([][]int, 1, size)
	for ki, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := int32(d.class[k[i]])
			if next[s*int32(nc)+c] < 0 {
				for range nc {
					next = append(next, -1)
				}
				d.out = append(d.out, nil)
				next[s*int32(nc)+c] = int32(nodes)
				nodes++
			}
			s = next[s*int32(nc)+c]
		}
		d.out[s] = append(d.out[s], ki)
	}
	if nodes*nc >= 1<<24 {
		panic("keywordDFA: too many states")
	}
	// Breadth-first: fail links, inherited outputs, full transitions.
	depth := make([]int, nodes)
	fail := make([]int32, nodes)
	queue := make([]int32, 0, nodes)
	for c := 0; c < nc; c++ {
		if t := next[c]; t >= 0 {
			fail[t] = 0
			depth[t] = 1
			queue = append(queue, t)
		} else {
			next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		if len(d.out[f]) > 0 {
			d.out[s] = append(d.out[s], d.out[f]...)
		}
		row, frow := next[int(s)*nc:int(s+1)*nc], next[int(f)*nc:int(f+1)*nc]
		for c := 0; c < nc; c++ {
			if t := row[c]; t >= 0 {
				fail[t] = frow[c]
				depth[t] = depth[s] + 1
				queue = append(queue, t)
			} else {
				row[c] = frow[c]
			}
		}
	}
	d.delta = make([]uint32, nodes*nc)
	for i, t := range next {
		v := uint32(t)*uint32(nc)<<8 | uint32(min(depth[t], deepCap))<<1
		if len(d.out[t]) > 0 {
			v |= 1
		}
		d.delta[i] = v
	}
	d.skip = true
	for _, k := range keywords {
		if len(k) < 2 {
			d.skip = false
			continue
		}
		var w uint32
		for i := 0; i < 4 && i < len(k); i++ {
			w |= uint32(k[i]|0x20) << (8 * i)
		}
		f := w & 0xffff
		d.firsts[f>>6] |= 1 << (f & 63)
		d.spans[f>>6] |= 1 << (f & 63)
		if len(k) >= 3 {
			x := w >> 8 & 0xffff
			d.spans[x>>6] |= 1 << (x & 63)
		} else {
			for b := range 256 {
				x := uint32(k[1]|0x20) | uint32(byte(b)|0x20)<<8
				d.spans[x>>6] |= 1 << (x & 63)
			}
		}
		switch len(k) {
		case 2:
			d.pairs[w>>6] |= 1 << (w & 63)
			d.two = true
		case 3:
			h := hash(w)
			d.triples[h>>6] |= 1 << (h & 63)
			d.three = true
		default:
			h := hash(w)
			d.quads[h>>6] |= 1 << (h & 63)
		}
	}
	if d.skip {
		d.vec = newPairTable(keywords)
	}
	return d
}

// scan calls out(i, state) for every position i where a keyword ends
// (state is the automaton's state there, d.out[state] the keywords).
func (d *keywordDFA) scan(text []byte, out func(i int, state int)) {
	if useVector && d.skip {
		d.scanVector(text, out)
		return
	}
	d.scanScalar(text, out)
}

// scanScalar is scan without vector instructions.
func (d *keywordDFA) scanScalar(text []byte, out func(i int, state int)) {
	delta, class, nc := d.delta, &d.class, uint32(d.nclass)
	if !d.skip {
		var st uint32
		for i, b := range text {
			v := delta[st+uint32(class[b])]
			st = v >> 8
			if v&1 != 0 {
				out(i, int(st/nc))
			}
		}
		return
	}
	n := len(text)
	quads, triples, pairs, firsts, spans := &d.quads, &d.triples, &d.pairs, &d.firsts, &d.spans
	seen := 0
outer:
	for i := 0; ; {
		// Most positions of a binary fail the firsts table: four of them
		// are tested at once from one eight-byte load, with independent
		// lookups, before any is looked at more closely.
		for i+8 <= n {
			w := binary.LittleEndian.Uint64(text[i:]) | folded<<32 | folded
			a, b, c := w>>8&0xffff, w>>24&0xffff, w>>40&0xffff
			if spans[a>>6]&(1<<(a&63))|spans[b>>6]&(1<<(b&63))|spans[c>>6]&(1<<(c&63)) != 0 {
				break
			}
			i += 6
		}
		// In the start state: find the next place where the first four
		// bytes of a keyword occur (or the first two or three, for
		// shorter ones). The last three bytes are all candidates; the
		// text's last byte begins no keyword (all have two or more).
		for lim := i + 6; i+3 < n; i++ {
			if i >= lim {
				continue outer // back to four at a time
			}
			w := binary.LittleEndian.Uint32(text[i:]) | folded
			if f := w & 0xffff; firsts[f>>6]&(1<<(f&63)) == 0 {
				continue
			}
			if h := hash(w); quads[h>>6]&(1<<(h&63)) != 0 {
				break
			}
			if d.two {
				if x := w & 0xffff; pairs[x>>6]&(1<<(x&63)) != 0 {
					break
				}
			}
			if d.three {
				if h := hash(w & 0xffffff); triples[h>>6]&(1<<(h&63)) != 0 {
					break
				}
			}
		}
		if i+1 >= n {
			return
		}
		var ok bool
		if i, seen, ok = d.run(text, i, seen, out); !ok {
			return
		}
	}
}

// run runs the automaton from the start state at candidate i until the
// longest keyword prefix it is in starts after the candidate (no keyword
// starts at the candidate, or the one that did has ended): every
// occurrence still possible starts at or after that prefix's first byte,
// which it returns for the prefilter to resume at, with seen moved past
// the bytes read; ok is false at the end of the text. Bytes before seen
// were read by an earlier run that reported every keyword ending there (a
// later run from a later start finds a subset).
func (d *keywordDFA) run(text []byte, i, seen int, out func(i int, state int)) (next, seen2 int, ok bool) {
	delta, class, nc := d.delta, &d.class, uint32(d.nclass)
	var st uint32
	for j := i; j < len(text); {
		v := delta[st+uint32(class[text[j]])]
		st = v >> 8
		if v&1 != 0 && j >= seen {
			out(j, int(st/nc))
		}
		j++
		if d := int(v>>1) & deepCap; d < deepCap && j-d > i {
			return j - d, max(seen, j), true
		}
	}
	return 0, 0, false
}

// walk calls fn(start, keyword) for every keyword occurrence in text.
func (d *keywordDFA) walk(text []byte, fn func(start, kw int)) {
	d.scan(text, func(i, state int) {
		for _, k := range d.out[state] {
			fn(i-d.lens[k]+1, k)
		}
	})
}
