package table

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/thingsec/thingsec/internal/model"
)

// worstShown is how many of the least hardened binaries the table lists.
const worstShown = 10

// Hardening writes the binary-hardening section of the table: the share
// of binaries with each mitigation, and the binaries that lack the most
// (set-user-ID and network-facing ones first on a tie). It writes nothing
// when the report has no binary.
func Hardening(w io.Writer, rep *model.Report) error {
	s := rep.Summary.Hardening
	if s == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nBINARY HARDENING (%d executables, %d shared libraries", s.Executables, s.SharedLibraries)
	if s.KernelModules > 0 {
		fmt.Fprintf(&b, ", %d kernel modules", s.KernelModules)
	}
	b.WriteString(")\n")
	var parts []string
	for _, m := range s.Mitigations {
		if m.Of > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f%% (%d/%d)", m.Name, m.Percent, m.Have, m.Of))
		}
	}
	fmt.Fprintf(&b, "  %s\n", strings.Join(parts, "  "))
	if s.ShellAndNetwork > 0 {
		fmt.Fprintf(&b, "  %d binaries accept network input and import system/popen\n", s.ShellAndNetwork)
	}
	for _, k := range rep.Binaries {
		if k.Kernel == nil {
			continue
		}
		line := fmt.Sprintf("  %s %s: version %s", k.Kind, k.Path, orDash(k.Kernel.Version))
		if k.Kernel.Config {
			var opts []string
			for _, n := range sortedKeys(k.Kernel.Options) {
				opts = append(opts, n+"="+k.Kernel.Options[n])
			}
			line += ", config: " + strings.Join(opts, " ")
		} else {
			line += ", no embedded config"
		}
		b.WriteString(line + "\n")
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
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(worst) == 0 {
		return nil
	}
	fmt.Fprintf(w, "  least hardened (%d lack a mitigation):\n", len(worst))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  PATH\tRELRO\tCANARY\tNX\tPIE\tFORTIFY\tLACKS\n")
	for i, x := range worst {
		if i == worstShown {
			fmt.Fprintf(tw, "  ... %d more (see the JSON report)\n", len(worst)-worstShown)
			break
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Path, x.RELRO, yesNo(x.Canary), yesNo(x.NX), x.PIE,
			fmt.Sprintf("%d/%d", x.Fortified, x.Fortifiable), strings.Join(x.Missing, ","))
	}
	return tw.Flush()
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
