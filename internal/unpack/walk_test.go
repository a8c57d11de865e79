package unpack

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// target is how a session test gets its root layer: one file or a tree.
type target struct {
	name  string
	file  []byte            // a file target, or
	tree  map[string][]byte // a directory target
	lim   Limits
	fmts  []format.Format
	whole bool   // Carved agrees with the layers made (no layer limit cut them)
	limit string // a limit the target must hit
}

func (tg target) session(t *testing.T) *Session {
	t.Helper()
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	lim := tg.lim
	if lim.MaxDepth == 0 {
		lim = DefaultLimits()
	}
	s, err := NewSession(Options{WorkDir: work, Limits: lim, Workers: 3, Formats: tg.fmts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if tg.tree != nil {
		root := filepath.Join(dir, "tree")
		for p, data := range tg.tree {
			os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
			if err := os.WriteFile(filepath.Join(root, p), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AddDir(context.Background(), root); err != nil {
			t.Fatal(err)
		}
		return s
	}
	img := filepath.Join(dir, "fw.bin")
	if err := os.WriteFile(img, tg.file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFile(img); err != nil {
		t.Fatal(err)
	}
	return s
}

// describe renders what a session made: layers, where their files went,
// unclaimed regions and problems.
func describe(s *Session) string {
	var b strings.Builder
	for _, l := range s.Layers() {
		fmt.Fprintf(&b, "%+v files=%d\n", l.Layer, len(l.Entries))
		var paths []string
		for p := range l.Entries {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			for _, c := range l.Children[p] {
				fmt.Fprintf(&b, "  %s -> %s\n", p, c.ID)
			}
			if r := l.Regions[p]; r != nil {
				fmt.Fprintf(&b, "  %s unclaimed %+v\n", p, r)
			}
		}
	}
	for _, p := range s.Problems() {
		fmt.Fprintf(&b, "problem %+v\n", p)
	}
	return b.String()
}

// walkReading is the WalkFunc of a caller that reads every file whole and
// carves it from its buffer; it checks that each layer is walked once and
// records what Carve said of each file.
type walkReading struct {
	t      *testing.T
	s      *Session
	mu     sync.Mutex
	seen   []string
	carved map[*Layer]map[string]Carved
}

func (w *walkReading) walk(ctx context.Context, l *Layer) {
	w.mu.Lock()
	w.seen = append(w.seen, l.ID)
	w.mu.Unlock()
	if l.Dir == "" || !l.Extracted {
		return
	}
	var wg sync.WaitGroup
	for p, e := range l.Entries {
		if !e.Mode.IsRegular() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, err := os.ReadFile(filepath.Join(l.Dir, p))
			if err != nil {
				w.t.Error(err)
				return
			}
			c := w.s.Carve(ctx, l, p, bytes.NewReader(data), int64(len(data)))
			w.mu.Lock()
			if w.carved[l] == nil {
				w.carved[l] = map[string]Carved{}
			}
			w.carved[l][p] = c
			w.mu.Unlock()
		}()
	}
	wg.Wait()
}

func TestRunWalkMatchesRun(t *testing.T) {
	noise := make([]byte, 4096)
	rand.Read(noise)
	pad := bytes.Repeat([]byte{0xff}, 2048)
	nested := append(append(append(append([]byte{}, noise...), box(box([]byte("hello firmware")))...), pad...), box([]byte("second"))...)
	deep := []byte("deepest")
	for i := 0; i < 6; i++ {
		deep = box(deep)
	}
	many := append([]byte{}, noise...)
	for i := 0; i < 6; i++ {
		many = append(many, box(box([]byte(fmt.Sprint("part ", i))))...)
	}
	boxes := []format.Format{panicFormat{}, boxFormat{}}
	demo, err := os.ReadFile("../../testdata/demo/acme-cam.bin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []target{
		{name: "nested", file: nested, fmts: boxes, whole: true},
		{name: "depth limit", file: deep, lim: Limits{MaxDepth: 3, MaxLayers: 100, MaxLayerBytes: 1 << 20, MaxTotalBytes: 1 << 20, MaxRatio: 100, RatioGrace: 1 << 20, MaxLayerFiles: 10, MaxTotalFiles: 100, LayerTimeout: DefaultLimits().LayerTimeout}, fmts: boxes, whole: true, limit: "depth"},
		{name: "layer limit", file: many, lim: func() Limits { l := DefaultLimits(); l.MaxLayers = 4; return l }(), fmts: boxes, limit: "layers"},
		{name: "tree", tree: map[string][]byte{
			"lib/firmware/blob.bin": append(bytes.Repeat([]byte{0, 0x80}, 4096), box([]byte("wifi"))...),
			"notes.txt":             []byte("see BOX! in the manual"),
			"img/whole.box":         box(box([]byte("inside"))),
			"empty":                 nil,
		}, fmts: boxes, whole: true},
		{name: "demo firmware", file: demo, whole: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			ref := tt.session(t)
			if err := ref.Run(ctx); err != nil {
				t.Fatal(err)
			}
			s := tt.session(t)
			w := &walkReading{t: t, s: s, carved: map[*Layer]map[string]Carved{}}
			if err := s.RunWalk(ctx, w.walk); err != nil {
				t.Fatal(err)
			}
			if got, want := describe(s), describe(ref); got != want {
				t.Fatalf("RunWalk made\n%s\nRun made\n%s", got, want)
			}
			var ids []string
			for _, l := range s.Layers() {
				ids = append(ids, l.ID)
			}
			sort.Strings(w.seen)
			sort.Strings(ids)
			if strings.Join(w.seen, " ") != strings.Join(ids, " ") {
				t.Fatalf("walked layers %v, want each of %v once", w.seen, ids)
			}
			if tt.limit != "" && !strings.Contains(describe(s), "Kind:limit Message:") || !strings.Contains(describe(s), tt.limit) {
				t.Fatalf("limit %q not reached: %s", tt.limit, describe(s))
			}
			if len(ids) < 2 {
				t.Fatalf("nothing unpacked: %s", describe(s))
			}
			if !tt.whole {
				return
			}
			for l, files := range w.carved {
				for p, c := range files {
					var parts, whole bool
					for _, ch := range l.Children[p] {
						parts = parts || ch.Extracted
						whole = whole || ch.Extracted && ch.Offset == 0 && ch.Size >= l.Entries[p].Size
					}
					if c.Parts != parts || c.Whole != whole {
						t.Errorf("%s:%s: Carve said parts=%v whole=%v, layers made say %v %v", l.ID, p, c.Parts, c.Whole, parts, whole)
					}
				}
			}
		})
	}
}

// slowFailFormat is a box whose extraction takes a random time and fails:
// extractions finish in any order.
type slowFailFormat struct{ boxFormat }

func (slowFailFormat) Extract(ctx context.Context, r io.ReaderAt, size int64, sink format.Sink) error {
	var b [1]byte
	rand.Read(b[:])
	time.Sleep(time.Duration(b[0]%20) * time.Millisecond)
	return errors.New("payload checksum mismatch")
}

func TestProblemsInLayerOrder(t *testing.T) {
	var image []byte
	for i := 0; i < 12; i++ {
		image = append(image, box([]byte(fmt.Sprint("part ", i)))...)
	}
	s := target{file: image, fmts: []format.Format{slowFailFormat{}}}.session(t)
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range s.Problems() {
		got = append(got, p.Layer)
	}
	var want []string
	for _, l := range s.Layers()[1:] {
		want = append(want, l.ID)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("problems of layers %v, want one per layer in layer order %v", got, want)
	}
}
