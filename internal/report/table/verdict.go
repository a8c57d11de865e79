package table

import (
	"fmt"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

func findingCounts(rep *model.Report) map[model.Severity]int {
	n := map[model.Severity]int{}
	for _, f := range rep.Findings {
		n[normSeverity(f.Severity)]++
	}
	return n
}

func vulnCounts(rep *model.Report) map[model.Severity]int {
	n := map[model.Severity]int{}
	for _, v := range rep.Vulnerabilities {
		n[normSeverity(v.Severity)]++
	}
	return n
}

// counts writes "2 critical, 5 high", worst first, each in its colour.
func (p *printer) counts(n map[model.Severity]int) string {
	var parts []string
	for _, s := range severityOrder {
		if n[s] > 0 {
			parts = append(parts, p.paint(fmt.Sprintf("%d %s", n[s], s), sevStyle(s)))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// verdict is the last line: findings and vulnerabilities counted per
// severity, the problems, and the gate's result when the command has a
// gate.
func verdict(p *printer, rep *model.Report) {
	n := findingCounts(rep)
	for s, k := range vulnCounts(rep) {
		n[s] += k
	}
	what := plural(len(rep.Findings), "finding")
	if len(rep.Components) > 0 || len(rep.Vulnerabilities) > 0 {
		// components were matched against vulnerability data
		what += ", " + plural(len(rep.Vulnerabilities), "vulnerability")
	}
	parts := []string{what}
	if len(n) > 0 {
		parts[0] = fmt.Sprintf("%s (%s)", p.counts(n), what)
	}
	if len(rep.Problems) > 0 {
		parts = append(parts, plural(len(rep.Problems), "problem"))
	}
	head := p.paint("Verdict", styleHead) + "  "
	g := p.opt.Gate
	if g == nil {
		p.raw("\n" + head + strings.Join(parts, " · ") + "\n")
		return
	}
	res, plain := p.paint("passed", stylePassed), "passed"
	if g.Failed {
		res, plain = p.paint("FAILED", styleFailed), "FAILED"
	}
	reason := ""
	if g.Reason != "" {
		reason = " (" + esc(g.Reason) + ")"
	}
	counts := strings.Join(parts, " · ")
	if textWidth("Verdict  "+stripStyles(counts)+" · gate: "+plain+reason) <= p.width() {
		p.raw("\n" + head + counts + " · gate: " + res + reason + "\n")
		return
	}
	// too wide for the terminal: the gate on lines of its own, under the
	// counts, its reason wrapped
	const indent = "         "
	p.raw("\n" + head + counts + "\n")
	lines := wrap("gate: "+plain+reason, max(p.width()-len(indent), minFlex))
	for i, l := range lines {
		if i == 0 {
			l = strings.Replace(l, plain, res, 1)
		}
		p.raw(indent + l + "\n")
	}
}

// stripStyles removes the escape sequences paint added, to measure text.
func stripStyles(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], 'm')
		if j < 0 {
			return b.String()
		}
		s = s[i+j+1:]
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "ry") || strings.HasSuffix(what, "ty") {
		// binary, entry, vulnerability
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(what, "y"))
	}
	return fmt.Sprintf("%d %ss", n, what)
}
