// Package unpack turns a firmware image into a tree of layers: it carves
// every file for embedded formats, extracts each validated one into its own
// directory under a work directory, and recurses into what it wrote.
//
// All writes go through os.Root (see sink.go); every layer is bounded by
// Limits; a damaged or hostile layer becomes a Problem and the rest of the
// image is still unpacked.
package unpack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack/dirlist"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Layer is a model.Layer plus where its files are.
type Layer struct {
	model.Layer
	// Dir holds the layer's files on disk; "" when not extracted.
	Dir string
	// Entries maps layer paths ("/etc/shadow") to their metadata as the
	// format stored it (modes, owners, link targets).
	Entries map[string]format.Entry
	// Children maps a layer path to the layers found in that file.
	Children map[string][]*Layer
	// Regions are the parts of carved files that no format claimed.
	Regions map[string][]model.Region
	// carveAll is true when files of this layer are carved at every offset
	// (containers and streams), false when only whole files are recognised
	// (file systems and archives).
	carveAll bool
	f        format.Format
	// rawOf is set when the layer's extraction failed and rawName holds
	// the bytes it claimed: that format at offset 0 of it is not tried
	// again.
	rawOf format.Format
	// Pipeline state (walk.go), guarded by Session.mu: parent is the
	// layer whose file holds this one, idx its index in Session.layers,
	// stage how far it got, and jobs what Carve found in its files.
	parent *Layer
	idx    int
	stage  stage
	jobs   []carveJob
	// held is what identification decoded, for the extraction (held.go).
	held format.Held
}

// Options configure a Session.
type Options struct {
	WorkDir string // must exist; each layer gets a sub-directory
	Limits  Limits
	Workers int
	// Formats to carve for; nil means Registry().
	Formats []format.Format
	// Progress, when set, is called after each layer is extracted.
	Progress func(layers int, bytes int64)
	// Shed, when set and true, says memory is short: layers found from
	// then on are listed but not extracted.
	Shed func() bool
	// SkipDirs are names (of directories or files) that a directory
	// target's walk leaves out at any depth, each with the reason (".git":
	// a repository's history is not its tree). Each one left out is a
	// problem of kind "excluded", so nothing is dropped unsaid.
	SkipDirs map[string]string
}

// Session unpacks one target.
type Session struct {
	opt        Options
	lim        Limits
	work       *os.Root
	carver     *carver
	mu         sync.Mutex
	layers     []*Layer
	byID       map[string]*Layer
	problems   []model.Problem
	pkeys      []problemKey // of problems, one each
	totalBytes atomic.Int64
	totalFiles atomic.Int64
	// carveSem bounds the files carved at once over all layers (Run).
	carveSem chan struct{}
}

// NewSession prepares a session writing under opt.WorkDir.
func NewSession(opt Options) (*Session, error) {
	if opt.Limits.MaxDepth == 0 {
		opt.Limits = DefaultLimits()
	}
	if opt.Workers < 1 {
		opt.Workers = 1
	}
	if opt.Formats == nil {
		opt.Formats = Registry()
	}
	root, err := os.OpenRoot(opt.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	return &Session{opt: opt, lim: opt.Limits, work: root, carver: newCarver(opt.Formats).withLimits(opt.Limits),
		byID: map[string]*Layer{}, carveSem: make(chan struct{}, opt.Workers)}, nil
}

// Close releases the work directory handle (it does not remove it).
func (s *Session) Close() error { return s.work.Close() }

// Layers returns all layers in ID order.
func (s *Session) Layers() []*Layer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.layers
}

// problemKey places a problem in the order a level-by-level unpack finds
// them, whatever the timing of the pipeline: by depth, the problems of
// extracting the layers of that depth, then those of carving them, each
// in layer order and then in the order found within the layer.
type problemKey struct {
	block int // 2 × depth, +1 once the layer's files are being carved
	layer int // index of the layer
}

func (a problemKey) less(b problemKey) bool {
	if a.block != b.block {
		return a.block < b.block
	}
	return a.layer < b.layer
}

// Problems returns what went wrong, in a deterministic order (problemKey).
func (s *Session) Problems() []model.Problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	order := make([]int, len(s.problems))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return s.pkeys[order[i]].less(s.pkeys[order[j]]) })
	out := make([]model.Problem, len(order))
	for i, k := range order {
		out[i] = s.problems[k]
	}
	return out
}

func (s *Session) problem(layer, p, kind, msg string) {
	s.mu.Lock()
	k := problemKey{block: -1}
	if l := s.byID[layer]; l != nil {
		k = problemKey{block: 2 * l.Depth, layer: l.idx}
		if l.stage >= carving {
			k.block++
		}
	}
	s.problems = append(s.problems, model.Problem{Layer: layer, Path: p, Stage: "unpack", Kind: kind, Message: msg})
	s.pkeys = append(s.pkeys, k)
	s.mu.Unlock()
}

