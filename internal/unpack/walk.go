package unpack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// WalkFunc reads the files of one layer: the target's layer, then each
// layer found, as soon as it is extracted (also when its extraction
// failed: it has no Dir then). It must hand every regular file it reads to
// Session.Carve and return once they are carved. It is called for several
// layers at once.
type WalkFunc func(ctx context.Context, l *Layer)

// stage is how far a layer got in the pipeline.
type stage int

const (
	found      stage = iota // made, not (yet) extracted
	extracting              // queued for extraction or being extracted
	carving                 // extracted; its files are being read and carved
	carved                  // what its files hold is known: it may be adopted
)

// pipelineHook, when set (tests only), is called at each step of the
// pipeline to perturb its timing.
var pipelineHook func()

// RunWalk unpacks like Run, for a caller that reads every file anyway (a
// scan hashes and analyses them): instead of reading the files to carve
// them, the session calls walk for each layer once it is extracted, and
// walk carves each file from the bytes it already read (Carve). With walk
// nil the session reads and carves the files itself.
//
// Unpacking is a pipeline, not a sequence of levels: a layer is extracted
// as soon as it is adopted, and carved as soon as it is extracted. Only
// adoption, which gives the layers found in a layer their IDs and applies
// the layer cap (admit), is sequential: layers are adopted one at a time
// in ID order, each once its own carve is complete. So IDs are assigned
// breadth first, files in path order, candidates in offset order, and
// the cap is used in that order, exactly as when levels are unpacked one
// after the other, whatever the timing.
func (s *Session) RunWalk(ctx context.Context, walk WalkFunc) error {
	p := &pipeline{s: s, ctx: ctx, walk: walk}
	p.ready = sync.NewCond(&p.qmu)
	s.mu.Lock()
	roots := append([]*Layer(nil), s.layers...)
	for _, l := range roots {
		l.stage = carving
	}
	s.mu.Unlock()
	for i := 0; i < s.opt.Workers; i++ {
		p.workers.Add(1)
		go p.extractor()
	}
	for _, l := range roots {
		p.busy.Add(1)
		go p.carve(l)
	}
	p.busy.Wait()
	p.qmu.Lock()
	p.closed = true
	p.ready.Broadcast()
	p.qmu.Unlock()
	p.workers.Wait()
	return ctx.Err()
}

// pipeline is one RunWalk: extractors take adopted layers from queue (in
// ID order), each extracted layer is carved on its own goroutine, and
// advance adopts the carved layers in ID order.
type pipeline struct {
	s    *Session
	ctx  context.Context
	walk WalkFunc
	// busy counts layers adopted (or roots) whose own carve and adoption
	// have not finished; workers counts extractor goroutines.
	busy, workers sync.WaitGroup
	qmu           sync.Mutex
	ready         *sync.Cond
	queue         []*Layer
	closed        bool
	// amu serialises adoption; next is the index of the next layer to
	// adopt.
	amu  sync.Mutex
	next int
}

func (p *pipeline) hook() {
	if pipelineHook != nil {
		pipelineHook()
	}
}

// extractor extracts queued layers, lowest ID first, and starts the carve
// of each.
func (p *pipeline) extractor() {
	defer p.workers.Done()
	for {
		p.qmu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.ready.Wait()
		}
		if len(p.queue) == 0 {
			p.qmu.Unlock()
			return
		}
		l := p.queue[0]
		p.queue = p.queue[1:]
		p.qmu.Unlock()
		p.hook()
		if p.ctx.Err() == nil {
			p.s.extract(p.ctx, l)
		}
		p.s.mu.Lock()
		l.stage = carving
		n := len(p.s.layers)
		p.s.mu.Unlock()
		if p.s.opt.Progress != nil {
			p.s.opt.Progress(n, p.s.totalBytes.Load())
		}
		go p.carve(l)
	}
}

