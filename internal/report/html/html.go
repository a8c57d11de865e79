// Package html writes a report as one self-contained HTML page to read
// offline: a summary with charts, the layer tree, the components with
// their vulnerabilities, the findings with their evidence and
// remediation, hardening, services and problems. Everything is inline
// (CSS, a small filter script, SVG charts); nothing is loaded from
// anywhere, and a Content-Security-Policy meta tag, which allows the
// inline style and script by hash only, makes sure of it. Text from the
// report goes through html/template's contextual escaping.
package html

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

//go:embed report.css
var css string

//go:embed report.js
var js string

//go:embed report.html.tmpl
var page string

// tmpl is parsed on first use: every command links this package, few
// write HTML.
var tmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"sev":   sevClass,
		"join":  strings.Join,
		"loc":   location,
		"hex":   func(n int64) string { return "0x" + strconv.FormatInt(n, 16) },
		"size":  size,
		"pct":   func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) + "%" },
		"date":  func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"score": func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
		"prob":  func(f float64) string { return strconv.FormatFloat(100*f, 'f', 2, 64) + "%" },
		"state": stateLabel,
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
	}).Parse(page))
})

// CSP is the page's Content-Security-Policy: nothing may load, and only
// the page's own style sheet and script (by SHA-256) may run.
var CSP = "default-src 'none'; style-src " + hash(css) + "; script-src " + hash(js) +
	"; base-uri 'none'; form-action 'none'"

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// OpenLimit is how many entries a section may have and still start
// expanded; longer ones start collapsed (the filter opens them).
const OpenLimit = 50

// Encode writes rep as a self-contained HTML page.
func Encode(w io.Writer, rep *model.Report) error {
	return encode(w, build(rep))
}

// EncodeSecrets writes a report of the secret analyzers (thingsec
// secrets): its findings, layers and problems, without the component,
// vulnerability and hardening sections such a report never fills.
func EncodeSecrets(w io.Writer, rep *model.Report) error {
	v := build(rep)
	v.Secrets = true
	v.Charts = v.Charts[:1]
	v.Cards = slices.DeleteFunc(v.Cards, func(c card) bool { return c.Label == "Components" || c.Label == "Vulnerabilities" })
	return encode(w, v)
}

func encode(w io.Writer, v *view) error {
	if err := tmpl().Execute(w, v); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	return nil
}

// view is what the template renders.
type view struct {
	R       *model.Report
	CSP     string
	CSS     template.CSS
	JS      template.JS
	Started string
	Cards   []card
	Charts  []chart
	Layers  []*layerNode
	Comps   []compView
	Vulns   []vulnView
	Finds   []findView
	Open    map[string]bool
	Secrets bool // a secrets report: findings, layers and problems only
}

type card struct {
	Label, Value, Href, Class string
}

type layerNode struct {
	L        model.Layer
	Children []*layerNode
}

type compView struct {
	C           model.Component
	Anchor      string // element id: refs (purls) make awkward fragments
	Unknown     bool   // version unknown: not matched against vulnerability data
	Vulns       []vulnView
	WorstClass  string
	Suppressed  int // vulnerabilities a VEX analysis says do not apply
	ActiveVulns int
}

type vulnView struct {
	V      model.Vulnerability
	Anchor string // element id
	CompAt string // the component's element id, "" when not in the report
	Score  string // best CVSS score and version
	Vector string
	Status string // VEX status, "" when no analysis
	Muted  bool   // not affected, fixed or false positive
}

type findView struct {
	F           model.Finding
	Remediation string
}

func build(rep *model.Report) *view {
	v := &view{R: rep, CSP: CSP, CSS: template.CSS(css), JS: template.JS(js), Open: map[string]bool{}}
	if !rep.StartedAt.IsZero() {
		v.Started = rep.StartedAt.UTC().Format(time.RFC3339)
	}
	v.Layers = layerTree(rep.Layers)
	compAt := make(map[string]string, len(rep.Components))
	for i, c := range rep.Components {
		compAt[c.Ref] = "c-" + strconv.Itoa(i+1)
	}
	vulns := make(map[string][]vulnView)
	for i, x := range rep.Vulnerabilities {
		vv := vulnerability(x)
		vv.Anchor, vv.CompAt = "v-"+strconv.Itoa(i+1), compAt[x.Component]
		v.Vulns = append(v.Vulns, vv)
		vulns[x.Component] = append(vulns[x.Component], vv)
	}
	bySeverity := func(vs []vulnView) {
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].V.Severity.Rank() > vs[j].V.Severity.Rank() })
	}
	bySeverity(v.Vulns)
	for _, vs := range vulns {
		bySeverity(vs)
	}
	unknown := make(map[string]bool)
	for _, r := range rep.VersionUnknown {
		unknown[r] = true
	}
	for _, c := range rep.Components {
		cv := compView{C: c, Anchor: compAt[c.Ref], Unknown: c.Version == "" || unknown[c.Ref], Vulns: vulns[c.Ref]}
		worst := 0
		for _, x := range cv.Vulns {
			if x.Muted {
				cv.Suppressed++
				continue
			}
			cv.ActiveVulns++
			if r := x.V.Severity.Rank(); r > worst {
				worst, cv.WorstClass = r, sevClass(x.V.Severity)
			}
		}
		v.Comps = append(v.Comps, cv)
	}
	cat := catalog.MustDefault()
	for _, f := range rep.Findings {
		fv := findView{F: f, Remediation: f.Remediation}
		if fv.Remediation == "" {
			if r, ok := cat.Lookup(f.RuleID); ok {
				fv.Remediation = r.Remediation
			}
		}
		v.Finds = append(v.Finds, fv)
	}
	sort.SliceStable(v.Finds, func(i, j int) bool { return v.Finds[i].F.Severity.Rank() > v.Finds[j].F.Severity.Rank() })
	for name, n := range map[string]int{"layers": len(rep.Layers), "components": len(rep.Components), "vulnerabilities": len(rep.Vulnerabilities),
		"findings": len(rep.Findings), "hardening": len(rep.Binaries), "services": len(rep.Services), "problems": len(rep.Problems) + len(rep.Skipped)} {
		v.Open[name] = n > 0 && n <= OpenLimit
	}
	v.Cards = cards(rep, v)
	v.Charts = charts(rep, v)
	return v
}

