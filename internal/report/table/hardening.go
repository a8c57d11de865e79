package table

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// worstShown is how many of the least hardened binaries the table lists
// (all of them with -v).
const worstShown = 10

// Hardening writes the binary-hardening section of the table: the share
// of binaries with each mitigation, and the binaries that lack the most
// (set-user-ID and network-facing ones first on a tie). It writes nothing
// when the report has no binary.
func Hardening(w io.Writer, rep *model.Report, opt Options) error {
	p := newPrinter(w, opt)
	hardeningSection(p, rep)
	return p.err
}

func hardeningSection(p *printer, rep *model.Report) {
	s := rep.Summary.Hardening
	if s == nil {
		return
	}
	rest := fmt.Sprintf(" (%d executables, %d shared libraries", s.Executables, s.SharedLibraries)
	if s.KernelModules > 0 {
		rest += fmt.Sprintf(", %d kernel modules", s.KernelModules)
	}
	p.heading("BINARY HARDENING", rest+")")
	// the mitigations, as many a line as fit; those some binary lacks in
	// the colour of a medium finding
	line, used := "  ", 2
	for _, m := range s.Mitigations {
		if m.Of == 0 {
			continue
		}
		name, count := fmt.Sprintf("%s %.0f%%", esc(m.Name), m.Percent), fmt.Sprintf(" (%d/%d)", m.Have, m.Of)
		n := textWidth(name + count)
		if used > 2 && used+2+n > p.width() {
			p.raw(line + "\n")
			line, used = "  ", 2
		}
		if used > 2 {
			line, used = line+"  ", used+2
		}
		style := ""
		if m.Have < m.Of {
			style = sevStyle(model.Medium)
		}
		line, used = line+p.paint(name, style)+count, used+n
	}
	if used > 2 {
		p.raw(line + "\n")
	}
	if s.ShellAndNetwork > 0 {
		p.f("  %d binaries accept network input and import system/popen\n", s.ShellAndNetwork)
	}
	for _, k := range rep.Binaries {
		if k.Kernel == nil {
			continue
		}
		line := fmt.Sprintf("%s %s: version %s", k.Kind, k.Path, orDash(k.Kernel.Version))
		if k.Kernel.Config {
			var opts []string
			for _, n := range sortedKeys(k.Kernel.Options) {
				opts = append(opts, n+"="+k.Kernel.Options[n])
			}
			line += ", config: " + strings.Join(opts, " ")
		} else {
			line += ", no embedded config"
		}
		p.raw("  " + esc(line) + "\n")
	}
	var worst []model.Binary
	for _, x := range rep.Binaries {
		if len(x.Missing) > 0 && x.Kernel == nil {
			worst = append(worst, x)
		}
	}
	sort.SliceStable(worst, func(i, j int) bool {
		a, c := worst[i], worst[j]
		if len(a.Missing) != len(c.Missing) {
			return len(a.Missing) > len(c.Missing)
		}
		if exposed(a) != exposed(c) {
			return exposed(a)
		}
		return a.Path < c.Path
	})
	if len(worst) == 0 {
		return
	}
	p.f("  least hardened (%d lack a mitigation):\n", len(worst))
	g := &grid{indent: 2, cols: []column{{head: "PATH", flex: true, cut: cutStart}, {head: "RELRO"}, {head: "CANARY"}, {head: "NX"}, {head: "PIE"}, {head: "FORTIFY", align: alignRight}, {head: "LACKS", flex: true}}}
	for i, x := range worst {
		if i == worstShown && p.opt.Verbose == 0 {
			g.addLine(0, c(fmt.Sprintf("... %d more (-v or the JSON report lists them)", len(worst)-worstShown)))
			break
		}
		g.add(c(x.Path), c(x.RELRO), c(yesNo(x.Canary)), c(yesNo(x.NX)), c(x.PIE),
			c(fmt.Sprintf("%d/%d", x.Fortified, x.Fortifiable)), styled(strings.Join(x.Missing, ","), sevStyle(model.Medium)))
	}
	g.render(p)
}

func exposed(b model.Binary) bool { return b.Setuid || b.Listens }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
