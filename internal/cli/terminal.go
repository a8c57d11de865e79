package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/table"
	"golang.org/x/term"
)

// termFlags are the persistent flags of the text a person reads.
type termFlags struct {
	color   string // auto, always, never
	noColor bool
	verbose int
}

func (t *termFlags) register(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&t.color, "color", "auto", "colour in tables: auto (on a terminal, unless $NO_COLOR is set or $TERM is dumb), always or never")
	pf.BoolVar(&t.noColor, "no-color", false, "no colour in tables (same as --color never)")
	pf.CountVarP(&t.verbose, "verbose", "v", "more detail: -v shows whole layer chains in locations, wraps long evidence, lists every row of cut lists and logs at info level (-vv: debug)")
}

// check rejects an unknown --color and a contradiction.
func (t *termFlags) check() error {
	switch t.color {
	case "auto", "always", "never":
	default:
		return usageError{fmt.Errorf("--color %q: want auto, always or never", t.color)}
	}
	if t.noColor && t.color == "always" {
		return usageError{fmt.Errorf("--no-color and --color always contradict each other")}
	}
	return nil
}

// colorOn decides colour: --no-color and --color never turn it off,
// --color always turns it on (a flag given for this run wins over the
// environment), and auto colours a terminal unless NO_COLOR is set to
// anything (no-color.org) or TERM is dumb.
func colorOn(mode string, noColor bool, getenv func(string) string, tty bool) bool {
	switch {
	case noColor || mode == "never":
		return false
	case mode == "always":
		return true
	}
	return tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// tableOptions completes opt with what the terminal decides: colour and
// width (the terminal's when stdout is one, table.DefaultWidth for a file
// or a pipe) and the verbosity.
func (g *globals) tableOptions(opt table.Options) table.Options {
	tty := (g.output == "" || g.output == "-") && isTerminal(g.stdout)
	opt.Color = colorOn(g.term.color, g.term.noColor, os.Getenv, tty)
	opt.Verbose = g.term.verbose
	opt.Width = table.DefaultWidth
	if f, ok := g.stdout.(*os.File); ok && tty {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			opt.Width = w
		}
	}
	return opt
}

// gatePassed says in the verdict line what a gate that passed checked.
var gatePassed = map[string]string{
	"fail-on-incomplete": "every file fully analysed",
}

// tableGate sums up the command's gates for the table's verdict line: failed
// when any failed, with the failures; passed otherwise, with what was checked.
func tableGate(gates []model.Gate) *table.Gate {
	if len(gates) == 0 {
		return nil
	}
	g := &table.Gate{}
	var failed, passed []string
	for _, gt := range gates {
		if gt.Failure != "" {
			failed = append(failed, gt.Failure)
			continue
		}
		p, ok := gatePassed[gt.Name]
		if !ok {
			p = gt.Description
		}
		passed = append(passed, p)
	}
	g.Failed = len(failed) > 0
	if g.Failed {
		g.Reason = strings.Join(failed, "; ")
	} else {
		g.Reason = strings.Join(passed, "; ")
	}
	return g
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// secretFindings counts the findings that fail the secrets gate: those
// above info severity.
func secretFindings(rep *model.Report) int {
	n := 0
	for _, f := range rep.Findings {
		if f.Severity.Rank() > model.Info.Rank() {
			n++
		}
	}
	return n
}
