// Package table writes the text renderings meant for a person at a
// terminal: the scan summary, the layer tree of unpack, the file listing
// of ls and the database status. They are registered as the "table"
// encoder in internal/report. Every table goes through one renderer
// (grid): the same column conventions, human-readable sizes, cells fitted
// to the terminal's width, severity colour when Options.Color is set, and
// every name from the image escaped (internal/termsafe).
package table

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/termsafe"
)

// Report writes the human summary: target, layer tree, inventory by type,
// components, vulnerabilities, attack surface, binary hardening, findings,
// problems, and a one-line verdict.
func Report(w io.Writer, rep *model.Report, opt Options) error {
	p := newPrinter(w, opt)
	loc := newLocator(rep, opt.Verbose > 0)
	header(p, rep)
	layers(p, rep)
	fileTypes(p, rep)
	components(p, rep)
	vulnerabilities(p, rep)
	attackSurface(p, rep, loc)
	hardening(p, rep)
	findings(p, rep, loc)
	reportProblems(p, rep, loc)
	verdict(p, rep)
	return p.err
}

func header(p *printer, rep *model.Report) {
	t := rep.Target
	size := ""
	if t.Kind == "file" {
		size = ", " + human(t.Size)
	}
	p.labelled("Target", fmt.Sprintf("%s (%s%s)", esc(t.Name), t.Kind, size))
	if t.SHA256 != "" {
		p.labelled("SHA-256", t.SHA256)
	}
	var total float64
	for _, d := range rep.Durations {
		total += d.Seconds
	}
	s := rep.Summary
	p.labelled("Scanned", fmt.Sprintf("%s, %s in %s in %.2fs", plural(s.Files, "entry"), human(s.Bytes), plural(s.Layers, "layer"), total))
	for _, n := range rep.Notes {
		p.labelled("Note", esc(n))
	}
	if len(s.SkippedFiles) > 0 {
		var as []string
		for a, n := range s.SkippedFiles {
			as = append(as, fmt.Sprintf("%s %d", a, n))
		}
		sort.Strings(as)
		p.labelled("Skipped", fmt.Sprintf("files not fully analysed, by analyzer: %s (the report's skipped list says why)", esc(strings.Join(as, ", "))))
	}
}

func layers(p *printer, rep *model.Report) {
	if len(rep.Layers) <= 1 {
		return
	}
	p.heading("LAYERS", "")
	g := &grid{cols: []column{{head: "ID"}, {head: "FORMAT"}, {head: "OFFSET", align: alignRight}, {head: "SIZE", align: alignRight}, {head: "FILES", align: alignRight}, {head: "WHERE", flex: true, cut: cutStart}}}
	for _, l := range rep.Layers {
		where := l.Chain
		if !l.Extracted {
			where += " (identified, not unpacked)"
		}
		g.add(c(strings.Repeat("  ", l.Depth)+l.ID), c(l.Format), c(fmt.Sprintf("0x%x", l.Offset)), c(human(l.Size)), c(fmt.Sprint(l.Files)), c(where))
	}
	g.render(p)
}

func fileTypes(p *printer, rep *model.Report) {
	s := rep.Summary
	p.heading("FILES BY TYPE", "")
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
	g := &grid{indent: 2, cols: []column{{}, {align: alignRight}}}
	for _, k := range types {
		g.add(c(k), c(fmt.Sprint(s.FileTypes[k])))
	}
	g.render(p)
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
		p.f("  ELF architectures: %s\n", esc(strings.Join(as, ", ")))
	}
}

func components(p *printer, rep *model.Report) {
	if len(rep.Components) == 0 {
		return
	}
	p.heading("COMPONENTS", fmt.Sprintf(" (%d)", len(rep.Components)))
	worst := map[string]model.Vulnerability{}
	count := map[string]int{}
	for _, v := range sortedVulns(rep.Vulnerabilities) {
		if count[v.Component] == 0 {
			worst[v.Component] = v
		}
		count[v.Component]++
	}
	g := &grid{cols: []column{{head: "NAME", flex: true}, {head: "VERSION", flex: true}, {head: "TYPE"}, {head: "FOUND BY"}, {head: "EXPOSURE", omitEmpty: true}, {head: "VULNERABILITIES", omitEmpty: true}}}
	for _, x := range rep.Components {
		by := ""
		if len(x.Evidence) > 0 {
			by = x.Evidence[0].Kind
		}
		vulns := c("")
		if n := count[x.Ref]; n > 0 {
			s := vulnPriority(worst[x.Ref])
			vulns = styled(fmt.Sprintf("%d (worst %s)", n, normSeverity(s)), sevStyle(s))
		}
		exp := ""
		if x.Exposure != nil {
			exp = x.Exposure.Level
		}
		g.add(c(x.Name), c(orDash(x.Version)), c(x.Type), c(by), c(exp), vulns)
		if p.opt.Verbose > 0 && x.Exposure != nil && x.Exposure.Level != "local" {
			g.addLine(1, styled(x.Exposure.Level+": "+x.Exposure.Reason, styleDim))
		}
	}
	g.render(p)
}

