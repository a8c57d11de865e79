package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/report"
)

func newRules(g *globals) *cobra.Command {
	var ff *formatFlag
	var dirs, gitleaks []string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every rule thingsec can report (the rule catalog)",
		Long: `rules lists the catalog: every rule's id, title, severity, category, CWE,
standard provisions, help and remediation, with the user's secret rule packs
(--rules, --gitleaks-config) when given. Formats: table, json (the data SARIF
and compliance mapping use), markdown (documentation).`,
		Example: `  thingsec rules
  thingsec rules --format json -o rules.json
  thingsec rules --format markdown --rules ./my-rules > RULES.md`,
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
			if cat, err = withUserRules(cat, dirs, gitleaks); err != nil {
				return err
			}
			return g.emit(enc, &report.Doc{Kind: report.Rules, Rules: cat.All()})
		},
	}
	ff = addFormat(cmd, report.Rules, "table")
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the list to FILE instead of standard output")
	cmd.Flags().StringArrayVar(&dirs, "rules", nil, "add the secret rules of the YAML files of DIR (repeatable)")
	cmd.Flags().StringArrayVar(&gitleaks, "gitleaks-config", nil, "add a gitleaks TOML configuration's rules (repeatable)")
	return cmd
}

// withUserRules adds user secret packs to the catalog; an id another rule
// holds is a usage error, as it is for scan and secrets.
func withUserRules(cat *catalog.Catalog, dirs, gitleaks []string) (*catalog.Catalog, error) {
	var entries []*catalog.Rule
	for _, dir := range dirs {
		rs, err := secrets.LoadDir(os.DirFS(dir), ".")
		if err != nil {
			return nil, usageError{fmt.Errorf("--rules %s: %v", dir, err)}
		}
		for _, r := range rs {
			entries = append(entries, r.Entry())
		}
	}
	for _, file := range gitleaks {
		rs, err := secrets.LoadGitleaks(file)
		if err != nil {
			return nil, usageError{fmt.Errorf("--gitleaks-config %s: %v", file, err)}
		}
		for _, r := range rs {
			entries = append(entries, r.Entry())
		}
	}
	cat, err := cat.Extend(entries)
	if err != nil {
		return nil, usageError{err}
	}
	return cat, nil
}
