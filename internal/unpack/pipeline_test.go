package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// crateFormat is a container carved at every offset: "CRT!" + uint32 LE
// payload length + payload, extracted as one file after a random delay, so
// that layers finish in any order. A payload starting with "BAD" fails
// halfway (a problem, and the claimed bytes kept raw); one starting with
// "WARN" reports a problem and is extracted.
type crateFormat struct{}

func (crateFormat) Name() string      { return "crate" }
func (crateFormat) Kind() format.Kind { return format.Container }
func (crateFormat) Signatures() []format.Signature {
	return []format.Signature{{Magic: []byte("CRT!")}}
}
func (crateFormat) Identify(r io.ReaderAt, size int64) (format.Match, error) {
	var h [8]byte
	if err := format.ReadFull(r, h[:], 0); err != nil || string(h[:4]) != "CRT!" {
		return format.Match{}, format.ErrNotMatch
	}
	n := int64(binary.LittleEndian.Uint32(h[4:]))
	if 8+n > size {
		return format.Match{}, format.ErrNotMatch
	}
	return format.Match{Size: 8 + n, Description: "crate", Extractable: true}, nil
}
func (crateFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	time.Sleep(time.Duration(mrand.IntN(2000)) * time.Microsecond)
	head := make([]byte, 4)
	r.ReadAt(head, 8)
	switch {
	case bytes.HasPrefix(head, []byte("BAD")):
		if err := sink.Add(format.Entry{Path: "half", Mode: 0o644}, io.NewSectionReader(r, 8, (size-8)/2)); err != nil {
			return err
		}
		return errors.New("crate checksum mismatch")
	case bytes.HasPrefix(head, []byte("WARN")):
		sink.Problem("payload", errors.New("crate payload flagged"))
	}
	return sink.Add(format.Entry{Path: "payload", Mode: 0o644}, io.NewSectionReader(r, 8, size-8))
}

func crate(payload ...[]byte) []byte {
	body := bytes.Join(payload, []byte("...."))
	var h [8]byte
	copy(h[:], "CRT!")
	binary.LittleEndian.PutUint32(h[4:], uint32(len(body)))
	return append(h[:], body...)
}

// crateTree is an image whose layers finish in an order that depends on
// timing: crates of unequal depth and fan-out, failing and warning ones
// among them, enough of them to hit a layer cap.
func crateTree(depth, fan int, seed string) []byte {
	if depth <= 0 {
		switch seed[len(seed)-1] % 4 {
		case 0:
			return crate([]byte("BAD " + seed))
		case 1:
			return crate([]byte("WARN " + seed))
		}
		return crate([]byte("leaf " + seed))
	}
	var parts [][]byte
	for i := 0; i < fan; i++ {
		parts = append(parts, crateTree(depth-1-i%2, fan, fmt.Sprint(seed, i)))
	}
	return crate(parts...)
}

// checkBreadthFirst asserts the ID order of a level-by-level unpack:
// depth never decreases with the ID, and the layers of one depth are
// ordered by their parent's ID, then by file, then by offset.
func checkBreadthFirst(t *testing.T, ls []*Layer) {
	t.Helper()
	idx := map[string]int{}
	for i, l := range ls {
		idx[l.ID] = i
		if l.ID != fmt.Sprint("L", i) {
			t.Fatalf("layer %d has ID %s", i, l.ID)
		}
		if i == 0 || l.Parent == "" {
			continue
		}
		p := ls[i-1]
		if l.Depth < p.Depth {
			t.Fatalf("%s (depth %d) after %s (depth %d)", l.ID, l.Depth, p.ID, p.Depth)
		}
		if l.Depth > p.Depth || p.Parent == "" {
			continue
		}
		a, b := idx[p.Parent], idx[l.Parent]
		if a > b || a == b && (p.Source > l.Source || p.Source == l.Source && p.Offset >= l.Offset) {
			t.Fatalf("%s (%s:%s@%d) after %s (%s:%s@%d): not breadth first", l.ID, l.Parent, l.Source, l.Offset, p.ID, p.Parent, p.Source, p.Offset)
		}
	}
}

