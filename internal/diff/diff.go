// Package diff computes the security delta between two reports of the same
// product: what a release added, removed or changed in components,
// findings, vulnerabilities, binary hardening, files, services and layers.
//
// Everything is matched by identities that survive a rebuild: findings by
// fingerprint, components by package URL without its version, files and
// binaries by the layer's position in the layer tree (formats and source
// paths, never layer ids or offsets) plus the in-filesystem path. The
// result (Diff) is a versioned JSON document (SchemaVersion).
package diff

import (
	"slices"

	"github.com/thingsec/thingsec/internal/model"
)

// SchemaVersion is the version of the diff document. A change that is
// not backwards compatible bumps the major version.
const SchemaVersion = "1.0.0"

// DocumentKind is the value of Diff.Kind, which tells a diff document
// from a scan report.
const DocumentKind = "thingsec-diff"

// Diff is the delta from Old to New.
type Diff struct {
	Kind          string     `json:"kind"`
	SchemaVersion string     `json:"schema_version"`
	Tool          model.Tool `json:"tool"`
	Old           Side       `json:"old"`
	New           Side       `json:"new"`
	Summary       Summary    `json:"summary"`

	Components      Components      `json:"components"`
	Findings        Findings        `json:"findings"`
	Vulnerabilities Vulnerabilities `json:"vulnerabilities"`
	Hardening       Hardening       `json:"hardening"`
	Files           Files           `json:"files"`
	Services        Services        `json:"services"`
	Layers          Layers          `json:"layers"`
}

// Side describes one of the two reports.
type Side struct {
	Target        model.Target `json:"target"`
	Tool          model.Tool   `json:"tool"`
	SchemaVersion string       `json:"schema_version"`
	// Notes are the report's notes (which vulnerability data it was
	// matched against, for one): when they differ, some of the delta
	// may come from how the reports were made, not from the releases.
	Notes []string `json:"notes,omitempty"`
}

// Summary counts every list of the diff.
type Summary struct {
	ComponentsAdded           int `json:"components_added"`
	ComponentsRemoved         int `json:"components_removed"`
	ComponentsUpgraded        int `json:"components_upgraded"`
	ComponentsDowngraded      int `json:"components_downgraded"`
	ComponentsChanged         int `json:"components_changed"`
	FindingsNew               int `json:"findings_new"`
	FindingsFixed             int `json:"findings_fixed"`
	FindingsChanged           int `json:"findings_changed"`
	FindingsUnchanged         int `json:"findings_unchanged"`
	VulnerabilitiesIntroduced int `json:"vulnerabilities_introduced"`
	VulnerabilitiesFixed      int `json:"vulnerabilities_fixed"`
	HardeningRegressions      int `json:"hardening_regressions"`
	HardeningImprovements     int `json:"hardening_improvements"`
	FilesAdded                int `json:"files_added"`
	FilesRemoved              int `json:"files_removed"`
	FilesChanged              int `json:"files_changed"`
	ServicesAdded             int `json:"services_added"`
	ServicesRemoved           int `json:"services_removed"`
	ServicesChanged           int `json:"services_changed"`
	LayersAdded               int `json:"layers_added"`
	LayersRemoved             int `json:"layers_removed"`
	LayersChanged             int `json:"layers_changed"`
}

// Compare computes the delta from old to new. Neither report is
// modified.
func Compare(old, new *model.Report) *Diff {
	ko, kn := LayerKeys(old), LayerKeys(new)
	d := &Diff{
		Kind:          DocumentKind,
		SchemaVersion: SchemaVersion,
		Old:           side(old),
		New:           side(new),
	}
	d.Components = compareComponents(old.Components, new.Components)
	d.Findings = compareFindings(old, new, ko, kn)
	d.Vulnerabilities = compareVulns(old, new)
	d.Hardening = compareHardening(old, new, ko, kn)
	d.Files = compareFiles(old, new, ko, kn)
	d.Services = compareServices(old.Services, new.Services)
	d.Layers = compareLayers(old, new, ko, kn, d.Files)
	d.Summary = summarize(d)
	emptyLists(d)
	return d
}

