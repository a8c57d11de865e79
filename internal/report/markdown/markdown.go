// Package markdown writes a report as GitHub-flavoured Markdown for a
// merge-request comment or $GITHUB_STEP_SUMMARY: a summary table, then the
// findings by severity, the vulnerabilities, the components and the
// problems, each in a collapsible <details> section. The whole text stays
// within MaxChars (the size of a GitHub comment, with room to spare); rows
// that do not fit are left out and a notice says how many.
package markdown

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/thingsec/thingsec/internal/model"
)

// MaxChars bounds the output, in characters.
const MaxChars = 65000

// Encode writes rep as Markdown of at most MaxChars characters.
func Encode(w io.Writer, rep *model.Report) error {
	return encode(w, rep, MaxChars)
}

func encode(w io.Writer, rep *model.Report, limit int) error {
	d := &doc{limit: limit}
	d.summary(rep)
	d.findings(rep)
	d.vulnerabilities(rep)
	d.components(rep)
	d.problems(rep)
	d.finish()
	_, err := io.WriteString(w, d.b.String())
	return err
}

// reserve is the room kept free for closing an open section and for the
// truncation notice, so that both always fit.
const reserve = 400

// doc accumulates the output and enforces the limit: once a row does not
// fit, it and every later row are counted instead of written.
type doc struct {
	b       strings.Builder
	n       int // characters written
	limit   int
	omitted int // rows left out
}

func (d *doc) add(s string) {
	d.b.WriteString(s)
	d.n += utf8.RuneCountInString(s)
}

// fits says whether s can be written with room left for the closing.
func (d *doc) fits(s string) bool {
	return d.omitted == 0 && d.n+utf8.RuneCountInString(s)+reserve <= d.limit
}

// row writes one table row, or counts it as omitted when it does not fit.
func (d *doc) row(cells ...string) {
	s := "| " + strings.Join(cells, " | ") + " |\n"
	if !d.fits(s) {
		d.omitted++
		return
	}
	d.add(s)
}

// section opens a collapsible section with a table header; it returns
// false (and opens nothing) when not even the header fits.
func (d *doc) section(summary string, rows int, header ...string) bool {
	s := "<details><summary>" + summary + "</summary>\n\n" +
		"| " + strings.Join(header, " | ") + " |\n" +
		"|" + strings.Repeat("---|", len(header)) + "\n"
	if !d.fits(s) {
		d.omitted += rows
		return false
	}
	d.add(s)
	return true
}

func (d *doc) end() { d.add("\n</details>\n\n") }

func (d *doc) finish() {
	if d.omitted > 0 {
		d.add(fmt.Sprintf("> [!NOTE]\n> Output truncated to %d characters: %d more rows are in the JSON report (`--format json`).\n", d.limit, d.omitted))
	}
}

func (d *doc) summary(rep *model.Report) {
	t := rep.Target
	s := rep.Summary
	d.add("## thingsec: " + esc(t.Name) + "\n\n")
	d.add("| | |\n|---|---|\n")
	target := esc(t.Kind)
	if t.Kind == "file" {
		target += ", " + strconv.FormatInt(t.Size, 10) + " bytes"
	}
	d.add("| Target | " + esc(t.Name) + " (" + target + ") |\n")
	if t.SHA256 != "" {
		d.add("| SHA-256 | `" + t.SHA256 + "` |\n")
	}
	d.add(fmt.Sprintf("| Layers | %d |\n| Files | %d |\n| Components | %d |\n", s.Layers, s.Files, s.Components))
	d.add(fmt.Sprintf("| Vulnerabilities | %s |\n", counts(len(rep.Vulnerabilities), vulnCounts(rep))))
	d.add(fmt.Sprintf("| Findings | %s |\n", counts(len(rep.Findings), s.Findings)))
	d.add(fmt.Sprintf("| Problems | %d |\n", len(rep.Problems)))
	d.add(fmt.Sprintf("| Tool | thingsec %s, report schema %s |\n\n", esc(rep.Tool.Version), esc(rep.SchemaVersion)))
	for _, n := range rep.Notes {
		if s := "> " + esc(n) + "\n\n"; d.fits(s) {
			d.add(s)
		}
	}
}

