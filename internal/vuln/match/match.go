// Package match finds the known vulnerabilities of a scan's components:
// purl components against OSV advisories by ecosystem and name, CPE
// components against NVD configurations (AND/OR nodes, platform criteria,
// version bounds). A component without a version is never matched; it is
// returned as "version unknown" instead.
package match

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/cpe"
	"github.com/thingsec/thingsec/internal/vuln/db"
	"github.com/thingsec/thingsec/internal/vuln/version"
)

// Matcher matches components against one database.
type Matcher struct {
	db *db.DB
}

// New makes a matcher reading d.
func New(d *db.DB) *Matcher { return &Matcher{db: d} }

// hit is one raw match before enrichment.
type hit struct {
	comp   int
	id     string
	source string
	match  model.Match
	fixed  []string
	scheme version.Scheme // orders fixed
}

// compCPE is a component's CPE with the version the matcher compares.
type compCPE struct {
	comp    int
	name    cpe.Name
	version string // concrete version, with a concrete update appended
	bare    string // the version field alone
}

// Match returns the vulnerabilities of comps (sorted by component and ID)
// and the refs of components that could not be matched because their
// version is unknown.
func (m *Matcher) Match(ctx context.Context, comps []model.Component) ([]model.Vulnerability, []string, error) {
	var hits []hit
	var unknown []string
	byProduct := map[[2]string][]compCPE{}
	var products [][2]string
	for i, c := range comps {
		var cpes []compCPE
		for _, s := range c.CPEs {
			n, err := cpe.Parse(s)
			if err != nil {
				continue
			}
			// NA ("-": versions do not apply, as for hardware) is known;
			// ANY falls back to the component's version.
			v := n[cpe.Version]
			if v == cpe.Any {
				v = strings.ToLower(strings.TrimSpace(c.Version))
			}
			if v == "" || v == cpe.Any {
				continue
			}
			cc := compCPE{comp: i, name: n, version: v, bare: v}
			if u := n[cpe.Update]; u != cpe.Any && u != cpe.NA {
				cc.version = v + u
			}
			cpes = append(cpes, cc)
		}
		p, perr := parsePURL(c.PURL)
		hasPURL := c.PURL != "" && perr == nil
		if hasPURL && p.Version == "" {
			p.Version = c.Version
		}
		if len(cpes) == 0 && (!hasPURL || p.Version == "") {
			if len(c.CPEs) > 0 || c.PURL != "" || c.Version == "" {
				unknown = append(unknown, c.Ref)
			}
			continue
		}
		for _, cc := range cpes {
			k := [2]string{cc.name[cpe.Vendor], cc.name[cpe.Product]}
			if _, ok := byProduct[k]; !ok {
				products = append(products, k)
			}
			byProduct[k] = append(byProduct[k], cc)
		}
		if hasPURL && p.Version != "" {
			h, err := m.matchPURL(ctx, i, p, model.PURLBase(c.PURL))
			if err != nil {
				return nil, nil, err
			}
			hits = append(hits, h...)
		}
	}
	seen := map[int64]bool{}
	for _, k := range products {
		rows, err := m.db.ConfigsFor(ctx, k[0], k[1], seen)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			seen[r.ID] = true
			hits = append(hits, evalConfig(r, byProduct)...)
		}
	}
	vulns, err := m.enrich(ctx, comps, hits)
	return vulns, unknown, err
}

// matchPURL matches one purl component (base: its purl without version)
// against OSV affected entries.
func (m *Matcher) matchPURL(ctx context.Context, comp int, p purl, base string) ([]hit, error) {
	eco, name, release, ok := osvPackage(p)
	if !ok {
		return nil, nil
	}
	ver := p.Version
	if eco == "go" && name == "stdlib" || eco == "go" && strings.HasPrefix(ver, "go") {
		ver = strings.TrimPrefix(ver, "go")
	}
	rows, err := m.db.AffectedBy(ctx, eco, name)
	if err != nil {
		return nil, err
	}
	var out []hit
	for _, r := range rows {
		a := r.Affected
		if release != "" && strings.Contains(a.Ecosystem, ":") && !strings.EqualFold(a.Ecosystem, release) {
			continue
		}
		if constraint, ok := affects(a, ver); ok {
			out = append(out, hit{comp: comp, id: r.VulnID, source: db.SourceOSV,
				match:  model.Match{Method: "purl", Criterion: base, Ecosystem: a.Ecosystem, Constraint: constraint},
				fixed:  osvFixes(a, ver),
				scheme: version.ForEcosystem(a.Ecosystem)})
		}
	}
	return out, nil
}

