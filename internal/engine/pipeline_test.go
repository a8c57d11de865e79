package engine

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestScanPipelineDeterministic scans a tree of firmware images (the demo
// image, gzip'd and in a tar archive, so layers of several depths finish
// in any order) many times with random delays before each file is read,
// under several GOMAXPROCS and worker counts: the reports must be the
// same, and each file's unpacked layers must be the layers made from it.
func TestScanPipelineDeterministic(t *testing.T) {
	dir := t.TempDir()
	img, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "cam.bin"), img, 0o644)
	gz, err := exec.Command("gzip", "-c", demo).Output()
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "cam.bin.gz"), gz, 0o644)
	if out, err := exec.Command("tar", "-C", filepath.Dir(demo), "-cf", filepath.Join(dir, "cam.tar"), filepath.Base(demo)).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	set, err := sets.Build(sets.Default, sets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runs := 4
	if formattest.Race {
		runs = 2
	}
	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs)
	walkHook = func() { time.Sleep(time.Duration(mrand.IntN(500)) * time.Microsecond) }
	defer func() { walkHook = nil }()
	var want []byte
	for i := 0; i < runs; i++ {
		runtime.GOMAXPROCS([]int{1, 2, 4}[i%3])
		cfg := Config{Target: dir, Workers: 1 + i%3, Unpack: true, Files: set.Files, Components: set.Components, Trees: set.Trees,
			Now: func() time.Time { return time.Unix(0, 0) }}
		doc, rep := scanJSON(t, cfg)
		got := reporttest.Normalize(t, doc)
		if i == 0 {
			reporttest.Validate(t, doc)
			checkUnpacked(t, rep)
			if len(rep.Layers) < 8 || len(rep.Findings) == 0 {
				t.Fatalf("%d layers, %d findings: the tree does not exercise the pipeline", len(rep.Layers), len(rep.Findings))
			}
			want = got
			continue
		}
		if !bytes.Equal(got, want) {
			g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
			n := 0
			for n < min(len(g), len(w)) && bytes.Equal(g[n], w[n]) {
				n++
			}
			t.Fatalf("run %d (GOMAXPROCS %d, %d workers) differs from run 0 at line %d:\n%s\nwant\n%s", i, runtime.GOMAXPROCS(0), cfg.Workers, n+1,
				bytes.Join(g[n:min(len(g), n+8)], []byte("\n")), bytes.Join(w[n:min(len(w), n+8)], []byte("\n")))
		}
	}
}

// checkUnpacked asserts that each file of the inventory lists as unpacked
// exactly the layers whose source it is, and that the inventory is in
// layer order.
func checkUnpacked(t *testing.T, rep *model.Report) {
	t.Helper()
	made := map[string][]string{}
	order := map[string]int{}
	for i, l := range rep.Layers {
		order[l.ID] = i
		if l.Parent != "" {
			k := l.Parent + ":" + l.Source
			made[k] = append(made[k], l.ID)
		}
	}
	last := 0
	for _, f := range rep.Files {
		if order[f.Layer] < last {
			t.Fatalf("%s:%s listed after a file of a later layer", f.Layer, f.Path)
		}
		last = order[f.Layer]
		if k := f.Layer + ":" + f.Path; !slices.Equal(f.Unpacked, made[k]) {
			t.Errorf("%s unpacked into %v, layers made from it: %v", k, f.Unpacked, made[k])
		}
		delete(made, f.Layer+":"+f.Path)
	}
	if len(made) > 0 {
		t.Errorf("layers made from files not in the inventory: %v", fmt.Sprint(made))
	}
}
