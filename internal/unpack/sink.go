package unpack

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// ErrLimit is returned to an unpacker when a limit is hit.
var ErrLimit = errors.New("unpack limit reached")

// layerSink writes one layer's entries under its directory through os.Root,
// so no entry, symlink or hard link can write outside it. Modes, owners and
// special files are kept as metadata only: nothing is created setuid, and
// device nodes and FIFOs are never created.
type layerSink struct {
	s       *Session
	l       *Layer
	root    *os.Root
	inSize  int64
	written int64
	stopped error
	limited int // entries truncated by a byte budget, for capping their problems
	// writing is the entry whose content is being read, and damaged the
	// first problem an unpacker reported about it meanwhile.
	writing, damaged string
	// guardOn judges the output of a carved stream (garbage.go); guard is
	// its entry's judge.
	guardOn bool
	guard   *garbageGuard
}

// clean turns an entry name into a layer path ("/etc/shadow"). It reports
// names that tried to leave the layer.
func clean(name string) (p string, unsafe bool) {
	name = strings.ReplaceAll(name, "\\", "/")
	name = strings.ReplaceAll(name, "\x00", "")
	if strings.HasPrefix(name, "/") {
		unsafe = true
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			unsafe = true
		}
	}
	return path.Clean("/" + name), unsafe
}

func (k *layerSink) Problem(p string, err error) {
	kind := "corrupt"
	var ue *format.UnsupportedError
	if errors.As(err, &ue) {
		kind = "unsupported"
	}
	if g := k.guard; g != nil && g.tripped && p != "" {
		if cp, _ := clean(p); cp == g.path {
			// Held back: the layer is dropped with one problem, or
			// extracted again when the stream turns out whole.
			if g.decodeErr == nil {
				g.decodeErr = err
			}
			return
		}
	}
	k.s.problem(k.l.ID, p, kind, err.Error())
	// A problem about an entry already listed means its content is not
	// whole: the inventory says so too.
	if p != "" {
		cp, _ := clean(p)
		if cp == k.writing && k.damaged == "" {
			k.damaged = err.Error()
		}
		if e, ok := k.l.Entries[cp]; ok && e.Incomplete == "" {
			e.Incomplete = err.Error()
			k.l.Entries[cp] = e
		}
	}
}

func (k *layerSink) limit(msg string) error { return k.limitAt("", msg) }

// limitAt stops the layer: every later Add fails.
func (k *layerSink) limitAt(p, msg string) error {
	if k.stopped == nil {
		k.stopped = fmt.Errorf("%w: %s", ErrLimit, msg)
		k.s.problem(k.l.ID, p, "limit", msg)
	}
	return k.stopped
}

func (k *layerSink) Add(e format.Entry, r io.Reader) error {
	if k.stopped != nil {
		return k.stopped
	}
	p, unsafe := clean(e.Path)
	if unsafe {
		k.s.problem(k.l.ID, p, "unsafe", fmt.Sprintf("entry name %q points outside the layer; kept as %s", e.Path, p))
	}
	if p == "/" {
		if e.Mode.IsDir() {
			return nil
		}
		k.s.problem(k.l.ID, "", "corrupt", fmt.Sprintf("entry with empty name %q skipped", e.Path))
		return nil
	}
	if len(k.l.Entries) >= k.s.lim.MaxLayerFiles {
		return k.limit(fmt.Sprintf("layer %s has more than %d entries", k.l.ID, k.s.lim.MaxLayerFiles))
	}
	if k.s.totalFiles.Add(1) > int64(k.s.lim.MaxTotalFiles) {
		return k.limit(fmt.Sprintf("scan has more than %d files", k.s.lim.MaxTotalFiles))
	}
	rel := p[1:]
	if dir := path.Dir(rel); dir != "." {
		if err := k.root.MkdirAll(dir, 0o755); err != nil {
			k.s.problem(k.l.ID, p, "io", "cannot create parent directory: "+err.Error())
			return nil
		}
	}
	e.Path = p
	switch {
	case e.Mode.IsDir():
		if err := k.root.Mkdir(rel, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			k.s.problem(k.l.ID, p, "io", err.Error())
			return nil
		}
	case e.Mode&fs.ModeSymlink != 0:
		target := k.safeLink(p, e.Linkname)
		_ = k.root.Remove(rel)
		if err := k.root.Symlink(target, rel); err != nil {
			k.s.problem(k.l.ID, p, "io", "symlink: "+err.Error())
		}
	case e.Hardlink:
		old, unsafe := clean(e.Linkname)
		if unsafe && !strings.HasPrefix(e.Linkname, "/") {
			k.s.problem(k.l.ID, p, "unsafe", fmt.Sprintf("hard link target %q points outside the layer", e.Linkname))
		}
		_ = k.root.Remove(rel)
		if err := k.root.Link(old[1:], rel); err != nil {
			k.s.problem(k.l.ID, p, "io", "hard link to "+old+": "+err.Error())
			return nil
		}
		e.Mode = e.Mode &^ fs.ModeType
		if src, ok := k.l.Entries[old]; ok {
			e.Size = src.Size
		}
	case e.Mode.IsRegular():
		k.writing, k.damaged = p, ""
		n, err := k.write(p, rel, r)
		if k.damaged != "" && e.Incomplete == "" {
			e.Incomplete = k.damaged
		}
		k.writing = ""
		e.Size = n
		if err != nil {
			if e.Incomplete == "" {
				e.Incomplete = "content truncated: " + err.Error()
			}
			k.l.Entries[p] = e
			if errors.Is(err, ErrLimit) {
				return err
			}
			k.s.problem(k.l.ID, p, "corrupt", "content truncated: "+err.Error())
			return nil
		}
	default:
		// Device nodes, FIFOs and sockets are recorded, never created.
	}
	k.l.Entries[p] = e
	return nil
}

