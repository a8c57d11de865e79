// Package suppress reads the accepted risks of a project
// (.thingsec-ignore.yaml) and marks the findings and vulnerabilities they
// match as suppressed, with the reason, in the report. Nothing is
// removed: a suppressed item stays in the report and only leaves the
// gate. An entry past its expiry suppresses nothing and fails the gate.
package suppress

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/purlmatch"
	"go.yaml.in/yaml/v3"
)

// DefaultFile is the suppression file looked for in the working directory.
const DefaultFile = ".thingsec-ignore.yaml"

// Entry is one accepted risk. The criteria given must all match.
type Entry struct {
	Fingerprint   string
	Rule          string
	Path          string // a glob: * and ? within a path segment, ** across segments
	Vulnerability string // an id or alias
	Component     string // a component name or package URL
	Reason        string
	Author        string
	Expires       string    // YYYY-MM-DD, "" for never
	expiry        time.Time // the day after Expires (UTC)
	path          *regexp.Regexp
	Source        string // file:line
}

// File is a parsed suppression file.
type File struct {
	Path    string
	Entries []*Entry
}

// Error is a problem at a line of the suppression file.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// Load reads the suppression file at path; when optional, a missing file
// is no suppressions.
func Load(path string, optional bool) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return &File{Path: path}, nil
		}
		return nil, &Error{Path: path, Msg: errors.Unwrap(err).Error()}
	}
	return Parse(path, b)
}

// Format is the shape of the file, for help texts.
const Format = `suppressions:
  - rule: TS-KEY-014               # a rule id
    path: /etc/ssl/**              # and a path glob (* ? within a segment, ** across)
    reason: test certificate, replaced at provisioning
    author: alice@example.com
    expires: 2026-12-31            # optional: last day it holds
  - fingerprint: 345cdce28e915bc39384e75f022369c1
    reason: ...
    author: ...
  - vulnerability: CVE-2022-28391  # an id or alias
    component: busybox             # optional: a name or package URL
    reason: ...
    author: ...`

// Parse parses the content of a suppression file; path names it in errors.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(path, err)
	}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{path, root.Line, "want a mapping with a suppressions list"}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "suppressions" {
			return nil, &Error{path, k.Line, fmt.Sprintf("unknown key %q (want suppressions)", k.Value)}
		}
		if v.Kind != yaml.SequenceNode {
			if v.Tag == "!!null" {
				continue
			}
			return nil, &Error{path, v.Line, "suppressions: want a list"}
		}
		for _, n := range v.Content {
			e, err := parseEntry(path, n)
			if err != nil {
				return nil, err
			}
			f.Entries = append(f.Entries, e)
		}
	}
	return f, nil
}

// yamlError places a YAML syntax error ("yaml: line 3: ...") at its line.
func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		_, msg, _ = strings.Cut(msg, ": ")
	}
	return &Error{Path: path, Line: line, Msg: msg}
}

func parseEntry(path string, n *yaml.Node) (*Entry, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{path, n.Line, "a suppression is a mapping (rule, path, fingerprint, vulnerability, component, reason, author, expires)"}
	}
	e := &Entry{Source: fmt.Sprintf("%s:%d", path, n.Line)}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return nil, &Error{path, v.Line, fmt.Sprintf("%s: want a value", k.Value)}
		}
		if seen[k.Value] {
			return nil, &Error{path, k.Line, fmt.Sprintf("%q appears twice", k.Value)}
		}
		seen[k.Value] = true
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "fingerprint":
			e.Fingerprint = val
		case "rule":
			e.Rule = val
		case "path":
			re, err := glob(val)
			if err != nil {
				return nil, &Error{path, v.Line, fmt.Sprintf("path %q: %v", val, err)}
			}
			e.Path, e.path = val, re
		case "vulnerability":
			e.Vulnerability = val
		case "component":
			e.Component = val
		case "reason":
			e.Reason = val
		case "author":
			e.Author = val
		case "expires":
			d, err := time.Parse(time.DateOnly, val)
			if err != nil {
				return nil, &Error{path, v.Line, fmt.Sprintf("expires %q: want a date YYYY-MM-DD", val)}
			}
			e.Expires, e.expiry = val, d.AddDate(0, 0, 1)
		default:
			return nil, &Error{path, k.Line, fmt.Sprintf("unknown key %q (want fingerprint, rule, path, vulnerability, component, reason, author, expires)", k.Value)}
		}
	}
	switch {
	case e.Fingerprint == "" && e.Rule == "" && e.Path == "" && e.Vulnerability == "":
		return nil, &Error{path, n.Line, "a suppression needs fingerprint, rule, path or vulnerability"}
	case e.Vulnerability != "" && (e.Fingerprint != "" || e.Rule != "" || e.Path != ""):
		return nil, &Error{path, n.Line, "a suppression is of findings (fingerprint, rule, path) or of a vulnerability (vulnerability, component), not both"}
	case e.Component != "" && e.Vulnerability == "":
		return nil, &Error{path, n.Line, "component goes with vulnerability"}
	case e.Reason == "":
		return nil, &Error{path, n.Line, "a suppression needs a reason"}
	case e.Author == "":
		return nil, &Error{path, n.Line, "a suppression needs an author"}
	}
	return e, nil
}

