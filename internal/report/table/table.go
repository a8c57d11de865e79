// Package table writes the text renderings meant for a terminal: the scan
// summary, the layer tree of unpack, the file listing of ls and the
// database status. They are registered as the "table" encoder in
// internal/report.
package table

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/termsafe"
)

// Report writes the human summary: target, layer tree, inventory by type,
// components, vulnerabilities, findings, problems.
func Report(w io.Writer, rep *model.Report) error {
	p := &printer{w: w}
	for _, section := range []func(*printer, *model.Report){header, layers, fileTypes, components, vulnerabilities, hardening, findings, reportProblems} {
		section(p, rep)
	}
	return p.err
}

// hardening is the binary-hardening section (Hardening).
func hardening(p *printer, rep *model.Report) {
	if p.err == nil {
		p.err = Hardening(p.w, rep)
	}
}

func header(p *printer, rep *model.Report) {
	t := rep.Target
	size := ""
	if t.Kind == "file" {
		size = fmt.Sprintf(", %s", human(t.Size))
	}
	p.f("Target   %s (%s%s)\n", esc(t.Name), t.Kind, size)
	if t.SHA256 != "" {
		p.f("SHA-256  %s\n", t.SHA256)
	}
	var total float64
	for _, d := range rep.Durations {
		total += d.Seconds
	}
	s := rep.Summary
	p.f("Scanned  %d entries, %s in %d layers in %.2fs\n", s.Files, human(s.Bytes), s.Layers, total)
	for _, n := range rep.Notes {
		p.f("Note     %s\n", n)
	}
	if len(s.SkippedFiles) > 0 {
		var as []string
		for a, n := range s.SkippedFiles {
			as = append(as, fmt.Sprintf("%s %d", a, n))
		}
		sort.Strings(as)
		p.f("Skipped  files not fully analysed, by analyzer: %s (the report's skipped list says why)\n", strings.Join(as, ", "))
	}
}

func layers(p *printer, rep *model.Report) {
	if len(rep.Layers) <= 1 {
		return
	}
	p.f("\nLAYERS\n")
	tw := p.table()
	fmt.Fprintf(tw, "ID\tFORMAT\tOFFSET\tSIZE\tFILES\tWHERE\n")
	for _, l := range rep.Layers {
		status := ""
		if !l.Extracted {
			status = " (identified, not unpacked)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t0x%x\t%s\t%d\t%s%s\n", strings.Repeat("  ", l.Depth), l.ID, l.Format, l.Offset, human(l.Size), l.Files, esc(l.Chain), status)
	}
	tw.Flush()
}

func fileTypes(p *printer, rep *model.Report) {
	s := rep.Summary
	p.f("\nFILES BY TYPE\n")
	var types []string
	for k := range s.FileTypes {
		types = append(types, k)
	}
	sort.Slice(types, func(i, j int) bool {
		if s.FileTypes[types[i]] != s.FileTypes[types[j]] {
			return s.FileTypes[types[i]] > s.FileTypes[types[j]]
		}
		return types[i] < types[j]
	})
	tw := p.table()
	for _, k := range types {
		fmt.Fprintf(tw, "  %s\t%d\n", k, s.FileTypes[k])
	}
	tw.Flush()
	archs := map[string]int{}
	for _, f := range rep.Files {
		if f.Arch != "" {
			archs[f.Arch]++
		}
	}
	if len(archs) > 0 {
		var as []string
		for a, n := range archs {
			as = append(as, fmt.Sprintf("%s (%d)", a, n))
		}
		sort.Strings(as)
		p.f("  ELF architectures: %s\n", strings.Join(as, ", "))
	}
}

func components(p *printer, rep *model.Report) {
	if len(rep.Components) == 0 {
		return
	}
	p.f("\nCOMPONENTS (%d)\n", len(rep.Components))
	tw := p.table()
	fmt.Fprintf(tw, "NAME\tVERSION\tTYPE\tFOUND BY\n")
	for _, c := range rep.Components {
		by := ""
		if len(c.Evidence) > 0 {
			by = c.Evidence[0].Kind
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", esc(c.Name), esc(orDash(c.Version)), c.Type, by)
	}
	tw.Flush()
}

func vulnerabilities(p *printer, rep *model.Report) {
	if len(rep.Vulnerabilities) > 0 {
		p.f("\nVULNERABILITIES (%d)\n", len(rep.Vulnerabilities))
		tw := p.table()
		fmt.Fprintf(tw, "SEVERITY\tID\tCOMPONENT\tKEV\tFIXED\n")
		names := map[string]string{}
		for _, c := range rep.Components {
			names[c.Ref] = esc(strings.TrimSpace(c.Name + " " + c.Version))
		}
		for _, v := range rep.Vulnerabilities {
			kev := ""
			if v.KEV != nil {
				kev = "yes"
			}
			comp := names[v.Component]
			if comp == "" {
				comp = v.Component
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Severity, v.ID, comp, kev, strings.Join(v.Fixed, ","))
		}
		tw.Flush()
	}
	if len(rep.VersionUnknown) > 0 {
		p.f("\n%d components have no known version and were not matched against vulnerability data: %s\n", len(rep.VersionUnknown), esc(strings.Join(rep.VersionUnknown, ", ")))
	}
}

func findings(p *printer, rep *model.Report) {
	p.f("\nFINDINGS (%d)", len(rep.Findings))
	if len(rep.Findings) == 0 {
		p.f(": none\n")
		return
	}
	var parts []string
	for _, sev := range model.Severities {
		if n := rep.Summary.Findings[string(sev)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	p.f(": %s\n", strings.Join(parts, ", "))
	tw := p.table()
	fmt.Fprintf(tw, "SEVERITY\tRULE\tTITLE\tLOCATION\n")
	for _, f := range rep.Findings {
		loc := f.Location.Path
		if len(rep.Layers) > 1 {
			loc = f.Location.Layer + ":" + loc
		}
		if f.Location.Line > 0 {
			loc += fmt.Sprintf(":%d", f.Location.Line)
		}
		if c := f.Location.Commit; c != nil && len(c.ID) >= 12 {
			loc = c.ID[:12] + ":" + loc // a finding of a repository's history
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.RuleID, esc(f.Title), esc(loc))
	}
	tw.Flush()
}

// reportProblems lists the first problems; the JSON report has them all.
func reportProblems(p *printer, rep *model.Report) {
	if len(rep.Problems) == 0 {
		return
	}
	p.f("\nPROBLEMS (%d): parts that could not be fully read; the rest was analysed\n", len(rep.Problems))
	const show = 20
	for i, pr := range rep.Problems {
		if i == show {
			p.f("  ... %d more (see the JSON report)\n", len(rep.Problems)-show)
			break
		}
		p.f("  [%s] %s %s\n", pr.Kind, esc(where(pr)), esc(pr.Message))
	}
}

type printer struct {
	w   io.Writer
	err error
}

// table starts an aligned table on the printer's writer.
func (p *printer) table() *tabwriter.Writer {
	return tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
}

func (p *printer) f(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// esc makes a name from the image safe to print: control characters and
// bidirectional overrides in a file name must not rewrite the terminal.
func esc(s string) string { return termsafe.String(s) }
