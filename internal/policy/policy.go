// Package policy is the gate of a run: severity floors (--fail-on,
// --fail-on-kev) and named rules whose conditions are CEL expressions
// over one finding (f) or one vulnerability (v), read from the policy:
// section of the configuration file. Suppressed items and vulnerabilities
// a VEX statement marks not_affected or fixed never count.
package policy

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/thingsec/thingsec/internal/model"
	"go.yaml.in/yaml/v3"
)

// Target says what a rule's condition is about.
type Target int

// Targets of a rule: a condition that names f is about findings, one
// that names v about vulnerabilities, one that names neither about both.
const (
	Findings Target = 1 << iota
	Vulnerabilities
)

// Rule is one named rule of a policy: it is violated by every counted
// item at or above Severity (when set) for which When holds.
type Rule struct {
	Name        string
	Description string
	Severity    model.Severity // "" for every severity
	When        string         // "" for always
	Target      Target
	prog        cel.Program
}

// Policy is the rules of a configuration file's policy: section.
type Policy struct {
	Path  string
	Rules []*Rule
}

// Error is a policy problem at a place of the configuration file. Column
// is the column in the file (0 when unknown); ExprColumn, when set, is
// the column in the CEL expression.
type Error struct {
	Path       string
	Line       int
	Column     int
	ExprColumn int
	Msg        string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.ExprColumn > 0 {
		fmt.Fprintf(&b, " (expression column %d)", e.ExprColumn)
	}
	return b.String()
}

// Variables documents what a condition can use, for help texts.
const Variables = `A rule's "when" is a CEL expression (https://cel.dev) over one finding, f,
or one vulnerability, v:

  f.rule         string   rule id (TS-CRED-001)
  f.title        string   the finding's title
  f.severity     string   critical, high, medium, low or info
  f.category     string   credential, private-key, weak-crypto/cert, ...
  f.path         string   path inside its layer (/etc/shadow)
  f.layer        string   layer id (L2)
  f.fingerprint  string   stable identity of the finding
  f.cwe          list     CWE ids (CWE-798)
  f.tags         list     standards the rule maps to
  f.new          bool     new against a baseline (false without one)
  f.priority     string   f.severity, one level higher when the finding is in a
                          program or library a network-facing service runs

  v.id           string   CVE-2023-1234, GHSA-..., as the source names it
  v.aliases      list     other ids of the advisory
  v.severity     string   critical, high, medium, low or unknown
  v.cvss         double   highest CVSS base score (0 when none)
  v.kev          bool     in CISA's Known Exploited Vulnerabilities
  v.epss         double   FIRST EPSS probability, 0 to 1 (0 when none)
  v.component    string   component name (busybox)
  v.purl         string   component package URL
  v.version      string   installed version
  v.fixed        list     versions that fix it (size(v.fixed) > 0: a fix exists)
  v.cwe          list     CWE ids
  v.state        string   VEX state (affected, under_investigation) or ""
  v.new          bool     new against a baseline (false without one)
  v.priority     string   v.severity combined with exposure, CISA KEV and EPSS
                          (README "Priority"); v.severity when none applies
  v.exposure     string   network, local or unknown: how the component is
                          reached, from the services the scan found; "" when
                          the report has no service information
  v.reachable    bool     v.exposure == "network"

rank(s) turns a severity into a number (critical 6, high 5, medium 4,
low 3, unknown 2, info 1): rank(f.severity) >= rank("high"),
rank(v.priority) >= rank("critical"), v.reachable && v.cvss >= 7.0. String
functions: startsWith, endsWith, contains, matches (RE2), lowerAscii,
split...; lists: in, size, exists, all: f.path.startsWith("/etc/"),
"CWE-798" in f.cwe, v.aliases.exists(a, a.startsWith("GHSA-")).

A condition that uses f applies to findings, one that uses v to
vulnerabilities; "severity" (optional) applies a rule only to items at or
above it. Suppressed items and vulnerabilities a VEX statement marks
not_affected or fixed never count.`