// safeLink rewrites a symlink target so that it resolves inside the layer:
// absolute targets become relative to the layer root (firmware is full of
// "/bin/busybox"), relative ones that climb out are clamped at the root.
func (k *layerSink) safeLink(p, target string) string {
	if target == "" {
		return "."
	}
	dir := path.Dir(p)
	var abs string
	if strings.HasPrefix(target, "/") {
		abs = path.Clean(target)
	} else {
		var parts []string
		if dir != "/" {
			parts = strings.Split(strings.Trim(dir, "/"), "/")
		}
		escaped := false
		for _, c := range strings.Split(target, "/") {
			switch c {
			case "..":
				if len(parts) == 0 {
					escaped = true
				} else {
					parts = parts[:len(parts)-1]
				}
			case ".", "":
			default:
				parts = append(parts, c)
			}
		}
		if escaped {
			k.s.problem(k.l.ID, p, "unsafe", fmt.Sprintf("symlink target %q escapes the layer; clamped to the layer root", target))
		}
		abs = "/" + strings.Join(parts, "/")
	}
	rel := relPath(dir, abs)
	return rel
}

// relPath returns target relative to dir (both absolute, cleaned).
func relPath(dir, target string) string {
	d := strings.Split(strings.Trim(dir, "/"), "/")
	t := strings.Split(strings.Trim(target, "/"), "/")
	if d[0] == "" {
		d = nil
	}
	if t[0] == "" {
		t = nil
	}
	i := 0
	for i < len(d) && i < len(t) && d[i] == t[i] {
		i++
	}
	var parts []string
	for range d[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// write copies r into the layer, charging every byte against the limits.
// One entry may use what the layer and the scan have left minus a
// reserve: a bomb entry is cut short (a problem names it) and the entries
// after it still fit. Only an exhausted scan budget stops the layer.
func (k *layerSink) write(p, rel string, r io.Reader) (int64, error) {
	// O_EXCL: a symlink or earlier entry of the same name must not redirect
	// the write; it is removed first. Most names are new, so the removal is
	// only tried when the create finds one.
	const flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC | os.O_EXCL
	f, err := k.root.OpenFile(rel, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		_ = k.root.Remove(rel)
		f, err = k.root.OpenFile(rel, flags, 0o644)
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if r == nil {
		return 0, nil
	}
	left, why := k.left()
	if left <= 0 && why == budgetScan {
		return 0, k.limitAt(p, fmt.Sprintf("entry not written: the scan may write %d bytes and has written them; this layer stops", k.s.scanBudget()))
	}
	entryCap := max(left-min(left/4, entryReserve), 0)
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n int64
	if k.guardOn && k.guard == nil {
		k.guard = newGarbageGuard(p)
	}
	for {
		want := len(buf)
		if int64(want) > entryCap-n {
			want = int(entryCap - n)
		}
		if want == 0 {
			// Probe for one more byte: an entry that ends exactly at its
			// cap is complete.
			var one [1]byte
			if m, _ := io.ReadFull(r, one[:]); m == 0 {
				return n, nil
			}
			if why == budgetScan {
				return n, k.limitAt(p, fmt.Sprintf("entry truncated at %d bytes: the scan may write %d bytes; this layer stops", n, k.s.scanBudget()))
			}
			k.truncated(p, n, why)
			return n, nil
		}
		// Layers are extracted in parallel: the scan budget is checked
		// per chunk, not only when the entry starts.
		if t := k.s.scanBudget() - k.s.totalBytes.Load(); int64(want) > t {
			if t <= 0 {
				return n, k.limitAt(p, fmt.Sprintf("entry truncated at %d bytes: the scan may write %d bytes; this layer stops", n, k.s.scanBudget()))
			}
			want = int(t)
		}
		if g := k.guard; g != nil && g.path == p {
			// Judge the output at the same sizes however the decoder
			// splits its reads.
			want = int(min(int64(want), g.next-g.n))
		}
		m, rerr := r.Read(buf[:want])
		if m > 0 {
			if _, err := f.Write(buf[:m]); err != nil {
				return n, err
			}
			n += int64(m)
			k.written += int64(m)
			k.l.Bytes = k.written
			k.s.totalBytes.Add(int64(m))
			if g := k.guard; g != nil && g.path == p && g.add(buf[:m]) {
				g.drain(r, entryCap-n)
				return n, nil
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// copyBufs holds the buffers entries are copied through: a fresh one per
// entry would be cleared each time, for every small file of a rootfs.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// entryReserve is the most one entry leaves for the entries after it.
const entryReserve = 64 << 20

// Which budget bounds a layer's next write.
const (
	budgetLayer = "layer"
	budgetRatio = "ratio"
	budgetScan  = "scan"
)

// left returns the bytes the layer may still write and which budget
// bounds them.
func (k *layerSink) left() (int64, string) {
	lim := k.s.lim
	n, why := lim.MaxLayerBytes-k.written, budgetLayer
	if lim.MaxRatio > 0 && k.inSize > 0 {
		if r := max(lim.RatioGrace, ratioBytes(lim.MaxRatio, k.inSize)) - k.written; r < n {
			n, why = r, budgetRatio
		}
	}
	if t := k.s.scanBudget() - k.s.totalBytes.Load(); t < n {
		n, why = t, budgetScan
	}
	return n, why
}

func ratioBytes(ratio float64, in int64) int64 {
	v := ratio * float64(in)
	if v >= math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return int64(v)
}

// scanBudget is what the whole scan may write: MaxTotalBytes, and, past
// TotalGrace, MaxRatio times the size of the targets.
func (s *Session) scanBudget() int64 {
	b := s.lim.MaxTotalBytes
	if s.lim.MaxRatio <= 0 || s.lim.TotalGrace <= 0 {
		return b
	}
	var target int64
	s.mu.Lock()
	for _, l := range s.layers {
		if l.Depth != 0 {
			break
		}
		sz := l.Size
		if s.lim.MaxTargetBytes > 0 {
			sz = min(sz, s.lim.MaxTargetBytes)
		}
		target += sz
	}
	s.mu.Unlock()
	return min(b, max(s.lim.TotalGrace, ratioBytes(s.lim.MaxRatio, target)))
}

// maxLimitProblems bounds the truncated-entry problems listed per layer.
const maxLimitProblems = 100

// truncated reports an entry cut short by a byte budget.
func (k *layerSink) truncated(p string, n int64, why string) {
	k.limited++
	switch {
	case k.limited < maxLimitProblems:
		msg := fmt.Sprintf("layer %s may write %d bytes", k.l.ID, k.s.lim.MaxLayerBytes)
		switch why {
		case budgetRatio:
			msg = fmt.Sprintf("layer %s may expand its %d input bytes at most %.0f times past %d bytes (decompression bomb?)", k.l.ID, k.inSize, k.s.lim.MaxRatio, k.s.lim.RatioGrace)
		}
		k.s.problem(k.l.ID, p, "limit", fmt.Sprintf("entry truncated at %d bytes: %s; later entries are still extracted", n, msg))
	case k.limited == maxLimitProblems:
		k.s.problem(k.l.ID, "", "limit", fmt.Sprintf("more than %d entries of layer %s truncated by byte limits; the rest are not listed", maxLimitProblems, k.l.ID))
	}
}