// rangeScheme is the version order of an OSV range of an entry in
// ecosystem scheme s; false for ranges of commits (GIT).
func rangeScheme(s version.Scheme, typ string) (version.Scheme, bool) {
	switch typ {
	case "SEMVER":
		if s != version.Go {
			s = version.Semver
		}
		return s, true
	case "ECOSYSTEM":
		return s, true
	}
	return "", false
}

// affects evaluates an OSV affected entry for version v: listed versions,
// then SEMVER and ECOSYSTEM ranges (GIT ranges need commits, not
// versions). The constraint is the listed version ("=1.2.3") or the range
// v is in ("<0.3.7", ">=1.20.0-0, <1.20.1").
func affects(a db.Affected, v string) (constraint string, ok bool) {
	scheme := version.ForEcosystem(a.Ecosystem)
	for _, lv := range a.Versions {
		if version.Compare(scheme, v, lv) == 0 {
			return "=" + lv, true
		}
	}
	for _, r := range a.Ranges {
		s, ok := rangeScheme(scheme, r.Type)
		if !ok {
			continue
		}
		if desc, in := inRange(s, r.Events, v); in {
			return desc, true
		}
	}
	return "", false
}

// osvFixes lists the fixed events of an entry's version ranges that are
// above v and not affected themselves, lowest first: the versions an
// upgrade from v can go to.
func osvFixes(a db.Affected, v string) []string {
	scheme := version.ForEcosystem(a.Ecosystem)
	var fixed []string
	for _, r := range a.Ranges {
		s, ok := rangeScheme(scheme, r.Type)
		if !ok {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed == "" || slices.Contains(fixed, e.Fixed) || version.Compare(s, e.Fixed, v) <= 0 {
				continue
			}
			if _, still := affects(a, e.Fixed); !still {
				fixed = append(fixed, e.Fixed)
			}
		}
	}
	slices.SortFunc(fixed, func(x, y string) int { return version.Compare(scheme, x, y) })
	return fixed
}

// inRange applies OSV range events in version order: an introduced at or
// below v opens the range, a fixed or limit at or below v (or a
// last_affected below v) closes it.
func inRange(s version.Scheme, events []db.Event, v string) (string, bool) {
	evs := slices.Clone(events)
	key := func(e db.Event) string {
		switch {
		case e.Introduced != "":
			return e.Introduced
		case e.Fixed != "":
			return e.Fixed
		case e.LastAffected != "":
			return e.LastAffected
		}
		return e.Limit
	}
	cmp := func(a, b string) int {
		switch {
		case a == "0" && b == "0":
			return 0
		case a == "0":
			return -1
		case b == "0":
			return 1
		}
		return version.Compare(s, a, b)
	}
	slices.SortStableFunc(evs, func(a, b db.Event) int { return cmp(key(a), key(b)) })
	in := false
	var open string
	// ">=0" (introduced at the first version) bounds nothing.
	lower := func() string {
		if open == "0" {
			return ""
		}
		return ">=" + open + ", "
	}
	for _, e := range evs {
		switch {
		case e.Introduced != "":
			if cmp(v, e.Introduced) >= 0 {
				in, open = true, e.Introduced
			}
		case e.Fixed != "":
			if cmp(v, e.Fixed) >= 0 {
				in = false
			} else if in {
				return lower() + "<" + e.Fixed, true
			}
		case e.LastAffected != "":
			if cmp(v, e.LastAffected) > 0 {
				in = false
			} else if in {
				return lower() + "<=" + e.LastAffected, true
			}
		case e.Limit != "":
			if cmp(v, e.Limit) >= 0 {
				in = false
			}
		}
	}
	if in {
		if open == "0" {
			return "*", true
		}
		return ">=" + open, true
	}
	return "", false
}

