package unpack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

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
	pats    [][]pattern // by magic index: every (format, offset) sharing that magic
	// first[key] is 1 + the index in firsts of the magic indexes whose
	// first two bytes are key (0: none): 128 KiB, where a slice per key
	// would be 1.5 MiB of zeroed memory made for every session.
	first   [1 << 16]uint16
	firsts  [][]int
	has     [1 << 10]uint64 // bitmap of the keys of first: 8 KiB, stays in L1
	maxLen  int
	maxOff  int64
	floor   []int64 // by format: the cost charged for one Identify call besides its reads
	free    []int64 // by format: what a header check may read without charge (headerFree, decoderHead)
	decoder []bool  // by format: its Identify starts a decompressor
	walked  []bool  // by format: its size is where its records end (a text encoding)
	// timeout bounds one file's identification stage (0: none).
	timeout time.Duration
	// maxKeep bounds the validated candidates one file yields; the
	// largest are kept (0: no bound).
	maxKeep int
	// The identification budget (formatBurst and globalBurst; tests
	// shrink them).
	burst, globalBurst int64
	// big is held by the one Identify call, among all the scans of a
	// session (one per worker), that reads more than smallRead: what
	// identification holds at once is bounded by workers × smallRead plus
	// one call's allowance, however many workers there are.
	big chan struct{}
	// held is what the decoded output handed from identification to
	// extraction costs in all (held.go).
	held heldBudget
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

// hit is a not yet identified candidate: 16 bytes, so even a file that is
// nothing but magics costs little memory per window.
type hit struct {
	off int64
	fi  int32
}

const (
	// window is the span of candidate offsets collected and identified at
	// a time: memory for hits is bounded by it, not by the file.
	window = 1 << 20
	// minRegion is the smallest unclaimed range worth reporting.
	minRegion = 512
)

// The identification budget. Every Identify call costs the bytes it reads
// plus a floor for its setup; a format's bucket holds at most formatBurst
// units and refills by formatRate units per input byte the scan moves
// forward, and one bucket shared by all formats does the same with
// globalBurst and globalRate. A call that validates is refunded (real
// structures pay for themselves), so only rejected candidates drain the
// buckets, and a call that reads no more than its header check (headerFree,
// decoderHead) costs nothing. When a bucket is empty, candidates of that
// format get only their header check until the scan has moved far enough
// to refill it: one that needs more is skipped (counted and reported), so
// a flood of bad headers, however dense, cannot hide a structure whose
// header check validates it; a call that would overdraw is cut off and
// counts as abandoned. A format
// that has used less than its fair share of the global bucket may go on
// while the bucket is empty (see share). This makes identification linear
// in the input size whatever its content (at most twice globalBurst plus
// 16 units per byte), and a flood of one format cannot use up the budget
// of another.
const (
	formatBurst = 64 << 20
	formatRate  = 8
	globalBurst = 128 << 20
	globalRate  = 16
	// minAllowance is what a call may read even when the bucket is nearly
	// empty, so that a real structure after a flood can still validate.
	minAllowance = 256 << 10
	// smallRead is what an Identify call reads without taking the
	// session's big-read slot.
	smallRead = 1 << 20
	// callFloor is the setup cost of an Identify that reads a header;
	// decoderFloor that of one that starts a decompressor (its tables
	// and window are allocated per call).
	callFloor    = 256
	decoderFloor = 64 << 10
	// headerFree is what a call may read without charge: a header check
	// (a superblock, a tar header, an ext superblock at 1 KiB) that
	// rejects costs no budget and is never skipped. decoderHead is the
	// same for a format that starts a decompressor: its header check
	// reads a few bytes; reading more means a decoder was set up.
	headerFree  = 4 << 10
	decoderHead = 64
)

// decoders are the formats whose Identify starts a decompressor.
var decoders = map[string]bool{"gzip": true, "zlib": true, "xz": true, "lzma": true, "bzip2": true, "zstd": true, "lz4": true, "lzop": true, "compress": true, "kernel": true}

