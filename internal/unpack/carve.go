package unpack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// carver finds every registered format's magic in one multi-pattern pass.
// Magics are indexed by their first two bytes: one table lookup per input
// byte rejects almost every position (firmware is mostly compressed data),
// which is an order of magnitude faster than a general automaton here.
type carver struct {
	formats []format.Format
	magics  [][]byte
	pats    [][]pattern     // by magic index: every (format, offset) sharing that magic
	first   [1 << 16][]int  // magic indexes by their first two bytes
	has     [1 << 10]uint64 // bitmap of the keys of first: 8 KiB, stays in L1
	maxLen  int
	maxOff  int64
}

type pattern struct {
	fi  int   // index into formats
	off int64 // where the magic sits inside the format
}

type candidate struct {
	f    format.Format
	fi   int
	off  int64
	size int64
	m    format.Match
}

const (
	chunkSize = 4 << 20
	// maxIdentify bounds the Identify calls per file: a file of zlib-like
	// noise must not take minutes.
	maxIdentify = 200_000
	// minRegion is the smallest unclaimed range worth reporting.
	minRegion = 512
)

func newCarver(fs []format.Format) *carver {
	c := &carver{formats: fs}
	// Formats and offsets that share a magic hang off one index.
	index := map[string]int{}
	for i, f := range fs {
		for _, sig := range f.Signatures() {
			if len(sig.Magic) < 2 {
				panic("carve: magic shorter than 2 bytes in " + f.Name())
			}
			k := string(sig.Magic)
			pi, ok := index[k]
			if !ok {
				pi = len(c.pats)
				index[k] = pi
				c.magics = append(c.magics, sig.Magic)
				c.pats = append(c.pats, nil)
				key := uint16(sig.Magic[0])<<8 | uint16(sig.Magic[1])
				c.first[key] = append(c.first[key], pi)
				c.has[key>>6] |= 1 << (key & 63)
			}
			c.pats[pi] = append(c.pats[pi], pattern{fi: i, off: sig.Offset})
			c.maxLen = max(c.maxLen, len(sig.Magic))
			c.maxOff = max(c.maxOff, sig.Offset+int64(len(sig.Magic)))
		}
	}
	return c
}

// match calls fn(pos, magic index) for every magic occurrence starting at
// a position below limit in data.
func (c *carver) match(data []byte, limit int, fn func(pos int, mi int)) {
	end := min(limit, len(data)-1)
	has := &c.has
	for i := 0; i < end; i++ {
		key := uint16(data[i])<<8 | uint16(data[i+1])
		if has[key>>6]&(1<<(key&63)) == 0 {
			continue
		}
		for _, mi := range c.first[key] {
			if bytes.HasPrefix(data[i:], c.magics[mi]) {
				fn(i, mi)
			}
		}
	}
}

