// Package secrets finds hard-coded tokens, keys and passwords with rules
// that are data (rules/secrets/*.yaml, user packs, gitleaks TOML). One
// Aho-Corasick pass over every rule's keywords finds where to look; a
// rule's regular expression (RE2: linear time) only runs on the lines
// around its keywords.
package secrets

import (
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// Categories a secret rule may use (the report taxonomy).
var Categories = []string{"credential", "private-key", "secret-token", "weak-crypto/cert", "backdoor-key"}

// DefaultStandards are the provisions a hard-coded secret violates when a
// rule names none.
var DefaultStandards = catalog.SecretStandards

// Rule is one secret pattern.
type Rule struct {
	ID        string   `yaml:"id" toml:"id"`
	Title     string   `yaml:"title"`
	Severity  string   `yaml:"severity"`
	Category  string   `yaml:"category"`
	CWE       []string `yaml:"cwe"`
	Standards []string `yaml:"standards"`
	// Summary (one line) and Help (markdown) explain the rule in the
	// catalog; Help is the findings' description.
	Summary     string   `yaml:"summary"`
	Help        string   `yaml:"help"`
	Remediation string   `yaml:"remediation"`
	Tags        []string `yaml:"tags"`
	// Verify is the documented request that would confirm a found token
	// (never made unless asked).
	Verify string `yaml:"verify"`
	// Keywords (case-insensitive) gate the rule: it runs only on lines
	// where one occurs. A rule without keywords runs on every line.
	Keywords []string `yaml:"keywords"`
	Regex    string   `yaml:"regex"`
	// SecretGroup is the capture group holding the secret (default: the
	// first group, or the whole match when there is none).
	SecretGroup int `yaml:"secret_group"`
	// Entropy is the minimum Shannon entropy (bits per char) of the secret.
	Entropy float64 `yaml:"entropy"`
	// Generic rules (password=..., token=...) give way to a specific rule
	// that matched the same secret.
	Generic   bool      `yaml:"generic"`
	Paths     string    `yaml:"paths"` // optional regexp on the file path
	Allowlist Allowlist `yaml:"allowlist"`
	Examples  Examples  `yaml:"examples"`

	// Source names the pack the rule came from.
	Source string `yaml:"-"`
	// gl is the gitleaks configuration that runs the rule (LoadGitleaks);
	// nil for our own rules.
	gl *glConfig

	sev model.Severity
	// m is the rule's compiled regular expressions: compiled by
	// ParseYAML (a user's pack, whose errors are the user's to see), or
	// on first use for the embedded rules (Embedded), most of which never
	// meet their keywords in a given image.
	m func() *matcher
	// pre is the regex's prefilter (nil: none), derived on first use.
	pre func() *prefilter
}

// matcher is a rule's compiled regular expressions.
type matcher struct {
	re       *regexp.Regexp
	anyGroup bool // no secret_group: the first group that matched
	pathRe   *regexp.Regexp
	allow    []*regexp.Regexp // Allowlist.Regexes
	allowRe  []*regexp.Regexp // Allowlist.Paths
}

// Allowlist drops matches that are known not to be secrets.
type Allowlist struct {
	Regexes   []string `yaml:"regexes"`   // matched against the secret
	Stopwords []string `yaml:"stopwords"` // secret contains one (case-insensitive)
	Paths     []string `yaml:"paths"`     // regexps on the file path
}

// Examples are strings the rule must and must not find; a table test runs
// every rule's examples.
type Examples struct {
	Match   []string `yaml:"match"`
	NoMatch []string `yaml:"no_match"`
}

type packFile struct {
	Defaults struct {
		Severity  string   `yaml:"severity"`
		Category  string   `yaml:"category"`
		CWE       []string `yaml:"cwe"`
		Standards []string `yaml:"standards"`
	} `yaml:"defaults"`
	Rules []*Rule `yaml:"rules"`
}

// ParseYAML reads one rule file.
func ParseYAML(name string, data []byte) ([]*Rule, error) {
	var pf packFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, r := range pf.Rules {
		if r.Severity == "" {
			r.Severity = pf.Defaults.Severity
		}
		if r.Category == "" {
			r.Category = pf.Defaults.Category
		}
		if len(r.CWE) == 0 {
			r.CWE = pf.Defaults.CWE
		}
		if len(r.Standards) == 0 {
			r.Standards = pf.Defaults.Standards
		}
		r.Source = name
		if err := r.compile(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return pf.Rules, nil
}

// LoadDir reads every *.yaml / *.yml file of dir in fsys (sorted by name).
func LoadDir(fsys fs.FS, dir string) ([]*Rule, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var all []*Rule
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || (!strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".yml")) {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, n))
		if err != nil {
			return nil, err
		}
		rs, err := ParseYAML(path.Join(dir, n), b)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	return all, nil
}

// Check rejects duplicate rule IDs across packs.
func Check(rules []*Rule) error {
	seen := map[string]string{}
	for _, r := range rules {
		if s, ok := seen[r.ID]; ok {
			return fmt.Errorf("rule %s defined twice (%s and %s)", r.ID, s, r.Source)
		}
		seen[r.ID] = r.Source
	}
	return nil
}

func (r *Rule) compile() error {
	if err := r.check(); err != nil {
		return err
	}
	m, err := r.matcher()
	if err != nil {
		return err
	}
	r.m = func() *matcher { return m }
	r.pre = sync.OnceValue(func() *prefilter { return newPrefilter(r.Regex) })
	return nil
}

// check validates and normalises what needs no regular expression: the
// required fields, the severity and category, the keywords and stopwords
// (lower case).
func (r *Rule) check() error {
	if r.ID == "" || r.Regex == "" {
		return fmt.Errorf("rule %q: id and regex are required", r.ID)
	}
	if err := r.defaults(); err != nil {
		return err
	}
	for i, k := range r.Keywords {
		r.Keywords[i] = strings.ToLower(k)
		if k == "" {
			return fmt.Errorf("rule %s: empty keyword", r.ID)
		}
	}
	for i, s := range r.Allowlist.Stopwords {
		r.Allowlist.Stopwords[i] = strings.ToLower(s)
	}
	return nil
}

// matcher compiles the rule's regular expressions.
func (r *Rule) matcher() (*matcher, error) {
	m := &matcher{}
	var err error
	if m.re, err = regexp.Compile(r.Regex); err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.ID, err)
	}
	if r.SecretGroup > m.re.NumSubexp() {
		return nil, fmt.Errorf("rule %s: secret_group %d but the regex has %d groups", r.ID, r.SecretGroup, m.re.NumSubexp())
	}
	m.anyGroup = r.SecretGroup == 0 && m.re.NumSubexp() > 0
	if r.Paths != "" {
		if m.pathRe, err = compileShared(r.Paths); err != nil {
			return nil, fmt.Errorf("rule %s: paths: %w", r.ID, err)
		}
	}
	for _, s := range r.Allowlist.Regexes {
		re, err := compileShared(s)
		if err != nil {
			return nil, fmt.Errorf("rule %s: allowlist: %w", r.ID, err)
		}
		m.allow = append(m.allow, re)
	}
	for _, s := range r.Allowlist.Paths {
		re, err := compileShared(s)
		if err != nil {
			return nil, fmt.Errorf("rule %s: allowlist path: %w", r.ID, err)
		}
		m.allowRe = append(m.allowRe, re)
	}
	return m, nil
}