// evalConfig evaluates an NVD configuration against all of the scan's CPE
// components: a node is satisfied when its criteria (OR: one, AND: all)
// match some component; the configuration when its nodes (OR: one, AND:
// all) are. Only components matched by vulnerable criteria of satisfied
// nodes are reported: a platform ("running on", vulnerable: false) never
// makes a match by itself.
func evalConfig(r db.ConfigRow, byProduct map[[2]string][]compCPE) []hit {
	cfg := r.Config
	type nodeResult struct {
		ok   bool
		hits []hit
	}
	results := make([]nodeResult, len(cfg.Nodes))
	var vulnerable []criterion // parsed at the first hit, for nvdFixes
	for i, n := range cfg.Nodes {
		and := strings.EqualFold(n.Operator, "AND")
		ok := and
		var hits []hit
		for _, cm := range n.Matches {
			crit, err := cpe.Parse(cm.Criteria)
			if err != nil {
				if and {
					ok = false
				}
				continue
			}
			matched := false
			for _, cc := range byProduct[[2]string{crit[cpe.Vendor], crit[cpe.Product]}] {
				if !criterionMatches(crit, cm, cc) {
					continue
				}
				matched = true
				if cm.Vulnerable {
					if vulnerable == nil {
						vulnerable = vulnerableCriteria(cfg)
					}
					hits = append(hits, hit{comp: cc.comp, id: r.CVE, source: db.SourceNVD,
						match:  model.Match{Method: "cpe", Criterion: cm.Criteria, Constraint: constraint(crit, cm)},
						fixed:  nvdFixes(vulnerable, crit, cc),
						scheme: version.Generic})
				}
			}
			if and && !matched {
				ok = false
			}
			if !and && matched {
				ok = true
			}
		}
		if n.Negate {
			ok = !ok
		}
		results[i] = nodeResult{ok, hits}
	}
	var out []hit
	if strings.EqualFold(cfg.Operator, "AND") {
		for _, res := range results {
			if !res.ok {
				return nil
			}
		}
		for _, res := range results {
			out = append(out, res.hits...)
		}
		for i := range out {
			out[i].match.AndConfiguration = true
		}
	} else {
		for _, res := range results {
			if res.ok {
				out = append(out, res.hits...)
			}
		}
	}
	if cfg.Negate && len(out) > 0 {
		return nil
	}
	return out
}

// criterionMatches compares a component CPE with one criterion of the
// same vendor and product.
func criterionMatches(crit cpe.Name, cm db.CPEMatch, cc compCPE) bool {
	for i := cpe.Edition; i <= cpe.Other; i++ {
		if !cpe.AttrMatches(crit[i], cc.name[i]) {
			return false
		}
	}
	cu, tu := crit[cpe.Update], cc.name[cpe.Update]
	switch {
	case cu == cpe.Any:
	case cu == cpe.NA:
		if tu != cpe.NA && tu != cpe.Any {
			return false
		}
	case tu == cpe.Any: // "2019.07-rc1" against version 2019.07, update rc1
		return crit[cpe.Version] != cpe.Any && crit[cpe.Version] != cpe.NA &&
			version.CompareGeneric(cc.bare, crit[cpe.Version]+cu) == 0
	case tu != cu:
		return false
	}
	cv := crit[cpe.Version]
	if cc.bare == cpe.NA { // a hardware platform: only ANY without bounds or NA
		return cv == cpe.NA || cv == cpe.Any && cm.StartIncl == "" && cm.StartExcl == "" && cm.EndIncl == "" && cm.EndExcl == ""
	}
	switch cv {
	case cpe.NA:
		return false // NA admits only NA
	case cpe.Any:
	default:
		return version.CompareGeneric(cc.bare, cv) == 0
	}
	v := cc.version
	if cu != cpe.Any { // the criterion's update was compared above
		v = cc.bare
	}
	if cm.StartIncl != "" && version.CompareGeneric(v, cm.StartIncl) < 0 {
		return false
	}
	if cm.StartExcl != "" && version.CompareGeneric(v, cm.StartExcl) <= 0 {
		return false
	}
	if cm.EndIncl != "" && version.CompareGeneric(v, cm.EndIncl) > 0 {
		return false
	}
	if cm.EndExcl != "" && version.CompareGeneric(v, cm.EndExcl) >= 0 {
		return false
	}
	return true
}