// scan returns the validated, non-overlapping candidates in r in offset
// order. With all false only a format starting at offset 0 counts (a file
// inside a file tree is recognised only when it is an archive or image as
// a whole). With all true it also returns the unclaimed regions.
func (c *carver) scan(ctx context.Context, r io.ReaderAt, size int64, all bool) ([]candidate, []model.Region, error) {
	if len(c.pats) == 0 {
		return nil, nil, nil
	}
	type key struct {
		off int64
		fi  int
	}
	seen := map[key]bool{}
	var cands []candidate
	// walk collects the candidates whose magic lies in [from, limit).
	walk := func(from, limit int64, onlyZero bool) error {
		buf := make([]byte, min(int64(chunkSize+c.maxLen), limit-from))
		for base := from; base < limit; base += chunkSize {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, err := r.ReadAt(buf[:min(int64(len(buf)), limit-base)], base)
			if err != nil && err != io.EOF {
				return err
			}
			c.match(buf[:n], chunkSize, func(i, mi int) {
				pos := base + int64(i)
				for _, p := range c.pats[mi] {
					start := pos - p.off
					if start < from || (onlyZero && start != 0) {
						continue
					}
					k := key{start, p.fi}
					if !seen[k] {
						seen[k] = true
						cands = append(cands, candidate{f: c.formats[p.fi], fi: p.fi, off: start})
					}
				}
			})
		}
		return nil
	}
	// A format at offset 0 that spans the file (a squashfs partition, a
	// TRX image) makes scanning the bytes it covers pointless: look there
	// first and scan only what it leaves.
	if err := walk(0, min(size, c.maxOff+int64(c.maxLen)), true); err != nil {
		return nil, nil, err
	}
	from := int64(0)
	sort.Slice(cands, func(i, j int) bool { return cands[i].fi < cands[j].fi })
	type result struct {
		m   format.Match
		err error
	}
	known := map[key]result{} // identify results of the head pass, reused below
	for _, cd := range cands {
		m, err := identify(cd.f, io.NewSectionReader(r, 0, size), size)
		known[key{0, cd.fi}] = result{m, err}
		if err == nil && m.Size > 0 {
			from = min(m.Size, size)
			break
		}
	}
	if all && from < size {
		if err := walk(from, size, false); err != nil {
			return nil, nil, err
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].off != cands[j].off {
			return cands[i].off < cands[j].off
		}
		return cands[i].fi < cands[j].fi
	})
	var out []candidate
	var covered int64
	unsized := map[int]bool{}
	var err error
	for i, cd := range cands {
		if i >= maxIdentify {
			err = fmt.Errorf("more than %d signature candidates: carving stopped at offset 0x%x", maxIdentify, cd.off)
			break
		}
		if cd.off < covered || unsized[cd.fi] {
			continue
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		res, ok := known[key{cd.off, cd.fi}]
		if !ok {
			res.m, res.err = identify(cd.f, io.NewSectionReader(r, cd.off, size-cd.off), size-cd.off)
		}
		m, ierr := res.m, res.err
		if ierr != nil {
			continue
		}
		cd.m = m
		cd.size = size - cd.off
		if m.Size > 0 && m.Size < cd.size {
			cd.size = m.Size
		}
		if m.Size > 0 {
			covered = cd.off + cd.size
		} else {
			// Unknown length (a stream too large to measure cheaply):
			// later hits of the same format are most likely its own
			// members or blocks, not new streams; other formats after it
			// are still found.
			unsized[cd.fi] = true
		}
		out = append(out, cd)
	}
	var regions []model.Region
	if all {
		regions = unclaimed(r, size, out)
	}
	return out, regions, err
}

// identify calls f.Identify, turning a panic into a rejection: a format's
// bug must not take the scan down.
func identify(f format.Format, r io.ReaderAt, size int64) (m format.Match, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("identify %s: panic: %v", f.Name(), p)
		}
	}()
	return f.Identify(r, size)
}

// unclaimed measures the gaps between candidates.
func unclaimed(r io.ReaderAt, size int64, cands []candidate) []model.Region {
	var out []model.Region
	pos := int64(0)
	add := func(from, to int64) {
		if to-from >= minRegion {
			out = append(out, measure(r, from, to-from))
		}
	}
	for _, c := range cands {
		if c.off > pos {
			add(pos, c.off)
		}
		pos = max(pos, c.off+c.size)
	}
	if pos < size {
		add(pos, size)
	}
	return out
}

// measure computes a region's entropy from at most 8 MiB of evenly spaced
// samples, so a large opaque blob costs little.
func measure(r io.ReaderAt, off, size int64) model.Region {
	var hist [256]int64
	const sample = 64 << 10
	step := int64(sample)
	if size > 8<<20 {
		step = size / 128
	}
	buf := make([]byte, sample)
	var total int64
	for p := off; p < off+size; p += step {
		n, _ := r.ReadAt(buf[:min(sample, off+size-p)], p)
		for _, b := range buf[:n] {
			hist[b]++
		}
		total += int64(n)
		if n == 0 {
			break
		}
	}
	var h float64
	for _, c := range hist {
		if c > 0 {
			q := float64(c) / float64(total)
			h -= q * math.Log2(q)
		}
	}
	kind := "data"
	switch {
	case total > 0 && (hist[0xff] == total || hist[0] == total):
		kind = "padding"
	case h > 7.5:
		kind = "high-entropy"
	}
	return model.Region{Offset: off, Size: size, Entropy: math.Round(h*1000) / 1000, Kind: kind}
}
