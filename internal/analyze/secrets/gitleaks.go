package secrets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/thingsec/thingsec/internal/analyze/strmatch"
)

// A gitleaks TOML configuration is not translated into our rule model: its
// rules run through their own detector (gitleaks_detect.go) with gitleaks'
// semantics, so that a configuration finds in a file exactly what gitleaks
// finds there. Differences that remain are listed in rules/secrets/README.md.

// glFile is a gitleaks TOML file. Keys match case-insensitively, as
// gitleaks' configuration loader matches them.
type glFile struct {
	Title  string `toml:"title"`
	Extend struct {
		Path          string   `toml:"path"`
		URL           string   `toml:"url"`
		UseDefault    bool     `toml:"useDefault"`
		DisabledRules []string `toml:"disabledRules"`
	} `toml:"extend"`
	Rules []struct {
		ID          string       `toml:"id"`
		Description string       `toml:"description"`
		Path        string       `toml:"path"`
		Regex       string       `toml:"regex"`
		SecretGroup int          `toml:"secretGroup"`
		Entropy     float64      `toml:"entropy"`
		Keywords    []string     `toml:"keywords"`
		Tags        []string     `toml:"tags"`
		Allowlist   *glFileAllow `toml:"allowlist"`
		Allowlists  []*glFileAllow
		Required    []struct {
			ID            string `toml:"id"`
			WithinLines   *int   `toml:"withinLines"`
			WithinColumns *int   `toml:"withinColumns"`
		} `toml:"required"`
		SkipReport bool `toml:"skipReport"`
	} `toml:"rules"`
	Allowlist  *glFileAllow  `toml:"allowlist"`
	Allowlists []glFileAllow `toml:"allowlists"`
	MinVersion string        `toml:"minVersion"`
}

