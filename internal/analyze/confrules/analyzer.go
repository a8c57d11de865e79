// Package confrules finds insecure settings in device configuration
// files: sshd and dropbear, web servers, MQTT, UPnP, SNMP, Wi-Fi,
// firewall rules, mounts, sysctl and file-sharing daemons. The rules are
// data (rules/config/*.yaml): which files (path suffixes, so a source
// overlay's files/etc/... matches too), their syntax, and conditions on
// the effective values, daemon defaults included. Commented-out settings
// are never findings; a backup copy (*.bak, *.orig, *~, ...) is reported
// one severity lower.
package confrules

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/rules"
)

// maxSize bounds the files read: configuration files and init scripts
// are small.
const maxSize = 1 << 20

// backupSuffixes mark copies of a configuration file that the daemon
// does not read but that ship in the image.
var backupSuffixes = []string{".bak", ".orig", "~", ".old", ".save", "-opkg", ".dpkg-old", ".dpkg-dist"}

// Analyzer is the configuration-rule FileAnalyzer; as a TreeAnalyzer it
// judges the configurations that include other files.
type Analyzer struct {
	rules []*Rule
	cat   *catalog.Catalog
	bases map[string]bool // last segments of file patterns without '*'
	globs []string        // last segments with '*'
}

// New loads the embedded rules.
func New() (*Analyzer, error) {
	rs, err := LoadFS(rules.FS)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	a := &Analyzer{rules: rs, cat: cat, bases: map[string]bool{}}
	for _, r := range rs {
		if _, ok := cat.Lookup(r.ID); !ok {
			return nil, fmt.Errorf("rule %s not in the catalog", r.ID)
		}
		for _, c := range r.Checks {
			for _, f := range c.Files {
				b := path.Base(f)
				if strings.ContainsAny(b, "*?[") {
					a.globs = append(a.globs, b)
				} else {
					a.bases[b] = true
				}
			}
		}
	}
	return a, nil
}

// MustNew is New for the analyzer sets: the embedded rules are checked
// by the tests.
func MustNew() *Analyzer {
	a, err := New()
	if err != nil {
		panic(err)
	}
	return a
}

// Name implements plugin.FileAnalyzer.
func (a *Analyzer) Name() string { return "confrules" }

// livePath strips a backup suffix: the path the daemon would read.
func livePath(p string) (string, bool) {
	for _, s := range backupSuffixes {
		if strings.HasSuffix(p, s) && len(path.Base(p)) > len(s) {
			return strings.TrimSuffix(p, s), true
		}
	}
	return p, false
}

// FileRequired decides from the name alone.
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	if !fi.Mode.IsRegular() || fi.Size > maxSize {
		return false
	}
	p, _ := livePath(fi.Path)
	b := path.Base(p)
	if !a.bases[b] && !a.anyGlob(b) {
		return false
	}
	return len(a.checksFor(p)) > 0
}

func (a *Analyzer) anyGlob(b string) bool {
	for _, g := range a.globs {
		if ok, _ := path.Match(g, b); ok {
			return true
		}
	}
	return false
}

type ruleCheck struct {
	rule    *Rule
	check   *Check
	pattern string
}

func (a *Analyzer) checksFor(p string) []ruleCheck {
	var out []ruleCheck
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for _, r := range a.rules {
		for _, c := range r.Checks {
			for i, f := range c.files {
				if matchSegments(f, segs) {
					out = append(out, ruleCheck{r, c, c.Files[i]})
					break
				}
			}
		}
	}
	return out
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Data == nil {
		out.SkipLarge(a.Name(), in, maxSize)
		return nil
	}
	live, backup := livePath(in.Path)
	docs := map[string]*Doc{}
	for _, rc := range a.checksFor(live) {
		d, ok := docs[rc.check.Syntax]
		if !ok {
			var err error
			if d, err = parse(rc.check.Syntax, in.Data, in.Path); err != nil {
				return err
			}
			docs[rc.check.Syntax] = d
		}
		if len(d.Includes) > 0 {
			continue // AnalyzeTree reads it with its included files
		}
		a.report(rc, d, in.Loc, in.Path, backup, out)
	}
	return nil
}

// includeBase says, per syntax whose files include others, where a
// relative include pattern starts: sshd reads it relative to /etc/ssh,
// lighttpd relative to the including file's directory ("").
var includeBase = map[string]string{"sshd": "/etc/ssh/", "lighttpd": ""}

func parseIncluding(syntax string, data []byte, file string, resolve Resolver) *Doc {
	if syntax == "sshd" {
		return parseSSHD(data, file, resolve)
	}
	return parseLighttpd(data, file, resolve)
}