func vulnerabilities(p *printer, rep *model.Report) {
	if len(rep.Vulnerabilities) > 0 {
		p.heading("VULNERABILITIES", fmt.Sprintf(" (%d): %s", len(rep.Vulnerabilities), p.counts(vulnCounts(rep))))
		names := map[string]string{}
		for _, x := range rep.Components {
			names[x.Ref] = strings.TrimSpace(x.Name + " " + x.Version)
		}
		reach := reachable(rep)
		g := &grid{indent: 2, cols: []column{{head: "ID"}, {head: "COMPONENT", flex: true}, {head: "SEVERITY", omitEmpty: true}, {head: "CVSS", align: alignRight}, {head: "KEV", omitEmpty: true}, {head: "EPSS", align: alignRight, omitEmpty: true}, {head: "FIXED IN", flex: true, omitEmpty: true}}}
		if hasVulnPriority(rep) {
			p.raw("  " + p.paint("grouped by priority (CVSS severity raised by exposure, CISA KEV and EPSS; the README's Priority section has the rules)", styleDim) + "\n")
		}
		group := model.Severity("")
		for _, v := range sortedVulns(rep.Vulnerabilities) {
			group = groupLine(g, group, vulnPriority(v), rep.Vulnerabilities, vulnPriority)
			comp := names[v.Component]
			if comp == "" {
				comp = v.Component
			}
			score := "-"
			if s := cvss(v); s >= 0 {
				score = fmt.Sprintf("%.1f", s)
			}
			kev := ""
			if v.KEV != nil {
				kev = "yes"
				if v.KEV.Ransomware == "Known" {
					kev = "yes, ransomware"
				}
			}
			ep := ""
			if v.EPSS != nil {
				ep = fmt.Sprintf("%.1f%%", 100*v.EPSS.Score)
			}
			sev := ""
			if v.Priority != nil {
				sev = string(normSeverity(v.Severity))
			}
			g.add(styled(v.ID, sevStyle(vulnPriority(v))), c(comp), styled(sev, sevStyle(v.Severity)), c(score), styled(kev, styleFailed), c(ep), c(strings.Join(v.Fixed, ", ")))
			if r := reach[v.Component]; r != "" {
				g.addLine(1, styled("reachable: "+r, styleDim))
			}
			if p.opt.Verbose > 0 && v.Summary != "" {
				g.addLine(1, styled(v.Summary, styleDim))
			}
		}
		g.render(p)
	}
	if len(rep.VersionUnknown) > 0 {
		p.raw("\n")
		p.labelled("Unmatched", fmt.Sprintf("%d components have no known version and were not matched against vulnerability data: %s", len(rep.VersionUnknown), esc(strings.Join(rep.VersionUnknown, ", "))))
	}
}

// groupLine adds the heading of a severity group to g when sev starts a
// new group, and returns the group now open.
func groupLine[T any](g *grid, open, sev model.Severity, all []T, sevOf func(T) model.Severity) model.Severity {
	sev = normSeverity(sev)
	if sev == open {
		return open
	}
	n := 0
	for _, x := range all {
		if normSeverity(sevOf(x)) == sev {
			n++
		}
	}
	g.addLine(0, styled(fmt.Sprintf("%s (%d)", strings.ToUpper(string(sev)), n), sevStyle(sev)))
	return sev
}

// attackSurface lists what the device exposes: the services the analyzers
// found, the binaries that accept network input and the set-user-ID ones.
func attackSurface(p *printer, rep *model.Report, loc *locator) {
	var listens, setuid []string
	for _, b := range rep.Binaries {
		if b.Listens {
			listens = append(listens, b.Path)
		}
		if b.Setuid {
			setuid = append(setuid, b.Path)
		}
	}
	if len(rep.Services)+len(listens)+len(setuid) == 0 {
		return
	}
	var counts []string
	for _, n := range []struct {
		n    int
		what string
	}{{len(rep.Services), "service"}, {len(listens), "network-facing binary"}, {len(setuid), "set-user-ID binary"}} {
		if n.n > 0 {
			counts = append(counts, plural(n.n, n.what))
		}
	}
	p.heading("ATTACK SURFACE", " ("+strings.Join(counts, ", ")+")")
	if len(rep.Services) > 0 {
		g := &grid{indent: 2, cols: []column{{head: "SERVICE"}, {head: "LISTEN", flex: true}, {head: "AUTH"}, {head: "TLS"}, {head: "USER"}, {head: "BINARY", flex: true, cut: cutStart}, {head: "STARTED BY"}, {head: "LOCATION", flex: true, cut: cutStart}}}
		for _, s := range rep.Services {
			g.add(c(s.Name), c(listenText(s)), c(orDash(s.Auth)), c(orDash(s.TLS)), c(orDash(s.User)), c(orDash(s.Binary)), c(orDash(s.StartedBy)), c(loc.loc(s.Location)))
		}
		g.render(p)
	}
	for _, l := range []struct {
		what  string
		paths []string
	}{{"network-facing", listens}, {"set-user-ID", setuid}} {
		if len(l.paths) > 0 {
			p.raw("  " + l.what + ": " + esc(p.list(l.paths)) + "\n")
		}
	}
}