// carve reads and carves the files of an extracted layer (through walk,
// or itself), then adopts what it can.
func (p *pipeline) carve(l *Layer) {
	defer p.busy.Done()
	p.hook()
	s := p.s
	var jobs []carveJob
	switch {
	case p.ctx.Err() != nil:
	case p.walk != nil:
		p.walk(p.ctx, l)
	case l.Depth < s.lim.MaxDepth:
		jobs = s.carveFiles(p.ctx, l)
	}
	s.mu.Lock()
	l.jobs = append(l.jobs, jobs...)
	l.stage = carved
	s.mu.Unlock()
	p.advance()
}

// advance adopts, in ID order, every layer whose carve is complete, up to
// the first one that is still being extracted or carved, and queues the
// layers found for extraction. Layers never extracted (a format that is
// only listed) have nothing to adopt.
func (p *pipeline) advance() {
	p.amu.Lock()
	defer p.amu.Unlock()
	s := p.s
	for p.ctx.Err() == nil {
		p.hook()
		s.mu.Lock()
		if p.next >= len(s.layers) {
			s.mu.Unlock()
			return
		}
		l := s.layers[p.next]
		st, jobs := l.stage, l.jobs
		if st == carved {
			l.jobs = nil
		}
		s.mu.Unlock()
		if st == extracting || st == carving {
			return
		}
		p.next++
		if st == found {
			continue
		}
		if l.Depth >= s.lim.MaxDepth {
			if len(l.Entries) > 0 {
				s.problem(l.ID, "", "limit", fmt.Sprintf("depth limit %d reached: files of this layer are not unpacked further", s.lim.MaxDepth))
			}
			continue
		}
		sort.Slice(jobs, func(i, k int) bool { return jobs[i].path < jobs[k].path })
		next := s.adopt(l, jobs)
		if len(next) == 0 {
			continue
		}
		s.mu.Lock()
		for _, c := range next {
			c.stage = extracting
		}
		s.mu.Unlock()
		p.busy.Add(len(next))
		p.qmu.Lock()
		p.queue = append(p.queue, next...)
		p.ready.Broadcast()
		p.qmu.Unlock()
	}
}

// Carved is what Carve found in one file, before the layers are made: it
// tells the caller which bytes the layers of the next level will hold.
type Carved struct {
	// Whole is true when an extractable format spans the whole file (a
	// squashfs image, a gzip stream): its content is analysed in its layer.
	Whole bool
	// Parts is true when at least one extractable format was found.
	Parts bool
	// Regions are the bytes no format claimed (files carved at every
	// offset only), as Layer.Regions will hold them.
	Regions []model.Region
}

// Carve looks for formats in file p of layer l, which a WalkFunc has read:
// r serves its size bytes (a bytes.Reader over the caller's buffer, or the
// open file when it is too large to hold). What it finds becomes layers
// once the walk of the layer returns. Files that are not carved (not
// regular, hard links, empty, or in a layer at the depth limit) give a
// zero Carved. Safe for concurrent use during a walk.
func (s *Session) Carve(ctx context.Context, l *Layer, p string, r io.ReaderAt, size int64) Carved {
	e, ok := l.Entries[p]
	if !ok || !e.Mode.IsRegular() || e.Hardlink || e.Size <= 0 || size <= 0 || l.Depth >= s.lim.MaxDepth {
		return Carved{}
	}
	if _, mem := r.(*bytes.Reader); !mem {
		r = newWindowReader(r, size) // Identify's small reads hit a cache, not a read each
	}
	j := carveJob{path: p}
	j.cands, j.reg, j.err = s.carver.scanExcept(ctx, r, size, l.carveAll || l.except(p) != nil || isBlob(l, p, r), l.except(p))
	s.mu.Lock()
	if l.stage == carving {
		l.jobs = append(l.jobs, j)
	}
	s.mu.Unlock()
	c := Carved{Regions: j.reg}
	for _, cd := range j.cands {
		if !cd.m.Extractable {
			continue
		}
		c.Parts = true
		c.Whole = c.Whole || cd.off == 0 && cd.size >= size
	}
	return c
}

// except is the format not to try at offset 0 of file p of l: the one
// whose failed extraction made it (keepRaw).
func (l *Layer) except(p string) format.Format {
	if p == rawName {
		return l.rawOf
	}
	return nil
}
