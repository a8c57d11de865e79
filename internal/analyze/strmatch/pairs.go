package strmatch

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
)

// pairTable is the vector prefilter's data: byte-class tables of 128
// entries, indexed by a text byte folded with 0x20 and then squeezed to
// seven bits (pairIndex), whose bits are sixteen buckets of keywords,
// eight per half. half[h].first[pairIndex(b)] has bit g set when a
// keyword of bucket 8h+g begins with b (folded), half[h].second when one
// has b as its second byte. A position whose byte's first classes and
// the next byte's second classes share no bit in either half begins no
// keyword and fails the scalar firsts table: every keyword is in a
// bucket, so its first two bytes set that bucket's bit in both. The
// filter is a superset of firsts, never stricter, whatever the buckets;
// the buckets only make it tighter (one bucket would pass any first byte
// of one keyword followed by any second byte of another).
//
// nib is the same filter coarser, for 16-byte shuffles (AVX2): each
// half's first and second tables as an and of two tables of 16, one by
// the low nibble of b|0x20 and one by the high nibble; entry n of the
// low one is the or of the classes of every byte whose low nibble is n
// (the high one likewise), so a bucket bit of b is in both.
type pairTable struct {
	half [2]struct{ first, second [128]uint8 }
	nib  [2]struct{ firstLo, firstHi, secondLo, secondHi [16]uint8 }
}

// pairIndex maps b|0x20 one to one onto 0..127: bit 5 (always set once
// folded) is dropped, bits 6 and 7 move down.
func pairIndex(b byte) uint8 { return b&0x1f | b>>1&0x60 }

// pass says whether the position of a followed by b passes the classes.
func (t *pairTable) pass(a, b byte) bool {
	x, y := pairIndex(a), pairIndex(b)
	return t.half[0].first[x]&t.half[0].second[y]|t.half[1].first[x]&t.half[1].second[y] != 0
}

// newPairTable puts the keywords (two bytes or more) in buckets by their
// folded first byte. Greedy, first bytes with the most second bytes first:
// each goes to the bucket whose firsts-by-seconds product (the pairs the
// bucket lets through) grows least.
func newPairTable(keywords []string) *pairTable {
	var seconds [128][2]uint64 // first byte -> set of second bytes
	var used [128]bool
	for _, k := range keywords {
		if len(k) < 2 {
			continue
		}
		a, b := pairIndex(k[0]), pairIndex(k[1])
		seconds[a][b>>6] |= 1 << (b & 63)
		used[a] = true
	}
	count := func(s [2]uint64) int {
		return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1])
	}
	var order []int
	for a := range 128 {
		if used[a] {
			order = append(order, a)
		}
	}
	// most second bytes first (ties by byte: deterministic)
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(count(seconds[y]), count(seconds[x])) })
	const nb = 16
	t := &pairTable{}
	var nfirst [nb]int
	var bucket [nb][2]uint64
	for _, a := range order {
		best, bestCost := 0, -1
		for g := range nb {
			u := [2]uint64{bucket[g][0] | seconds[a][0], bucket[g][1] | seconds[a][1]}
			cost := (nfirst[g]+1)*count(u) - nfirst[g]*count(bucket[g])
			if bestCost < 0 || cost < bestCost {
				best, bestCost = g, cost
			}
		}
		nfirst[best]++
		bucket[best][0] |= seconds[a][0]
		bucket[best][1] |= seconds[a][1]
		t.half[best/8].first[a] |= 1 << (best % 8)
	}
	for g := range nb {
		for b := range 128 {
			if bucket[g][b>>6]&(1<<(b&63)) != 0 {
				t.half[g/8].second[b] |= 1 << (g % 8)
			}
		}
	}
	for h := range t.nib {
		n := &t.nib[h]
		for c := 0x20; c < 256; c = (c + 1) | 0x20 {
			f, s := t.half[h].first[pairIndex(byte(c))], t.half[h].second[pairIndex(byte(c))]
			n.firstLo[c&15] |= f
			n.firstHi[c>>4] |= f
			n.secondLo[c&15] |= s
			n.secondHi[c>>4] |= s
		}
	}
	return t
}

// passNib is pass by the nibble tables.
func (t *pairTable) passNib(a, b byte) bool {
	a, b = a|0x20, b|0x20
	var m uint8
	for h := range t.nib {
		n := &t.nib[h]
		m |= n.firstLo[a&15] & n.firstHi[a>>4] & n.secondLo[b&15] & n.secondHi[b>>4]
	}
	return m != 0
}

// pairMasksGo is pairMasks without the vector instructions (other CPUs,
// and the tests' reference): masks[j] gets the mask of the 64 positions
// from 64j (bit k: position 64j+k passes the pair classes), for the
// blocks whose positions all have four bytes to read (64j+vecTail <=
// len(text)), at most len(masks); it returns how many.
func pairMasksGo(t *pairTable, text []byte, masks []uint64) int {
	return pairMasksGoBy(t.pass, text, masks)
}

