package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/thingsec/thingsec/internal/catalog"
)

func newRules(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every rule thingsec can report (the rule catalog)",
		Long: `rules lists the catalog: every rule's id, title, severity, category, CWE,
standard provisions, help and remediation. Formats: table, json (the data
SARIF and compliance mapping use), markdown (documentation).`,
		Example: `  thingsec rules
  thingsec rules --format json -o rules.json
  thingsec rules --format markdown > RULES.md`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.resolveFormat("table", "json", "markdown")
			if err != nil {
				return err
			}
			cat, err := catalog.Default()
			if err != nil {
				return err
			}
			render := map[string]func(io.Writer, []*catalog.Rule) error{
				"table": catalog.WriteTable, "json": catalog.WriteJSON, "markdown": catalog.WriteMarkdown,
			}[format]
			return g.write(format, func(w io.Writer) error { return render(w, cat.All()) })
		},
	}
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the list to FILE instead of standard output")
	return cmd
}
