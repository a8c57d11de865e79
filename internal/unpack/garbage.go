package unpack

import (
	"fmt"
	"io"
	"math"
)

// A carved stream candidate whose header matched by chance (two bytes of
// MIPS code that form a zlib header) can decode to a flood of a few byte
// values before it fails: a layer of megabytes of garbage. Such a
// candidate's output is tested as it is written: past guardBound bytes,
// output whose byte entropy is below garbageEntropy stops being written,
// and the rest of the stream is only decoded to learn how it ends. A
// stream that ends cleanly is real (a compressed, mostly empty image) and
// is extracted again in full; one that fails is dropped with a problem.
const (
	// guardBound is the most a carved stream writes before its output is
	// judged; a stream that fails within it is kept as it is.
	guardBound = 1 << 20
	// garbageEntropy, in bits per byte: code, text and file systems lie
	// well above it; the false zlib streams seen in kernels lie at 0.9.
	garbageEntropy = 2.0
)

// garbageGuard judges the output of one guarded entry.
type garbageGuard struct {
	hist      [256]int64
	n         int64
	next      int64 // output size of the next judgement; doubles
	tripped   bool
	entropy   float64 // at the judgement that tripped
	discarded int64   // bytes decoded but not written after tripping
	path      string
	decodeErr error // the decoding problem reported while tripped
}

func newGarbageGuard(p string) *garbageGuard { return &garbageGuard{next: guardBound, path: p} }

// add counts b and reports whether the output so far looks like garbage.
func (g *garbageGuard) add(b []byte) bool {
	for _, c := range b {
		g.hist[c]++
	}
	g.n += int64(len(b))
	if g.n < g.next {
		return false
	}
	for g.next <= g.n {
		g.next *= 2
	}
	if h := entropy(&g.hist, g.n); h < garbageEntropy {
		g.tripped, g.entropy = true, h
	}
	return g.tripped
}

// drain decodes the rest of r without writing it, at most limit bytes:
// a stream longer than the entry may write is no longer judged (it is
// extracted again and cut by the budget as any other).
func (g *garbageGuard) drain(r io.Reader, limit int64) {
	n, _ := io.Copy(io.Discard, io.LimitReader(r, max(limit, 0)+1))
	g.discarded += n
}

func entropy(hist *[256]int64, n int64) float64 {
	if n == 0 {
		return 0
	}
	var h float64
	for _, c := range hist {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}

func (g *garbageGuard) why(l *Layer) string {
	return fmt.Sprintf("%s at 0x%x in %s dropped: decoding failed (%v) after %d bytes of output; it wrote %d bytes of garbage (%.2f bits/byte), removed: a false match, nothing kept",
		l.Format, l.Offset, l.Source, g.decodeErr, g.n+g.discarded, g.n, g.entropy)
}