// AnalyzeTree judges the configurations that include other files (sshd
// Include, lighttpd include), with the included files of the same layer
// read in place.
func (a *Analyzer) AnalyzeTree(ctx context.Context, t plugin.Tree, rep *model.Report, out *plugin.Results) error {
	var byLayer map[string][]string
	for _, f := range t.Files() {
		if f.Size > maxSize || !strings.HasPrefix(f.Mode, "-") {
			continue
		}
		live, backup := livePath(f.Path)
		bySyntax := map[string][]ruleCheck{}
		var syntaxes []string
		for _, rc := range a.checksFor(live) {
			if _, ok := includeBase[rc.check.Syntax]; ok {
				if bySyntax[rc.check.Syntax] == nil {
					syntaxes = append(syntaxes, rc.check.Syntax)
				}
				bySyntax[rc.check.Syntax] = append(bySyntax[rc.check.Syntax], rc)
			}
		}
		if len(syntaxes) == 0 {
			continue
		}
		data, err := t.ReadFile(f.Layer, f.Path, maxSize)
		if err != nil {
			continue
		}
		for _, syn := range syntaxes {
			rcs := bySyntax[syn]
			if len(parseIncluding(syn, data, f.Path, nil).Includes) == 0 {
				continue // judged file by file
			}
			if byLayer == nil {
				byLayer = map[string][]string{}
				for _, g := range t.Files() {
					if strings.HasPrefix(g.Mode, "-") {
						byLayer[g.Layer] = append(byLayer[g.Layer], g.Path)
					}
				}
			}
			// the device root of the file: a source overlay's prefix
			root := strings.TrimSuffix(live, strings.TrimPrefix(rcs[0].pattern, "/"))
			root = strings.TrimSuffix(root, "/")
			base := includeBase[syn]
			if base == "" {
				base = path.Dir(strings.TrimPrefix(f.Path, root)) + "/"
			}
			resolve := func(pat string) []Included {
				if !strings.HasPrefix(pat, "/") {
					pat = base + pat
				}
				full := root + path.Clean(pat)
				var inc []Included
				for _, p := range byLayer[f.Layer] {
					if ok, _ := path.Match(full, p); ok {
						if b, err := t.ReadFile(f.Layer, p, maxSize); err == nil {
							inc = append(inc, Included{Path: p, Data: b})
						}
					}
				}
				sort.Slice(inc, func(i, j int) bool { return inc[i].Path < inc[j].Path })
				return inc
			}
			d := parseIncluding(syn, data, f.Path, resolve)
			loc := model.Location{Layer: f.Layer, Chain: t.Chain(f.Layer), Path: f.Path}
			for _, rc := range rcs {
				a.report(rc, d, loc, f.Path, backup, out)
			}
		}
	}
	return nil
}

// report turns the check's hits in d into findings.
func (a *Analyzer) report(rc ruleCheck, d *Doc, loc model.Location, file string, backup bool, out *plugin.Results) {
	seen := map[string]bool{}
	for _, h := range rc.check.Eval(d) {
		f := model.Finding{RuleID: rc.rule.ID, Location: loc, Evidence: h.Evidence}
		sec := d.Sections[h.Section]
		key := sec.Type + " " + sec.Name + "\x00"
		if e := h.Entry; e != nil {
			f.Location.Path, f.Location.Line = e.File, e.Line
			key += strings.ToLower(e.Key) + " " + strings.Join(strings.Fields(e.Value), " ")
		} else {
			f.Location.Line = sec.Line
			key += "missing"
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if f.Location.Path != file {
			f.Location.Offset = 0
		}
		if backup {
			f.Severity = lower(rc.rule.Severity)
			f.Title = rc.rule.Title + " (backup copy " + path.Base(file) + ", not read by the daemon)"
		}
		f.Fingerprint = model.Fingerprint(f.RuleID, f.Location.Path, key)
		if err := a.cat.Fill(&f); err != nil {
			out.Problems = append(out.Problems, model.Problem{Layer: loc.Layer, Path: file, Stage: "analyze", Kind: "rule", Message: err.Error()})
			continue
		}
		out.Findings = append(out.Findings, f)
	}
}

// lower is the next severity down (low stays above info).
func lower(s model.Severity) model.Severity {
	switch s {
	case model.Critical:
		return model.High
	case model.High:
		return model.Medium
	case model.Medium:
		return model.Low
	}
	return model.Info
}

// severity is the catalog severity of a rule.
func (a *Analyzer) severity(id string) model.Severity {
	for _, r := range a.rules {
		if r.ID == id {
			return r.Severity
		}
	}
	return ""
}