// pairMasksGoBy is pairMasksGo with the given test of a position.
func pairMasksGoBy(pass func(a, b byte) bool, text []byte, masks []uint64) int {
	j := 0
	for ; j < len(masks) && 64*j+vecTail <= len(text); j++ {
		var m uint64
		for k := range 64 {
			if pass(text[64*j+k], text[64*j+k+1]) {
				m |= 1 << k
			}
		}
		masks[j] = m
	}
	return j
}

// vecTail: a block of 64 positions is filtered by the vector only when
// the four bytes the scalar tables read at each of its positions exist.
const vecTail = 64 + 3

// maskCache holds the pair masks of the 64-position blocks from base on
// (masks[:nb]), made a few KiB ahead at a time and read by the calls of
// nextVector that follow one another through a text. The masks of the
// blocks before filtered hold only positions that pass the scalar tables
// too (where candidates are dense, a block is tested once, not once per
// candidate).
type maskCache struct {
	base, nb, filtered int
	masks              [64]uint64
}

// scanVector is scanScalar with the vector filter in front of its
// prefilter: 64 positions at a time, the positions that fail the pair
// classes (most of a binary's) are skipped, and the scalar tables test
// the others, in order. It finds the same candidate as scanScalar from
// every start, so the automaton makes the same runs and reports the same
// hits; the last positions of the text (fewer than vecTail) go through
// scanScalar's own prefilter.
func (d *keywordDFA) scanVector(text []byte, out func(i int, state int)) {
	n := len(text)
	seen := 0
	var c maskCache
	for i := 0; ; {
		i = d.nextVector(text, i, &c)
		if i+1 >= n {
			return
		}
		var ok bool
		if i, seen, ok = d.run(text, i, seen, out); !ok {
			return
		}
	}
}

// nextVector returns the first position from i on that passes the scalar
// prefilter, or the first of the text's last three positions (every one
// of which is a candidate) when none does before: what scanScalar's
// prefilter loops give from i. c carries the masks from one call to the
// next; the calls of one text come with i growing.
func (d *keywordDFA) nextVector(text []byte, i int, c *maskCache) int {
	n := len(text)
	firsts, quads, pairs, triples := &d.firsts, &d.quads, &d.pairs, &d.triples
	two, three := d.two, d.three
	for {
		if i < c.base || i >= c.base+64*c.nb {
			if i+vecTail > n {
				break
			}
			c.base, c.nb, c.filtered = i, pairMasks(d.vec, text[i:], c.masks[:]), 0
		}
		j := (i - c.base) >> 6 & 63
		at := c.base + 64*j
		m := c.masks[j] >> (i - at) << (i - at)
		i = at + 64
		if m == 0 {
			continue
		}
		if j < c.filtered {
			return at + bits.TrailingZeros64(m)
		}
		// The scalar tables' test of the block's positions left,
		// without a branch per position (whether one passes firsts is a
		// coin toss): the first position kept is the candidate.
		b := (*[vecTail]byte)(text[at : at+vecTail])
		var keep uint64
		for ; m != 0; m &= m - 1 {
			k := bits.TrailingZeros64(m) & 63
			w := binary.LittleEndian.Uint32(b[k:]) | folded
			f, h := w&0xffff, hash(w)
			y := quads[h>>6] >> (h & 63)
			if two {
				y |= pairs[f>>6] >> (f & 63)
			}
			if three {
				h3 := hash(w & 0xffffff)
				y |= triples[h3>>6] >> (h3 & 63)
			}
			keep |= (firsts[f>>6] >> (f & 63) & y & 1) << k
		}
		// Positions before the one asked for never are again.
		c.masks[j], c.filtered = keep, j+1
		if keep != 0 {
			return at + bits.TrailingZeros64(keep)
		}
	}
	return d.nextScalar(text, i)
}

// passes is the scalar prefilter's test of four folded bytes.
func (d *keywordDFA) passes(w uint32) bool {
	if f := w & 0xffff; d.firsts[f>>6]&(1<<(f&63)) == 0 {
		return false
	}
	if h := hash(w); d.quads[h>>6]&(1<<(h&63)) != 0 {
		return true
	}
	if d.two {
		if x := w & 0xffff; d.pairs[x>>6]&(1<<(x&63)) != 0 {
			return true
		}
	}
	if d.three {
		if h := hash(w & 0xffffff); d.triples[h>>6]&(1<<(h&63)) != 0 {
			return true
		}
	}
	return false
}

// nextScalar is nextVector's answer from the scalar tables alone: the
// first position from i on where passes holds, or the first of the last
// three when none does (i itself when it is past them).
func (d *keywordDFA) nextScalar(text []byte, i int) int {
	for n := len(text); i+3 < n; i++ {
		if d.passes(binary.LittleEndian.Uint32(text[i:]) | folded) {
			return i
		}
	}
	return i
}
