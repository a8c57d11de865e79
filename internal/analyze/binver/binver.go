// Package binver identifies components that ship without a package
// database from version strings inside their binaries. The rules are data
// (rules/components/*.yaml): which files to look at (name globs and/or
// content keywords), a regular expression with a version capture, the
// product, its purl and its NVD CPE vendor:product.
package binver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/strmatch"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// Kind is the evidence kind of a fingerprint match.
const Kind = "binary-fingerprint"

// PathConfidence is the evidence confidence of a rule that reads the
// version from the file's path (its matched text is the path).
const PathConfidence = 0.5

// Rule is one product fingerprint.
type Rule struct {
	ID      string `yaml:"id"`
	Product string `yaml:"product"`
	// Type is the component type: application (default), library,
	// operating-system, firmware.
	Type string `yaml:"type"`
	// PURL is a purl without version, e.g. "pkg:generic/busybox".
	PURL string `yaml:"purl"`
	// CPE is the NVD "vendor:product"; Part is "a" (default) or "o".
	CPE  string `yaml:"cpe"`
	Part string `yaml:"part"`
	// Files are base-name globs; a rule with files only looks at files
	// whose name matches one.
	Files []string `yaml:"files"`
	// Paths are globs on the whole in-layer path (e.g. kernel modules).
	Paths []string `yaml:"paths"`
	// Keywords are literal byte strings of which one must occur; the
	// regex is run on a window around each hit.
	Keywords []string `yaml:"keywords"`
	// Regex has one capture group: the version. It is matched against
	// the file's bytes (or the path, for PathRegex rules).
	Regex string `yaml:"regex"`
	// PathRegex matches the path instead of the content (lib/modules/<ver>).
	PathRegex bool `yaml:"path_regex"`
	// Packages are package-database names of this product, so that
	// opkg/dpkg/apk components get the product's CPE.
	Packages []string `yaml:"packages"`
	// VersionScheme "soname" says the version is the library's ABI
	// version from its file name, not the product release.
	VersionScheme string `yaml:"version_scheme"`
	// Untested says why no real-binary test exists.
	Untested string `yaml:"untested"`
	// StringsUntested says why the rule cannot work on strings(1) output
	// (its evidence needs bytes that strings drops).
	StringsUntested string `yaml:"strings_untested"`

	re *regexp.Regexp
}

// Catalog is a compiled rule table.
type Catalog struct {
	Rules    []*Rule
	pack     *strmatch.Pack // exact keywords
	kwRules  [][]int        // keyword index -> rules
	keywords []string
	byPkg    map[string]*Rule
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default loads the embedded rule table once.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() {
		// the rules of rules/components, kept parsed in embedded_rules.go
		// (made from the YAML by TestEmbeddedRules, which fails while
		// the two differ): no YAML is parsed at run time
		rs := make([]*Rule, len(embeddedRules))
		for i, e := range embeddedRules {
			r := *e
			rs[i] = &r
		}
		defaultCat, defaultErr = Compile(rs)
	})
	return defaultCat, defaultErr
}

// Load reads every *.yaml file of fsys as a list of rules.
func Load(fsys fs.FS) (*Catalog, error) {
	all, err := parseAll(fsys)
	if err != nil {
		return nil, err
	}
	return Compile(all)
}

//go:generate go test -run TestEmbeddedRules -update

// parseAll reads Load's files, unchecked.
func parseAll(fsys fs.FS) ([]*Rule, error) {
	names, err := fs.Glob(fsys, "*.yaml")
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
		var rs []*Rule
		if err := yaml.Unmarshal(b, &rs); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		all = append(all, rs...)
	}
	return all, nil
}