// constraint is the version constraint of a CPE criterion: its exact
// version ("=1.33.1", "=2022.07:rc1"), or its bounds (">=4.2, <4.4.26"),
// or "*".
func constraint(crit cpe.Name, cm db.CPEMatch) string {
	v := crit[cpe.Version]
	if u := crit[cpe.Update]; v != cpe.Any && v != cpe.NA && u != cpe.Any && u != cpe.NA {
		v += ":" + u
	}
	return model.Bounds{StartIncl: cm.StartIncl, StartExcl: cm.StartExcl, EndIncl: cm.EndIncl, EndExcl: cm.EndExcl}.Constraint(v)
}

// criterion is a CPE match criterion with its parsed CPE.
type criterion struct {
	cm   db.CPEMatch
	name cpe.Name
}

// vulnerableCriteria parses the vulnerable criteria of a configuration.
func vulnerableCriteria(cfg db.Config) []criterion {
	out := []criterion{}
	for _, nd := range cfg.Nodes {
		for _, cm := range nd.Matches {
			if !cm.Vulnerable {
				continue
			}
			if c, err := cpe.Parse(cm.Criteria); err == nil {
				out = append(out, criterion{cm, c})
			}
		}
	}
	return out
}

// nvdFixes lists the versionEndExcluding bounds of a configuration's
// vulnerable criteria for the product of crit that are above the
// component's version and that no such criterion covers, lowest first:
// the versions an upgrade can go to (another branch's fix included).
func nvdFixes(vulnerable []criterion, crit cpe.Name, cc compCPE) []string {
	product := func(c *criterion) bool {
		return c.name[cpe.Vendor] == crit[cpe.Vendor] && c.name[cpe.Product] == crit[cpe.Product]
	}
	var fixed []string
	for i := range vulnerable {
		f := vulnerable[i].cm.EndExcl
		if f == "" || !product(&vulnerable[i]) || slices.Contains(fixed, f) || version.CompareGeneric(f, cc.version) <= 0 {
			continue
		}
		at := compCPE{name: cc.name, version: f, bare: f}
		at.name[cpe.Version], at.name[cpe.Update] = f, cpe.Any
		covered := false
		for j := range vulnerable {
			if o := &vulnerable[j]; product(o) && criterionMatches(o.name, o.cm, at) {
				covered = true
				break
			}
		}
		if !covered {
			fixed = append(fixed, f)
		}
	}
	slices.SortFunc(fixed, version.CompareGeneric)
	return fixed
}