func newCarver(fs []format.Format) *carver {
	c := &carver{formats: fs, burst: formatBurst, globalBurst: globalBurst, big: make(chan struct{}, 1)}
	// Formats and offsets that share a magic hang off one index.
	index := map[string]int{}
	for i, f := range fs {
		fl, free := int64(callFloor), int64(headerFree)
		if decoders[f.Name()] {
			fl, free = decoderFloor, decoderHead
		}
		c.floor = append(c.floor, fl)
		c.free = append(c.free, free)
		c.decoder = append(c.decoder, decoders[f.Name()])
		c.walked = append(c.walked, f.Kind() == format.Encoding)
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
				if c.first[key] == 0 {
					c.firsts = append(c.firsts, nil)
					c.first[key] = uint16(len(c.firsts))
				}
				fk := c.first[key] - 1
				c.firsts[fk] = append(c.firsts[fk], pi)
				c.has[key>>6] |= 1 << (key & 63)
			}
			c.pats[pi] = append(c.pats[pi], pattern{fi: i, off: sig.Offset})
			c.maxLen = max(c.maxLen, len(sig.Magic))
			c.maxOff = max(c.maxOff, sig.Offset+int64(len(sig.Magic)))
		}
	}
	return c
}

// withLimits sets the identification time limit and the bound on the
// candidates kept per file from the session limits.
func (c *carver) withLimits(l Limits) *carver {
	c.timeout = l.LayerTimeout
	c.maxKeep = l.MaxLayers
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
		for _, mi := range c.firsts[c.first[key]-1] {
			if bytes.HasPrefix(data[i:], c.magics[mi]) {
				fn(i, mi)
			}
		}
	}
}

// collect appends to hits the candidates that start in [from, to) (with
// onlyZero, only those starting at 0), in offset order without duplicates.
func (c *carver) collect(r io.ReaderAt, size, from, to int64, onlyZero bool, buf []byte, hits []hit) ([]hit, []byte, error) {
	end := min(size, to+c.maxOff+int64(c.maxLen))
	n := int(end - from)
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	m, err := r.ReadAt(buf, from)
	if err != nil && err != io.EOF {
		return hits, buf, err
	}
	start := len(hits)
	c.match(buf[:m], m, func(i, mi int) {
		pos := from + int64(i)
		for _, p := range c.pats[mi] {
			s := pos - p.off
			if s < from || s >= to || (onlyZero && s != 0) {
				continue
			}
			hits = append(hits, hit{s, int32(p.fi)})
		}
	})
	w := hits[start:]
	cmp := func(a, b hit) int {
		if a.off != b.off {
			if a.off < b.off {
				return -1
			}
			return 1
		}
		return int(a.fi - b.fi)
	}
	if !slices.IsSortedFunc(w, cmp) {
		slices.SortFunc(w, cmp)
	}
	w = slices.Compact(w)
	return hits[:start+len(w)], buf, nil
}

// bucket is a token bucket refilled by scan progress.
type bucket struct {
	avail, burst, rate, last int64
}

func (b *bucket) refill(pos int64) {
	if pos > b.last {
		b.avail = min(b.burst, b.avail+(pos-b.last)*b.rate)
		b.last = pos
	}
}

// scanState is one file's identification: its budget and what it skipped.
type scanState struct {
	c         *carver
	ctx       context.Context
	r         io.ReaderAt
	size      int64
	global    bucket
	formats   []bucket
	skipped   []int64 // by format: candidates not tried, the budget being empty
	firstSkip []int64
	abandoned []int64 // by format: calls cut off by the budget
	used      []int64 // by format: cost of its rejected calls
	known     map[int]result
	out       []candidate
	dropped   int // validated candidates dropped for maxKeep
	covered   int64
	claimer   int // the format whose candidate set covered
	unsized   []bool
	mr        meteredReader
}

type result struct {
	m   format.Match
	err error
}

