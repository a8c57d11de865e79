package unpack

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Limits bound what one scan may unpack. Hitting one is a problem in the
// report; the scan goes on with what it has.
//
// Bytes written are budgeted at three levels. A layer may write
// min(MaxLayerBytes, max(RatioGrace, MaxRatio × its input size)); the whole
// scan may write min(MaxTotalBytes, max(TotalGrace, MaxRatio × the target's
// size)), so a tiny input (a 27 KB nested zip bomb) stops at TotalGrace
// rather than at MaxTotalBytes, while real firmware, which expands a few
// times, never comes near. Inside a layer one entry may use at most what
// the layer has left minus a reserve (a quarter of it, at most 64 MiB): a
// bomb entry is truncated, with a problem naming it, and the entries after
// it are still extracted.
//
// Identification (carving) has its own budget, independent of these
// limits: bytes read and calls made by rejected candidates are bounded by
// about 16 units per input byte plus a fixed burst, per format and in
// total (see carve.go), hits are held one 1 MiB window at a time, and a
// file yields at most MaxLayers validated candidates (the largest). One
// Identify call at a time, among all workers, may read past its first MiB,
// so identification holds at most workers × 1 MiB plus one call's
// allowance (64 MiB) at once. Peak memory of the identification stage is
// below 512 MiB for any input;
// LayerTimeout bounds its wall time per file as it does extraction per
// layer.
type Limits struct {
	MaxDepth      int           // nesting of layers (the target is depth 0)
	MaxLayerBytes int64         // bytes written by one layer
	MaxTotalBytes int64         // bytes written by the whole scan
	MaxRatio      float64       // bytes written / input size, per layer past RatioGrace and per scan past TotalGrace
	RatioGrace    int64         // bytes a layer may write before MaxRatio applies
	TotalGrace    int64         // bytes the whole scan may write before MaxRatio applies to it
	MaxLayerFiles int           // entries of one layer (more are not extracted)
	MaxTotalFiles int           // entries of the whole scan
	MaxLayers     int           // layers of the whole scan; when more are found the largest are kept
	LayerTimeout  time.Duration // wall time to identify one file's contents, and to extract one layer
	// MaxTargetBytes is how much of each target file is read (0: no
	// limit): a larger file (a sparse 1 TiB image, a device) is read only
	// up to it, with a problem.
	MaxTargetBytes int64
}

// DefaultLimits are generous for real firmware (a few hundred MiB unpacked)
// and stop bombs long before they fill a disk.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:       16,
		MaxLayerBytes:  2 << 30,
		MaxTotalBytes:  8 << 30,
		MaxRatio:       250,
		RatioGrace:     64 << 20,
		TotalGrace:     256 << 20,
		MaxLayerFiles:  200_000,
		MaxTotalFiles:  1_000_000,
		MaxLayers:      10_000,
		LayerTimeout:   5 * time.Minute,
		MaxTargetBytes: 64 << 30,
	}
}

// problemKind is "limit" for a limit that was hit, "io" otherwise.
func problemKind(err error) string {
	if errors.Is(err, ErrLimit) {
		return "limit"
	}
	return "io"
}

// targetSize caps how much of a target file (a file of a depth-0 layer)
// is read.
func (s *Session) targetSize(l *Layer, p string, size int64) int64 {
	if l.Depth != 0 || s.lim.MaxTargetBytes <= 0 || size <= s.lim.MaxTargetBytes {
		return size
	}
	s.problem(l.ID, p, "limit", fmt.Sprintf("target is %d bytes: only the first %d are read (MaxTargetBytes)", size, s.lim.MaxTargetBytes))
	return s.lim.MaxTargetBytes
}

// admit trims the candidates of one layer's files to the layers the scan
// may still create, keeping the largest: the cap must not be used up in
// file order by a swarm of tiny streams in front of a file system.
func (s *Session) admit(l *Layer, jobs []carveJob) {
	room := s.lim.MaxLayers - len(s.layers)
	total := 0
	for _, j := range jobs {
		total += len(j.cands)
	}
	if total <= room {
		return
	}
	room = max(room, 0)
	type ref struct {
		job, idx int
		size     int64
	}
	refs := make([]ref, 0, total)
	for ji, j := range jobs {
		for ci, c := range j.cands {
			refs = append(refs, ref{ji, ci, c.size})
		}
	}
	// Largest first; ties in file and offset order, so the choice repeats.
	sort.SliceStable(refs, func(a, b int) bool { return refs[a].size > refs[b].size })
	keep := map[[2]int]bool{}
	for _, r := range refs[:room] {
		keep[[2]int{r.job, r.idx}] = true
	}
	for ji := range jobs {
		kept := jobs[ji].cands[:0]
		for ci, c := range jobs[ji].cands {
			if keep[[2]int{ji, ci}] {
				kept = append(kept, c)
			} else {
				s.carver.held.release(c.m.Held) // never extracted
			}
		}
		jobs[ji].cands = kept
	}
	s.problem(l.ID, "", "limit", fmt.Sprintf("more than %d layers: %d of the %d formats found in this layer are not unpacked (the largest were kept)", s.lim.MaxLayers, total-room, total))
}

// TargetSize is how much of file p of layer l a caller that reads the
// files itself (a WalkFunc) may read: all of it, except for a target
// file (depth 0) larger than MaxTargetBytes, which is read only up to it,
// with a problem. Carve must then be given that size.
func (s *Session) TargetSize(l *Layer, p string, size int64) int64 {
	return s.targetSize(l, p, size)
}
