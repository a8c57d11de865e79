// Package inventory is the component consolidation stage: it turns what
// the component analyzers found file by file into the report's component
// list: one component, many locations. It
// merges a binary fingerprint into the package that owns the file, gives
// package-database entries the NVD CPE of their product, assigns every
// component a stable Ref (the CycloneDX bom-ref), resolves package
// dependencies to Refs and links ELF DT_NEEDED entries to the component
// that owns the library file.
package inventory

import (
	"bytes"
	"context"
	"debug/elf"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/pkgdb"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Analyzer is the component consolidation stage (plugin.Consolidator).
type Analyzer struct{}

// New returns the inventory analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements plugin.Consolidator.
func (*Analyzer) Name() string { return "inventory" }

// Consolidate implements plugin.Consolidator.
func (a *Analyzer) Consolidate(ctx context.Context, t plugin.Tree, found []model.Component, requires []plugin.Requirement) ([]model.Component, error) {
	cat, err := binver.Default()
	if err != nil {
		return nil, err
	}
	return Build(ctx, t, cat, found, requires), nil
}

// pkgKey names a package of one database: "deb:libc6".
type pkgKey struct{ db, name string }

// dbOf returns the package database of a package-db component from its purl.
func dbOf(c *model.Component) string {
	if !hasKind(c, pkgdb.KindPackageDB) {
		return ""
	}
	if i := strings.IndexByte(c.PURL, '/'); strings.HasPrefix(c.PURL, "pkg:") && i > 4 {
		return c.PURL[4:i]
	}
	return ""
}

func hasKind(c *model.Component, kind string) bool {
	for _, e := range c.Evidence {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// Build merges, enriches and links comps, one step after the other;
// requires are the package dependencies declared by name. t may be nil (no
// file access: no ownership or DT_NEEDED links).
func Build(ctx context.Context, t plugin.Tree, cat *binver.Catalog, comps []model.Component, requires []plugin.Requirement) []model.Component {
	b := &build{t: t, cat: cat, comps: dedupe(comps), requires: requires, pkgs: map[pkgKey]*model.Component{}, owner: map[string]*model.Component{}}
	if t != nil {
		b.files = t.Files()
	}
	b.packageCPEs()
	b.readOwners()
	b.absorbFingerprints()
	b.assignRefs()
	b.resolveDependencies()
	b.provenance()
	if t != nil {
		linkNeeded(ctx, t, b.files, b.comps, b.owner)
	}
	res := make([]model.Component, 0, len(b.comps))
	for _, c := range b.comps {
		c.Dependencies = uniqSorted(c.Dependencies)
		res = append(res, *c)
	}
	return res
}

// build is the state the steps of Build share.
type build struct {
	t     plugin.Tree
	cat   *binver.Catalog
	files []model.File
	comps []*model.Component
	// requires are the package dependencies declared by name.
	requires []plugin.Requirement
	// pkgs are the package-database components by database and name.
	pkgs map[pkgKey]*model.Component
	// owner is the package that lists a file ("L2:/bin/busybox").
	owner map[string]*model.Component
	// byPURL is the Ref of the first component with each purl.
	byPURL map[string]string
}

// packageCPEs indexes the package components and gives each the CPE and
// type of its product from the fingerprint catalog.
func (b *build) packageCPEs() {
	for _, c := range b.comps {
		db := dbOf(c)
		if db == "" {
			continue
		}
		b.pkgs[pkgKey{db, c.Name}] = c
		r := b.cat.ForPackage(c.Name)
		if r == nil {
			if strings.HasPrefix(c.Name, "lib") {
				c.Type = "library"
			}
			continue
		}
		if len(c.CPEs) == 0 {
			if cpe := binver.CPE(r.Part, r.CPE, Upstream(c.Version)); cpe != "" {
				c.CPEs = []string{cpe}
			}
		}
		if r.Type != "application" {
			c.Type = r.Type
		}
	}
}

// readOwners learns which package owns which file.
func (b *build) readOwners() {
	if b.t != nil {
		readOwners(b.t, b.files, b.pkgs, b.owner)
	}
}

// absorbFingerprints merges a fingerprint into the package that owns its
// file when the versions agree, or into the one package whose CPE
// (product and version) it names exactly (a kernel found in an unpacked
// image that the package database lists without files).
func (b *build) absorbFingerprints() {
	byCPE := map[string][]*model.Component{}
	for _, c := range b.comps {
		if dbOf(c) != "" {
			for _, cpe := range c.CPEs {
				byCPE[cpe] = append(byCPE[cpe], c)
			}
		}
	}
	var kept []*model.Component
	for _, c := range b.comps {
		if into := b.absorber(c, byCPE); into != nil {
			absorb(into, c)
			continue
		}
		kept = append(kept, c)
	}
	b.comps = kept
}

// absorber is the package a fingerprint component belongs to, or nil.
func (b *build) absorber(c *model.Component, byCPE map[string][]*model.Component) *model.Component {
	if !hasKind(c, binver.Kind) || dbOf(c) != "" || len(c.Locations) == 0 {
		return nil
	}
	if p := b.owner[c.Locations[0].Layer+":"+c.Locations[0].Path]; p != nil && sameVersion(Upstream(p.Version), c.Version) {
		return p
	}
	if len(c.CPEs) == 1 && len(byCPE[c.CPEs[0]]) == 1 {
		return byCPE[c.CPEs[0]][0]
	}
	return nil
}

// assignRefs sorts the components into their stable order and gives each
// a unique Ref: its purl (or name@version), with "#2", "#3" on repeats.
func (b *build) assignRefs() {
	sort.SliceStable(b.comps, func(i, j int) bool {
		a, c := b.comps[i], b.comps[j]
		if a.Name != c.Name {
			return a.Name < c.Name
		}
		if a.Version != c.Version {
			return a.Version < c.Version
		}
		return a.PURL < c.PURL
	})
	used := map[string]int{}
	b.byPURL = map[string]string{}
	for _, c := range b.comps {
		base := c.PURL
		if base == "" {
			base = "component:" + c.Name + "@" + c.Version
		}
		used[base]++
		c.Ref = base
		if n := used[base]; n > 1 {
			c.Ref = base + "#" + strconv.Itoa(n)
		}
		if c.PURL != "" {
			if _, ok := b.byPURL[c.PURL]; !ok {
				b.byPURL[c.PURL] = c.Ref
			}
		}
	}
}

// resolveDependencies turns declared dependencies into Refs: the purls
// in Dependencies (Go modules, lock files) and the package requirements
// (by name, in the same database). Unknown ones are dropped.
func (b *build) resolveDependencies() {
	byName := map[string][]pkgKey{}
	for _, r := range b.requires {
		byName[r.From] = append(byName[r.From], pkgKey{r.DB, r.Name})
	}
	for _, c := range b.comps {
		var deps []string
		for _, d := range c.Dependencies {
			if r, ok := b.byPURL[d]; ok && r != c.Ref {
				deps = append(deps, r)
			}
		}
		if c.PURL != "" && dbOf(c) != "" {
			for _, k := range byName[c.PURL] {
				if p := b.pkgs[k]; p != nil && p != c {
					deps = append(deps, p.Ref)
				}
			}
		}
		c.Dependencies = deps
	}
}

func dedupe(comps []model.Component) []*model.Component {
	idx := map[string]*model.Component{}
	var out []*model.Component
	for i := range comps {
		c := comps[i]
		k := c.Name + "\x00" + c.Version + "\x00" + c.PURL
		if p, ok := idx[k]; ok {
			absorb(p, &c)
			continue
		}
		cp := c
		cp.Locations = append([]model.Location(nil), c.Locations...)
		cp.Evidence = append([]model.Evidence(nil), c.Evidence...)
		cp.CPEs = append([]string(nil), c.CPEs...)
		cp.Dependencies = append([]string(nil), c.Dependencies...)
		idx[k] = &cp
		out = append(out, &cp)
	}
	return out
}

// absorb adds o's locations, evidence, CPEs and dependencies to c.
func absorb(c, o *model.Component) {
	for _, l := range o.Locations {
		if !containsLoc(c.Locations, l) {
			c.Locations = append(c.Locations, l)
		}
	}
	for _, e := range o.Evidence {
		dup := false
		for _, x := range c.Evidence {
			if x == e {
				dup = true
				break
			}
		}
		if !dup {
			c.Evidence = append(c.Evidence, e)
		}
	}
	if len(c.CPEs) == 0 {
		c.CPEs = append(c.CPEs, o.CPEs...)
	}
	c.Dependencies = append(c.Dependencies, o.Dependencies...)
	// What a package database states wins over a fingerprint's NOASSERTION
	// and vendor.
	if c.License == nil || c.License.Expression == model.NoAssertion && o.License != nil && o.License.Expression != model.NoAssertion {
		c.License = o.License
	}
	if c.Supplier == "" {
		c.Supplier = o.Supplier
	}
}

func containsLoc(ls []model.Location, l model.Location) bool {
	for _, x := range ls {
		if x.Layer == l.Layer && x.Path == l.Path {
			return true
		}
	}
	return false
}

func uniqSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

var (
	debRepack = lazyre.New(`[+.~](dfsg|ds|really|repack)[0-9.]*.*$`)
	debSecfix = lazyre.New(`[+~]deb\d+u\d+.*$`)
)

// Upstream reduces a package version to its upstream part: no epoch, no
// Debian/OpenWrt revision, no repack suffix ("1:9.2p1-2+deb12u3" ->
// "9.2p1", "2.9.14+dfsg-1.3" -> "2.9.14").
func Upstream(v string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 && i < 4 {
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		v = v[:i]
	}
	v = debSecfix.ReplaceAllString(v, "")
	return debRepack.ReplaceAllString(v, "")
}

// sameVersion accepts a fingerprint version equal to the package's
// upstream version or a prefix of it at a dot boundary ("2.36" in "2.36.1").
func sameVersion(pkg, fp string) bool {
	return pkg == fp || strings.HasPrefix(pkg, fp+".") || strings.HasPrefix(fp, pkg+".") || strings.HasPrefix(pkg, fp+"+")
}

// readOwners reads opkg and dpkg file lists (info/<pkg>.list, dpkg's
// info/<pkg>:<arch>.list). For opkg the owned files also become the
// component's locations: firmware images have few, and they are what a
// reader of an embedded SBOM looks for.
func readOwners(t plugin.Tree, files []model.File, pkgs map[pkgKey]*model.Component, owner map[string]*model.Component) {
	for _, f := range files {
		dir, base := path.Split(f.Path)
		if !strings.HasSuffix(base, ".list") || f.Type == "symlink" || f.Type == "dir" {
			continue
		}
		var db string
		switch dir {
		case "/var/lib/dpkg/info/":
			db = "deb"
		case "/usr/lib/opkg/info/", "/var/lib/opkg/info/":
			db = "opkg"
		default:
			continue
		}
		name := strings.TrimSuffix(base, ".list")
		name, _, _ = strings.Cut(name, ":")
		c := pkgs[pkgKey{db, name}]
		if c == nil {
			continue
		}
		data, err := t.ReadFile(f.Layer, f.Path, 16<<20)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			p := strings.TrimSpace(line)
			if p == "" || p == "/." {
				continue
			}
			k := f.Layer + ":" + p
			if _, ok := owner[k]; !ok {
				owner[k] = c
			}
			if db == "opkg" {
				l := model.Location{Layer: f.Layer, Chain: t.Chain(f.Layer), Path: p}
				if !containsLoc(c.Locations, l) {
					c.Locations = append(c.Locations, l)
				}
			}
		}
	}
}

// linkNeeded reads the DT_NEEDED entries of every ELF location of the
// components that are not package entries (packages have their declared
// Depends) and adds a dependency on the component owning each library.
func linkNeeded(ctx context.Context, t plugin.Tree, files []model.File, comps []*model.Component, owner map[string]*model.Component) {
	byPath := map[string]*model.File{}
	byBase := map[string][]*model.File{}
	for i := range files {
		f := &files[i]
		byPath[f.Layer+":"+f.Path] = f
		b := f.Layer + ":" + path.Base(f.Path)
		byBase[b] = append(byBase[b], f)
	}
	at := map[string]*model.Component{}
	for _, c := range comps {
		for _, l := range c.Locations {
			if _, ok := at[l.Layer+":"+l.Path]; !ok {
				at[l.Layer+":"+l.Path] = c
			}
		}
	}
	lookup := func(k string) *model.Component {
		if c := at[k]; c != nil {
			return c
		}
		return owner[k]
	}
	seen := map[string]bool{}
	libs := map[string][]string{} // DT_NEEDED of each ELF file read, by k
	for _, c := range comps {
		if dbOf(c) != "" {
			continue
		}
		for _, l := range c.Locations {
			if ctx.Err() != nil {
				return
			}
			k := l.Layer + ":" + l.Path
			f := byPath[k]
			if f == nil || f.Type != "elf" || seen[k+"\x00"+c.Ref] {
				continue
			}
			seen[k+"\x00"+c.Ref] = true
			sos, ok := libs[k]
			if !ok {
				sos = needed(t, f)
				libs[k] = sos
			}
			for _, so := range sos {
				lib := resolveLib(byPath, byBase, f.Layer, so)
				if lib == "" {
					continue
				}
				if dep := lookup(f.Layer + ":" + lib); dep != nil && dep != c {
					c.Dependencies = append(c.Dependencies, dep.Ref)
				}
			}
		}
	}
}

func needed(t plugin.Tree, f *model.File) []string {
	const max = 256 << 20 // the bytes of a file read for its ELF headers
	var r io.ReaderAt
	if o, ok := t.(plugin.Opener); ok {
		// the ELF parser reads the headers and the dynamic section
		// only, not the whole file
		fr, err := o.OpenFile(f.Layer, f.Path)
		if err != nil {
			return nil
		}
		defer fr.Close()
		r = io.NewSectionReader(fr, 0, min(fr.Size(), max))
	} else {
		data, err := t.ReadFile(f.Layer, f.Path, max)
		if err != nil {
			return nil
		}
		r = bytes.NewReader(data)
	}
	ef, err := elf.NewFile(r)
	if err != nil {
		return nil
	}
	defer ef.Close()
	libs, _ := ef.ImportedLibraries()
	return libs
}

// libDirs are searched first, as the dynamic loader would.
var libDirs = []string{"/lib/", "/usr/lib/", "/lib32/", "/usr/lib32/", "/lib64/", "/usr/lib64/"}

// resolveLib finds the file a soname names, following symlinks within the
// layer, and returns its path.
func resolveLib(byPath map[string]*model.File, byBase map[string][]*model.File, layer, so string) string {
	var cand *model.File
	for _, f := range byBase[layer+":"+so] {
		if cand == nil || libRank(f.Path) < libRank(cand.Path) {
			cand = f
		}
	}
	if cand == nil {
		return ""
	}
	p := cand.Path
	for i := 0; i < 8; i++ {
		f := byPath[layer+":"+p]
		if f == nil || f.LinkTarget == "" || f.Type != "symlink" {
			break
		}
		tgt := f.LinkTarget
		if !strings.HasPrefix(tgt, "/") {
			tgt = path.Join(path.Dir(p), tgt)
		}
		p = path.Clean(tgt)
	}
	return p
}

func libRank(p string) int {
	for i, d := range libDirs {
		if strings.HasPrefix(p, d) {
			return i
		}
	}
	return len(libDirs)
}

// PURLType returns the purl type of a component ("deb", "golang"), or "".
func PURLType(c *model.Component) string {
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		return ""
	}
	return p.Type
}