// AddFile makes the root layer for a single file target.
func (s *Session) AddFile(file string) (*Layer, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(abs)
	l := s.newLayer(nil, "", "file", 0, fi.Size())
	l.Chain = name
	l.Dir = filepath.Dir(abs)
	l.Extracted = true
	l.carveAll = true
	e := format.Entry{Path: "/" + name, Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime()}
	dirlist.Owner(&e, fi)
	l.Entries[e.Path] = e
	l.Files = 1
	return l, nil
}

// AddDir makes the root layer for a directory target. Symlinks are
// recorded, never followed.
func (s *Session) AddDir(ctx context.Context, dir string) (*Layer, error) {
	return s.AddListing(ctx, dirlist.Start(ctx, dir, s.opt.SkipDirs))
}

func (s *Session) newLayer(parent *Layer, source, fmtName string, off, size int64) *Layer {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &Layer{
		Layer:    model.Layer{ID: fmt.Sprintf("L%d", len(s.layers)), Source: source, Format: fmtName, Offset: off, Size: size},
		Entries:  map[string]format.Entry{},
		Children: map[string][]*Layer{},
		Regions:  map[string][]model.Region{},
		parent:   parent,
		idx:      len(s.layers),
	}
	if parent != nil {
		l.Parent = parent.ID
		l.Depth = parent.Depth + 1
		l.Chain = parent.Chain
		if !(parent.Format == "file" && parent.Depth == 0) {
			l.Chain += ":" + source
		}
		l.Chain += fmt.Sprintf(" > %s@0x%x", fmtName, off)
	}
	s.layers = append(s.layers, l)
	s.byID[l.ID] = l
	return l
}

// Run unpacks recursively: every layer's files are carved (in parallel),
// and each layer found is extracted, then carved in turn, as soon as the
// layers before it are known (walk.go); IDs and problems come out in
// breadth-first order whatever the timing. It reads every file itself;
// RunWalk lets a caller that reads them anyway do the carving.
func (s *Session) Run(ctx context.Context) error { return s.RunWalk(ctx, nil) }

type carveJob struct {
	path  string
	cands []candidate
	reg   []model.Region
	err   error
}