// compileLater makes the rule compile its regular expressions on first
// use, once, from any goroutine. For rules whose expressions the tests
// have compiled (the embedded ones): an error is a build defect.
func (r *Rule) compileLater() {
	r.m = sync.OnceValue(func() *matcher {
		m, err := r.matcher()
		if err != nil {
			panic(err)
		}
		return m
	})
	r.pre = sync.OnceValue(func() *prefilter { return newPrefilter(r.Regex) })
}

// defaults checks the severity and category and fills the catalog fields
// a rule leaves empty.
func (r *Rule) defaults() error {
	if r.Title == "" {
		r.Title = r.ID
	}
	if r.Severity == "" {
		r.Severity = string(catalog.SecretSeverity)
	}
	sev, ok := model.ParseSeverity(r.Severity)
	if !ok || sev == model.Unknown { // unknown is for unscored advisories
		return fmt.Errorf("rule %s: unknown severity %q", r.ID, r.Severity)
	}
	r.sev = sev
	if r.Category == "" {
		r.Category = catalog.SecretCategory
	}
	valid := false
	for _, c := range Categories {
		valid = valid || c == r.Category
	}
	if !valid {
		return fmt.Errorf("rule %s: category %q is not one of %v", r.ID, r.Category, Categories)
	}
	if len(r.CWE) == 0 {
		r.CWE = catalog.SecretCWE
	}
	if len(r.Standards) == 0 {
		r.Standards = DefaultStandards
	}
	return nil
}

// pathAllowed says whether the rule applies to a file path at all.
func (r *Rule) pathAllowed(p string) bool { return r.pathAllowedMemo(p, nil) }

