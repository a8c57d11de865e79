package markdown

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/diff"
)

// EncodeDiff writes a release-to-release delta as Markdown of at most
// MaxChars characters, for the merge-request comment of a release: the
// counts, then what is new (findings, vulnerabilities, hardening
// regressions, open by default), what was fixed and what changed, in
// collapsible sections.
func EncodeDiff(w io.Writer, d *diff.Diff) error {
	return encodeDiff(w, d, MaxChars)
}

func encodeDiff(w io.Writer, df *diff.Diff, limit int) error {
	d := &doc{limit: limit}
	d.diffSummary(df)
	d.diffFindings("New findings", true, df.Findings.New)
	d.diffVulns("Vulnerabilities introduced", true, df.Vulnerabilities.Introduced)
	d.diffHardening("Hardening regressions", true, df.Hardening.Regressions, func(c diff.HardeningChange) []string { return c.Lost })
	d.diffFindings("Fixed findings", false, df.Findings.Fixed)
	d.diffVulns("Vulnerabilities fixed", false, df.Vulnerabilities.Fixed)
	d.diffHardening("Hardening improvements", false, df.Hardening.Improvements, func(c diff.HardeningChange) []string { return c.Gained })
	d.diffChangedFindings(df.Findings.Changed)
	d.diffComponents(&df.Components)
	d.diffServices(&df.Services)
	d.diffFiles(&df.Files)
	d.diffLayers(&df.Layers)
	d.finish()
	_, err := io.WriteString(w, d.b.String())
	return err
}

// diffSection is section, with the details open from the start when
// open is true (what is new is what a reviewer reads first).
func (d *doc) diffSection(summary string, open bool, rows int, header ...string) bool {
	if !open {
		return d.section(summary, rows, header...)
	}
	s := "<details open><summary>" + summary + "</summary>\n\n" +
		"| " + strings.Join(header, " | ") + " |\n" +
		"|" + strings.Repeat("---|", len(header)) + "\n"
	if !d.fits(s) {
		d.omitted += rows
		return false
	}
	d.add(s)
	return true
}

func (d *doc) diffSummary(df *diff.Diff) {
	o, n := df.Old.Target, df.New.Target
	s := df.Summary
	d.add("## thingsec diff: " + esc(o.Name) + " → " + esc(n.Name) + "\n\n")
	d.add("| | old | new |\n|---|---|---|\n")
	d.add("| Target | " + esc(o.Name) + " | " + esc(n.Name) + " |\n")
	if o.SHA256 != "" || n.SHA256 != "" {
		d.add("| SHA-256 | " + code(o.SHA256) + " | " + code(n.SHA256) + " |\n")
	}
	d.add("| Report | thingsec " + esc(df.Old.Tool.Version) + ", schema " + esc(df.Old.SchemaVersion) +
		" | thingsec " + esc(df.New.Tool.Version) + ", schema " + esc(df.New.SchemaVersion) + " |\n\n")
	if !slices.Equal(df.Old.Notes, df.New.Notes) {
		for i, side := range []diff.Side{df.Old, df.New} {
			for _, n := range side.Notes {
				if s := "> " + []string{"old", "new"}[i] + ": " + esc(n) + "\n\n"; d.fits(s) {
					d.add(s)
				}
			}
		}
	}
	d.add("| | new | fixed / removed | changed |\n|---|---|---|---|\n")
	d.add(fmt.Sprintf("| Findings | %s | %d | %d (%d unchanged) |\n", sevCounts(len(df.Findings.New), func(yield func(string)) {
		for _, f := range df.Findings.New {
			yield(string(f.Severity))
		}
	}), s.FindingsFixed, s.FindingsChanged, s.FindingsUnchanged))
	d.add(fmt.Sprintf("| Vulnerabilities | %s | %d | |\n", sevCounts(len(df.Vulnerabilities.Introduced), func(yield func(string)) {
		for _, v := range df.Vulnerabilities.Introduced {
			yield(string(v.Severity))
		}
	}), s.VulnerabilitiesFixed))
	d.add(fmt.Sprintf("| Hardening | %s | %s | |\n", diffCount(s.HardeningRegressions, "regression"), diffCount(s.HardeningImprovements, "improvement")))
	d.add(fmt.Sprintf("| Components | %d added | %d removed | %d upgraded, %d downgraded, %d other |\n",
		s.ComponentsAdded, s.ComponentsRemoved, s.ComponentsUpgraded, s.ComponentsDowngraded, s.ComponentsChanged))
	d.add(fmt.Sprintf("| Services | %d | %d | %d |\n", s.ServicesAdded, s.ServicesRemoved, s.ServicesChanged))
	d.add(fmt.Sprintf("| Files | %d | %d | %d |\n", s.FilesAdded, s.FilesRemoved, s.FilesChanged))
	d.add(fmt.Sprintf("| Layers | %d | %d | %d |\n\n", s.LayersAdded, s.LayersRemoved, s.LayersChanged))
}