// Compile checks the rules and builds the keyword prefilter.
func Compile(rs []*Rule) (*Catalog, error) {
	c := &Catalog{Rules: rs, byPkg: map[string]*Rule{}}
	seen := map[string]bool{}
	kwIndex := map[string]int{}
	for i, r := range rs {
		if r.ID == "" || r.Product == "" || r.Regex == "" {
			return nil, fmt.Errorf("rule %d (%q): id, product and regex are required", i, r.ID)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("rule %s: duplicate id", r.ID)
		}
		seen[r.ID] = true
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		if re.NumSubexp() < 1 {
			return nil, fmt.Errorf("rule %s: regex needs a version capture group", r.ID)
		}
		r.re = re
		if r.Type == "" {
			r.Type = "application"
		}
		if r.Part == "" {
			r.Part = "a"
		}
		if len(r.Keywords) == 0 && len(r.Files) == 0 && len(r.Paths) == 0 {
			return nil, fmt.Errorf("rule %s: needs files, paths or keywords", r.ID)
		}
		if r.CPE != "" && strings.Count(r.CPE, ":") != 1 {
			return nil, fmt.Errorf("rule %s: cpe must be vendor:product", r.ID)
		}
		for _, g := range append(append([]string{}, r.Files...), r.Paths...) {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("rule %s: glob %q: %w", r.ID, g, err)
			}
		}
		for _, k := range r.Keywords {
			j, ok := kwIndex[k]
			if !ok {
				j = len(c.keywords)
				kwIndex[k] = j
				c.keywords = append(c.keywords, k)
				c.kwRules = append(c.kwRules, nil)
			}
			c.kwRules[j] = append(c.kwRules[j], i)
		}
		for _, p := range r.Packages {
			c.byPkg[p] = r
		}
	}
	kws := make([]strmatch.Keyword, len(c.keywords))
	for i, k := range c.keywords {
		kws[i] = strmatch.Keyword{Text: k, Exact: true}
	}
	c.pack = strmatch.NewPack("binver", kws)
	return c, nil
}

// ForPackage returns the rule of a package-database name, if any.
func (c *Catalog) ForPackage(name string) *Rule { return c.byPkg[name] }

// Match is one identified product in one file.
type Match struct {
	Rule    *Rule
	Version string
	Text    string // the matched string
	Offset  int64
}

func (r *Rule) nameMatches(p string) bool {
	base := path.Base(p)
	for _, g := range r.Files {
		if ok, _ := path.Match(g, base); ok {
			return true
		}
	}
	for _, g := range r.Paths {
		if ok, _ := path.Match(g, p); ok {
			return true
		}
	}
	return false
}

// window is how far around a keyword hit the regex looks.
const window = 256

// Pack returns the catalog's keyword pack.
func (c *Catalog) Pack() *strmatch.Pack { return c.pack }

// Scan returns the products found in one file. Rules with name globs
// apply only to matching names; rules with keywords only where a keyword
// occurs. At most one match per rule.
func (c *Catalog) Scan(p string, data []byte) []Match {
	return c.ScanHits(p, data, strmatch.Find(nil, c.pack, data))
}

// ScanHits is Scan with the keyword hits of c.Pack() in data already
// found (by a shared pass).
func (c *Catalog) ScanHits(p string, data []byte, kw []strmatch.Hit) []Match {
	var out []Match
	done := make([]bool, len(c.Rules))
	nameOK := make([]int8, len(c.Rules)) // 0 unknown, 1 yes, -1 no
	named := func(i int) bool {
		r := c.Rules[i]
		if len(r.Files) == 0 && len(r.Paths) == 0 {
			return true
		}
		if nameOK[i] == 0 {
			nameOK[i] = -1
			if r.nameMatches(p) {
				nameOK[i] = 1
			}
		}
		return nameOK[i] == 1
	}
	for _, h := range kw {
		for _, i := range c.kwRules[h.Kw] {
			if done[i] || !named(i) {
				continue
			}
			start, n := int64(h.Pos), int64(len(c.keywords[h.Kw]))
			lo, hi := max(0, start-window), min(int64(len(data)), start+n+window)
			if m, ok := c.Rules[i].find(data[lo:hi], lo); ok {
				done[i] = true
				out = append(out, m)
			}
		}
	}
	for i, r := range c.Rules {
		if done[i] || len(r.Keywords) > 0 || !named(i) {
			continue
		}
		if r.PathRegex {
			if m, ok := r.find([]byte(p), 0); ok {
				m.Text, m.Offset = p, 0
				out = append(out, m)
			}
			continue
		}
		if m, ok := r.find(data, 0); ok {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Rule.ID < out[b].Rule.ID })
	return out
}

