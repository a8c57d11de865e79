package strmatch

import (
	"encoding/binary"
	"math/bits"
)

// pairTable is the vector prefilter's data: two byte-class tables of 128
// entries each, indexed by a text byte folded with 0x20 and then
// squeezed to seven bits (pairIndex), whose eight bits are buckets of
// keywords. first[pairIndex(b)] has bit g set when a keyword of bucket g
// begins with b (folded), second[pairIndex(b)] when one of bucket g has b
// as its second byte. A position whose byte's first classes and the next
// byte's second classes share no bit begins no keyword and fails the
// scalar firsts table: every keyword is in a bucket, so its first two
// bytes set that bucket's bit in both. The filter is a superset of
// firsts, never stricter, whatever the buckets; the buckets only make it
// tighter (one bucket would pass any pair of a first byte and a second
// byte of different keywords).
type pairTable struct {
	first, second [128]uint8
}

// pairIndex maps b|0x20 one to one onto 0..127: bit 5 (always set once
// folded) is dropped, bits 6 and 7 move down.
func pairIndex(b byte) uint8 { return b&0x1f | b>>1&0x60 }

// newPairTable puts the keywords (two bytes or more) in buckets by their
// folded first byte. Greedy, first bytes with the most second bytes first:
// each goes to the bucket whose firsts-by-seconds product (the pairs the
// bucket lets through) grows least.
func newPairTable(keywords []string) *pairTable {
	var seconds [128][4]uint64 // first byte -> set of second bytes
	var used [128]bool
	for _, k := range keywords {
		if len(k) < 2 {
			continue
		}
		a, b := pairIndex(k[0]), pairIndex(k[1])
		seconds[a][b>>6] |= 1 << (b & 63)
		used[a] = true
	}
	count := func(s *[4]uint64) int {
		return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1])
	}
	var order []int
	for a := range 128 {
		if used[a] {
			order = append(order, a)
		}
	}
	// insertion sort, most second bytes first (ties by byte: deterministic)
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && count(&seconds[order[j]]) > count(&seconds[order[j-1]]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	t := &pairTable{}
	var nfirst [8]int
	var bucket [8][4]uint64
	for _, a := range order {
		best, bestCost := 0, -1
		for g := range 8 {
			u := bucket[g]
			u[0] |= seconds[a][0]
			u[1] |= seconds[a][1]
			cost := (nfirst[g]+1)*count(&u) - nfirst[g]*count(&bucket[g])
			if bestCost < 0 || cost < bestCost {
				best, bestCost = g, cost
			}
		}
		nfirst[best]++
		bucket[best][0] |= seconds[a][0]
		bucket[best][1] |= seconds[a][1]
		t.first[a] |= 1 << best
	}
	for g := range 8 {
		for b := range 128 {
			if bucket[g][b>>6]&(1<<(b&63)) != 0 {
				t.second[b] |= 1 << g
			}
		}
	}
	return t
}

// pairMaskGo is pairMask without the vector instructions (other CPUs,
// and the tests' reference): from the first of the 64-position blocks at
// 0, 64, 128... of text whose positions all have four bytes to read
// (off+vecTail <= len(text)) and whose mask is not zero, the offset and
// the mask (bit k: position off+k passes the pair classes); when no block
// has a bit, the offset of the first block not tested, and 0.
func pairMaskGo(t *pairTable, text []byte) (off int, mask uint64) {
	for ; off+vecTail <= len(text); off += 64 {
		for k := range 64 {
			if t.first[pairIndex(text[off+k])]&t.second[pairIndex(text[off+k+1])] != 0 {
				mask |= 1 << k
			}
		}
		if mask != 0 {
			return off, mask
		}
	}
	return off, 0
}

// vecTail: a block of 64 positions is filtered by the vector only when
// the four bytes the scalar tables read at each of its positions exist.
const vecTail = 64 + 3

// scanVector is scanScalar with the vector filter in front of its
// prefilter: 64 positions at a time, the positions that fail the pair
// classes (most of a binary's) are skipped, and the scalar tables test
// the others, in order. It finds the same candidate as scanScalar from
// every start, so the automaton makes the same runs and reports the same
// hits; the last positions of the text (fewer than vecTail) go through
// scanScalar's own prefilter.
func (d *keywordDFA) scanVector(text []byte, out func(i int, state int)) {
	delta, class, nc := d.delta, &d.class, uint32(d.nclass)
	n := len(text)
	seen := 0
	for i := 0; ; {
		i = d.nextVector(text, i)
		if i+1 >= n {
			return
		}
		// The automaton's run, as in scanScalar.
		var st uint32
		for j := i; ; {
			if j >= n {
				return
			}
			v := delta[st+uint32(class[text[j]])]
			st = v >> 8
			if v&1 != 0 && j >= seen {
				out(j, int(st/nc))
			}
			j++
			if d := int(v>>1) & deepCap; d < deepCap && j-d > i {
				i, seen = j-d, max(seen, j)
				break
			}
		}
	}
}

// nextVector returns the first position from i on that passes the scalar
// prefilter, or the first of the text's last three positions (every one
// of which is a candidate) when none does before: what scanScalar's
// prefilter loops give from i.
func (d *keywordDFA) nextVector(text []byte, i int) int {
	n := len(text)
	firsts, quads, pairs, triples := &d.firsts, &d.quads, &d.pairs, &d.triples
	for i+vecTail <= n {
		off, m := pairMask(d.vec, text[i:])
		i += off
		if m == 0 {
			break // i+vecTail > n
		}
		// The firsts test of the block's positions left, without a
		// branch per position (whether one passes is a coin toss).
		b := (*[vecTail]byte)(text[i : i+vecTail])
		var keep uint64
		for ; m != 0; m &= m - 1 {
			k := bits.TrailingZeros64(m) & 63
			f := uint(b[k]|0x20) | uint(b[k+1]|0x20)<<8
			keep |= (firsts[f>>6] >> (f & 63) & 1) << k
		}
		for ; keep != 0; keep &= keep - 1 {
			k := bits.TrailingZeros64(keep) & 63
			w := binary.LittleEndian.Uint32(b[k:]) | folded
			if h := hash(w); quads[h>>6]&(1<<(h&63)) != 0 {
				return i + k
			}
			if d.two {
				if x := w & 0xffff; pairs[x>>6]&(1<<(x&63)) != 0 {
					return i + k
				}
			}
			if d.three {
				if h := hash(w & 0xffffff); triples[h>>6]&(1<<(h&63)) != 0 {
					return i + k
				}
			}
		}
		i += 64
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