// carveFiles identifies the formats inside the files of l, in path
// order; at most Workers files are carved at once over all layers.
func (s *Session) carveFiles(ctx context.Context, l *Layer) []carveJob {
	if l.Dir == "" {
		return nil
	}
	var paths []string
	for p, e := range l.Entries {
		if e.Mode.IsRegular() && !e.Hardlink && e.Size > 0 {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	root, err := os.OpenRoot(l.Dir)
	if err != nil {
		s.problem(l.ID, "", "io", err.Error())
		return nil
	}
	defer root.Close()
	jobs := make([]carveJob, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		jobs[i].path = p
		wg.Add(1)
		s.carveSem <- struct{}{}
		go func(j *carveJob) {
			defer func() { <-s.carveSem; wg.Done() }()
			if ctx.Err() != nil {
				return
			}
			f, err := root.Open(j.path[1:])
			if err != nil {
				j.err = err
				return
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil || !fi.Mode().IsRegular() {
				return
			}
			size := s.targetSize(l, j.path, fi.Size())
			j.cands, j.reg, j.err = s.carver.scanExcept(ctx, newWindowReader(f, size), size, l.carveAll || l.except(j.path) != nil || isBlob(l, j.path, f), l.except(j.path))
		}(&jobs[i])
	}
	wg.Wait()
	return jobs
}

// adopt records what the carve jobs of l's files (in path order) found
// and creates the layers of the formats found, in that order, within the
// layer budget (admit).
func (s *Session) adopt(l *Layer, jobs []carveJob) []*Layer {
	s.admit(l, jobs)
	var out []*Layer
	for _, j := range jobs {
		if j.err != nil && !errors.Is(j.err, context.Canceled) {
			s.problem(l.ID, j.path, problemKind(j.err), j.err.Error())
		}
		if len(j.reg) > 0 {
			l.Regions[j.path] = j.reg
		}
		for _, c := range j.cands {
			child := s.newLayer(l, j.path, c.f.Name(), c.off, c.size)
			child.Description = c.m.Description
			child.Extracted = c.m.Extractable
			child.carveAll = !c.f.Kind().Tree()
			child.f = c.f
			l.Children[j.path] = append(l.Children[j.path], child)
			if c.m.Extractable {
				child.held = c.m.Held
				out = append(out, child)
			} else {
				s.carver.held.release(c.m.Held)
			}
		}
	}
	return out
}

func (s *Session) extract(ctx context.Context, l *Layer) {
	held := l.held
	l.held = nil
	defer s.carver.held.release(held)
	if s.opt.Shed != nil && s.opt.Shed() {
		l.Extracted = false
		s.problem(l.ID, "", "limit", fmt.Sprintf("memory limit: %s at 0x%x in %s is not extracted (the scan is near its memory budget, --max-memory)", l.Format, l.Offset, l.Source))
		return
	}
	proot, err := os.OpenRoot(l.parent.Dir)
	if err != nil {
		s.problem(l.ID, "", "io", err.Error())
		return
	}
	defer proot.Close()
	src, err := proot.Open(l.Source[1:])
	if err != nil {
		s.problem(l.ID, "", "io", err.Error())
		return
	}
	defer src.Close()
	if err := s.work.Mkdir(l.ID, 0o755); err != nil {
		s.problem(l.ID, "", "io", err.Error())
		return
	}
	root, err := s.work.OpenRoot(l.ID)
	if err != nil {
		s.problem(l.ID, "", "io", err.Error())
		return
	}
	defer root.Close()
	l.Dir = filepath.Join(s.opt.WorkDir, l.ID)
	fi, err := src.Stat()
	if err != nil {
		s.problem(l.ID, "", "io", err.Error())
		return
	}
	size := fi.Size() - l.Offset
	if l.Size > 0 && l.Size < size {
		size = l.Size
	}
	sink := &layerSink{s: s, l: l, root: root, inSize: size, guardOn: s.carvedStream(l, fi.Size())}
	lctx, cancel := context.WithTimeout(ctx, s.lim.LayerTimeout)
	defer cancel()
	run := func(sink *layerSink) error {
		done := make(chan error, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					done <- fmt.Errorf("unpacker crashed: %v", r)
				}
			}()
			r := io.NewSectionReader(newWindowReader(src, fi.Size()), l.Offset, size)
			if hx, ok := l.f.(format.HeldExtractor); ok && held != nil {
				h := held
				held = nil // a second run decodes again
				done <- hx.ExtractHeld(lctx, r, size, h, sink)
				return
			}
			done <- l.f.Extract(lctx, r, size, sink)
		}()
		select {
		case xerr := <-done:
			return xerr
		case <-lctx.Done():
			xerr := fmt.Errorf("%w: extraction took longer than %s", ErrLimit, s.lim.LayerTimeout)
			s.problem(l.ID, "", "limit", xerr.Error())
			// The unpacker goroutine sees the cancelled context and stops; its
			// later writes are refused by the stopped sink.
			sink.stopped = xerr
			return xerr
		}
	}
	xerr := run(sink)
	if g := sink.guard; g != nil && g.tripped && sink.stopped == nil && ctx.Err() == nil {
		s.discard(l, sink)
		if g.decodeErr != nil {
			l.Extracted = false
			l.Dir = ""
			_ = s.work.Remove(l.ID)
			s.problem(l.ID, "", "corrupt", g.why(l))
			return
		}
		// The stream decoded to its end (or past what it may write): real
		// data of low entropy. Extract it again, unjudged.
		sink = &layerSink{s: s, l: l, root: root, inSize: size}
		xerr = run(sink)
	}
	if xerr != nil && !errors.Is(xerr, ErrLimit) {
		kind := "corrupt"
		var ue *format.UnsupportedError
		if errors.As(xerr, &ue) {
			kind = "unsupported"
		}
		s.problem(l.ID, "", kind, fmt.Sprintf("%s at 0x%x in %s: %v", l.Format, l.Offset, l.Source, xerr))
		if sink.stopped == nil && ctx.Err() == nil {
			s.keepRaw(l, sink, src, size)
		}
	}
	l.Files = len(l.Entries)
}

// carvedStream says whether l is a stream carved inside a larger file (not
// the whole file): its output is judged for garbage (garbage.go).
func (s *Session) carvedStream(l *Layer, fileSize int64) bool {
	if l.f == nil || l.f.Kind() != format.Stream {
		return false
	}
	return l.Offset > 0 || (l.Size > 0 && l.Size < fileSize)
}

// discard removes what a layer wrote and gives its bytes back to the
// scan budget.
func (s *Session) discard(l *Layer, sink *layerSink) {
	for p, e := range l.Entries {
		if e.Mode.IsRegular() {
			_ = sink.root.Remove(p[1:])
		}
		delete(l.Entries, p)
	}
	s.totalBytes.Add(-sink.written)
	l.Bytes = 0
}

// rawName is the file of a failed layer that holds the bytes its header
// claimed.
const rawName = "/claimed.raw"

// keepRaw handles a layer whose extraction failed: its header claimed a
// range of the file that carving then skipped (a candidate inside a
// validated one is not tried), so a junk header could hide a real file
// system behind it. The claimed bytes become a file of the layer, carved
// at every offset like a blob, except for the failed format at its start.
func (s *Session) keepRaw(l *Layer, sink *layerSink, src io.ReaderAt, size int64) {
	if _, taken := l.Entries[rawName]; taken {
		return
	}
	if err := sink.Add(format.Entry{Path: rawName[1:], Mode: 0o644, Size: size}, io.NewSectionReader(src, l.Offset, size)); err != nil {
		return // a limit: the sink listed it
	}
	l.rawOf = l.f
}

// isBlob says whether a file inside a file tree deserves a full carve: an
// opaque binary that is not an executable or text. Others are recognised
// only when the whole file is of a format.
func isBlob(l *Layer, p string, f io.ReaderAt) bool {
	head := make([]byte, 64)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if n < 4 {
		return false
	}
	if string(head[:4]) == "\x7fELF" {
		return false
	}
	for _, b := range head {
		if b == 0 || b >= 0x80 {
			return l.Entries[p].Size >= 4096
		}
	}
	return false
}
