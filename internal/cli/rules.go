package cli

import (
	"github.com/spf13/cobra"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/report"
)

func newRules(g *globals) *cobra.Command {
	var ff *formatFlag
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
			enc, err := ff.encoder(g)
			if err != nil {
				return err
			}
			cat, err := catalog.Default()
			if err != nil {
				return err
			}
			return g.emit(enc, &report.Doc{Kind: report.Rules, Rules: cat.All()})
		},
	}
	ff = addFormat(cmd, report.Rules, "table", "json")
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the list to FILE instead of standard output")
	return cmd
}