// pathAllowedMemo is pathAllowed with the path regexes' answers for p
// kept in m: many rules share one path allowlist (compileShared gives them
// one regexp), which then runs once per file.
func (r *Rule) pathAllowedMemo(p string, m *pathMemo) bool {
	if r.Paths == "" && len(r.Allowlist.Paths) == 0 {
		return true // no expression to compile
	}
	rm := r.m()
	if rm.pathRe != nil && !m.match(rm.pathRe, p) {
		return false
	}
	for _, re := range rm.allowRe {
		if m.match(re, p) {
			return false
		}
	}
	return true
}

// pathMemo holds the answers of path regexes for one path (a handful of
// distinct regexes: a slice beats a map).
type pathMemo []struct {
	re *regexp.Regexp
	ok bool
}

func (m *pathMemo) match(re *regexp.Regexp, p string) bool {
	if m == nil {
		return re.MatchString(p)
	}
	for _, e := range *m {
		if e.re == re {
			return e.ok
		}
	}
	ok := re.MatchString(p)
	*m = append(*m, struct {
		re *regexp.Regexp
		ok bool
	}{re, ok})
	return ok
}

// sharedRegexps interns the compiled path patterns and allowlist regexes:
// rules that share a pattern share its regexp, so a pathMemo answers it
// once and it is compiled once (a quarter of the embedded rules' regexes
// are allowlists that many rules repeat).
var sharedRegexps sync.Map // pattern -> *regexp.Regexp

func compileShared(s string) (*regexp.Regexp, error) {
	if re, ok := sharedRegexps.Load(s); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	v, _ := sharedRegexps.LoadOrStore(s, re)
	return v.(*regexp.Regexp), nil
}

// accept applies the entropy threshold, the allowlist and the built-in
// placeholder filter to one candidate secret.
func (r *Rule) accept(secret []byte) bool {
	if len(secret) == 0 {
		return false
	}
	if r.Entropy > 0 && Entropy(secret) < r.Entropy {
		return false
	}
	for _, re := range r.m().allow {
		if re.Match(secret) {
			return false
		}
	}
	if len(r.Allowlist.Stopwords) > 0 {
		low := strings.ToLower(string(secret))
		for _, s := range r.Allowlist.Stopwords {
			if strings.Contains(low, s) {
				return false
			}
		}
	}
	return !placeholder(secret)
}

// placeholder recognises template variables and masked values, which are
// not secrets in any rule: ${VAR}, $VAR, <password>, {{ x }}, %s, ****,
// xxxx, @VAR@.
func placeholder(s []byte) bool {
	str := string(s)
	switch {
	case strings.HasPrefix(str, "${"), strings.HasPrefix(str, "$("), strings.HasPrefix(str, "{{"),
		strings.HasPrefix(str, "<") && strings.HasSuffix(str, ">"),
		strings.HasPrefix(str, "%") && len(str) <= 3,
		strings.HasPrefix(str, "@") && strings.HasSuffix(str, "@") && len(str) > 2:
		return true
	}
	if str[0] == '$' && len(str) > 1 && isIdent(str[1:]) && strings.ToUpper(str[1:]) == str[1:] {
		return true
	}
	if strings.Trim(str, "*xX.-_#?") == "" {
		return true
	}
	return false
}

func isIdent(s string) bool {
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// Entropy is the Shannon entropy of b in bits per byte.
func Entropy(b []byte) float64 {
	var n [256]int
	for _, c := range b {
		n[c]++
	}
	var h float64
	l := float64(len(b))
	for _, c := range n {
		if c > 0 {
			p := float64(c) / l
			h -= p * math.Log2(p)
		}
	}
	return h
}

// Entry is the rule's catalog entry, with the defaults its findings use.
func (r *Rule) Entry() *catalog.Rule {
	help := r.Help
	if help == "" {
		help = catalog.SecretHelp(r.Title)
	}
	rem := r.Remediation
	if rem == "" {
		rem = catalog.SecretRemediation
	}
	sum := r.Summary
	if sum == "" {
		sum = r.Title
	}
	return &catalog.Rule{
		ID: r.ID, Title: r.Title, Summary: sum, Help: help, Remediation: rem,
		Severity: r.sev, Category: r.Category, CWE: r.CWE, Standards: r.Standards, Tags: r.Tags,
		Family: "secrets", Source: r.Source,
	}
}

// SortRules orders rules by ID for stable output.
func SortRules(rs []*Rule) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
}