func cards(rep *model.Report, v *view) []card {
	worst := func(counts map[model.Severity]int) string {
		for _, s := range model.Severities {
			if counts[s] > 0 {
				return sevClass(s)
			}
		}
		return "ok"
	}
	fs := map[model.Severity]int{}
	for _, f := range rep.Findings {
		fs[f.Severity]++
	}
	vs := map[model.Severity]int{}
	active := 0
	for _, x := range v.Vulns {
		if !x.Muted {
			vs[x.V.Severity]++
			active++
		}
	}
	vulns := strconv.Itoa(len(rep.Vulnerabilities))
	if active != len(rep.Vulnerabilities) {
		vulns = fmt.Sprintf("%d (%d apply)", len(rep.Vulnerabilities), active)
	}
	files := rep.Summary.Files
	if files == 0 {
		files = len(rep.Files)
	}
	out := []card{
		{Label: "Layers", Value: strconv.Itoa(len(rep.Layers)), Href: "#layers"},
		{Label: "Files", Value: strconv.Itoa(files)},
		{Label: "Components", Value: strconv.Itoa(len(rep.Components)), Href: "#components"},
		{Label: "Vulnerabilities", Value: vulns, Href: "#vulnerabilities", Class: worst(vs)},
		{Label: "Findings", Value: strconv.Itoa(len(rep.Findings)), Href: "#findings", Class: worst(fs)},
		{Label: "Problems", Value: strconv.Itoa(len(rep.Problems)), Href: "#problems"},
	}
	if len(rep.Problems) > 0 {
		out[len(out)-1].Class = "warn"
	}
	return out
}

func layerTree(ls []model.Layer) []*layerNode {
	nodes := make(map[string]*layerNode, len(ls))
	for _, l := range ls {
		nodes[l.ID] = &layerNode{L: l}
	}
	var roots []*layerNode
	for _, l := range ls {
		n := nodes[l.ID]
		// a parent cycle or a missing parent makes a root: every layer is shown once
		if p, ok := nodes[l.Parent]; ok && l.Parent != l.ID && !ancestor(nodes, l.Parent, l.ID) {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// ancestor says whether id is above from in the parent chain.
func ancestor(nodes map[string]*layerNode, from, id string) bool {
	seen := map[string]bool{}
	for cur := from; cur != "" && !seen[cur]; {
		if cur == id {
			return true
		}
		seen[cur] = true
		n, ok := nodes[cur]
		if !ok {
			return false
		}
		cur = n.L.Parent
	}
	return false
}

func vulnerability(x model.Vulnerability) vulnView {
	vv := vulnView{V: x}
	best, version := -1.0, ""
	for _, c := range x.CVSS {
		// the highest score; of equal ones, the newest CVSS version's
		if c.Score > best || (c.Score == best && c.Version > version) {
			best, version = c.Score, c.Version
			vv.Score = strconv.FormatFloat(c.Score, 'f', 1, 64) + " (CVSS " + c.Version + ")"
			vv.Vector = c.Vector
		}
	}
	if a := x.Analysis; a != nil {
		vv.Status = a.State
		switch a.State {
		case "not_affected", "fixed", "false_positive", "resolved":
			vv.Muted = true
		}
	}
	return vv
}

func sevClass(s model.Severity) string {
	if s.Rank() == 0 {
		return "unknown"
	}
	return string(s)
}

func stateLabel(s string) string {
	return strings.ReplaceAll(s, "_", " ")
}

// location is where a finding is: the layer chain, the path, and the
// line or byte offset.
func location(l model.Location) string {
	s := l.Path
	if l.Chain != "" {
		s = l.Chain + ":" + l.Path
	}
	if l.Line > 0 {
		s += ":" + strconv.Itoa(l.Line)
	} else if l.Offset > 0 {
		s += "@0x" + strconv.FormatInt(l.Offset, 16)
	}
	return s
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + []string{"B", "KiB", "MiB", "GiB", "TiB"}[i]
}