// sevCounts is "2: 1 critical, 1 high", or "0".
func sevCounts(total int, each func(yield func(string))) string {
	by := map[string]int{}
	each(func(s string) { by[s]++ })
	return counts(total, by)
}

func where(layer, path string) string {
	if layer == "" {
		return path
	}
	return layer + ":" + path
}

func (d *doc) diffFindings(title string, open bool, fs []diff.Finding) {
	if len(fs) == 0 {
		return
	}
	if !d.diffSection(fmt.Sprintf("<b>%s (%d)</b>", title, len(fs)), open, len(fs), "Severity", "Rule", "Title", "Location", "Evidence") {
		return
	}
	for _, f := range fs {
		d.row(string(f.Severity), esc(f.RuleID), esc(f.Title), esc(where(f.LayerKey, f.Location.Path)), code(f.Evidence))
	}
	d.end()
}

func (d *doc) diffChangedFindings(cs []diff.FindingChange) {
	if len(cs) == 0 {
		return
	}
	if !d.section(fmt.Sprintf("<b>Changed findings (%d)</b>", len(cs)), len(cs), "Severity", "Rule", "Path", "Changed", "Old", "New") {
		return
	}
	for _, c := range cs {
		sev := string(c.New.Severity)
		if c.Old.Severity != c.New.Severity {
			sev = string(c.Old.Severity) + " → " + sev
		}
		old, nw := c.Old.Evidence, c.New.Evidence
		if c.Old.Title != c.New.Title && old == nw {
			old, nw = c.Old.Title, c.New.Title
		}
		d.row(sev, esc(c.New.RuleID), esc(c.New.Location.Path), esc(strings.Join(c.Changes, ", ")), code(old), code(nw))
	}
	d.end()
}

func (d *doc) diffVulns(title string, open bool, vs []diff.VulnRef) {
	if len(vs) == 0 {
		return
	}
	if !d.diffSection(fmt.Sprintf("<b>%s (%d)</b>", title, len(vs)), open, len(vs), "Severity", "ID", "Component", "KEV", "Fixed in", "Cause") {
		return
	}
	for _, v := range vs {
		kev := ""
		if v.KEV {
			kev = "yes"
		}
		d.row(string(v.Severity), esc(v.ID), esc(strings.TrimSpace(v.ComponentName+" "+v.ComponentVersion)), kev, esc(strings.Join(v.Fixed, ", ")), esc(v.Cause))
	}
	d.end()
}

func (d *doc) diffHardening(title string, open bool, cs []diff.HardeningChange, what func(diff.HardeningChange) []string) {
	if len(cs) == 0 {
		return
	}
	if !d.diffSection(fmt.Sprintf("<b>%s (%d)</b>", title, len(cs)), open, len(cs), "Binary", "Mitigations", "Old", "New") {
		return
	}
	for _, c := range cs {
		d.row(esc(where(c.Layer, c.Path)), esc(strings.Join(what(c), ", ")), esc(c.Old), esc(c.New))
	}
	d.end()
}

