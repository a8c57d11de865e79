package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/report"
)

// formatFlag is a command's --format: the kind of document the command
// writes decides which formats it offers, from the encoder table. The
// default is the same wherever the output goes (a terminal, a pipe, -o):
// a script asks for JSON with --format json.
type formatFlag struct {
	name string
	kind report.Kind
}

// addFormat registers --format on cmd for documents of kind k, with def
// as the default and the table's formats as shell completions.
func addFormat(cmd *cobra.Command, k report.Kind, def string) *formatFlag {
	f := &formatFlag{kind: k}
	cmd.Flags().StringVar(&f.name, "format", def, fmt.Sprintf("output format: %s", strings.Join(report.Formats(k), ", ")))
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, name := range report.Formats(k) {
			e, _ := report.Lookup(name, k)
			out = append(out, cobra.CompletionWithDesc(name, e.ContentType))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return f
}

// encoder resolves --format; an unknown format is a usage error that
// lists the formats of this command.
func (f *formatFlag) encoder(g *globals) (*report.Encoder, error) {
	enc, err := report.Lookup(f.name, f.kind)
	return enc, asUsage(err)
}

// emit writes d with enc to -o FILE (through report.WriteFile: a partial
// report never replaces a good one) or to stdout.
func (g *globals) emit(enc *report.Encoder, d *report.Doc) error {
	d.Table = g.tableOptions(d.Table)
	if g.output == "" || g.output == "-" {
		return enc.Encode(g.stdout, d)
	}
	return asUsage(report.WriteFile(g.output, func(w io.Writer) error { return enc.Encode(w, d) }))
}
