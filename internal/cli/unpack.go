package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/analyze/sets"
	"github.com/thingsec/thingsec/internal/config"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/report"
)

func newUnpack(g *globals) *cobra.Command {
	var uf unpackFlags
	var ff *formatFlag
	var dir string
	cmd := &cobra.Command{
		Use:   "unpack IMAGE --dir DIR",
		Short: "Extract every layer of a firmware image into a directory",
		Long: `unpack carves IMAGE for every embedded format, extracts each one into its own
directory DIR/L<n> (recursively, within the limits) and prints the layer tree.
Nothing is written outside DIR: entry names that climb out are confined,
absolute symlinks are rewritten to point inside their layer, device nodes
and FIFOs are listed but never created.

` + exitHelp,
		Example: `  thingsec unpack firmware.bin --dir extracted/
  thingsec unpack --max-depth 3 --format json -o layers.json firmware.bin --dir extracted/`,
		Args: exactArgs(1, "exactly one IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("output") {
				// on stderr, never in the output (pflag's own deprecation note goes to stdout)
				fmt.Fprintln(g.stderr, "thingsec: note: unpack -o DIR is deprecated: use --dir DIR (-o names an output file in every other command)")
			}
			if dir == "" {
				return usageError{fmt.Errorf("unpack needs --dir DIR (a new or empty directory)")}
			}
			enc, err := ff.encoder(g)
			if err != nil {
				return err
			}
			cfg := scanConfig(g, args[0], sets.Set{})
			if err := uf.apply(&cfg); err != nil {
				return err
			}
			cfg.UnpackOnly = true
			cfg.KeepExtracted = dir
			prog := newProgress(g)
			cfg.Progress = prog
			undo := extractionUndo(dir)
			rep, err := engine.Scan(cmd.Context(), cfg)
			prog.done()
			if err != nil {
				if cmd.Context().Err() != nil {
					// stopped: a half extraction is not left behind
					undo()
				}
				return err
			}
			return g.emit(enc, &report.Doc{Kind: report.Layers, Report: rep, Dir: dir})
		},
	}
	ff = addFormat(cmd, report.Layers, "table")
	uf.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&dir, "dir", "", "directory to extract into (created; must be new or empty)")
	// -o was the directory; it names an output file in every other
	// command, so here it still works but says so
	cmd.Flags().StringVarP(&dir, "output", "o", "", "directory to extract into (deprecated: use --dir)")
	cmd.Flags().Lookup("output").Hidden = true
	config.Skip(cmd.Flags().Lookup("output"))
	addProfile(cmd)
	return cmd
}

func newLs(g *globals) *cobra.Command {
	var uf unpackFlags
	var ff *formatFlag
	var long bool
	cmd := &cobra.Command{
		Use:   "ls IMAGE",
		Short: "List the layer tree and files of a firmware image",
		Long: `ls unpacks IMAGE into a temporary directory (removed afterwards) and lists its
layers (format, offset, size, where each was found) and every file with its
mode, owner, size, type and symlink target.

` + exitHelp,
		Example: `  thingsec ls firmware.bin
  thingsec ls --format json firmware.bin | jq '.files[] | select(.mode | startswith("-rws"))'`,
		Args: exactArgs(1, "exactly one IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc, err := ff.encoder(g)
			if err != nil {
				return err
			}
			cfg := scanConfig(g, args[0], sets.Set{})
			if err := uf.apply(&cfg); err != nil {
				return err
			}
			prog := newProgress(g)
			cfg.Progress = prog
			rep, err := engine.Scan(cmd.Context(), cfg)
			prog.done()
			if err != nil {
				return err
			}
			return g.emit(enc, &report.Doc{Kind: report.Files, Report: rep, Long: long})
		},
	}
	ff = addFormat(cmd, report.Files, "table")
	uf.register(cmd.Flags(), false)
	cmd.Flags().BoolVarP(&long, "long", "l", false, "also show each file's SHA-256")
	cmd.Flags().StringVarP(&g.output, "output", "o", "", "write the listing to FILE instead of standard output")
	return cmd
}

// extractionUndo returns what removes an interrupted extraction into dir:
// dir itself when it does not exist yet, its entries when it is an empty
// directory, nothing otherwise (the extraction refuses such a dir).
func extractionUndo(dir string) func() {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return func() { os.RemoveAll(dir) }
	case err != nil || !st.IsDir():
		return func() {}
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) > 0 {
		return func() {}
	}
	return func() {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}