type glFileAllow struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	Commits     []string `toml:"commits"`
	Paths       []string `toml:"paths"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	StopWords   []string `toml:"stopwords"`
	TargetRules []string `toml:"targetRules"` // global allowlists only
}

// glConfig is a loaded gitleaks configuration.
type glConfig struct {
	name   string
	rules  []*glRule // in file order, extended rules after
	allow  []*glAllow
	pack   *strmatch.Pack // every rule keyword, lower-cased
	kwRule [][]*glRule    // pack keyword -> rules it gates
	always []*glRule      // rules without keywords
	// decodeDepth is how many decoding passes follow the first
	// (gitleaks' --max-decode-depth)
	decodeDepth int
}

type glRule struct {
	id, desc    string
	re, path    *regexp.Regexp
	secretGroup int
	entropy     float64
	keywords    []string
	tags        []string
	allow       []*glAllow
	required    []glRequired
	skipReport  bool
	rule        *Rule // the catalog entry and finding template
	idx         int   // in glConfig.rules
}

type glRequired struct {
	id                         string
	withinLines, withinColumns *int
}

// glAllow is one allowlist. Its regexes (and paths) are joined into one
// alternation as gitleaks joins them, flags and all.
type glAllow struct {
	and       bool
	commits   int // how many commits it names; no file scan has a commit
	paths     *regexp.Regexp
	target    string // "" (the secret), "match" or "line"
	regexes   *regexp.Regexp
	stopwords []string
}

// LoadGitleaks reads a gitleaks TOML config. The rules it returns carry
// the config's own detector: New runs them as gitleaks would. Rule IDs are
// prefixed with "gitleaks:" so they never collide with ours.
func LoadGitleaks(file string) ([]*Rule, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseGitleaks(file, b)
}

// ParseGitleaks parses gitleaks TOML text.
func ParseGitleaks(name string, data []byte) ([]*Rule, error) {
	c, err := parseGitleaks(name, data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.finish(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]*Rule, len(c.rules))
	for i, r := range c.rules {
		out[i] = r.rule
	}
	return out, nil
}

// maxExtendDepth is how deep [extend] chains go (as in gitleaks).
const maxExtendDepth = 2

// glPartial is a configuration before its extension is validated.
type glPartial struct {
	rules    []*glRule
	byID     map[string]*glRule
	allow    []*glAllow
	targeted map[string][]*glAllow
	targets  []string
}

func parseGitleaks(name string, data []byte, depth int) (*glConfig, error) {
	p, err := parsePartial(name, data, depth)
	if err != nil {
		return nil, err
	}
	// Targeted allowlists name rules after extension.
	for _, id := range p.targets {
		r, ok := p.byID[id]
		if !ok {
			return nil, fmt.Errorf("[[allowlists]] target rule ID '%s' does not exist", id)
		}
		r.allow = append(r.allow, p.targeted[id]...)
	}
	// Rules are checked once extended (an override may set only a field).
	for _, r := range p.rules {
		if r.re == nil && r.path == nil {
			return nil, fmt.Errorf("%s: both |regex| and |path| are empty, this rule will have no effect", r.id)
		}
		if r.re != nil && r.secretGroup > r.re.NumSubexp() {
			return nil, fmt.Errorf("%s: invalid regex secret group %d, max regex secret group %d", r.id, r.secretGroup, r.re.NumSubexp())
		}
	}
	return &glConfig{name: name, rules: p.rules, allow: p.allow}, nil
}

func parsePartial(name string, data []byte, depth int) (*glPartial, error) {
	var f glFile
	if _, err := toml.Decode(string(data), &f); err != nil {
		return nil, err
	}
	p := &glPartial{byID: map[string]*glRule{}, targeted: map[string][]*glAllow{}}
	for _, fr := range f.Rules {
		if strings.TrimSpace(fr.ID) == "" {
			return nil, fmt.Errorf("rule |id| is missing or empty (description %q)", fr.Description)
		}
		r := &glRule{id: fr.ID, desc: fr.Description, secretGroup: fr.SecretGroup, entropy: fr.Entropy, tags: fr.Tags, skipReport: fr.SkipReport}
		var err error
		if fr.Regex != "" {
			if r.re, err = regexp.Compile(fr.Regex); err != nil {
				return nil, fmt.Errorf("%s: %w", fr.ID, err)
			}
		}
		if fr.Path != "" {
			if r.path, err = regexp.Compile(fr.Path); err != nil {
				return nil, fmt.Errorf("%s: path: %w", fr.ID, err)
			}
		}
		for _, k := range fr.Keywords {
			r.keywords = append(r.keywords, strings.ToLower(k))
		}
		als := fr.Allowlists
		if fr.Allowlist != nil {
			if len(als) > 0 {
				return nil, fmt.Errorf("%s: [rules.allowlist] is deprecated, it cannot be used alongside [[rules.allowlist]]", fr.ID)
			}
			als = []*glFileAllow{fr.Allowlist}
		}
		for _, fa := range als {
			a, err := compileAllow(fa)
			if err != nil {
				return nil, fmt.Errorf("%s: [[rules.allowlists]] %w", fr.ID, err)
			}
			r.allow = append(r.allow, a)
		}
		for _, q := range fr.Required {
			if q.ID == "" {
				return nil, fmt.Errorf("%s: [[rules.required]] rule ID is empty", fr.ID)
			}
			r.required = append(r.required, glRequired{q.ID, q.WithinLines, q.WithinColumns})
		}
		if old, ok := p.byID[r.id]; ok { // a later rule of the same id replaces it
			*old = *r
			continue
		}
		p.byID[r.id] = r
		p.rules = append(p.rules, r)
	}
	for _, r := range p.rules {
		for _, q := range r.required {
			if _, ok := p.byID[q.id]; !ok {
				return nil, fmt.Errorf("%s: [[rules.required]] rule ID '%s' does not exist", r.id, q.id)
			}
		}
	}
	gals := f.Allowlists
	if f.Allowlist != nil {
		if len(gals) > 0 {
			return nil, errors.New("[allowlist] is deprecated, it cannot be used alongside [[allowlists]]")
		}
		gals = []glFileAllow{*f.Allowlist}
	}
	for i := range gals {
		a, err := compileAllow(&gals[i])
		if err != nil {
			return nil, fmt.Errorf("[[allowlists]] %w", err)
		}
		if len(gals[i].TargetRules) == 0 {
			p.allow = append(p.allow, a)
			continue
		}
		for _, id := range gals[i].TargetRules {
			if _, ok := p.targeted[id]; !ok {
				p.targets = append(p.targets, id)
			}
			p.targeted[id] = append(p.targeted[id], a)
		}
	}
	if depth < maxExtendDepth {
		ext := f.Extend
		if ext.Path != "" && ext.UseDefault {
			return nil, errors.New("unable to load config due to extend.path and extend.useDefault being set")
		}
		switch {
		case ext.UseDefault, ext.Path != "":
			file := ext.Path
			if ext.UseDefault {
				var err error
				if file, err = GitleaksDefaultConfig(); err != nil {
					return nil, err
				}
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("failed to load extended config, err: %w", err)
			}
			base, err := parsePartial(file, b, depth+1)
			if err != nil {
				return nil, fmt.Errorf("failed to load extended config, err: %w", err)
			}
			p.extend(base, ext.DisabledRules)
		}
	}
	return p, nil
}

// extend merges base (the extended configuration) into p: base rules p
// lacks are added, rules both have take p's non-empty fields and both
// keyword, tag and allowlist lists; base's allowlists are appended.
// Rules p adds keep their place; extended ones follow.
func (p *glPartial) extend(base *glPartial, disabled []string) {
	off := map[string]bool{}
	for _, id := range disabled {
		off[id] = true
	}
	for _, b := range base.rules {
		if off[b.id] {
			continue
		}
		cur, ok := p.byID[b.id]
		if !ok {
			p.byID[b.id] = b
			p.rules = append(p.rules, b)
			continue
		}
		m := *b
		if cur.desc != "" {
			m.desc = cur.desc
		}
		if cur.entropy != 0 {
			m.entropy = cur.entropy
		}
		if cur.secretGroup != 0 {
			m.secretGroup = cur.secretGroup
		}
		if cur.re != nil {
			m.re = cur.re
		}
		if cur.path != nil {
			m.path = cur.path
		}
		m.tags = append(append([]string(nil), b.tags...), cur.tags...)
		m.keywords = append(append([]string(nil), b.keywords...), cur.keywords...)
		m.allow = append(append([]*glAllow(nil), b.allow...), cur.allow...)
		*cur = m // required rules and skipReport stay the base's
	}
	// an extended file's targeted allowlists are dropped, as gitleaks
	// drops them
	p.allow = append(p.allow, base.allow...)
}

func compileAllow(fa *glFileAllow) (*glAllow, error) {
	a := &glAllow{commits: len(fa.Commits)}
	switch strings.ToUpper(fa.Condition) {
	case "AND", "&&":
		a.and = true
	case "", "OR", "||":
	default:
		return nil, fmt.Errorf("unknown allowlist |condition| '%s' (expected 'and', 'or')", fa.Condition)
	}
	switch fa.RegexTarget {
	case "", "secret":
	case "match", "line":
		a.target = fa.RegexTarget
	default:
		return nil, fmt.Errorf("unknown allowlist |regexTarget| '%s' (expected 'match', 'line')", fa.RegexTarget)
	}
	if len(fa.Commits) == 0 && len(fa.Paths) == 0 && len(fa.Regexes) == 0 && len(fa.StopWords) == 0 {
		return nil, errors.New("must contain at least one check for: commits, paths, regexes, or stopwords")
	}
	var err error
	if a.paths, err = joinAlternatives(fa.Paths); err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	if a.regexes, err = joinAlternatives(fa.Regexes); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, s := range fa.StopWords {
		s = strings.ToLower(s)
		if !seen[s] {
			seen[s] = true
			a.stopwords = append(a.stopwords, s)
		}
	}
	return a, nil
}

// joinAlternatives compiles "(?:a|b|...)": each pattern is checked alone
// first (for a clear error), then joined as gitleaks joins them, where a
// flag group such as (?i) at the start of one pattern also applies to the
// patterns after it.
func joinAlternatives(pats []string) (*regexp.Regexp, error) {
	if len(pats) == 0 {
		return nil, nil
	}
	for _, p := range pats {
		if _, err := regexp.Compile(p); err != nil {
			return nil, err
		}
	}
	return regexp.Compile("(?:" + strings.Join(pats, "|") + ")")
}

// finish builds the keyword pack and the catalog rules.
func (c *glConfig) finish() error {
	c.decodeDepth = glDecodeDepth
	idx := map[string]int{}
	var kws []strmatch.Keyword
	for i, r := range c.rules {
		r.idx = i
		if len(r.keywords) == 0 {
			c.always = append(c.always, r)
		}
		for _, k := range r.keywords {
			if k == "" {
				// an empty keyword is in every text
				c.always = append(c.always, r)
				break
			}
		}
		for _, k := range r.keywords {
			if k == "" {
				continue
			}
			i, ok := idx[k]
			if !ok {
				i = len(kws)
				idx[k] = i
				kws = append(kws, strmatch.Keyword{Text: k})
				c.kwRule = append(c.kwRule, nil)
			}
			c.kwRule[i] = append(c.kwRule[i], r)
		}
		title := strings.TrimSpace(r.desc)
		if title == "" {
			title = r.id
		}
		rule := &Rule{ID: "gitleaks:" + r.id, Title: title, Severity: "high", Category: "secret-token",
			Keywords: r.keywords, Tags: r.tags, Source: c.name, gl: c}
		if r.re != nil {
			rule.Regex = r.re.String()
		}
		if err := rule.defaults(); err != nil {
			return err
		}
		r.rule = rule
	}
	c.pack = strmatch.NewPack("gitleaks:"+c.name, kws)
	return nil
}

// GitleaksDefaultConfig finds the default configuration that "[extend]
// useDefault" names: $GITLEAKS_DEFAULT_CONFIG, else the newest gitleaks v8
// module in the Go module cache (where "go install
// github.com/zricethezav/gitleaks/v8@latest" leaves it). thingsec does not
// ship gitleaks' rules.
func GitleaksDefaultConfig() (string, error) {
	if p := os.Getenv("GITLEAKS_DEFAULT_CONFIG"); p != "" {
		return p, nil
	}
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	for _, gp := range filepath.SplitList(os.Getenv("GOPATH")) {
		if gp != "" {
			caches = append(caches, filepath.Join(gp, "pkg", "mod"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
	}
	best, bestV := "", []int(nil)
	for _, c := range caches {
		ms, _ := filepath.Glob(filepath.Join(c, "github.com", "zricethezav", "gitleaks", "v8@v*", "config", "gitleaks.toml"))
		for _, m := range ms {
			v := moduleVersion(filepath.Base(filepath.Dir(filepath.Dir(m))))
			if v != nil && (bestV == nil || slices.Compare(v, bestV) > 0) {
				best, bestV = m, v
			}
		}
	}
	if best == "" {
		return "", errors.New("[extend] useDefault: gitleaks' default configuration was not found (thingsec does not ship it): set GITLEAKS_DEFAULT_CONFIG to a copy of gitleaks' config/gitleaks.toml, or install gitleaks with go install")
	}
	return best, nil
}

// moduleVersion reads "v8@v8.30.1" as [8 30 1]; nil for a pre-release or
// anything else.
func moduleVersion(dir string) []int {
	_, v, ok := strings.Cut(dir, "@v")
	if !ok {
		return nil
	}
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}
