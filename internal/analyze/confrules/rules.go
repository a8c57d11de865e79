package confrules

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/lazyre"
)

// Rule is one rules/config entry: the catalog fields (read by
// internal/catalog) and the checks that find it.
type Rule struct {
	catalog.Rule `yaml:",inline"`
	Checks       []*Check `yaml:"checks"`
}

// Check finds a rule in one kind of file.
type Check struct {
	// Files are in-device paths matched as path suffixes, '*' within a
	// segment: "/etc/ssh/sshd_config" matches
	// "/files/etc/ssh/sshd_config" of a source overlay.
	Files  []string `yaml:"files"`
	Syntax string   `yaml:"syntax"`
	// Section limits the check to sections whose type matches (regular
	// expression, whole type, any case), each judged alone. Without it,
	// the file's global settings and each conditional block (sshd Match,
	// lighttpd $X[...]) are judged.
	Section string `yaml:"section"`
	// When must all hold.
	When []*Cond `yaml:"when"`
	// Report names the key whose line is the finding's location when no
	// "each" condition gives one.
	Report string `yaml:"report"`
	// Missing is the evidence when the location has no entry (a setting
	// that is absent).
	Missing string `yaml:"missing"`
	// Context keys are added to the evidence with their effective value.
	Context []string `yaml:"context"`

	section *regexp.Regexp
	files   [][]string // Files split into segments
}

// Cond is a condition on the settings of a section.
type Cond struct {
	Key   string `yaml:"key"`    // the setting, any case
	KeyRe string `yaml:"key_re"` // or a regular expression over key names
	// Match and NotMatch are regular expressions over the whole value,
	// any case.
	Match    string `yaml:"match"`
	NotMatch string `yaml:"not_match"`
	// Ports: the value names one of these ports (lists "22,80",
	// ranges "20:25" or "20-25", after --dport/--dports when present).
	Ports []int `yaml:"ports"`
	// Default is the value the daemon uses when the key is absent;
	// without it an absent key fails the condition.
	Default *string `yaml:"default"`
	// Each: every occurrence is judged, each match a finding at its
	// line (lists, repeated directives, command lines).
	Each bool `yaml:"each"`
	// In "file": any occurrence in the whole file, in any section.
	In string `yaml:"in"`

	All []*Cond `yaml:"all"`
	Any []*Cond `yaml:"any"`
	Not *Cond   `yaml:"not"`

	keyRe, match, notMatch *regexp.Regexp
}

// LoadFS reads every config/*.yaml of fsys.
func LoadFS(fsys fs.FS) ([]*Rule, error) {
	names, err := fs.Glob(fsys, "config/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var all []*Rule
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		rs, err := Parse(n, b)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	return all, nil
}

// Parse reads one rule file strictly and compiles its checks.
func Parse(name string, data []byte) ([]*Rule, error) {
	var f struct {
		Rules []*Rule `yaml:"rules"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, r := range f.Rules {
		if len(r.Checks) == 0 {
			return nil, fmt.Errorf("%s: rule %s has no checks", name, r.ID)
		}
		for i, c := range r.Checks {
			if err := c.compile(); err != nil {
				return nil, fmt.Errorf("%s: rule %s check %d: %w", name, r.ID, i+1, err)
			}
		}
	}
	return f.Rules, nil
}

func (c *Check) compile() error {
	if _, ok := syntaxes[c.Syntax]; !ok {
		return fmt.Errorf("unknown syntax %q", c.Syntax)
	}
	if len(c.Files) == 0 || len(c.When) == 0 && c.Section == "" {
		return fmt.Errorf("needs files and conditions (or a section)")
	}
	for _, f := range c.Files {
		if !strings.HasPrefix(f, "/") {
			return fmt.Errorf("file pattern %q is not an absolute device path", f)
		}
		if _, err := path.Match(f, "/"); err != nil {
			return fmt.Errorf("file pattern %q: %w", f, err)
		}
		c.files = append(c.files, strings.Split(strings.TrimPrefix(f, "/"), "/"))
	}
	if c.Section != "" {
		re, err := regexp.Compile("(?i)^(?:" + c.Section + ")$")
		if err != nil {
			return err
		}
		c.section = re
	}
	each := 0
	for _, w := range c.When {
		if w.Each {
			each++
		}
		if err := w.compile(); err != nil {
			return err
		}
	}
	if each > 1 {
		return fmt.Errorf("more than one 'each' condition")
	}
	return nil
}

func (c *Cond) compile() error {
	leaf := c.Key != "" || c.KeyRe != ""
	if n := btoi(leaf) + btoi(len(c.All) > 0) + btoi(len(c.Any) > 0) + btoi(c.Not != nil); n != 1 {
		return fmt.Errorf("a condition is one of key/key_re, all, any, not")
	}
	if c.In != "" && c.In != "file" {
		return fmt.Errorf("in: %q (only \"file\")", c.In)
	}
	var err error
	comp := func(s string) *regexp.Regexp {
		if s == "" || err != nil {
			return nil
		}
		var re *regexp.Regexp
		re, err = regexp.Compile("(?is)^(?:" + s + ")$")
		return re
	}
	c.keyRe, c.match, c.notMatch = comp(c.KeyRe), comp(c.Match), comp(c.NotMatch)
	if err != nil {
		return err
	}
	for _, s := range append(append([]*Cond{}, c.All...), c.Any...) {
		if s.Each {
			return fmt.Errorf("'each' only at the top of when")
		}
		if err := s.compile(); err != nil {
			return err
		}
	}
	if c.Not != nil {
		return c.Not.compile()
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// matchSegments says whether a path (split at '/') ends with the
// pattern's segments, '*' matching within a segment.
func matchSegments(ps, fs []string) bool {
	if len(fs) < len(ps) {
		return false
	}
	fs = fs[len(fs)-len(ps):]
	for i := range ps {
		if ok, _ := path.Match(ps[i], fs[i]); !ok {
			return false
		}
	}
	return true
}

// keyIs says whether entry key k is the condition's key.
func (c *Cond) keyIs(k string) bool {
	if c.keyRe != nil {
		return c.keyRe.MatchString(k)
	}
	return strings.EqualFold(c.Key, k)
}

// valueOK judges a value against Match, NotMatch and Ports.
func (c *Cond) valueOK(v string) bool {
	if c.match != nil && !c.match.MatchString(v) {
		return false
	}
	if c.notMatch != nil && c.notMatch.MatchString(v) {
		return false
	}
	if len(c.Ports) > 0 && !namesPort(v, c.Ports) {
		return false
	}
	return true
}

var portFlag = lazyre.New(`--(?:dports?|destination-ports?)[ =]+(\S+)`)

// namesPort says whether a port list in v includes one of ports. In a
// command line only the arguments of --dport(s) count.
func namesPort(v string, ports []int) bool {
	lists := []string{v}
	if strings.Contains(v, "--") {
		lists = nil
		for _, m := range portFlag.FindAllStringSubmatch(v, -1) {
			lists = append(lists, m[1])
		}
	}
	for _, l := range lists {
		for _, tok := range strings.FieldsFunc(l, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			lo, hi, ok := strings.Cut(strings.TrimPrefix(tok, "!"), ":")
			if !ok {
				lo, hi, ok = strings.Cut(tok, "-")
			}
			a, err := strconv.Atoi(lo)
			if err != nil {
				continue
			}
			b := a
			if ok {
				if b, err = strconv.Atoi(hi); err != nil {
					b = 65535
				}
			}
			for _, p := range ports {
				if p >= a && p <= b {
					return true
				}
			}
		}
	}
	return false
}