// workTree lists the work directory: one directory per extracted layer,
// named by its ID, with its files.
func workTree(t *testing.T, s *Session) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(s.opt.WorkDir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.opt.WorkDir, p)
		fmt.Fprintf(&b, "%s %v %d\n", rel, fi.Mode(), fi.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPipelineDeterministic runs the same sessions many times with random
// delays at every step of the pipeline and in the formats' extraction,
// under several GOMAXPROCS, with and without a walker: the layer tree,
// the IDs, the problems and the work directory must come out the same
// every time, in breadth-first order.
func TestPipelineDeterministic(t *testing.T) {
	fmts := []format.Format{crateFormat{}, boxFormat{}}
	capped := DefaultLimits()
	capped.MaxLayers = 23
	shallow := DefaultLimits()
	shallow.MaxDepth = 3
	tests := []target{
		{name: "tree", file: crateTree(4, 3, "a"), fmts: fmts},
		{name: "layer cap", file: crateTree(4, 3, "b"), fmts: fmts, lim: capped, limit: "layers"},
		{name: "depth limit", file: crateTree(5, 2, "c"), fmts: fmts, lim: shallow, limit: "depth"},
		{name: "directory", tree: map[string][]byte{
			"a.bin":     crateTree(3, 2, "d"),
			"sub/b.bin": crateTree(2, 3, "e"),
			"sub/c.bin": append(bytes.Repeat([]byte{0, 0x80}, 4096), crateTree(3, 2, "f")...),
		}, fmts: fmts},
	}
	runs := 8
	if formattest.Race {
		runs = 3
	}
	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs)
	pipelineHook = func() { time.Sleep(time.Duration(mrand.IntN(1500)) * time.Microsecond) }
	defer func() { pipelineHook = nil }()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, wantTree string
			for i := 0; i < runs; i++ {
				runtime.GOMAXPROCS([]int{1, 2, 4, 8}[i%4])
				s := tt.session(t)
				var err error
				if i%2 == 0 {
					err = s.Run(context.Background())
				} else {
					err = s.RunWalk(context.Background(), (&walkReading{t: t, s: s, carved: map[*Layer]map[string]Carved{}}).walk)
				}
				if err != nil {
					t.Fatal(err)
				}
				got, tree := describe(s), workTree(t, s)
				if i == 0 {
					checkBreadthFirst(t, s.Layers())
					if len(s.Layers()) < 8 || tt.limit != "depth" && (!strings.Contains(got, "crate checksum mismatch") || !strings.Contains(got, "crate payload flagged")) {
						t.Fatalf("the image does not exercise the pipeline:\n%s", got)
					}
					if tt.limit != "" && !strings.Contains(got, tt.limit) {
						t.Fatalf("limit %q not reached:\n%s", tt.limit, got)
					}
					want, wantTree = got, tree
					continue
				}
				if got != want {
					t.Fatalf("run %d (GOMAXPROCS %d) made\n%s\nrun 0 made\n%s", i, runtime.GOMAXPROCS(0), got, want)
				}
				if tree != wantTree {
					t.Fatalf("run %d wrote\n%s\nrun 0 wrote\n%s", i, tree, wantTree)
				}
			}
		})
	}
}

// TestPipelineProblemOrder checks the order of problems against the one
// a level-by-level unpack gives: by depth, the problems of extracting
// that depth's layers, then those of carving them (here the layer cap),
// each in layer order.
func TestPipelineProblemOrder(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxLayers = 30
	s := target{file: crateTree(4, 3, "g"), fmts: []format.Format{crateFormat{}}, lim: lim}.session(t)
	pipelineHook = func() { time.Sleep(time.Duration(mrand.IntN(1000)) * time.Microsecond) }
	defer func() { pipelineHook = nil }()
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ls := s.Layers()
	idx := map[string]int{}
	for i, l := range ls {
		idx[l.ID] = i
	}
	type key struct{ depth, block, layer int }
	var keys []key
	var capped bool
	for _, p := range s.Problems() {
		l := ls[idx[p.Layer]]
		k := key{l.Depth, 0, idx[p.Layer]}
		if strings.Contains(p.Message, "more than 30 layers") {
			k.block = 1 // found while carving the layer
			capped = true
		}
		keys = append(keys, k)
	}
	if !capped || len(keys) < 5 {
		t.Fatalf("the image does not exercise the problem order: %s", describe(s))
	}
	if !sort.SliceIsSorted(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.depth != b.depth {
			return a.depth < b.depth
		}
		if a.block != b.block {
			return a.block < b.block
		}
		return a.layer < b.layer
	}) {
		t.Fatalf("problems out of order: %s", describe(s))
	}
}