// listenText is where a service can be reached: its listeners
// (proto/address:port, at most three), its console, or "-".
func listenText(s model.Service) string {
	if s.Console != "" {
		return "console " + s.Console
	}
	ls := s.Listen
	if len(ls) == 0 && s.Port > 0 {
		ls = []model.Listen{{Protocol: s.Protocol, Port: s.Port}}
	}
	if len(ls) == 0 {
		return "-"
	}
	var parts []string
	for i, l := range ls {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(ls)-3))
			break
		}
		a := l.Address
		switch {
		case l.Protocol == "unix":
			parts = append(parts, "unix:"+a)
			continue
		case a == "":
			a = "*"
		case strings.Contains(a, ":"):
			a = "[" + a + "]"
		}
		if l.Port > 0 {
			a += ":" + fmt.Sprint(l.Port)
		}
		parts = append(parts, l.Protocol+"/"+a)
	}
	return strings.Join(parts, " ")
}

// list joins paths, at most 10 of them unless verbose.
func (p *printer) list(paths []string) string {
	paths = append([]string(nil), paths...)
	sort.Strings(paths)
	const shown = 10
	if p.opt.Verbose == 0 && len(paths) > shown {
		return strings.Join(paths[:shown], ", ") + fmt.Sprintf(", ... %d more (-v lists them)", len(paths)-shown)
	}
	return strings.Join(paths, ", ")
}

// hardening is the binary-hardening section (Hardening).
func hardening(p *printer, rep *model.Report) {
	if p.err == nil {
		hardeningSection(p, rep)
	}
}

func findings(p *printer, rep *model.Report, loc *locator) {
	if len(rep.Findings) == 0 {
		p.heading("FINDINGS", ": none")
		return
	}
	p.heading("FINDINGS", fmt.Sprintf(" (%d): %s", len(rep.Findings), p.counts(findingCounts(rep))))
	evidence := "evidence under each finding, secrets redacted (--show-secrets shows them)"
	if p.opt.ShowSecrets {
		evidence = "evidence under each finding, secrets shown (--show-secrets)"
	}
	for _, part := range wrap(evidence, max(p.width()-2, minFlex)) {
		p.raw("  " + p.paint(part, styleDim) + "\n")
	}
	g := &grid{indent: 2, cols: []column{{head: "RULE"}, {head: "TITLE", flex: true, wrap: true}, {head: "LOCATION", flex: true, cut: cutStart}}}
	group := model.Severity("")
	for _, f := range sortedFindings(rep.Findings) {
		group = groupLine(g, group, findingPriority(f), rep.Findings, findingPriority)
		g.add(styled(f.RuleID, sevStyle(findingPriority(f))), c(f.Title), c(loc.loc(f.Location)))
		if f.Evidence != "" {
			g.addLine(1, styled(f.Evidence, styleDim))
		}
		if f.Priority != nil && len(f.Priority.Reasons) > 1 {
			g.addLine(1, styled("priority "+string(f.Priority.Level)+" (severity "+string(f.Severity)+"): "+strings.Join(f.Priority.Reasons[1:], "; "), styleDim))
		}
	}
	g.render(p)
}

// reportProblems lists the first problems (all of them with -v); the JSON
// report has them all.
func reportProblems(p *printer, rep *model.Report, loc *locator) {
	if len(rep.Problems) == 0 {
		return
	}
	p.heading("PROBLEMS", fmt.Sprintf(" (%d): parts that could not be fully read; the rest was analysed", len(rep.Problems)))
	const show = 20
	for i, pr := range rep.Problems {
		if i == show && p.opt.Verbose == 0 {
			p.f("  ... %d more (-v or the JSON report lists them)\n", len(rep.Problems)-show)
			break
		}
		p.f("  [%s] %s %s\n", esc(pr.Kind), esc(problemWhere(loc, pr)), esc(pr.Message))
	}
}

// problemWhere is a problem's place: its layer, and the path inside it if
// any.
func problemWhere(loc *locator, pr model.Problem) string {
	if pr.Path == "" {
		if w := loc.layer(pr.Layer, ""); w != "" {
			return w
		}
		if x, ok := loc.layers[pr.Layer]; ok {
			return x.Chain // the target itself
		}
		return pr.Layer
	}
	return loc.of(pr.Layer, "", pr.Path, 0)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// human is a byte count as a person reads it: 384 B, 724.1 KiB, 3.3 MiB.
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
