package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/thingsec/thingsec/internal/model"
)

// Table writes the human summary: target, layer tree, inventory by type,
// components, findings, problems.
func Table(w io.Writer, rep *model.Report) error {
	p := &printer{w: w}
	t := rep.Target
	size := ""
	if t.Kind == "file" {
		size = fmt.Sprintf(", %s", human(t.Size))
	}
	p.f("Target   %s (%s%s)\n", t.Name, t.Kind, size)
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

	if len(rep.Layers) > 1 {
		p.f("\nLAYERS\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "ID\tFORMAT\tOFFSET\tSIZE\tFILES\tWHERE\n")
		for _, l := range rep.Layers {
			status := ""
			if !l.Extracted {
				status = " (identified, not unpacked)"
			}
			fmt.Fprintf(tw, "%s%s\t%s\t0x%x\t%s\t%d\t%s%s\n", strings.Repeat("  ", l.Depth), l.ID, l.Format, l.Offset, human(l.Size), l.Files, l.Chain, status)
		}
		tw.Flush()
	}

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
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
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

	if len(rep.Components) > 0 {
		p.f("\nCOMPONENTS (%d)\n", len(rep.Components))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "NAME\tVERSION\tTYPE\tFOUND BY\n")
		for _, c := range rep.Components {
			by := ""
			if len(c.Evidence) > 0 {
				by = c.Evidence[0].Kind
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, orDash(c.Version), c.Type, by)
		}
		tw.Flush()
	}

	if len(rep.Vulnerabilities) > 0 {
		p.f("\nVULNERABILITIES (%d)\n", len(rep.Vulnerabilities))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "SEVERITY\tID\tCOMPONENT\tKEV\tFIXED\n")
		names := map[string]string{}
		for _, c := range rep.Components {
			names[c.Ref] = strings.TrimSpace(c.Name + " " + c.Version)
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
		p.f("\n%d components have no known version and were not matched against vulnerability data: %s\n", len(rep.VersionUnknown), strings.Join(rep.VersionUnknown, ", "))
	}

	if p.err == nil {
		p.err = Hardening(w, rep)
	}

	p.f("\nFINDINGS (%d)", len(rep.Findings))
	if len(rep.Findings) == 0 {
		p.f(": none\n")
	} else {
		var parts []string
		for _, sev := range model.Severities {
			if n := s.Findings[string(sev)]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, sev))
			}
		}
		p.f(": %s\n", strings.Join(parts, ", "))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "SEVERITY\tRULE\tTITLE\tLOCATION\n")
		for _, f := range rep.Findings {
			loc := f.Location.Path
			if len(rep.Layers) > 1 {
				loc = f.Location.Layer + ":" + loc
			}
			if f.Location.Line > 0 {
				loc += fmt.Sprintf(":%d", f.Location.Line)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.RuleID, f.Title, loc)
		}
		tw.Flush()
	}

	if len(rep.Problems) > 0 {
		p.f("\nPROBLEMS (%d): parts that could not be fully read; the rest was analysed\n", len(rep.Problems))
		const show = 20
		for i, pr := range rep.Problems {
			if i == show {
				p.f("  ... %d more (see the JSON report)\n", len(rep.Problems)-show)
				break
			}
			where := pr.Layer
			if pr.Path != "" {
				where += ":" + pr.Path
			}
			p.f("  [%s] %s %s\n", pr.Kind, where, pr.Message)
		}
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
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
