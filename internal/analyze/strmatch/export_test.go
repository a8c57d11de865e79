package strmatch

import "encoding/binary"

// ScanBoth runs the scalar and the vector scan of s over data and returns
// what each reported: end offset and automaton state, in order; vector
// has one report per kind of vector masks this CPU has.
func ScanBoth(s *Set, data []byte) (scalar []int, vector [][]int) {
	vectorKinds(func(bool) { vector = append(vector, scanCalls(s.dfa, data, true)) })
	return scanCalls(s.dfa, data, false), vector
}

// scanCalls records the out calls of one scan.
func scanCalls(d *keywordDFA, text []byte, vector bool) []int {
	var got []int
	out := func(i, state int) { got = append(got, i, state) }
	if vector && d.skip {
		d.scanVector(text, out)
	} else {
		d.scanScalar(text, out)
	}
	return got
}

// HasVector says whether the vector scan runs on this CPU.
var HasVector = hasVector

// UseVector sets whether Set.Scan takes the vector scan, and with
// AVX-512 masks or not, and returns a function that restores both.
func UseVector(on, avx512 bool) (restore func()) {
	v, a := useVector, useAVX512
	useVector, useAVX512 = on, avx512
	return func() { useVector, useAVX512 = v, a }
}

// HasAVX512 says whether the AVX-512 masks can run here.
var HasAVX512 = hasAVX512

// RaceOn says whether the race detector is on (the long tests thin out).
const RaceOn = raceOn

// CandidateCounts counts the positions of data (those with four bytes to
// read) that pass the vector filter's pair classes (AVX-512), its nibble
// tables (AVX2), the scalar firsts table, and the whole scalar
// prefilter; spans counts the positions of the six-byte windows (from 0,
// 6, 12...) that pass the scalar scan's spans test, which it then looks
// at one by one.
func CandidateCounts(s *Set, data []byte) (positions, classes, nibbles, firsts, passes, spans int) {
	d := s.dfa
	if !d.skip {
		return
	}
	for i := 0; i+8 <= len(data); i += 6 {
		w := binary.LittleEndian.Uint64(data[i:]) | folded<<32 | folded
		a, b, c := w>>8&0xffff, w>>24&0xffff, w>>40&0xffff
		if d.spans[a>>6]&(1<<(a&63))|d.spans[b>>6]&(1<<(b&63))|d.spans[c>>6]&(1<<(c&63)) != 0 {
			spans += 6
		}
	}
	for p := 0; p+3 < len(data); p++ {
		positions++
		if d.vec.pass(data[p], data[p+1]) {
			classes++
		}
		if d.vec.passNib(data[p], data[p+1]) {
			nibbles++
		}
		f := uint32(data[p]|0x20) | uint32(data[p+1]|0x20)<<8
		if d.firsts[f>>6]&(1<<(f&63)) != 0 {
			firsts++
		}
		if d.passes(uint32(data[p]) | uint32(data[p+1])<<8 | uint32(data[p+2])<<16 | uint32(data[p+3])<<24 | folded) {
			passes++
		}
	}
	return
}