func (d *doc) diffComponents(c *diff.Components) {
	n := len(c.Added) + len(c.Removed) + len(c.Upgraded) + len(c.Downgraded) + len(c.Changed)
	if n == 0 {
		return
	}
	if !d.section(fmt.Sprintf("<b>Components (%s)</b>", diffCount(n, "change")), n, "Change", "Name", "Old", "New", "Type") {
		return
	}
	for _, x := range c.Upgraded {
		d.row("upgraded", esc(x.Name), esc(x.OldVersion), esc(x.NewVersion), esc(x.Type))
	}
	for _, x := range c.Downgraded {
		d.row("downgraded", esc(x.Name), esc(x.OldVersion), esc(x.NewVersion), esc(x.Type))
	}
	for _, x := range c.Changed {
		d.row("changed", esc(x.Name), esc(x.OldVersion), esc(x.NewVersion), esc(x.Type))
	}
	for _, x := range c.Added {
		d.row("added", esc(x.Name), "", esc(x.Version), esc(x.Type))
	}
	for _, x := range c.Removed {
		d.row("removed", esc(x.Name), esc(x.Version), "", esc(x.Type))
	}
	d.end()
}

func (d *doc) diffServices(s *diff.Services) {
	n := len(s.Added) + len(s.Removed) + len(s.Changed)
	if n == 0 {
		return
	}
	if !d.section(fmt.Sprintf("<b>Services (%s)</b>", diffCount(n, "change")), n, "Change", "Name", "Protocol", "Port", "Binary", "Started by") {
		return
	}
	for _, x := range s.Added {
		d.row("added", esc(x.Name), esc(x.Protocol), portOf(x.Port), esc(x.Binary), esc(x.StartedBy))
	}
	for _, x := range s.Removed {
		d.row("removed", esc(x.Name), esc(x.Protocol), portOf(x.Port), esc(x.Binary), esc(x.StartedBy))
	}
	for _, x := range s.Changed {
		d.row("changed: "+esc(strings.Join(x.Changes, ", ")), esc(x.New.Name), esc(x.New.Protocol), portOf(x.New.Port), esc(x.New.Binary), esc(x.New.StartedBy))
	}
	d.end()
}

func portOf(p int) string {
	if p == 0 {
		return ""
	}
	return fmt.Sprint(p)
}

func (d *doc) diffFiles(f *diff.Files) {
	n := len(f.Added) + len(f.Removed) + len(f.Changed)
	if n == 0 {
		return
	}
	if !d.section(fmt.Sprintf("<b>Files (%d added, %d removed, %d changed)</b>", len(f.Added), len(f.Removed), len(f.Changed)), n, "Change", "Path", "Old SHA-256", "New SHA-256") {
		return
	}
	short := func(s string) string {
		if len(s) > 16 {
			return s[:16]
		}
		return s
	}
	for _, x := range f.Changed {
		d.row(esc(strings.Join(x.Changes, ", ")), esc(where(x.Layer, x.Path)), code(short(x.OldSHA256)), code(short(x.NewSHA256)))
	}
	for _, x := range f.Added {
		d.row("added", esc(where(x.Layer, x.Path)), "", code(short(x.SHA256)))
	}
	for _, x := range f.Removed {
		d.row("removed", esc(where(x.Layer, x.Path)), code(short(x.SHA256)), "")
	}
	d.end()
}

func (d *doc) diffLayers(l *diff.Layers) {
	n := len(l.Added) + len(l.Removed) + len(l.Changed)
	if n == 0 {
		return
	}
	if !d.section(fmt.Sprintf("<b>Layers (%s)</b>", diffCount(n, "change")), n, "Change", "Layer", "Size", "Files") {
		return
	}
	for _, x := range l.Changed {
		size := fmt.Sprint(x.NewSize)
		if x.OldSize != x.NewSize {
			size = fmt.Sprintf("%d → %d", x.OldSize, x.NewSize)
		}
		files := fmt.Sprintf("%d added, %d removed, %d changed", x.FilesAdded, x.FilesRemoved, x.FilesChanged)
		change := "changed"
		if x.OldOffset != x.NewOffset {
			change = fmt.Sprintf("moved 0x%x → 0x%x", x.OldOffset, x.NewOffset)
		}
		d.row(change, esc(x.Key), size, files)
	}
	for _, x := range l.Added {
		d.row("added", esc(x.Key), fmt.Sprint(x.Size), fmt.Sprint(x.Files))
	}
	for _, x := range l.Removed {
		d.row("removed", esc(x.Key), fmt.Sprint(x.Size), fmt.Sprint(x.Files))
	}
	d.end()
}

// diffCount is "1 change" or "2 changes".
func diffCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
