package html

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/model"
)

//go:embed diff.html.tmpl
var diffPage string

var diffTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("diff").Funcs(template.FuncMap{
		"sev":  sevClass,
		"join": strings.Join,
	}).Parse(diffPage))
})

// EncodeDiff writes the diff d as one self-contained page, with the
// report page's style sheet, script and Content-Security-Policy: the
// summary counts, then components, findings, vulnerabilities, hardening
// and files, each change with a badge saying what happened. Unchanged
// findings are only counted.
func EncodeDiff(w io.Writer, d *diff.Diff) error {
	if err := diffTmpl().Execute(w, buildDiff(d)); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	return nil
}

type diffView struct {
	D           *diff.Diff
	CSP         string
	CSS         template.CSS
	JS          template.JS
	Cards       []card
	NotesDiffer bool
	Comps       []diffRow
	Finds       []diffRow
	Vulns       []vulnRow
	Hards       []hardRow
	Files       []diffRow
	Open        map[string]bool
}

// diffRow is one changed thing; Class colours its Change badge (worse
// is red, better green, neutral grey).
type diffRow struct {
	Change, Class                string
	Name, Old, New, Type         string
	Severity                     model.Severity
	Rule, Title, Where, Evidence string
	Path, Layer, What            string
}

type vulnRow struct {
	Change, Class string
	V             diff.VulnRef
}

type hardRow struct {
	Change, Class, What string
	H                   diff.HardeningChange
}

const (
	worse   = "high"
	better  = "st-fixed"
	neutral = "st"
)

func buildDiff(d *diff.Diff) *diffView {
	v := &diffView{D: d, CSP: CSP, CSS: template.CSS(css), JS: template.JS(js), Open: map[string]bool{},
		NotesDiffer: !slices.Equal(d.Old.Notes, d.New.Notes)}
	s := d.Summary
	count := func(label string, n int, href, bad string) card {
		c := card{Label: label, Value: strconv.Itoa(n), Href: href, Class: "ok"}
		if n > 0 {
			c.Class = bad
		}
		return c
	}
	v.Cards = []card{
		count("New findings", s.FindingsNew, "#findings", "high"),
		count("Fixed findings", s.FindingsFixed, "#findings", "ok"),
		count("Vulnerabilities introduced", s.VulnerabilitiesIntroduced, "#vulnerabilities", "high"),
		count("Vulnerabilities fixed", s.VulnerabilitiesFixed, "#vulnerabilities", "ok"),
		count("Hardening regressions", s.HardeningRegressions, "#hardening", "high"),
		count("Components changed", s.ComponentsAdded+s.ComponentsRemoved+s.ComponentsUpgraded+s.ComponentsDowngraded+s.ComponentsChanged, "#components", "info"),
		count("Files changed", s.FilesAdded+s.FilesRemoved+s.FilesChanged, "#files", "info"),
	}

	c := &d.Components
	for _, r := range c.Added {
		v.Comps = append(v.Comps, diffRow{Change: "added", Class: neutral, Name: r.Name, New: r.Version, Type: r.Type})
	}
	for _, r := range c.Removed {
		v.Comps = append(v.Comps, diffRow{Change: "removed", Class: neutral, Name: r.Name, Old: r.Version, Type: r.Type})
	}
	for _, list := range []struct {
		name, class string
		xs          []diff.ComponentChange
	}{{"upgraded", better, c.Upgraded}, {"downgraded", worse, c.Downgraded}, {"changed", neutral, c.Changed}} {
		for _, r := range list.xs {
			v.Comps = append(v.Comps, diffRow{Change: list.name, Class: list.class, Name: r.Name, Old: r.OldVersion, New: r.NewVersion, Type: r.Type})
		}
	}

	f := &d.Findings
	finding := func(change, class string, x *model.Finding, layer string) diffRow {
		return diffRow{Change: change, Class: class, Severity: x.Severity, Rule: x.RuleID, Title: x.Title,
			Where: where(layer, x.Location), Evidence: x.Evidence}
	}
	for i := range f.New {
		v.Finds = append(v.Finds, finding("new", worse, &f.New[i].Finding, f.New[i].LayerKey))
	}
	for i := range f.Fixed {
		v.Finds = append(v.Finds, finding("fixed", better, &f.Fixed[i].Finding, f.Fixed[i].LayerKey))
	}
	for i := range f.Changed {
		x := &f.Changed[i]
		r := finding("changed", neutral, &x.New, "")
		r.Title += " (" + strings.Join(x.Changes, ", ") + " changed"
		if x.Old.Severity != x.New.Severity {
			r.Title += "; was " + string(x.Old.Severity)
		}
		r.Title += ")"
		v.Finds = append(v.Finds, r)
	}

	for _, x := range d.Vulnerabilities.Introduced {
		v.Vulns = append(v.Vulns, vulnRow{Change: "introduced", Class: worse, V: x})
	}
	for _, x := range d.Vulnerabilities.Fixed {
		v.Vulns = append(v.Vulns, vulnRow{Change: "fixed", Class: better, V: x})
	}

	for _, h := range d.Hardening.Regressions {
		v.Hards = append(v.Hards, hardRow{Change: "regression", Class: worse, What: "lost " + strings.Join(h.Lost, ", "), H: h})
	}
	for _, h := range d.Hardening.Improvements {
		v.Hards = append(v.Hards, hardRow{Change: "improvement", Class: better, What: "gained " + strings.Join(h.Gained, ", "), H: h})
	}

	fs := &d.Files
	for _, x := range fs.Added {
		v.Files = append(v.Files, diffRow{Change: "added", Class: neutral, Path: x.Path, Layer: x.Layer, What: x.Type + ", " + size(x.Size)})
	}
	for _, x := range fs.Removed {
		v.Files = append(v.Files, diffRow{Change: "removed", Class: neutral, Path: x.Path, Layer: x.Layer, What: x.Type + ", " + size(x.Size)})
	}
	for _, x := range fs.Changed {
		what := strings.Join(x.Changes, ", ")
		if x.OldMode != x.NewMode {
			what += "; mode " + x.OldMode + " → " + x.NewMode
		}
		if x.OldSize != x.NewSize {
			what += "; " + size(x.OldSize) + " → " + size(x.NewSize)
		}
		v.Files = append(v.Files, diffRow{Change: "changed", Class: neutral, Path: x.Path, Layer: x.Layer, What: what})
	}

	for id, n := range map[string]int{"components": len(v.Comps), "findings": len(v.Finds), "vulnerabilities": len(v.Vulns), "hardening": len(v.Hards), "files": len(v.Files)} {
		v.Open[id] = n > 0 && n <= OpenLimit
	}
	return v
}

// where is a finding's place: its layer key when it has one (the layer
// id is not stable between releases), its path and line.
func where(layerKey string, l model.Location) string {
	s := l.Path
	if l.Line > 0 {
		s += ":" + strconv.Itoa(l.Line)
	}
	if layerKey != "" {
		s = layerKey + " " + s
	}
	return s
}