// emptyLists makes every nil list of d empty, so the JSON always has
// arrays where the shape says so, never null.
func emptyLists(d *Diff) {
	c := &d.Components
	c.Added, c.Removed, c.Upgraded, c.Downgraded, c.Changed = nn(c.Added), nn(c.Removed), nn(c.Upgraded), nn(c.Downgraded), nn(c.Changed)
	f := &d.Findings
	f.New, f.Fixed, f.Changed, f.Unchanged = nn(f.New), nn(f.Fixed), nn(f.Changed), nn(f.Unchanged)
	v := &d.Vulnerabilities
	v.Introduced, v.Fixed = nn(v.Introduced), nn(v.Fixed)
	h := &d.Hardening
	h.Regressions, h.Improvements = nn(h.Regressions), nn(h.Improvements)
	fs := &d.Files
	fs.Added, fs.Removed, fs.Changed = nn(fs.Added), nn(fs.Removed), nn(fs.Changed)
	sv := &d.Services
	sv.Added, sv.Removed, sv.Changed = nn(sv.Added), nn(sv.Removed), nn(sv.Changed)
	l := &d.Layers
	l.Added, l.Removed, l.Changed = nn(l.Added), nn(l.Removed), nn(l.Changed)
}

func nn[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func side(r *model.Report) Side {
	return Side{Target: r.Target, Tool: r.Tool, SchemaVersion: r.SchemaVersion, Notes: r.Notes}
}

func summarize(d *Diff) Summary {
	return Summary{
		ComponentsAdded:           len(d.Components.Added),
		ComponentsRemoved:         len(d.Components.Removed),
		ComponentsUpgraded:        len(d.Components.Upgraded),
		ComponentsDowngraded:      len(d.Components.Downgraded),
		ComponentsChanged:         len(d.Components.Changed),
		FindingsNew:               len(d.Findings.New),
		FindingsFixed:             len(d.Findings.Fixed),
		FindingsChanged:           len(d.Findings.Changed),
		FindingsUnchanged:         len(d.Findings.Unchanged),
		VulnerabilitiesIntroduced: len(d.Vulnerabilities.Introduced),
		VulnerabilitiesFixed:      len(d.Vulnerabilities.Fixed),
		HardeningRegressions:      len(d.Hardening.Regressions),
		HardeningImprovements:     len(d.Hardening.Improvements),
		FilesAdded:                len(d.Files.Added),
		FilesRemoved:              len(d.Files.Removed),
		FilesChanged:              len(d.Files.Changed),
		ServicesAdded:             len(d.Services.Added),
		ServicesRemoved:           len(d.Services.Removed),
		ServicesChanged:           len(d.Services.Changed),
		LayersAdded:               len(d.Layers.Added),
		LayersRemoved:             len(d.Layers.Removed),
		LayersChanged:             len(d.Layers.Changed),
	}
}

// pairUp matches the items of old and new that share a key. Items with
// the same key on one side (a finding repeated in two layers) are paired
// in their order after sorting by less. It calls both for every pair and
// returns the unmatched items of each side.
func pairUp[T any](old, new []T, keyOld, keyNew func(*T) string, lessOld, lessNew func(a, b *T) int, both func(o, n *T)) (gone, added []*T) {
	group := func(xs []T, key func(*T) string, less func(a, b *T) int) (map[string][]*T, []string) {
		m := map[string][]*T{}
		var keys []string
		for i := range xs {
			k := key(&xs[i])
			if _, ok := m[k]; !ok {
				keys = append(keys, k)
			}
			m[k] = append(m[k], &xs[i])
		}
		for _, v := range m {
			slices.SortStableFunc(v, less)
		}
		return m, keys
	}
	om, okeys := group(old, keyOld, lessOld)
	nm, nkeys := group(new, keyNew, lessNew)
	for _, k := range okeys {
		os, ns := om[k], nm[k]
		n := min(len(os), len(ns))
		for i := 0; i < n; i++ {
			both(os[i], ns[i])
		}
		gone = append(gone, os[n:]...)
	}
	for _, k := range nkeys {
		os, ns := om[k], nm[k]
		added = append(added, ns[min(len(os), len(ns)):]...)
	}
	return gone, added
}

func noOrder[T any](a, b *T) int { return 0 }