// costLimit bounds the work of one evaluation (CEL cost units, about one
// per operation), so that a runaway condition fails with its rule's name
// instead of stalling the build.
const costLimit = 1_000_000

var (
	findingType = reflect.TypeFor[Finding]()
	vulnType    = reflect.TypeFor[Vulnerability]()
)

func objectType(t reflect.Type) *cel.Type {
	return cel.ObjectType("policy." + t.Name())
}

// newEnv makes the CEL environment with the variables of vars.
func newEnv(vars Target) (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(findingType, vulnType, ext.ParseStructTags(true)),
		ext.Strings(),
		cel.Function("rank", cel.Overload("rank_string", []*cel.Type{cel.StringType}, cel.IntType,
			cel.UnaryBinding(func(s ref.Val) ref.Val {
				str, ok := s.(types.String)
				if !ok {
					return types.NoSuchOverloadErr()
				}
				return types.Int(model.Severity(str).Rank())
			}))),
	}
	if vars&Findings != 0 {
		opts = append(opts, cel.Variable("f", objectType(findingType)))
	}
	if vars&Vulnerabilities != 0 {
		opts = append(opts, cel.Variable("v", objectType(vulnType)))
	}
	return cel.NewEnv(opts...)
}

// Parse reads a policy: section (node, from the file at path); a nil node
// is an empty policy.
func Parse(node *yaml.Node, path string) (*Policy, error) {
	p := &Policy{Path: path}
	if node == nil || node.Tag == "!!null" {
		return p, nil
	}
	if node.Kind != yaml.MappingNode {
		return nil, &Error{Path: path, Line: node.Line, Column: node.Column, Msg: "policy: want a mapping"}
	}
	envs := map[Target]*cel.Env{}
	for _, t := range []Target{Findings, Vulnerabilities, Findings | Vulnerabilities} {
		env, err := newEnv(t)
		if err != nil {
			return nil, fmt.Errorf("policy environment: %w", err)
		}
		envs[t] = env
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Value != "rules" {
			return nil, &Error{Path: path, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("policy: unknown key %q (want rules)", k.Value)}
		}
		if v.Kind != yaml.SequenceNode {
			return nil, &Error{Path: path, Line: v.Line, Column: v.Column, Msg: "policy.rules: want a list of rules"}
		}
		names := map[string]bool{}
		for _, rn := range v.Content {
			r, err := parseRule(rn, path, envs)
			if err != nil {
				return nil, err
			}
			if names[r.Name] {
				return nil, &Error{Path: path, Line: rn.Line, Column: rn.Column, Msg: fmt.Sprintf("policy rule %q appears twice", r.Name)}
			}
			names[r.Name] = true
			p.Rules = append(p.Rules, r)
		}
	}
	return p, nil
}

func parseRule(n *yaml.Node, path string, envs map[Target]*cel.Env) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{Path: path, Line: n.Line, Column: n.Column, Msg: "policy rule: want a mapping with name, description, severity and when"}
	}
	r := &Rule{}
	var when *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, &Error{Path: path, Line: v.Line, Column: v.Column, Msg: fmt.Sprintf("policy rule: %s: want a string", k.Value)}
		}
		switch k.Value {
		case "name":
			r.Name = v.Value
		case "description":
			r.Description = v.Value
		case "severity":
			s, ok := model.ParseSeverity(v.Value)
			if !ok {
				return nil, &Error{Path: path, Line: v.Line, Column: v.Column, Msg: fmt.Sprintf("policy rule: severity %q: want critical, high, medium, low, unknown or info", v.Value)}
			}
			r.Severity = s
		case "when":
			r.When, when = v.Value, v
		default:
			return nil, &Error{Path: path, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("policy rule: unknown key %q (want name, description, severity, when)", k.Value)}
		}
	}
	if r.Name == "" {
		return nil, &Error{Path: path, Line: n.Line, Column: n.Column, Msg: "policy rule: no name"}
	}
	if when == nil && r.Severity == "" {
		return nil, &Error{Path: path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf("policy rule %q: give when, severity or both", r.Name)}
	}
	if when == nil {
		r.Target = Findings | Vulnerabilities
		return r, nil
	}
	return r, r.compile(when, path, envs)
}

