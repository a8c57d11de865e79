package engine

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/strmatch"
	"github.com/thingsec/thingsec/internal/beneath"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack"
)

// walker reads every regular file of every layer once, records it in the
// inventory and hands it to the file analyzers that want it.
type walker struct {
	cfg    Config
	layers []*unpack.Layer
	byID   map[string]*unpack.Layer
	files  []model.File
	roots  map[string]*beneath.Root
	rootMu sync.Mutex
	// strs gives the one keyword automaton of every string-rule family
	// among the file analyzers (each file is read by it once), waiting
	// until it is built.
	strs func() *strmatch.Set
	// sess carves every file the walk reads, when unpacking.
	sess *unpack.Session
	// targets caps the reads of a target file (MaxTargetBytes), with or
	// without unpacking.
	targets *unpack.Session
	jobs    []*job
	// walked holds the inventory of each layer read so far; the layers
	// are read in any order as they are extracted, and their files and
	// jobs are put in layer order once all are (assemble).
	walked map[*unpack.Layer]*walkedLayer
	// work feeds the file workers, shared by every layer being read.
	work chan *job
	// progress counters, over all layers
	mu     sync.Mutex
	nfiles int
	nbytes int64
	// timings of the file analyzers, for the debug log (nil: not kept)
	timings *timings
}

// newWalker makes the walker of a scan; strs gives the keyword automaton
// of its file analyzers (stringSet); nil means none.
func newWalker(cfg Config, layers []*unpack.Layer, strs func() *strmatch.Set) *walker {
	if strs == nil {
		strs = func() *strmatch.Set { return nil }
	}
	w := &walker{cfg: cfg, layers: layers, byID: map[string]*unpack.Layer{}, roots: map[string]*beneath.Root{}, walked: map[*unpack.Layer]*walkedLayer{}, timings: newTimings(cfg.Log), strs: strs}
	for _, l := range layers {
		w.byID[l.ID] = l
	}
	return w
}

// stringSet compiles the keywords of the file analyzers' string packs
// into one automaton (nil when none has any). A scan builds it while the
// target is opened (the directory listed, the first layer made), which
// does not need it.
func stringSet(files []plugin.FileAnalyzer) *strmatch.Set {
	var packs []*strmatch.Pack
	for _, a := range files {
		if p, ok := a.(strmatch.Packer); ok {
			packs = append(packs, p.StringPacks()...)
		}
	}
	if len(packs) == 0 {
		return nil
	}
	return strmatch.Compile(packs...)
}

type job struct {
	l   *unpack.Layer
	f   *model.File // in the layer's walkedLayer, then in w.files
	pos int         // index of f among the layer's files
	// done counts down the unread files of the layer.
	done *sync.WaitGroup
	out  plugin.Results
	// carved: the file was carved while read; whole and parts are what
	// the carve found (see unpack.Carved), which decided how it was
	// analysed. redo: analyse again from the layers actually made.
	carved, whole, parts, redo bool
}

// walkedLayer is the inventory of one layer, in path order, and the jobs
// of its regular files.
type walkedLayer struct {
	files []model.File
	jobs  []*job
}

// walkHook, when set (tests only), is called before each file is read,
// to perturb the timing of the walk.
var walkHook func()

// run walks every layer: with unpacking, each layer as soon as the
// session has extracted it (each file read once gives its hash, type,
// analyzers and the carve that finds the layers inside it), else only the
// layers already there.
func (w *walker) run(ctx context.Context, sess *unpack.Session, unpacking bool) (*plugin.Results, error) {
	w.targets = sess
	w.work = make(chan *job)
	var workers sync.WaitGroup
	for i := 0; i < w.cfg.Workers; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			w.worker(ctx, w.work, true)
		}()
	}
	var err error
	if unpacking {
		w.sess = sess
		err = sess.RunWalk(ctx, w.layer)
	} else {
		var wg sync.WaitGroup
		for _, l := range w.layers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.layer(ctx, l)
			}()
		}
		wg.Wait()
	}
	close(w.work)
	workers.Wait()
	if err != nil {
		w.closeRoots()
		return nil, err
	}
	w.index(sess.Layers())
	w.assemble()
	w.settle(ctx)
	w.closeRoots()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &plugin.Results{}
	for _, j := range w.jobs {
		res.Merge(&j.out)
	}
	return res, nil
}

