// Package catalog is the one list of every rule thingsec can report:
// secret patterns (rules/secrets/*.yaml) and every other family
// (rules/findings/<area>.yaml: credentials, keys, hardening, ...). An
// entry says what a rule means (title, summary, help, remediation), how
// bad it is (severity, category, CWE), which standard provisions it maps
// to, and carries examples its family's tests run. Findings name a rule
// id; Fill completes them from the entry, so SARIF rules, GitLab
// reports, compliance mapping and the README read the same text.
package catalog

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Rule is one catalog entry.
type Rule struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title"`
	// Summary is the one-line short help.
	Summary string `yaml:"summary" json:"summary"`
	// Help is the full help (markdown).
	Help        string         `yaml:"help" json:"help"`
	Remediation string         `yaml:"remediation" json:"remediation"`
	Severity    model.Severity `yaml:"severity" json:"severity"`
	Category    string         `yaml:"category" json:"category"`
	CWE         []string       `yaml:"cwe" json:"cwe"`
	Standards   []string       `yaml:"standards" json:"standards"`
	Tags        []string       `yaml:"tags" json:"tags,omitempty"`
	Examples    Examples       `yaml:"examples" json:"-"`
	// Family is the rule family: "secrets", or the area of a
	// rules/findings/<area>.yaml file.
	Family string `yaml:"-" json:"family"`
	// Source is the file the entry came from.
	Source string `yaml:"-" json:"source"`
}

// Examples are inputs a rule must and must not fire on.
type Examples struct {
	Match   []Example `yaml:"match"`
	NoMatch []Example `yaml:"no_match"`
}

// Example is one input. String rules take a line of text (a YAML
// string); other families a small file: its in-image path and its content
// inline (Text) or as a fixture of the family's testdata (File), plus
// other files of the same image (With) for whole-tree rules and the date
// certificates are judged at (At, YYYY-MM-DD). Permission rules give the
// file's mode as ls -l prints it (Mode, "-rwsr-xr-x"; a directory
// "drwxrwxrwx" needs no content).
type Example struct {
	Text string    `yaml:"text"`
	Path string    `yaml:"path"`
	File string    `yaml:"file"`
	With []Example `yaml:"with"`
	At   string    `yaml:"at"`
	Mode string    `yaml:"mode"`
}

// UnmarshalYAML takes a plain string as Text.
func (e *Example) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		e.Text = n.Value
		return nil
	}
	type plain Example
	return n.Decode((*plain)(e))
}

// Catalog is a checked set of rules.
type Catalog struct {
	rules []*Rule // sorted by id
	byID  map[string]*Rule
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default is the catalog of the embedded rules (made once). The entries
// are kept parsed in embedded_catalog.go, made from the YAML by
// TestEmbeddedCatalog (go generate), which fails while the two differ: a
// run finds them in the binary instead of parsing the rule packs.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() {
		rs := make([]*Rule, len(embeddedEntries))
		for i, e := range embeddedEntries {
			r := *e
			rs[i] = &r
		}
		defaultCat, defaultErr = New(rs)
	})
	return defaultCat, defaultErr
}

// MustDefault is Default for analyzers: the embedded catalog is checked by
// the tests, so an error is a build defect.
func MustDefault() *Catalog {
	c, err := Default()
	if err != nil {
		panic(err)
	}
	return c
}

//go:generate go test -run TestEmbeddedCatalog -update

// Load reads findings/*.yaml, secrets/*.yaml and config/*.yaml of fsys.
func Load(fsys fs.FS) (*Catalog, error) {
	all, err := parseAll(fsys)
	if err != nil {
		return nil, err
	}
	return New(all)
}

// parseAll reads the entries of Load's files, unchecked.
func parseAll(fsys fs.FS) ([]*Rule, error) {
	var all []*Rule
	for _, dir := range []string{"findings", "secrets", "config"} {
		names, err := fs.Glob(fsys, dir+"/*.yaml")
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		for _, n := range names {
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				return nil, err
			}
			var rs []*Rule
			switch dir {
			case "secrets":
				rs, err = ParseSecretPack(n, b)
			case "config":
				rs, err = ParseConfigPack(n, b)
			default:
				rs, err = ParseFindings(n, b)
			}
			if err != nil {
				return nil, err
			}
			all = append(all, rs...)
		}
	}
	return all, nil
}