// compile checks the condition in the environment of findings, of
// vulnerabilities and of both, to learn which it is about.
func (r *Rule) compile(n *yaml.Node, path string, envs map[Target]*cel.Env) error {
	var asts = map[Target]*cel.Ast{}
	for _, t := range []Target{Findings, Vulnerabilities} {
		if a, iss := envs[t].Compile(r.When); iss.Err() == nil {
			asts[t] = a
		}
	}
	var a *cel.Ast
	switch {
	case asts[Findings] != nil && asts[Vulnerabilities] != nil:
		r.Target, a = Findings|Vulnerabilities, asts[Findings]
	case asts[Findings] != nil:
		r.Target, a = Findings, asts[Findings]
	case asts[Vulnerabilities] != nil:
		r.Target, a = Vulnerabilities, asts[Vulnerabilities]
	default:
		_, iss := envs[Findings|Vulnerabilities].Compile(r.When)
		if iss.Err() == nil {
			return r.errAt(n, path, 0, 0, "uses both f and v: a condition is about one finding or one vulnerability")
		}
		e := iss.Errors()[0]
		return r.errAt(n, path, e.Location.Line(), e.Location.Column(), e.Message)
	}
	if !a.OutputType().IsExactType(types.BoolType) {
		return r.errAt(n, path, 0, 0, fmt.Sprintf("want a bool condition, this one is %s", a.OutputType()))
	}
	prog, err := envs[r.Target].Program(a, cel.CostLimit(costLimit))
	if err != nil {
		return r.errAt(n, path, 0, 0, err.Error())
	}
	r.prog = prog
	return nil
}

// errAt is an error of the condition at CEL line and 0-based column
// (line 0: the expression as a whole), placed in the file.
func (r *Rule) errAt(n *yaml.Node, path string, line, col int, msg string) error {
	e := &Error{Path: path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf("policy rule %q: when: %s", r.Name, msg)}
	if line == 0 {
		return e
	}
	e.ExprColumn = col + 1
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// the text starts on the line after the indicator; its
		// indentation is not kept by the parser
		e.Line, e.Column = n.Line+line, 0
	default:
		e.Line += line - 1
		if line == 1 {
			quote := 0
			if n.Style == yaml.SingleQuotedStyle || n.Style == yaml.DoubleQuotedStyle {
				quote = 1
			}
			e.Column = n.Column + quote + col
		} else {
			e.Column = 0
		}
	}
	return e
}

// matchFinding reports whether r is violated by f.
func (r *Rule) matchFinding(f Finding) (bool, error) {
	if r.Target&Findings == 0 || model.Severity(f.Severity).Rank() < r.Severity.Rank() {
		return false, nil
	}
	return r.eval(map[string]any{"f": f})
}

// matchVuln reports whether r is violated by v.
func (r *Rule) matchVuln(v Vulnerability) (bool, error) {
	if r.Target&Vulnerabilities == 0 || model.Severity(v.Severity).Rank() < r.Severity.Rank() {
		return false, nil
	}
	return r.eval(map[string]any{"v": v})
}

func (r *Rule) eval(vars map[string]any) (bool, error) {
	if r.prog == nil {
		return true, nil
	}
	out, _, err := r.prog.Eval(vars)
	if err != nil {
		return false, fmt.Errorf("policy rule %q: %w", r.Name, err)
	}
	b, ok := out.Value().(bool)
	return ok && b, nil
}