// index makes every layer known to Chain and ReadFile.
func (w *walker) index(layers []*unpack.Layer) {
	w.layers = layers
	for _, l := range layers {
		w.byID[l.ID] = l
	}
}

// assemble puts the inventory and the jobs of the layers read in layer
// order (breadth first, as the IDs go), whatever order they were read in.
func (w *walker) assemble() {
	var base []int
	for _, l := range w.layers {
		wl := w.walked[l]
		if wl == nil {
			continue
		}
		base = append(base, len(w.files))
		w.files = append(w.files, wl.files...)
		w.jobs = append(w.jobs, wl.jobs...)
	}
	// w.files is complete: the jobs may point into it.
	i := 0
	for _, l := range w.layers {
		wl := w.walked[l]
		if wl == nil {
			continue
		}
		for _, j := range wl.jobs {
			j.f = &w.files[base[i]+j.pos]
		}
		i++
	}
	w.walked = nil
}

// layer reads and analyses the files of one layer, on the shared workers.
func (w *walker) layer(ctx context.Context, l *unpack.Layer) {
	if l.Dir == "" || !l.Extracted {
		return
	}
	paths := make([]string, 0, len(l.Entries))
	for p := range l.Entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	wl := &walkedLayer{files: make([]model.File, 0, len(paths))}
	var done sync.WaitGroup
	for _, p := range paths {
		e := l.Entries[p]
		// Unpacked and Unclaimed are known once every layer exists (settle).
		f := model.File{Layer: l.ID, Path: p, Size: e.Size, Mode: model.LsMode(e.Mode), UID: e.UID, GID: e.GID}
		if e.Mode&fs.ModeDevice != 0 {
			f.Device = &model.Device{Major: int64(e.DevMajor), Minor: int64(e.DevMinor)}
		}
		if e.Incomplete != "" {
			f.Complete, f.IncompleteReason = new(false), e.Incomplete
		}
		switch {
		case e.Mode.IsRegular() || e.Hardlink:
			// Type, hash and size are filled in when file reads it.
			if e.Hardlink {
				f.LinkTarget = e.Linkname
			}
			wl.files = append(wl.files, f)
			wl.jobs = append(wl.jobs, &job{l: l, pos: len(wl.files) - 1, done: &done})
		default:
			f.Type = entryType(e.Mode)
			f.LinkTarget = e.Linkname
			if !e.Mode.IsDir() {
				f.Size = 0
			}
			wl.files = append(wl.files, f)
		}
	}
	// wl.files is complete: the jobs may point into it.
	for _, j := range wl.jobs {
		j.f = &wl.files[j.pos]
	}
	w.mu.Lock()
	w.walked[l] = wl
	w.mu.Unlock()
	done.Add(len(wl.jobs))
	for _, j := range w.readOrder(wl.jobs) {
		w.work <- j
	}
	done.Wait()
}