func (c *carver) newScanState(ctx context.Context, r io.ReaderAt, size int64) *scanState {
	st := &scanState{c: c, ctx: ctx, r: r, size: size,
		global:    bucket{avail: c.globalBurst, burst: c.globalBurst, rate: globalRate},
		formats:   make([]bucket, len(c.formats)),
		skipped:   make([]int64, len(c.formats)),
		firstSkip: make([]int64, len(c.formats)),
		abandoned: make([]int64, len(c.formats)),
		used:      make([]int64, len(c.formats)),
		unsized:   make([]bool, len(c.formats)),
		known:     map[int]result{},
		claimer:   -1,
	}
	st.mr = meteredReader{r: r, ctx: ctx, big: c.big}
	for i := range st.formats {
		st.formats[i] = bucket{avail: c.burst, burst: c.burst, rate: formatRate}
	}
	return st
}

// share is one format's fair part of all the global budget issued by
// offset pos: a format that has used less may go on when the global
// bucket is empty, so that a flood of one format (drawing the bucket dry)
// does not starve the others. The total stays below twice what was issued.
func (st *scanState) share(pos int64) int64 {
	return (st.c.globalBurst + globalRate*pos) / int64(len(st.formats))
}

// errBudget cuts off an Identify call that used up its allowance.
var errBudget = errors.New("identification budget used up")

// meteredReader serves one Identify call: the n bytes at base in the
// file (a section, as io.SectionReader would), counting what the call
// reads and failing reads past its allowance or once the scan's time is
// up. One is reused for every call of a scan: a dense flood makes
// millions of calls.
type meteredReader struct {
	r       io.ReaderAt
	ctx     context.Context
	big     chan struct{}
	base    int64
	n       int64
	allow   int64
	used    int64
	cut     bool
	holding bool // the big-read slot
}

// reset prepares m for the call on the n bytes at base.
func (m *meteredReader) reset(base, n, allow int64) *meteredReader {
	m.release()
	m.base, m.n, m.allow, m.used, m.cut = base, n, allow, 0, false
	return m
}

// release gives back the big-read slot when the call held it.
func (m *meteredReader) release() {
	if m.holding {
		<-m.big
		m.holding = false
	}
}

