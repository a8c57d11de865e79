package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/model"
)

func newVersion(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of thingsec and of its report schema",
		Example: "  thingsec version",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(g.stdout, "thingsec %s (report schema %s, %s, %s/%s)\n", Version(), model.SchemaVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
