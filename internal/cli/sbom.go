package cli

import (
	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/report"
)

func newSbom(g *globals) *cobra.Command {
	var uf unpackFlags
	var ff *outputsFlag
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "Write the software bill of materials of a firmware image or a directory tree",
		Long: `sbom unpacks TARGET like scan does and lists the software components it
contains: packages from opkg, dpkg and apk databases, the operating system
release, products recognised from version strings in binaries, Go and Rust
build metadata, and language manifests and lock files. Each component has
a purl, a CPE 2.3 name where the product is known to NVD, every location it
was found at, and how it was identified.

The default format is CycloneDX 1.6 JSON; --format lists the others (spdx
is SPDX 2.3 JSON, json the thingsec report of the component analyzers).

` + exitHelp,
		Example: `  thingsec sbom firmware.bin > sbom.cdx.json
  thingsec sbom --format spdx -o sbom.spdx.json firmware.bin
  thingsec sbom ./rootfs`,
		Args: exactArgs(1, "exactly one TARGET (a file or a directory)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			outs, err := ff.resolve(g)
			if err != nil {
				return err
			}
			set, err := buildSet(sets.Components, sets.Options{})
			if err != nil {
				return err
			}
			rep, err := uf.scan(cmd.Context(), g, scanConfig(g, args[0], set))
			if err != nil {
				return err
			}
			return ff.emit(g, outs, &report.Doc{Kind: report.SBOM, Report: rep})
		},
	}
	ff = addOutputs(cmd, report.SBOM, "cyclonedx")
	uf.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the SBOM to FILE instead of standard output")
	return cmd
}
