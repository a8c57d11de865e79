package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/analyze/binver"
	"github.com/thingsec/thingsec/internal/analyze/gobin"
	"github.com/thingsec/thingsec/internal/analyze/inventory"
	"github.com/thingsec/thingsec/internal/analyze/lockfile"
	"github.com/thingsec/thingsec/internal/analyze/pkgdb"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
)

// ComponentFileAnalyzers are the per-file analyzers that identify
// components, in order.
func ComponentFileAnalyzers() []plugin.FileAnalyzer {
	return []plugin.FileAnalyzer{pkgdb.New(), binver.MustNew(), gobin.New(), lockfile.New()}
}

// ComponentTreeAnalyzers are the whole-tree analyzers of the component
// inventory; inventory must come before every other tree analyzer.
func ComponentTreeAnalyzers() []plugin.TreeAnalyzer {
	return []plugin.TreeAnalyzer{inventory.New()}
}

func newSbom(g *globals) *cobra.Command {
	var uf unpackFlags
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "Write the software bill of materials of a firmware image or a directory tree",
		Long: `sbom unpacks TARGET like scan does and lists the software components it
contains: packages from opkg, dpkg and apk databases, the operating system
release, products recognised from version strings in binaries, Go and Rust
build metadata, and language manifests and lock files. Each component has
a purl, a CPE 2.3 name where the product is known to NVD, every location it
was found at, and how it was identified.

Formats: cyclonedx (CycloneDX 1.6 JSON, the default), spdx (SPDX 2.3 JSON)
and json (the thingsec report of the component analyzers).

` + exitHelp,
		Example: `  thingsec sbom firmware.bin > sbom.cdx.json
  thingsec sbom --format spdx -o sbom.spdx.json firmware.bin
  thingsec sbom ./rootfs`,
		Args: exactArgs(1, "exactly one TARGET (a file or a directory)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format := g.format
			if format == "" {
				format = "cyclonedx"
			}
			switch format {
			case "cyclonedx", "spdx", "json":
			default:
				return usageError{fmt.Errorf("--format %q: sbom writes cyclonedx, spdx or json", format)}
			}
			cfg := scanConfig(g, args[0])
			cfg.Files = ComponentFileAnalyzers()
			cfg.Trees = ComponentTreeAnalyzers()
			rep, err := uf.scan(cmd.Context(), g, cfg)
			if err != nil {
				return err
			}
			return g.write(format, func(w io.Writer) error { return encode(format, w, rep) })
		},
	}
	uf.register(cmd.Flags(), true)
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the SBOM to FILE instead of standard output")
	return cmd
}