// counts is "3: 1 critical, 2 high", or "0".
func counts(total int, by map[string]int) string {
	var parts []string
	for _, sev := range model.Severities {
		if n := by[string(sev)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	if len(parts) == 0 {
		return strconv.Itoa(total)
	}
	return strconv.Itoa(total) + ": " + strings.Join(parts, ", ")
}

func vulnCounts(rep *model.Report) map[string]int {
	by := map[string]int{}
	for _, v := range rep.Vulnerabilities {
		by[string(v.Severity)]++
	}
	return by
}

// findings writes one section per severity, most severe first; critical
// and high open by default.
func (d *doc) findings(rep *model.Report) {
	for _, sev := range model.Severities {
		var fs []*model.Finding
		for i := range rep.Findings {
			if rep.Findings[i].Severity == sev {
				fs = append(fs, &rep.Findings[i])
			}
		}
		if len(fs) == 0 {
			continue
		}
		title := fmt.Sprintf("<b>Findings: %s (%d)</b>", sev, len(fs))
		if !d.section(title, len(fs), "Rule", "Title", "Location", "Evidence") {
			continue
		}
		for _, f := range fs {
			d.row(esc(f.RuleID), esc(f.Title), esc(location(rep, f.Location)), code(f.Evidence))
		}
		d.end()
	}
}

func location(rep *model.Report, l model.Location) string {
	s := l.Path
	if len(rep.Layers) > 1 && l.Layer != "" {
		s = l.Layer + ":" + s
	}
	if l.Line > 0 {
		s += ":" + strconv.Itoa(l.Line)
	} else if l.Offset > 0 {
		s += fmt.Sprintf("@0x%x", l.Offset)
	}
	if l.Commit != nil && len(l.Commit.ID) >= 12 {
		s = l.Commit.ID[:12] + ":" + s // a finding of a repository's history
	}
	return s
}

func (d *doc) vulnerabilities(rep *model.Report) {
	if len(rep.Vulnerabilities) == 0 {
		return
	}
	names := map[string]string{}
	for _, c := range rep.Components {
		names[c.Ref] = strings.TrimSpace(c.Name + " " + c.Version)
	}
	title := fmt.Sprintf("<b>Vulnerabilities (%s)</b>", counts(len(rep.Vulnerabilities), vulnCounts(rep)))
	if !d.section(title, len(rep.Vulnerabilities), "Severity", "ID", "Component", "CVSS", "KEV", "EPSS", "Fixed in") {
		return
	}
	for _, v := range rep.Vulnerabilities {
		comp := names[v.Component]
		if comp == "" {
			comp = v.Component
		}
		score := ""
		if len(v.CVSS) > 0 {
			score = strconv.FormatFloat(v.CVSS[0].Score, 'f', 1, 64)
		}
		kev := ""
		if v.KEV != nil {
			kev = "yes"
		}
		epss := ""
		if v.EPSS != nil {
			epss = strconv.FormatFloat(v.EPSS.Score, 'f', 3, 64)
		}
		sev := string(v.Severity)
		if v.Priority != nil && v.Priority.Level != v.Severity {
			// the priority exposure, KEV or EPSS raised it to
			sev = string(v.Priority.Level) + " (CVSS " + sev + ")"
		}
		d.row(sev, esc(v.ID), esc(comp), score, kev, epss, esc(strings.Join(v.Fixed, ", ")))
	}
	d.end()
}

func (d *doc) components(rep *model.Report) {
	if len(rep.Components) == 0 {
		return
	}
	title := fmt.Sprintf("<b>Components (%d)</b>", len(rep.Components))
	if !d.section(title, len(rep.Components), "Name", "Version", "Type", "purl", "Found by") {
		return
	}
	for _, c := range rep.Components {
		by := ""
		if len(c.Evidence) > 0 {
			by = c.Evidence[0].Kind
		}
		d.row(esc(c.Name), esc(c.Version), esc(c.Type), code(c.PURL), esc(by))
	}
	d.end()
}

func (d *doc) problems(rep *model.Report) {
	if len(rep.Problems) == 0 {
		return
	}
	title := fmt.Sprintf("<b>Problems (%d)</b>: parts that could not be fully read; the rest was analysed", len(rep.Problems))
	if !d.section(title, len(rep.Problems), "Kind", "Where", "Message") {
		return
	}
	for _, p := range rep.Problems {
		where := p.Layer
		if p.Path != "" {
			where += ":" + p.Path
		}
		d.row(esc(p.Kind), esc(where), esc(p.Message))
	}
	d.end()
}

// esc makes text safe inside a table cell: no line breaks, no HTML, no
// Markdown markup and no math ("crypt ($1$)" is not a formula).
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#', '!', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// code writes s as inline code in a table cell. A code span shows its
// content literally, so only the pipe (which would end the cell) and
// line breaks are replaced; a backtick inside widens the fence.
func code(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\n", " ", "\r", " ", "|", "\\|").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