// ParseFindings reads one rules/findings/<area>.yaml file: a list of
// entries under "rules"; the family is the file's base name.
func ParseFindings(name string, data []byte) ([]*Rule, error) {
	var f struct {
		Rules []*Rule `yaml:"rules"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	family := strings.TrimSuffix(path.Base(name), path.Ext(name))
	for _, r := range f.Rules {
		r.Family, r.Source = family, name
		if r.Summary == "" {
			r.Summary = r.Title
		}
	}
	return f.Rules, nil
}

// ParseConfigPack reads the catalog fields of a configuration rule file
// (rules/config/*.yaml; the checks beside them are
// internal/analyze/confrules'): family "config".
func ParseConfigPack(name string, data []byte) ([]*Rule, error) {
	var f struct {
		Rules []*Rule `yaml:"rules"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, r := range f.Rules {
		r.Family, r.Source = "config", name
		if r.Summary == "" {
			r.Summary = r.Title
		}
	}
	return f.Rules, nil
}

// Secret rules' defaults, shared with the secrets analyzer so that a
// finding and its catalog entry say the same.
var (
	SecretSeverity    = model.High
	SecretCategory    = "secret-token"
	SecretCWE         = []string{"CWE-798"}
	SecretStandards   = []string{"etsi-en-303-645@2.1.1:5.4-3", "owasp-iot-2018:I1"}
	SecretRemediation = "Remove the secret from the image, revoke it, and provision per-device secrets at first boot or in secure storage."
)

// SecretHelp is the help of a secret rule that has none.
func SecretHelp(title string) string {
	return title + " hard-coded in the file; anyone with the image can read and use it."
}

// ParseSecretPack reads the catalog fields of a secret rule pack (the
// matcher fields are the secrets analyzer's), with the pack's defaults
// and the secret family's defaults applied as the analyzer applies them.
func ParseSecretPack(name string, data []byte) ([]*Rule, error) {
	var f struct {
		Defaults struct {
			Severity  model.Severity `yaml:"severity"`
			Category  string         `yaml:"category"`
			CWE       []string       `yaml:"cwe"`
			Standards []string       `yaml:"standards"`
		} `yaml:"defaults"`
		Rules []*Rule `yaml:"rules"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, r := range f.Rules {
		r.Family, r.Source = "secrets", name
		r.Severity = model.Severity(strings.ToLower(string(first(r.Severity, f.Defaults.Severity, SecretSeverity))))
		r.Category = first(r.Category, f.Defaults.Category, SecretCategory)
		r.CWE = firstList(r.CWE, f.Defaults.CWE, SecretCWE)
		r.Standards = firstList(r.Standards, f.Defaults.Standards, SecretStandards)
		r.Title = first(r.Title, r.ID)
		r.Summary = first(r.Summary, r.Title)
		r.Help = first(r.Help, SecretHelp(r.Title))
		r.Remediation = first(r.Remediation, SecretRemediation)
	}
	return f.Rules, nil
}

func first[T comparable](vs ...T) T {
	var zero T
	for _, v := range vs {
		if v != zero {
			return v
		}
	}
	return zero
}

func firstList(ls ...[]string) []string {
	for _, l := range ls {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

var (
	idRe       = lazyre.New(`^TS-[A-Z]+-\d{3}$`)
	cweRe      = lazyre.New(`^CWE-\d+$`)
	standardRe = lazyre.New(`^[a-z0-9-]+(@[0-9.]+)?:[A-Za-z0-9.-]+$`)
)

// New checks rules and builds a catalog: ids are TS-<AREA>-<NNN> and
// unique across every family, and every entry has a title, help,
// remediation, a known severity, a category and a CWE.
func New(rs []*Rule) (*Catalog, error) {
	c := &Catalog{byID: map[string]*Rule{}}
	for _, r := range rs {
		if err := check(r); err != nil {
			return nil, fmt.Errorf("%s: %w", r.Source, err)
		}
		if o, dup := c.byID[r.ID]; dup {
			return nil, fmt.Errorf("rule %s defined twice (%s and %s)", r.ID, o.Source, r.Source)
		}
		c.byID[r.ID] = r
		c.rules = append(c.rules, r)
	}
	sort.Slice(c.rules, func(i, j int) bool { return c.rules[i].ID < c.rules[j].ID })
	return c, nil
}

func check(r *Rule) error {
	if !idRe.MatchString(r.ID) {
		return fmt.Errorf("rule id %q is not TS-<AREA>-<NNN>", r.ID)
	}
	sev, ok := model.ParseSeverity(string(r.Severity))
	if !ok || sev == model.Unknown { // unknown is for unscored advisories
		return fmt.Errorf("rule %s: unknown severity %q", r.ID, r.Severity)
	}
	r.Severity = sev
	for what, v := range map[string]string{"title": r.Title, "help": r.Help, "remediation": r.Remediation, "category": r.Category} {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("rule %s: no %s", r.ID, what)
		}
	}
	if len(r.CWE) == 0 {
		return fmt.Errorf("rule %s: no cwe", r.ID)
	}
	for _, w := range r.CWE {
		if !cweRe.MatchString(w) {
			return fmt.Errorf("rule %s: cwe %q is not CWE-<n>", r.ID, w)
		}
	}
	for _, s := range r.Standards {
		if !standardRe.MatchString(s) {
			return fmt.Errorf("rule %s: standard %q is not framework[@version]:provision", r.ID, s)
		}
	}
	return nil
}

// Extend returns a catalog with rs added (user rule packs, gitleaks
// configurations): an id that is empty or already taken is an error. The
// TS-<AREA>-<NNN> form and the required fields are thingsec's own rules'
// discipline, not asked of user packs.
func (c *Catalog) Extend(rs []*Rule) (*Catalog, error) {
	n := &Catalog{rules: slices.Clone(c.rules), byID: maps.Clone(c.byID)}
	for _, r := range rs {
		if r.ID == "" {
			return nil, fmt.Errorf("%s: rule without id", r.Source)
		}
		if o, dup := n.byID[r.ID]; dup {
			return nil, fmt.Errorf("rule %s defined twice (%s and %s)", r.ID, o.Source, r.Source)
		}
		n.byID[r.ID] = r
		n.rules = append(n.rules, r)
	}
	sort.Slice(n.rules, func(i, j int) bool { return n.rules[i].ID < n.rules[j].ID })
	return n, nil
}

// Lookup finds a rule by id.
func (c *Catalog) Lookup(id string) (*Rule, bool) {
	r, ok := c.byID[id]
	return r, ok
}

// All returns every rule, sorted by id.
func (c *Catalog) All() []*Rule { return c.rules }

// Family returns the rules of one family, sorted by id.
func (c *Catalog) Family(name string) []*Rule {
	var out []*Rule
	for _, r := range c.rules {
		if r.Family == name {
			out = append(out, r)
		}
	}
	return out
}

// Fill completes f from its rule's entry: every empty field among title,
// severity, category, CWE, standards, description (the help) and
// remediation. Fields the analyzer set (a title naming the account, a
// severity raised by what it found) stay. An unknown rule id is an
// error.
func (c *Catalog) Fill(f *model.Finding) error {
	r, ok := c.byID[f.RuleID]
	if !ok {
		return fmt.Errorf("finding of unknown rule %q", f.RuleID)
	}
	if f.Title == "" {
		f.Title = r.Title
	}
	if f.Severity == "" {
		f.Severity = r.Severity
	}
	if f.Category == "" {
		f.Category = r.Category
	}
	if len(f.CWE) == 0 {
		f.CWE = slices.Clone(r.CWE)
	}
	if len(f.Standards) == 0 {
		f.Standards = slices.Clone(r.Standards)
	}
	if f.Description == "" {
		f.Description = r.Help
	}
	if f.Remediation == "" {
		f.Remediation = r.Remediation
	}
	return nil
}

// Case is one example of a rule with what it must give: Fire says the
// rule must fire on it ("match"), or must not ("no_match").
type Case struct {
	Example
	Fire bool
}

// Cases lists the rule's examples, those it must fire on first.
func (r *Rule) Cases() []Case {
	var cs []Case
	for _, e := range r.Examples.Match {
		cs = append(cs, Case{e, true})
	}
	for _, e := range r.Examples.NoMatch {
		cs = append(cs, Case{e, false})
	}
	return cs
}

// Write puts the example into dir at its in-image path: its Text, or the
// fixture File of the family's testdata directory. It returns the path
// on disk. The families' example runners build their inputs with it.
func (e Example) Write(dir, testdata string) (string, error) {
	data := []byte(e.Text)
	if e.File != "" {
		var err error
		if data, err = os.ReadFile(filepath.Join(testdata, e.File)); err != nil {
			return "", err
		}
	}
	p := filepath.Join(dir, filepath.FromSlash(path.Clean("/"+e.Path)))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, data, 0o644)
}