func (r *Rule) find(b []byte, base int64) (Match, bool) {
	loc := r.re.FindSubmatchIndex(b)
	if loc == nil {
		return Match{}, false
	}
	// the version is the first group that took part (rules may offer
	// alternatives, most precise first)
	v := ""
	for g := 2; g+1 < len(loc); g += 2 {
		if loc[g] >= 0 {
			v = string(b[loc[g]:loc[g+1]])
			break
		}
	}
	if v == "" {
		return Match{}, false
	}
	return Match{Rule: r, Version: strings.ReplaceAll(v, "_", "."), Text: printable(b[loc[0]:loc[1]]), Offset: base + int64(loc[0])}, true
}

func printable(b []byte) string {
	b = bytes.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, b)
	return strings.Join(strings.Fields(string(b)), " ")
}

// CPE makes a CPE 2.3 name for the rule's product at version v. OpenSSH's
// portable suffix ("9.2p1") goes in the update field, as NVD writes it.
func CPE(part, vendorProduct, v string) string {
	if vendorProduct == "" || v == "" {
		return ""
	}
	vendor, product, _ := strings.Cut(vendorProduct, ":")
	update := "*"
	if vendorProduct == "openbsd:openssh" {
		if m := opensshVer.FindStringSubmatch(v); m != nil {
			v, update = m[1], m[2]
		}
	}
	return strings.Join([]string{"cpe", "2.3", part, cpeEscape(vendor), cpeEscape(product), cpeEscape(v), cpeEscape(update), "*", "*", "*", "*", "*", "*"}, ":")
}

var opensshVer = lazyre.New(`^(\d+\.\d+(?:\.\d+)?)(p\d+)$`)

