package diff

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/version"
)

// Components is the delta of components, matched by identity (Identity).
type Components struct {
	Added      []ComponentRef    `json:"added"`
	Removed    []ComponentRef    `json:"removed"`
	Upgraded   []ComponentChange `json:"upgraded"`
	Downgraded []ComponentChange `json:"downgraded"`
	// Changed are versions that differ as text but that the version
	// scheme orders as equal (e.g. "1.0" and "1.0.0").
	Changed []ComponentChange `json:"changed"`
}

// ComponentRef is one component.
type ComponentRef struct {
	Identity string `json:"identity"`
	Name     string `json:"name"`
	Version  string `json:"version,omitempty"`
	Type     string `json:"type"`
	PURL     string `json:"purl,omitempty"`
}

// ComponentChange is a component on both sides with another version.
type ComponentChange struct {
	Identity   string `json:"identity"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Scheme     string `json:"scheme"`
	OldVersion string `json:"old_version"`
	NewVersion string `json:"new_version"`
	OldPURL    string `json:"old_purl,omitempty"`
	NewPURL    string `json:"new_purl,omitempty"`
}

// Identity is what stays of a component from release to release: its
// package URL without the version (type, namespace, name, qualifiers
// such as arch), or its type and name when it has no package URL.
func Identity(c *model.Component) string {
	p := purlOf(c)
	if p == "" {
		return "name:" + c.Type + "/" + c.Name
	}
	var tail string
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p, tail = p[:i], p[i:]
	}
	if i := strings.LastIndexByte(p, '@'); i > strings.LastIndexByte(p, '/') {
		p = p[:i]
	}
	return p + tail
}

// purlOf is the component's package URL: PURL, or a Ref written as one.
func purlOf(c *model.Component) string {
	for _, p := range []string{c.PURL, c.Ref} {
		if strings.HasPrefix(p, "pkg:") {
			return p
		}
	}
	return ""
}

// purlVersion is the version of a package URL (revision included), or "".
func purlVersion(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	i := strings.LastIndexByte(p, '@')
	if i < 0 || i < strings.LastIndexByte(p, '/') {
		return ""
	}
	v, err := url.PathUnescape(p[i+1:])
	if err != nil {
		return p[i+1:]
	}
	return v
}

// Scheme is the version ordering of a component, from its package URL
// type.
func Scheme(c *model.Component) version.Scheme {
	typ, _, _ := strings.Cut(strings.TrimPrefix(purlOf(c), "pkg:"), "/")
	switch strings.ToLower(typ) {
	case "deb":
		return version.Debian
	case "apk":
		return version.Alpine
	case "rpm":
		return version.RPM
	case "pypi":
		return version.PEP440
	case "golang":
		return version.Go
	case "npm", "cargo", "gem", "nuget", "composer", "hex", "pub":
		return version.Semver
	}
	return version.Generic
}

// fullVersion is the version compared: the package URL's, which keeps a
// package revision ("1.0.0-2") that Version may leave out.
func fullVersion(c *model.Component) string {
	if v := purlVersion(purlOf(c)); v != "" {
		return v
	}
	return c.Version
}

func compareComponents(old, new []model.Component) Components {
	var out Components
	id := func(c *model.Component) string { return Identity(c) }
	withVersion := func(c *model.Component) string { return Identity(c) + "\x00" + fullVersion(c) }
	ordered := func(a, b *model.Component) int { return version.Compare(Scheme(a), fullVersion(a), fullVersion(b)) }
	// Equal versions pair first, so that a package shipped in two
	// versions on both sides is no change; what is left pairs by
	// identity in version order (oldest with oldest).
	gone, added := pairUp(old, new, withVersion, withVersion, noOrder[model.Component], noOrder[model.Component], func(o, n *model.Component) {})
	gone, added = pairUp(deref(gone), deref(added), id, id, ordered, ordered, func(o, n *model.Component) {
		s := Scheme(n)
		ch := ComponentChange{Identity: id(n), Name: n.Name, Type: n.Type, Scheme: string(s),
			OldVersion: o.Version, NewVersion: n.Version, OldPURL: o.PURL, NewPURL: n.PURL}
		switch version.Compare(s, fullVersion(o), fullVersion(n)) {
		case -1:
			out.Upgraded = append(out.Upgraded, ch)
		case 1:
			out.Downgraded = append(out.Downgraded, ch)
		default:
			out.Changed = append(out.Changed, ch)
		}
	})
	ref := func(c *model.Component) ComponentRef {
		return ComponentRef{Identity: id(c), Name: c.Name, Version: c.Version, Type: c.Type, PURL: c.PURL}
	}
	for _, c := range gone {
		out.Removed = append(out.Removed, ref(c))
	}
	for _, c := range added {
		out.Added = append(out.Added, ref(c))
	}
	byRef := func(a, b ComponentRef) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Identity, b.Identity), cmp.Compare(a.Version, b.Version))
	}
	byChange := func(a, b ComponentChange) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Identity, b.Identity))
	}
	slices.SortFunc(out.Added, byRef)
	slices.SortFunc(out.Removed, byRef)
	slices.SortFunc(out.Upgraded, byChange)
	slices.SortFunc(out.Downgraded, byChange)
	slices.SortFunc(out.Changed, byChange)
	return out
}

func deref[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// Vulnerabilities is the delta of matched vulnerabilities: a
// vulnerability is the same on both sides when its id and its
// component's identity are, whatever the component's version.
type Vulnerabilities struct {
	Introduced []VulnRef `json:"introduced"`
	Fixed      []VulnRef `json:"fixed"`
}

// VulnRef is a vulnerability with the component it was matched to.
type VulnRef struct {
	ID               string         `json:"id"`
	Severity         model.Severity `json:"severity"`
	Summary          string         `json:"summary,omitempty"`
	KEV              bool           `json:"kev,omitempty"`
	Component        string         `json:"component"` // the component's identity
	ComponentName    string         `json:"component_name"`
	ComponentVersion string         `json:"component_version,omitempty"`
	Fixed            []string       `json:"fixed,omitempty"`
	// Cause says why it appears or goes: the component was added or
	// removed ("component-added", "component-removed"), changed version
	// ("component-changed"), or is the same on both sides
	// ("same-component": the vulnerability data or the matching
	// changed, not the release).
	Cause string `json:"cause"`
}

func compareVulns(old, new *model.Report) Vulnerabilities {
	var out Vulnerabilities
	comps := func(r *model.Report) map[string]*model.Component {
		m := map[string]*model.Component{}
		for i := range r.Components {
			m[r.Components[i].Ref] = &r.Components[i]
		}
		return m
	}
	co, cn := comps(old), comps(new)
	ident := func(m map[string]*model.Component, ref string) string {
		if c := m[ref]; c != nil {
			return Identity(c)
		}
		return "ref:" + ref
	}
	ref := func(m map[string]*model.Component, v *model.Vulnerability) VulnRef {
		r := VulnRef{ID: v.ID, Severity: v.Severity, Summary: v.Summary, KEV: v.KEV != nil, Component: ident(m, v.Component), Fixed: v.Fixed}
		if c := m[v.Component]; c != nil {
			r.ComponentName, r.ComponentVersion = c.Name, c.Version
		} else {
			r.ComponentName = v.Component
		}
		return r
	}
	gone, added := pairUp(old.Vulnerabilities, new.Vulnerabilities,
		func(v *model.Vulnerability) string { return v.ID + "\x00" + ident(co, v.Component) },
		func(v *model.Vulnerability) string { return v.ID + "\x00" + ident(cn, v.Component) },
		noOrder[model.Vulnerability], noOrder[model.Vulnerability], func(o, n *model.Vulnerability) {})
	versions := func(r *model.Report) map[string][]string {
		m := map[string][]string{}
		for i := range r.Components {
			c := &r.Components[i]
			m[Identity(c)] = append(m[Identity(c)], fullVersion(c))
		}
		return m
	}
	vo, vn := versions(old), versions(new)
	cause := func(m map[string]*model.Component, other map[string][]string, v *model.Vulnerability, missing string) string {
		c := m[v.Component]
		if c == nil {
			return "same-component"
		}
		vs, ok := other[Identity(c)]
		switch {
		case !ok:
			return missing
		case slices.Contains(vs, fullVersion(c)):
			return "same-component"
		}
		return "component-changed"
	}
	for _, v := range gone {
		r := ref(co, v)
		r.Cause = cause(co, vn, v, "component-removed")
		out.Fixed = append(out.Fixed, r)
	}
	for _, v := range added {
		r := ref(cn, v)
		r.Cause = cause(cn, vo, v, "component-added")
		out.Introduced = append(out.Introduced, r)
	}
	order := func(a, b VulnRef) int {
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Component, b.Component))
	}
	slices.SortFunc(out.Introduced, order)
	slices.SortFunc(out.Fixed, order)
	return out
}