func (m *meteredReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= m.n {
		return 0, io.EOF
	}
	if err := m.ctx.Err(); err != nil {
		m.cut = true
		return 0, err
	}
	if int64(len(p)) > m.n-off {
		n, err := m.ReadAt(p[:m.n-off], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	left := m.allow - m.used
	if left <= 0 {
		m.cut = true
		return 0, errBudget
	}
	short := int64(len(p)) > left
	if short {
		p = p[:left]
	}
	if !m.holding && m.big != nil && m.used+int64(len(p)) > smallRead {
		// Wait for the slot (another worker's large read) or give up
		// when the scan's time is up.
		select {
		case m.big <- struct{}{}:
			m.holding = true
		case <-m.ctx.Done():
			m.cut = true
			return 0, m.ctx.Err()
		}
	}
	n, err := m.r.ReadAt(p, m.base+off)
	m.used += int64(n)
	if short && err == nil {
		m.cut = true
		err = errBudget
	}
	return n, err
}

// consider identifies one candidate within the budget and keeps it when
// it validates and is not covered by an earlier one.
func (st *scanState) consider(h hit) {
	fi := int(h.fi)
	if st.unsized[fi] {
		return
	}
	if h.off < st.covered {
		st.considerCovered(h)
		return
	}
	c := st.c
	res, ok := st.known[fi]
	if !ok || h.off != 0 {
		fb := &st.formats[fi]
		st.global.refill(h.off)
		fb.refill(h.off)
		// With the budget empty a candidate still gets its header check
		// (free): a flood of rejected headers costs nothing, so it cannot
		// hide a real structure behind it, whatever its density.
		free := c.free[fi]
		empty := fb.avail <= 0 || (st.global.avail <= 0 && st.used[fi] >= st.share(h.off))
		if empty && c.decoder[fi] {
			// A decompressor's header check cannot be told apart from its
			// setup (which costs far more than the header), so with the
			// budget empty it is not called.
			st.skip(fi, h.off)
			return
		}
		allow := free
		if !empty {
			allow = max(min(fb.avail, st.global.avail)-c.floor[fi], minAllowance)
		}
		n := st.size - h.off
		mr := st.mr.reset(h.off, n, allow)
		res.m, res.err = identify(c.formats[fi], mr, n)
		mr.release()
		if mr.cut {
			res.m.Held = nil // its decoder saw the cut, not the stream
		}
		switch {
		case mr.cut && empty:
			st.skip(fi, h.off)
			res.err = errBudget
		case mr.cut && st.ctx.Err() == nil:
			st.abandoned[fi]++
		}
		if (res.err != nil || mr.cut) && mr.used > free {
			cost := mr.used + c.floor[fi]
			fb.avail -= cost
			st.global.avail -= cost
			st.used[fi] += cost
		}
		if h.off == 0 {
			st.known[fi] = res
		}
	}
	if res.err != nil {
		return
	}
	cd := candidate{f: c.formats[fi], fi: fi, off: h.off, m: res.m, size: st.size - h.off}
	if res.m.Size > 0 && res.m.Size < cd.size {
		cd.size = res.m.Size
	}
	switch {
	case res.m.Size > st.size-h.off:
		// It says it is larger than what is left of the file: truncated,
		// or a header of junk. It covers nothing, so that a structure
		// behind a bogus header is still found.
	case res.m.Size > 0:
		st.covered, st.claimer = cd.off+cd.size, fi
	default:
		// Unknown length (a stream too large to measure cheaply): later
		// hits of the same format are most likely its own members or
		// blocks, not new streams; other formats after it are still found.
		st.unsized[fi] = true
	}
	st.keep(cd)
	if c.maxKeep > 0 && len(st.out) >= 2*c.maxKeep {
		st.trim()
	}
}

// keep adds a validated candidate; what its identification decoded stays
// held for its extraction when the session's budget allows.
func (st *scanState) keep(cd candidate) {
	if !st.c.held.reserve(cd.m.Held) {
		cd.m.Held = nil
	}
	st.out = append(st.out, cd)
}

// releaseAll gives back what the candidates found hold: none is kept.
func (st *scanState) releaseAll() {
	for _, cd := range st.out {
		st.c.held.release(cd.m.Held)
	}
}

// skip counts a candidate of format fi at off not tried for want of budget.
func (st *scanState) skip(fi int, off int64) {
	if st.skipped[fi] == 0 {
		st.firstSkip[fi] = off
	}
	st.skipped[fi]++
}

// considerCovered looks at a candidate inside the bytes an earlier one
// claimed. Real nested structures (the compressed blocks of a file
// system, the files of an archive) lie wholly inside it and are found
// when it is extracted, so they are not kept; but one that validates from
// its header check alone and runs past the end of the claim cannot be
// nested: the claim is junk (or the two overlap), and the candidate is
// kept so that a bogus header cannot hide a file system behind it. The
// check is free (it reads at most the header allowance and charges
// nothing), so scanning a large file system costs no budget.
func (st *scanState) considerCovered(h hit) {
	fi := int(h.fi)
	if st.c.decoder[fi] {
		return // a stream inside a claim is found when the claim is extracted
	}
	if fi == st.claimer && st.c.walked[fi] {
		// Every line of a record file is a candidate, and a record inside
		// the claim reaches the same end as the claim's walk did: checking
		// each would read the rest of the claim again, line after line.
		return
	}
	n := st.size - h.off
	mr := st.mr.reset(h.off, n, st.c.free[fi])
	m, err := identify(st.c.formats[fi], mr, n)
	mr.release()
	if err != nil || mr.cut || m.Size <= 0 || m.Size > n || h.off+m.Size <= st.covered {
		return
	}
	st.keep(candidate{f: st.c.formats[fi], fi: fi, off: h.off, m: m, size: m.Size})
	st.covered, st.claimer = h.off+m.Size, fi
	if st.c.maxKeep > 0 && len(st.out) >= 2*st.c.maxKeep {
		st.trim()
	}
}

// trim keeps the maxKeep largest validated candidates: a swarm of tiny
// streams must not crowd out the file system they sit in front of.
func (st *scanState) trim() {
	k := st.c.maxKeep
	if k <= 0 || len(st.out) <= k {
		return
	}
	sort.SliceStable(st.out, func(i, j int) bool { return st.out[i].size > st.out[j].size })
	st.dropped += len(st.out) - k
	for _, cd := range st.out[k:] {
		st.c.held.release(cd.m.Held)
	}
	st.out = st.out[:k]
	sort.SliceStable(st.out, func(i, j int) bool { return st.out[i].off < st.out[j].off })
}

// report says what the budget made the scan skip, or nil.
func (st *scanState) report(stoppedAt int64, timedOut bool) error {
	var parts []string
	for fi, n := range st.skipped {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s candidates skipped from 0x%x", n, st.c.formats[fi].Name(), st.firstSkip[fi]))
		}
	}
	for fi, n := range st.abandoned {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s candidates abandoned", n, st.c.formats[fi].Name()))
		}
	}
	if st.dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d small validated candidates dropped (more than %d in one file; the largest are kept)", st.dropped, st.c.maxKeep))
	}
	if timedOut {
		parts = append(parts, fmt.Sprintf("identification took longer than %s: carving stopped at offset 0x%x", st.c.timeout, stoppedAt))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (a flood of signatures: hostile or damaged input?)", ErrLimit, strings.Join(parts, "; "))
}