func cpeEscape(s string) string {
	if s == "*" || s == "-" {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Vendor is the product's vendor as the NVD names it (the CPE vendor).
func (r *Rule) Vendor() string {
	v, _, _ := strings.Cut(r.CPE, ":")
	return v
}

// Component turns a match in a file into a component.
func (m Match) Component(loc model.Location) model.Component {
	r := m.Rule
	c := model.Component{
		Name:      r.Product,
		Version:   m.Version,
		Type:      r.Type,
		Locations: []model.Location{loc},
		Evidence:  []model.Evidence{{Kind: Kind, Path: loc.Path, Match: m.Text}},
		License:   license.Unknown("identified from a version string in " + loc.Path + ", which states no licence"),
		Supplier:  r.Vendor(),
	}
	if r.PathRegex {
		// A file name is a weaker hint than a version string inside it.
		c.Evidence[0].Confidence = PathConfidence
		c.License = license.Unknown("identified from the file name " + loc.Path + ", which states no licence")
	}
	if r.PURL != "" {
		c.PURL = r.PURL + "@" + m.Version
	}
	if cpe := CPE(r.Part, r.CPE, m.Version); cpe != "" {
		c.CPEs = []string{cpe}
	}
	return c
}

// Analyzer is the fingerprint FileAnalyzer.
type Analyzer struct{ cat *Catalog }

// New returns the fingerprint analyzer with the embedded rule table.
func New() (*Analyzer, error) {
	c, err := Default()
	if err != nil {
		return nil, err
	}
	return &Analyzer{cat: c}, nil
}

// MustNew is New for the static analyzer list; the embedded table is
// tested, so an error is a build bug.
func MustNew() *Analyzer {
	a, err := New()
	if err != nil {
		panic(err)
	}
	return a
}

// NewWith returns an analyzer with the given catalog.
func NewWith(c *Catalog) *Analyzer { return &Analyzer{cat: c} }

// Name implements plugin.FileAnalyzer.
func (*Analyzer) Name() string { return "binver" }

// StringPacks implements strmatch.Packer: the fingerprint keywords join
// the file's shared keyword pass.
func (a *Analyzer) StringPacks() []*strmatch.Pack { return []*strmatch.Pack{a.cat.pack} }

// Binary says whether content fingerprints apply to a file type: only
// binaries and raw images. Text (docs, scripts, man pages, configs) that
// merely mentions a product and version is never a fingerprint.
func Binary(t string) bool {
	return t == filetype.ELF || t == filetype.Data || t == filetype.Firmware
}

// Target says whether content fingerprints apply to a file of type t
// whose first bytes are head: binaries and raw images, but not what the
// file typer calls data while it is text in an 8-bit encoding (a Latin-1
// changelog) nor a gettext message catalog, whose header names the
// version of the source its translations were made for, not of a program
// on the device.
func Target(t string, head []byte) bool {
	if !Binary(t) || messageCatalog(head) {
		return false
	}
	return t != filetype.Data || !legacyText(head)
}

// messageCatalog: the GNU gettext .mo magic, either byte order.
func messageCatalog(head []byte) bool {
	return bytes.HasPrefix(head, []byte{0xde, 0x12, 0x04, 0x95}) || bytes.HasPrefix(head, []byte{0x95, 0x04, 0x12, 0xde})
}

// legacyText: no NUL and hardly any control characters, so text in a
// single-byte encoding. Programs, images and compressed data all have NULs
// within their first kilobytes.
func legacyText(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	ctrl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b || c == 0x7f {
			ctrl++
		}
	}
	return ctrl*100 <= len(head)
}

// hugePrefix is how much of a file too large to be held in memory (a
// kernel or a monolithic firmware binary) is read for fingerprints: the
// version banners of such files sit in their first megabytes.
const hugePrefix = 16 << 20

// FileRequired implements plugin.FileAnalyzer: binaries, and any file
// whose path a path rule names (lib/modules/<version>/modules.order).
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	if fi.Size <= 0 {
		return false
	}
	return Target(fi.Type.Type, fi.Head) || StringsDump(fi.Path) || a.cat.pathNamed(fi.Path)
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(_ context.Context, in *plugin.Input, out *plugin.Results) error {
	var ms []Match
	switch {
	case StringsDump(in.Path) && in.Data != nil:
		ms = a.cat.ScanStrings(strings.TrimSuffix(strings.TrimSuffix(in.Path, ".txt"), ".strings"), in.Data)
	case !Target(in.Type.Type, in.Head):
		ms = a.cat.ScanPath(in.Path)
	case in.Data == nil:
		// larger than the in-memory limit: its first megabytes, read once
		buf := make([]byte, min(in.Size, hugePrefix))
		n, err := io.ReadFull(io.NewSectionReader(in.R, 0, int64(len(buf))), buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: %w", in.Path, err)
		}
		ms = a.cat.Scan(in.Path, buf[:n])
		if in.Size > hugePrefix { // the rest is not looked at: say so
			out.Skip(a.Name(), in, fmt.Sprintf("%d bytes: too large to be held in memory; fingerprinted from its first %d bytes", in.Size, hugePrefix))
		}
	default:
		ms = a.cat.ScanHits(in.Path, in.Data, strmatch.Find(in.Keywords, a.cat.pack, in.Data))
	}
	for _, m := range ms {
		out.Components = append(out.Components, m.Component(in.Loc))
	}
	return nil
}

func (c *Catalog) pathNamed(p string) bool {
	for _, r := range c.Rules {
		if r.PathRegex && r.nameMatches(p) {
			return true
		}
	}
	return false
}

// ScanPath runs only the rules that identify a product from its path.
func (c *Catalog) ScanPath(p string) []Match {
	var out []Match
	for _, r := range c.Rules {
		if !r.PathRegex || !r.nameMatches(p) {
			continue
		}
		if m, ok := r.find([]byte(p), 0); ok {
			m.Text = p
			out = append(out, m)
		}
	}
	return out
}

// ScanStrings runs the rules over a plain-text strings dump of a binary
// (the output of strings(1): one printable run per line). Each line is
// given back its terminating NUL, so the rules that anchor on string
// boundaries work as they do on the binary itself.
func (c *Catalog) ScanStrings(p string, dump []byte) []Match {
	b := make([]byte, 1, len(dump)+len(dump)/8) // a leading NUL: the first line starts a string too
	for _, l := range bytes.Split(dump, []byte{'\n'}) {
		if len(l) == 0 {
			continue
		}
		b = append(append(b, l...), 0)
	}
	return c.Scan(p, b)
}

// StringsDump says whether a file is a strings(1) dump handed in for
// fingerprinting: by name only, so that ordinary text never is.
func StringsDump(p string) bool {
	return strings.HasSuffix(p, ".strings") || strings.HasSuffix(p, ".strings.txt")
}