// readOrder is the order jobs are handed to the workers. The files an
// analyzer wants early (plugin.Early: account files, whose hashes take
// long to crack) come first, so that their long work overlaps the walk;
// then the largest files, so that the walk does not end with one worker
// reading a large file while the others have nothing left, and so that
// each worker's read buffer is sized by its first file and then reused
// (keepBuf). Results are assembled in path order whatever order the
// files were read in.
func (w *walker) readOrder(jobs []*job) []*job {
	out := slices.Clone(jobs)
	early := make(map[*job]bool)
	for _, a := range w.cfg.Files {
		e, ok := a.(plugin.Early)
		if !ok {
			continue
		}
		for _, j := range out {
			if !early[j] && e.ReadEarly(j.f.Path) {
				early[j] = true
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *job) int {
		if early[a] != early[b] {
			if early[a] {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.f.Size, a.f.Size)
	})
	return out
}

// keepBuf is the size of a worker's read buffer (readbuf.go): 16 MiB,
// less with many workers so that together they hold at most 128 MiB, and
// never less than 4 MiB. A larger file is read into a buffer of its own.
func keepBuf(workers int) int {
	return max(4<<20, min(16<<20, (128<<20)/max(1, workers)))
}

// pool runs file over jobs on cfg.Workers goroutines.
func (w *walker) pool(ctx context.Context, jobs []*job, progress bool) {
	var wg sync.WaitGroup
	ch := make(chan *job)
	for i := 0; i < w.cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.worker(ctx, ch, progress)
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
}

// worker reads the files of the jobs it receives until ch is closed.
func (w *walker) worker(ctx context.Context, ch <-chan *job, progress bool) {
	buf := getReadBuf(keepBuf(w.cfg.Workers))
	defer putReadBuf(buf)
	for j := range ch {
		if walkHook != nil {
			walkHook()
		}
		if ctx.Err() == nil {
			w.file(ctx, j, buf)
			if progress {
				w.mu.Lock()
				w.nfiles++
				w.nbytes += j.f.Size
				n, b := w.nfiles, w.nbytes
				w.mu.Unlock()
				w.cfg.Progress.Walked(n, b)
			}
		}
		if j.done != nil {
			j.done.Done()
		}
	}
}

// settle completes the inventory once every layer exists: which layers
// each file was unpacked into and its unclaimed regions. A file analysed
// by what its carve found, when the layers made differ (the layer limit
// cut them), is read and analysed again from the layers made.
func (w *walker) settle(ctx context.Context) {
	var redo []*job
	for _, j := range w.jobs {
		f := j.f
		j.done = nil
		f.Unpacked = nil
		for _, c := range j.l.Children[f.Path] {
			f.Unpacked = append(f.Unpacked, c.ID)
		}
		f.Unclaimed = j.l.Regions[f.Path]
		if j.carved && (j.whole != w.claimed(j.l, f.Path, f.Size) || j.parts != w.hasChildren(j.l, f.Path)) {
			j.redo = true
			j.out = plugin.Results{}
			redo = append(redo, j)
		}
	}
	w.pool(ctx, redo, false)
}

// root is the layer's directory tree, opened once: every file is opened
// inside it (beneath.Root: no link or ".." leads out of the layer).
func (w *walker) root(l *unpack.Layer) (*beneath.Root, error) {
	w.rootMu.Lock()
	defer w.rootMu.Unlock()
	if r, ok := w.roots[l.ID]; ok {
		return r, nil
	}
	r, err := beneath.Open(l.Dir)
	if err != nil {
		return nil, err
	}
	w.roots[l.ID] = r
	return r, nil
}

func (w *walker) closeRoots() {
	for _, r := range w.roots {
		r.Close()
	}
	w.roots = map[string]*beneath.Root{}
}

func (w *walker) problem(j *job, path, msg string) {
	j.out.Problems = append(j.out.Problems, model.Problem{Layer: j.l.ID, Path: path, Stage: "walk", Kind: "io", Message: msg})
}

// file reads one file once: hash, type, then every analyzer that wants it.
// buf is the worker's read buffer, reused from file to file (analyzers
// keep nothing of in.Data); a file larger than it gets its own.
func (w *walker) file(ctx context.Context, j *job, buf []byte) {
	f := j.f
	f.Type = filetype.Data
	root, err := w.root(j.l)
	if err != nil {
		w.problem(j, f.Path, err.Error())
		return
	}
	fh, err := root.Open(f.Path[1:])
	if err != nil {
		w.problem(j, f.Path, "cannot open: "+err.Error())
		return
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil || !st.Mode().IsRegular() {
		w.problem(j, f.Path, "not a regular file on disk")
		return
	}
	size := st.Size()
	f.Size = size
	if w.targets != nil {
		// A sparse or device-sized target is read only up to
		// --max-target-bytes (hashed, analysed and carved), with a problem.
		size = w.targets.TargetSize(j.l, f.Path, size)
	}
	in := &plugin.Input{R: io.NewSectionReader(fh, 0, size)}
	h := sha256.New()
	var streamed *seqHash
	hold := size <= w.cfg.MaxInMemory
	if hold && size > 1<<20 && w.cfg.shed != nil && w.cfg.shed() {
		// near the memory budget: stream it; analyzers that need the
		// whole file in memory record that they skipped it
		hold = false
		j.out.Problems = append(j.out.Problems, model.Problem{Layer: j.l.ID, Path: f.Path, Stage: "walk", Kind: "limit", Message: fmt.Sprintf("memory limit: %d bytes read without holding them (the scan is near its memory budget, --max-memory)", size)})
	}
	if hold {
		if int64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		n, err := io.ReadFull(io.NewSectionReader(fh, 0, size), buf)
		if err != nil {
			w.problem(j, f.Path, "read error: "+err.Error())
		}
		buf = buf[:n]
		in.Data = buf
		in.R = bytes.NewReader(buf)
		h.Write(buf)
		in.Head = buf[:min(len(buf), filetype.HeadSize)]
	} else {
		// Too large to hold: hashed as the carve reads it, and the rest
		// (all of it when there is no carve) after it.
		streamed = &seqHash{r: in.R, h: h, size: size}
		in.R = streamed
		head := make([]byte, filetype.HeadSize)
		n, _ := fh.ReadAt(head, 0)
		in.Head = head[:n]
	}
	ft := filetype.Detect(f.Path, in.Head, size)
	f.Type, f.Arch = ft.Type, ft.Arch
	e := j.l.Entries[f.Path]
	in.FileInfo = plugin.FileInfo{Layer: j.l.ID, Path: f.Path, Mode: e.Mode, UID: e.UID, GID: e.GID, Size: size, Type: ft, Head: in.Head}
	in.Loc = model.Location{Layer: j.l.ID, Chain: j.l.Chain, Path: f.Path}
	whole, parts, regs := w.claimed(j.l, f.Path, size), w.hasChildren(j.l, f.Path), j.l.Regions[f.Path]
	if w.sess != nil && !j.redo {
		// Carve from the bytes just read: the layers this file holds
		// are made once the level is walked.
		c := w.sess.Carve(ctx, j.l, f.Path, in.R, size)
		whole, parts, regs = c.Whole, c.Parts, c.Regions
		j.carved, j.whole, j.parts = true, whole, parts
	}
	if streamed != nil {
		if err := streamed.finish(); err != nil {
			w.problem(j, f.Path, "read error: "+err.Error())
		}
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	if whole {
		return
	}
	if parts {
		// The formats found in this file are analysed in their own
		// layers; here only the bytes no format claimed are (a raw
		// NVRAM or config area of a flash dump), one region at a time.
		w.regions(ctx, j, in, regs)
		return
	}
	in.Keywords = w.strs().File(in.Data)
	w.run1(ctx, j, in)
}

// run1 hands one input to every analyzer that wants it.
func (w *walker) run1(ctx context.Context, j *job, in *plugin.Input) {
	for _, a := range w.cfg.Files {
		if !a.FileRequired(&in.FileInfo) {
			continue
		}
		if err := w.analyze(ctx, a, in, &j.out); err != nil {
			j.out.Problems = append(j.out.Problems, model.Problem{Layer: j.l.ID, Path: in.Path, Stage: "analyze", Kind: "analyzer", Message: fmt.Sprintf("%s: %v", a.Name(), err)})
		}
	}
}

// maxRegion bounds the unclaimed region handed to analyzers.
const maxRegion = 16 << 20

// regions runs the analyzers over each unclaimed, non-padding region of a
// carved file. Findings carry the region's offset.
func (w *walker) regions(ctx context.Context, j *job, in *plugin.Input, regs []model.Region) {
	for _, r := range regs {
		if r.Kind == "padding" {
			continue
		}
		if r.Size > maxRegion {
			w.skipRegion(j, in, r)
			continue
		}
		data := make([]byte, r.Size)
		n, _ := in.R.ReadAt(data, r.Offset)
		data = data[:n]
		sub := *in
		sub.Data = data
		sub.R = bytes.NewReader(data)
		sub.Size = int64(n)
		sub.Head = data[:min(len(data), filetype.HeadSize)]
		sub.Type = filetype.Detect(in.Path, sub.Head, sub.Size)
		sub.Loc.Offset = r.Offset
		sub.Keywords = w.strs().File(data)
		before := len(j.out.Findings)
		w.run1(ctx, j, &sub)
		for i := before; i < len(j.out.Findings); i++ {
			if j.out.Findings[i].Location.Line > 0 {
				// a line number inside a region is not a line of the file
				j.out.Findings[i].Location.Line = 0
			}
			j.out.Findings[i].Location.Offset += r.Offset
		}
	}
}

// skipRegion records, for every analyzer that wants a region, that it
// was not analysed for being over maxRegion.
func (w *walker) skipRegion(j *job, in *plugin.Input, r model.Region) {
	head := make([]byte, filetype.HeadSize)
	n, _ := in.R.ReadAt(head, r.Offset)
	fi := in.FileInfo
	fi.Size, fi.Head = r.Size, head[:n]
	fi.Type = filetype.Detect(in.Path, fi.Head, fi.Size)
	for _, a := range w.cfg.Files {
		if a.FileRequired(&fi) {
			j.out.Skipped = append(j.out.Skipped, model.Skip{Analyzer: a.Name(), Layer: j.l.ID, Path: in.Path, Offset: r.Offset, Size: r.Size,
				Reason: fmt.Sprintf("unclaimed region of %d bytes is over the %d MiB region limit", r.Size, maxRegion>>20)})
		}
	}
}

func (w *walker) hasChildren(l *unpack.Layer, p string) bool {
	for _, c := range l.Children[p] {
		if c.Extracted {
			return true
		}
	}
	return false
}

// analyze runs one analyzer, turning a panic into an error so that one
// analyzer's bug costs one file, not the scan.
func (w *walker) analyze(ctx context.Context, a plugin.FileAnalyzer, in *plugin.Input, out *plugin.Results) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if w.timings != nil {
		defer w.timings.add(a.Name(), time.Now())
	}
	return a.Analyze(ctx, in, out)
}

// claimed says whether a file was entirely unpacked into a child layer (a
// squashfs image, a gzip stream): its content is analysed there, not as
// opaque bytes here.
func (w *walker) claimed(l *unpack.Layer, p string, size int64) bool {
	for _, c := range l.Children[p] {
		if c.Extracted && c.Offset == 0 && (c.Size == 0 || c.Size >= size) {
			return true
		}
	}
	return false
}

// Files implements plugin.Tree.
func (w *walker) Files() []model.File { return w.files }

// Chain implements plugin.Tree.
func (w *walker) Chain(layer string) string {
	if l, ok := w.byID[layer]; ok {
		return l.Chain
	}
	return ""
}

// ReadFile implements plugin.Tree.
func (w *walker) ReadFile(layer, p string, limit int64) ([]byte, error) {
	f, err := w.open(layer, p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One buffer of the file's size: io.ReadAll would grow one by
	// doubling, allocating about twice a large file while reading it.
	return readInto(f, make([]byte, max(0, min(f.size, limit))))
}

// readInto fills buf from f; a file that shrank since it was opened
// gives what was there.
func readInto(f *openFile, buf []byte) ([]byte, error) {
	n, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return buf[:n], err
}

// ReadFileLent implements plugin.Lender with the workers' read buffers,
// for files from lendMin bytes up to one buffer's size (keepBuf): a
// smaller file costs little to read anew.
func (w *walker) ReadFileLent(layer, p string, limit int64) ([]byte, func(), bool, error) {
	f, err := w.open(layer, p)
	if err != nil {
		return nil, nil, true, err
	}
	defer f.Close()
	size := max(0, min(f.size, limit))
	keep := keepBuf(w.cfg.Workers)
	if size < lendMin || size > int64(keep) {
		return nil, nil, false, nil
	}
	buf := getReadBuf(keep)
	data, err := readInto(f, buf[:size])
	return data, func() { putReadBuf(buf) }, true, err
}

// lendMin is the smallest file ReadFileLent lends a buffer for.
const lendMin = 256 << 10

// OpenFile implements plugin.Opener.
func (w *walker) OpenFile(layer, p string) (plugin.FileReader, error) {
	f, err := w.open(layer, p)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return f, nil
}

// open opens the regular file p of a layer, inside the layer's root.
func (w *walker) open(layer, p string) (*openFile, error) {
	l, ok := w.byID[layer]
	if !ok || l.Dir == "" {
		return nil, fmt.Errorf("no layer %s", layer)
	}
	root, err := w.root(l)
	if err != nil {
		return nil, err
	}
	f, err := root.Open(p[1:])
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	return &openFile{File: f, size: st.Size()}, nil
}

// openFile is a layer's file opened for plugin.Opener.
type openFile struct {
	*os.File
	size int64
}

func (f *openFile) Size() int64 { return f.size }
