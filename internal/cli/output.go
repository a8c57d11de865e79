package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/report"
)

// formatFlag is a command's --format: the kind of document the command
// writes decides which formats it offers, from the encoder table.
type formatFlag struct {
	name      string
	kind      report.Kind
	onTTY     string // default on a terminal
	otherwise string // default when writing to a file or a pipe
}

// addFormat registers --format on cmd for documents of kind k.
func addFormat(cmd *cobra.Command, k report.Kind, onTTY, otherwise string) *formatFlag {
	f := &formatFlag{kind: k, onTTY: onTTY, otherwise: otherwise}
	def := "default " + onTTY
	if onTTY != otherwise {
		def = fmt.Sprintf("default: %s on a terminal, %s otherwise", onTTY, otherwise)
	}
	cmd.Flags().StringVar(&f.name, "format", "", fmt.Sprintf("output format: %s (%s)", strings.Join(report.Formats(k), ", "), def))
	return f
}

// encoder resolves --format; an unknown format is a usage error that
// lists the formats of this command.
func (f *formatFlag) encoder(g *globals) (*report.Encoder, error) {
	name := f.name
	if name == "" {
		name = f.otherwise
		if g.output == "" && isTerminal(g.stdout) {
			name = f.onTTY
		}
	}
	enc, err := report.Lookup(name, f.kind)
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