// enrich turns hits into report vulnerabilities: one per component and
// advisory (an NVD CVE that an OSV advisory of the same component lists as
// alias is folded into it), with scores, KEV and EPSS.
func (m *Matcher) enrich(ctx context.Context, comps []model.Component, hits []hit) ([]model.Vulnerability, error) {
	type key struct {
		comp   int
		id     string
		source string
	}
	merged := map[key]*hit{}
	var order []key
	for i := range hits {
		h := hits[i]
		k := key{h.comp, h.id, h.source}
		if prev, ok := merged[k]; ok { // the first match stands; fixes add up
			for _, f := range h.fixed {
				if !slices.Contains(prev.fixed, f) {
					prev.fixed = append(prev.fixed, f)
				}
			}
			slices.SortFunc(prev.fixed, func(a, b string) int { return version.Compare(prev.scheme, a, b) })
			continue
		}
		merged[k] = &h
		order = append(order, k)
	}
	idsBySource := map[string][]string{}
	for _, k := range order {
		idsBySource[k.source] = append(idsBySource[k.source], k.id)
	}
	details := map[key]db.Enriched{} // by source and ID, comp 0
	for source, ids := range idsBySource {
		got, err := m.db.VulnsEnriched(ctx, source, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			e, ok := got[id]
			if !ok {
				e.Vuln = db.Vuln{ID: id, Source: source}
			}
			details[key{0, id, source}] = e
		}
	}
	osvAliases := map[[2]string]bool{} // comp ref, CVE covered by an OSV match
	for _, k := range order {
		if k.source == db.SourceOSV {
			for _, a := range details[key{0, k.id, k.source}].Vuln.Detail.Aliases {
				osvAliases[[2]string{comps[k.comp].Ref, a}] = true
			}
		}
	}
	out := make([]model.Vulnerability, 0, len(order))
	for _, k := range order {
		if k.source == db.SourceNVD && osvAliases[[2]string{comps[k.comp].Ref, k.id}] {
			continue
		}
		h, e := merged[k], details[key{0, k.id, k.source}]
		v := e.Vuln
		c := comps[k.comp]
		mv := model.Vulnerability{
			ID: v.ID, Aliases: v.Detail.Aliases, Summary: v.Summary, URL: model.AdvisoryURL(v.ID), Severity: v.Severity,
			CVSS: v.Detail.CVSS, CWE: v.Detail.CWE, Fixed: h.fixed,
			Component: c.Ref, ComponentName: c.Name, InstalledVersion: c.Version, MatchedBy: h.match, References: v.Detail.References,
		}
		mv.Published, _ = model.ParseTime(v.Published)
		cves := cveIDs(v)
		if err := m.fillFromNVD(ctx, &mv, cves); err != nil {
			return nil, err
		}
		if e.KEV != nil {
			mv.KEV = kev(*e.KEV)
		}
		if e.EPSS != nil {
			mv.EPSS = epss(*e.EPSS)
		}
		if err := m.fillKEVEPSS(ctx, &mv, v, cves); err != nil {
			return nil, err
		}
		if mv.Severity == "" {
			mv.Severity = model.Unknown // no score in the data: see the advisory
		}
		out = append(out, mv)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Component != out[j].Component {
			return out[i].Component < out[j].Component
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func cveIDs(v db.Vuln) []string {
	var ids []string
	if strings.HasPrefix(v.ID, "CVE-") {
		ids = append(ids, v.ID)
	}
	for _, a := range v.Detail.Aliases {
		if strings.HasPrefix(a, "CVE-") && !slices.Contains(ids, a) {
			ids = append(ids, a)
		}
	}
	return ids
}

// fillFromNVD gives an OSV advisory without scores the CVSS, severity and
// CWE of the NVD record of its CVE alias.
func (m *Matcher) fillFromNVD(ctx context.Context, mv *model.Vulnerability, cves []string) error {
	if mv.Severity != "" && len(mv.CVSS) > 0 || strings.HasPrefix(mv.ID, "CVE-") {
		return nil
	}
	for _, c := range cves {
		n, ok, err := m.db.Vuln(ctx, c, db.SourceNVD)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		if mv.Severity == "" {
			mv.Severity = n.Severity
		}
		if len(mv.CVSS) == 0 {
			mv.CVSS = n.Detail.CVSS
		}
		if len(mv.CWE) == 0 {
			mv.CWE = n.Detail.CWE
		}
		return nil
	}
	return nil
}

// fillKEVEPSS looks up KEV and EPSS under an advisory's CVE aliases (its
// own ID was joined already) and falls back to NVD's copy of the KEV marks.
func (m *Matcher) fillKEVEPSS(ctx context.Context, mv *model.Vulnerability, v db.Vuln, cves []string) error {
	for _, c := range cves {
		if c == v.ID || mv.KEV != nil && mv.EPSS != nil {
			continue
		}
		if mv.KEV == nil {
			k, ok, err := m.db.KEVFor(ctx, c)
			if err != nil {
				return err
			}
			if ok {
				mv.KEV = kev(k)
			}
		}
		if mv.EPSS == nil {
			e, ok, err := m.db.EPSSFor(ctx, c)
			if err != nil {
				return err
			}
			if ok {
				mv.EPSS = epss(e)
			}
		}
	}
	if mv.KEV == nil && v.Detail.KEVAdded != "" {
		mv.KEV = kev(db.KEV{DateAdded: v.Detail.KEVAdded, DueDate: v.Detail.KEVDue})
	}
	return nil
}

// kev and epss turn stored entries into the report's, with their dates
// in RFC 3339.
func kev(k db.KEV) *model.KEV {
	out := &model.KEV{Ransomware: k.Ransomware}
	out.DateAdded, _ = model.ParseTime(k.DateAdded)
	out.DueDate, _ = model.ParseTime(k.DueDate)
	return out
}

func epss(e db.EPSS) *model.EPSS {
	out := &model.EPSS{Score: e.Score, Percentile: e.Percentile}
	out.Date, _ = model.ParseTime(e.Date)
	return out
}
