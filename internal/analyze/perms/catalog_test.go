package perms

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// memTree is one squashfs layer held in memory.
type memTree struct {
	files []model.File
	data  map[string][]byte
}

func (m *memTree) Files() []model.File { return m.files }
func (m *memTree) Chain(string) string { return "image.bin > squashfs@0x0" }
func (m *memTree) ReadFile(layer, p string, max int64) ([]byte, error) {
	b, ok := m.data[layer+":"+p]
	if !ok {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	return b[:min(int64(len(b)), max)], nil
}

// add puts a file with an ls-style mode into the layer, and its parent
// directories (0755) where missing.
func (m *memTree) add(t testing.TB, layer, p, mode string, data []byte) {
	t.Helper()
	if _, ok := ParseMode(mode); !ok {
		t.Fatalf("%s: bad mode %q", p, mode)
	}
	m.files = append(m.files, model.File{Layer: layer, Path: p, Mode: mode, Size: int64(len(data))})
	if mode[0] == '-' {
		if m.data == nil {
			m.data = map[string][]byte{}
		}
		m.data[layer+":"+p] = data
	}
}

func run(t testing.TB, tree *memTree, format string, services ...model.Service) []model.Finding {
	t.Helper()
	sort.Slice(tree.files, func(i, j int) bool { return tree.files[i].Path < tree.files[j].Path })
	rep := &model.Report{Layers: []model.Layer{{ID: "L0", Format: "file", Extracted: true}, {ID: "L1", Parent: "L0", Format: format, Extracted: true}}, Services: services}
	var out plugin.Results
	if err := New().AnalyzeTree(context.Background(), tree, rep, &out); err != nil {
		t.Fatal(err)
	}
	return out.Findings
}

// TestCatalogExamples runs every perms rule's catalog examples
// (rules/findings/perms.yaml) as files of a squashfs layer: each "match"
// input must make the rule fire, each "no_match" input must not.
func TestCatalogExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rules := cat.Family("perms")
	if len(rules) < 6 {
		t.Fatalf("%d perms rules in the catalog", len(rules))
	}
	for _, r := range rules {
		for i, c := range r.Cases() {
			tree := &memTree{}
			for _, e := range append([]catalog.Example{c.Example}, c.With...) {
				data := []byte(e.Text)
				if e.File != "" {
					if data, err = os.ReadFile(filepath.Join("testdata", e.File)); err != nil {
						t.Fatal(err)
					}
				}
				mode := e.Mode
				if mode == "" {
					mode = "-rw-r--r--"
				}
				tree.add(t, "L1", path.Clean("/"+e.Path), mode, data)
			}
			fired := false
			for _, f := range run(t, tree, "squashfs") {
				fired = fired || f.RuleID == r.ID
			}
			if fired != c.Fire {
				t.Errorf("%s example %d (match=%v, %s %s): fired=%v", r.ID, i, c.Fire, c.Path, c.Mode, fired)
			}
		}
	}
}