// glob compiles a path glob: * and ? match within a segment, ** any
// number of segments. A leading / is optional on both sides.
func glob(p string) (*regexp.Regexp, error) {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil, errors.New("empty glob")
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				i++
				if i+1 < len(p) && p[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?")
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// Expired reports whether the entry no longer holds at now.
func (e *Entry) Expired(now time.Time) bool {
	return !e.expiry.IsZero() && !now.Before(e.expiry)
}

// what says in a few words what the entry matches.
func (e *Entry) what() string {
	var p []string
	for _, kv := range [][2]string{{"fingerprint", e.Fingerprint}, {"rule", e.Rule}, {"path", e.Path}, {"vulnerability", e.Vulnerability}, {"component", e.Component}} {
		if kv[1] != "" {
			p = append(p, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(p, ", ")
}

func (e *Entry) matchFinding(f *model.Finding) bool {
	if e.Vulnerability != "" {
		return false
	}
	if e.Fingerprint != "" && e.Fingerprint != f.Fingerprint {
		return false
	}
	if e.Rule != "" && !strings.EqualFold(e.Rule, f.RuleID) {
		return false
	}
	return e.path == nil || e.path.MatchString(strings.TrimPrefix(f.Location.Path, "/"))
}

func (e *Entry) matchVuln(v *model.Vulnerability) bool {
	if e.Vulnerability == "" {
		return false
	}
	if !strings.EqualFold(e.Vulnerability, v.ID) && !containsFold(v.Aliases, e.Vulnerability) {
		return false
	}
	if e.Component == "" {
		return true
	}
	if strings.HasPrefix(e.Component, "pkg:") {
		return purlmatch.Match(e.Component, v.Component)
	}
	return strings.EqualFold(e.Component, v.ComponentName)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Apply marks the items of rep that an entry of f matches as suppressed
// (the first entry that matches wins), and returns the entries past their
// expiry at now, each as "FILE:LINE (what, expired DATE)", and the live
// entries that matched nothing, each as "FILE:LINE (what)". An expired
// entry suppresses nothing.
func (f *File) Apply(rep *model.Report, now time.Time) (expired, unused []string) {
	var live []*Entry
	for _, e := range f.Entries {
		if e.Expired(now) {
			expired = append(expired, fmt.Sprintf("%s (%s, expired %s)", e.Source, e.what(), e.Expires))
			continue
		}
		live = append(live, e)
	}
	used := map[*Entry]bool{}
	for i := range rep.Findings {
		fd := &rep.Findings[i]
		for _, e := range live {
			if e.matchFinding(fd) {
				fd.Suppressed, used[e] = e.mark(), true
				break
			}
		}
	}
	for i := range rep.Vulnerabilities {
		v := &rep.Vulnerabilities[i]
		for _, e := range live {
			if e.matchVuln(v) {
				v.Suppressed, used[e] = e.mark(), true
				break
			}
		}
	}
	for _, e := range live {
		if !used[e] {
			unused = append(unused, fmt.Sprintf("%s (%s)", e.Source, e.what()))
		}
	}
	return expired, unused
}

func (e *Entry) mark() *model.Suppression {
	return &model.Suppression{Reason: e.Reason, Author: e.Author, Expires: e.Expires, Source: e.Source}
}
