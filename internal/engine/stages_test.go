package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// pathComponents reports one component per wanted file, named after it,
// and a requirement on the component of another file.
type pathComponents struct{}

func (pathComponents) Name() string                          { return "paths" }
func (pathComponents) FileRequired(fi *plugin.FileInfo) bool { return fi.Path == "/etc/init.d/rcS" }
func (pathComponents) Analyze(_ context.Context, in *plugin.Input, out *plugin.Results) error {
	out.Components = append(out.Components, model.Component{Name: in.Path, PURL: "pkg:generic/rcs", Locations: []model.Location{in.Loc}})
	out.Requires = append(out.Requires, plugin.Requirement{From: "pkg:generic/rcs", DB: "x", Name: "y"})
	return nil
}

// consolidator records what it got and returns a fixed list, or fails.
type consolidator struct {
	got  []model.Component
	reqs []plugin.Requirement
	err  error
}

func (*consolidator) Name() string { return "consolidate" }
func (c *consolidator) Consolidate(_ context.Context, _ plugin.Tree, found []model.Component, reqs []plugin.Requirement) ([]model.Component, error) {
	c.got, c.reqs = found, reqs
	return []model.Component{{Ref: "final", Name: "final"}}, c.err
}

// writer is a tree analyzer that breaks the read-only contract: it
// appends to and overwrites the report it is given.
type writer struct{ sawFinal bool }

func (*writer) Name() string { return "writer" }
func (w *writer) AnalyzeTree(_ context.Context, _ plugin.Tree, rep *model.Report, out *plugin.Results) error {
	w.sawFinal = len(rep.Components) == 1 && rep.Components[0].Ref == "final"
	rep.Findings = append(rep.Findings, model.Finding{RuleID: "SNEAKY"})
	rep.Components = nil
	out.Findings = append(out.Findings, model.Finding{RuleID: "TREE", Severity: model.Info})
	return nil
}

// TestStages: the consolidation stage gets what the file analyzers found,
// its list is what tree analyzers see and what the report holds, and a
// tree analyzer's changes to its view do not reach the report.
func TestStages(t *testing.T) {
	dir := makeTree(t)
	c := &consolidator{}
	w := &writer{}
	rep, err := Scan(context.Background(), Config{Target: dir, Workers: 2, Files: []plugin.FileAnalyzer{pathComponents{}}, Components: c, Trees: []plugin.TreeAnalyzer{w}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.got) != 1 || c.got[0].Name != "/etc/init.d/rcS" || len(c.reqs) != 1 || c.reqs[0].Name != "y" {
		t.Errorf("consolidation got %+v %+v", c.got, c.reqs)
	}
	if !w.sawFinal {
		t.Error("the tree analyzer did not see the consolidated components")
	}
	if len(rep.Components) != 1 || rep.Components[0].Ref != "final" {
		t.Errorf("components %+v", rep.Components)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "TREE" {
		t.Errorf("findings %+v: only what the tree analyzer put in its results belongs here", rep.Findings)
	}
	for _, f := range rep.Files {
		if f.Type == "" {
			t.Errorf("%s has no type", f.Path)
		}
	}

	// A failing consolidation is a problem; the components stay as found.
	c = &consolidator{err: errors.New("catalog broken")}
	rep, err = Scan(context.Background(), Config{Target: dir, Workers: 1, Files: []plugin.FileAnalyzer{pathComponents{}}, Components: c})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Components) != 1 || rep.Components[0].Name != "/etc/init.d/rcS" {
		t.Errorf("components after a failed consolidation %+v", rep.Components)
	}
	found := false
	for _, p := range rep.Problems {
		found = found || p.Message == "consolidate: catalog broken"
	}
	if !found {
		t.Errorf("no problem for the failed consolidation: %+v", rep.Problems)
	}
}