// scan returns the validated, non-overlapping candidates in r in offset
// order. With all false only a format starting at offset 0 counts (a file
// inside a file tree is recognised only when it is an archive or image as
// a whole). With all true it also returns the unclaimed regions. A budget
// that was hit is returned as an error wrapping ErrLimit together with
// what was found.
func (c *carver) scan(ctx context.Context, r io.ReaderAt, size int64, all bool) ([]candidate, []model.Region, error) {
	return c.scanExcept(ctx, r, size, all, nil)
}

// scanExcept is scan without trying format except (when not nil) at
// offset 0.
func (c *carver) scanExcept(ctx context.Context, r io.ReaderAt, size int64, all bool, except format.Format) ([]candidate, []model.Region, error) {
	if len(c.pats) == 0 || size <= 0 {
		return nil, nil, nil
	}
	parent := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	st := c.newScanState(ctx, r, size)
	// Formats at offset 0 first: one that spans the file (a squashfs
	// partition, a TRX image) covers the rest, whose candidates then get
	// only the free header check of considerCovered.
	heads, buf, err := c.collect(r, size, 0, 1, true, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	if except != nil {
		heads = slices.DeleteFunc(heads, func(h hit) bool { return c.formats[h.fi].Name() == except.Name() })
	}
	slices.SortFunc(heads, func(a, b hit) int { return int(a.fi - b.fi) })
	for _, h := range heads {
		if ctx.Err() != nil {
			break
		}
		fi := int(h.fi)
		n := size
		mr := st.mr.reset(0, n, math.MaxInt64)
		m, ierr := identify(c.formats[fi], mr, n)
		mr.release()
		if mr.cut {
			m.Held = nil
		}
		st.known[fi] = result{m, ierr}
		if ierr == nil && m.Size > 0 && m.Size <= size {
			break
		}
	}
	timedOut := false
	stoppedAt := int64(0)
	process := func(hits []hit) bool {
		for _, h := range hits {
			if ctx.Err() != nil {
				timedOut, stoppedAt = true, h.off
				return false
			}
			st.consider(h)
		}
		return true
	}
	if process(heads) && all {
		var hits []hit
		for base := int64(1); base < size; base += window {
			if ctx.Err() != nil {
				timedOut, stoppedAt = true, base
				break
			}
			hits, buf, err = c.collect(r, size, base, min(base+window, size), false, buf, hits[:0])
			if err != nil {
				st.releaseAll()
				return nil, nil, err
			}
			if !process(hits) {
				break
			}
		}
	}
	if parent.Err() != nil {
		st.releaseAll()
		return nil, nil, parent.Err()
	}
	st.trim()
	var regions []model.Region
	if all {
		regions = unclaimed(r, size, st.out)
	}
	return st.out, regions, st.report(stoppedAt, timedOut)
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
