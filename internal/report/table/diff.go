package table

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/thingsec/thingsec/internal/diff"
	"github.com/thingsec/thingsec/internal/termsafe"
)

// Diff writes a release-to-release delta for a terminal: the two targets,
// the counts, then every change, what is new first.
func Diff(w io.Writer, df *diff.Diff) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	e := termsafe.String
	at := func(layer, path string) string {
		if layer == "" {
			return e(path)
		}
		return e(layer) + ":" + e(path)
	}
	s := df.Summary
	p("Old\t%s\t%s\n", e(df.Old.Target.Name), df.Old.Target.SHA256)
	p("New\t%s\t%s\n", e(df.New.Target.Name), df.New.Target.SHA256)
	p("Findings\t%d new, %d fixed, %d changed, %d unchanged\n", s.FindingsNew, s.FindingsFixed, s.FindingsChanged, s.FindingsUnchanged)
	p("Vulnerabilities\t%d introduced, %d fixed\n", s.VulnerabilitiesIntroduced, s.VulnerabilitiesFixed)
	p("Hardening\t%s, %s\n", diffCount(s.HardeningRegressions, "regression"), diffCount(s.HardeningImprovements, "improvement"))
	p("Components\t%d added, %d removed, %d upgraded, %d downgraded, %d other\n", s.ComponentsAdded, s.ComponentsRemoved, s.ComponentsUpgraded, s.ComponentsDowngraded, s.ComponentsChanged)
	p("Services\t%d added, %d removed, %d changed\n", s.ServicesAdded, s.ServicesRemoved, s.ServicesChanged)
	p("Files\t%d added, %d removed, %d changed\n", s.FilesAdded, s.FilesRemoved, s.FilesChanged)
	p("Layers\t%d added, %d removed, %d changed\n", s.LayersAdded, s.LayersRemoved, s.LayersChanged)
	head := func(title string, n int) bool {
		if n == 0 {
			return false
		}
		p("\n%s (%d)\n", strings.ToUpper(title), n)
		return true
	}
	findings := func(title string, fs []diff.Finding) {
		if head(title, len(fs)) {
			for _, f := range fs {
				p("  %s\t%s\t%s\t%s\n", f.Severity, e(f.RuleID), at(f.LayerKey, f.Location.Path), e(f.Title))
			}
		}
	}
	vulns := func(title string, vs []diff.VulnRef) {
		if head(title, len(vs)) {
			for _, v := range vs {
				p("  %s\t%s\t%s %s\t%s\n", v.Severity, e(v.ID), e(v.ComponentName), e(v.ComponentVersion), e(v.Cause))
			}
		}
	}
	hardening := func(title string, cs []diff.HardeningChange, what func(diff.HardeningChange) []string) {
		if head(title, len(cs)) {
			for _, c := range cs {
				p("  %s\t%s\t%s -> %s\n", at(c.Layer, c.Path), strings.Join(what(c), ", "), c.Old, c.New)
			}
		}
	}
	findings("New findings", df.Findings.New)
	vulns("Vulnerabilities introduced", df.Vulnerabilities.Introduced)
	hardening("Hardening regressions", df.Hardening.Regressions, func(c diff.HardeningChange) []string { return c.Lost })
	findings("Fixed findings", df.Findings.Fixed)
	vulns("Vulnerabilities fixed", df.Vulnerabilities.Fixed)
	hardening("Hardening improvements", df.Hardening.Improvements, func(c diff.HardeningChange) []string { return c.Gained })
	if head("Changed findings", len(df.Findings.Changed)) {
		for _, c := range df.Findings.Changed {
			p("  %s\t%s\t%s\t%s: %s -> %s\n", c.New.Severity, e(c.New.RuleID), e(c.New.Location.Path), strings.Join(c.Changes, ", "), e(c.Old.Evidence), e(c.New.Evidence))
		}
	}
	c := &df.Components
	if head("Components", len(c.Added)+len(c.Removed)+len(c.Upgraded)+len(c.Downgraded)+len(c.Changed)) {
		for _, x := range c.Upgraded {
			p("  upgraded\t%s\t%s -> %s\n", e(x.Name), e(x.OldVersion), e(x.NewVersion))
		}
		for _, x := range c.Downgraded {
			p("  downgraded\t%s\t%s -> %s\n", e(x.Name), e(x.OldVersion), e(x.NewVersion))
		}
		for _, x := range c.Changed {
			p("  changed\t%s\t%s -> %s\n", e(x.Name), e(x.OldVersion), e(x.NewVersion))
		}
		for _, x := range c.Added {
			p("  added\t%s\t%s\n", e(x.Name), e(x.Version))
		}
		for _, x := range c.Removed {
			p("  removed\t%s\t%s\n", e(x.Name), e(x.Version))
		}
	}
	sv := &df.Services
	if head("Services", len(sv.Added)+len(sv.Removed)+len(sv.Changed)) {
		for _, x := range sv.Added {
			p("  added\t%s\t%s %d\t%s\n", e(x.Name), e(x.Protocol), x.Port, e(x.Binary))
		}
		for _, x := range sv.Removed {
			p("  removed\t%s\t%s %d\t%s\n", e(x.Name), e(x.Protocol), x.Port, e(x.Binary))
		}
		for _, x := range sv.Changed {
			p("  changed\t%s\t%s\t%s\n", e(x.New.Name), strings.Join(x.Changes, ", "), e(x.New.Binary))
		}
	}
	f := &df.Files
	if head("Files", len(f.Added)+len(f.Removed)+len(f.Changed)) {
		for _, x := range f.Changed {
			p("  %s\t%s\n", strings.Join(x.Changes, ", "), at(x.Layer, x.Path))
		}
		for _, x := range f.Added {
			p("  added\t%s\n", at(x.Layer, x.Path))
		}
		for _, x := range f.Removed {
			p("  removed\t%s\n", at(x.Layer, x.Path))
		}
	}
	l := &df.Layers
	if head("Layers", len(l.Added)+len(l.Removed)+len(l.Changed)) {
		for _, x := range l.Changed {
			p("  changed\t%s\t%d added, %d removed, %d changed files\n", e(x.Key), x.FilesAdded, x.FilesRemoved, x.FilesChanged)
		}
		for _, x := range l.Added {
			p("  added\t%s\t%s, %d files\n", e(x.Key), e(x.Format), x.Files)
		}
		for _, x := range l.Removed {
			p("  removed\t%s\t%s, %d files\n", e(x.Key), e(x.Format), x.Files)
		}
	}
	return tw.Flush()
}

// diffCount is "1 regression" or "2 regressions".
func diffCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
