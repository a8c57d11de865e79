package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/engine"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report"
)

func newUnpack(g *globals) *cobra.Command {
	var uf unpackFlags
	var dir string
	cmd := &cobra.Command{
		Use:   "unpack IMAGE -o DIR",
		Short: "Extract every layer of a firmware image into a directory",
		Long: `unpack carves IMAGE for every embedded format, extracts each one into its own
directory DIR/L<n> (recursively, within the limits) and prints the layer tree.
Nothing is written outside DIR: entry names that climb out are confined,
absolute symlinks are rewritten to point inside their layer, device nodes
and FIFOs are listed but never created.

` + exitHelp,
		Example: `  thingsec unpack firmware.bin -o extracted/
  thingsec unpack --max-depth 3 --format json firmware.bin -o extracted/ > layers.json`,
		Args: exactArgs(1, "exactly one IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageError{fmt.Errorf("unpack needs -o DIR (a new or empty directory)")}
			}
			format, err := g.resolveFormat("table", "table", "json")
			if err != nil {
				return err
			}
			lim, err := uf.limits()
			if err != nil {
				return err
			}
			cfg := scanConfig(g, args[0])
			cfg.Files, cfg.Trees = nil, nil
			cfg.UnpackOnly = true
			cfg.KeepExtracted = dir
			cfg.Limits = lim
			prog := newProgress(g)
			cfg.Progress = prog
			rep, err := engine.Scan(cmd.Context(), cfg)
			prog.done()
			if err != nil {
				return err
			}
			if format == "json" {
				return report.JSON(g.stdout, rep)
			}
			return layerTable(g.stdout, rep, dir)
		},
	}
	uf.register(cmd.Flags(), false)
	cmd.Flags().StringVarP(&dir, "output", "o", "", "directory to extract into (created; must be new or empty)")
	return cmd
}

func layerTable(w io.Writer, rep *model.Report, dir string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "LAYER\tFORMAT\tOFFSET\tSIZE\tFILES\tDIRECTORY\tFOUND IN\n")
	for _, l := range rep.Layers {
		where := filepath.Join(dir, l.ID)
		switch {
		case l.Depth == 0:
			where = "-"
		case !l.Extracted:
			where = "(identified, not unpacked)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t0x%x\t%d\t%d\t%s\t%s\n", strings.Repeat("  ", l.Depth), l.ID, l.Format, l.Offset, l.Size, l.Files, where, l.Chain)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var files int
	for _, l := range rep.Layers {
		if l.Depth > 0 {
			files += l.Files
		}
	}
	fmt.Fprintf(w, "\n%d layers, %d entries extracted into %s\n", len(rep.Layers), files, dir)
	printProblems(w, rep.Problems)
	return nil
}

func printProblems(w io.Writer, ps []model.Problem) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(w, "%d problems:\n", len(ps))
	for _, p := range ps {
		where := p.Layer
		if p.Path != "" {
			where += ":" + p.Path
		}
		fmt.Fprintf(w, "  [%s] %s %s\n", p.Kind, where, p.Message)
	}
}

func newLs(g *globals) *cobra.Command {
	var uf unpackFlags
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
			format, err := g.resolveFormat("table", "table", "json")
			if err != nil {
				return err
			}
			lim, err := uf.limits()
			if err != nil {
				return err
			}
			cfg := scanConfig(g, args[0])
			cfg.Files, cfg.Trees = nil, nil
			cfg.Limits = lim
			prog := newProgress(g)
			cfg.Progress = prog
			rep, err := engine.Scan(cmd.Context(), cfg)
			prog.done()
			if err != nil {
				return err
			}
			if format == "json" {
				return report.JSON(g.stdout, rep)
			}
			return lsTable(g.stdout, rep, long)
		},
	}
	uf.register(cmd.Flags(), false)
	cmd.Flags().BoolVarP(&long, "long", "l", false, "also show each file's SHA-256")
	return cmd
}

func lsTable(w io.Writer, rep *model.Report, long bool) error {
	chain := map[string]string{}
	for _, l := range rep.Layers {
		chain[l.ID] = l.Chain
		fmt.Fprintf(w, "%s%s %s @0x%x %d bytes %s\n", strings.Repeat("  ", l.Depth), l.ID, l.Format, l.Offset, l.Size, l.Description)
	}
	cur := ""
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, f := range rep.Files {
		if f.Layer != cur {
			tw.Flush()
			cur = f.Layer
			fmt.Fprintf(w, "\n[%s] %s\n", f.Layer, chain[f.Layer])
		}
		name := f.Path
		if f.LinkTarget != "" && f.Type == "symlink" {
			name += " -> " + f.LinkTarget
		}
		if len(f.Unpacked) > 0 {
			name += "  => " + strings.Join(f.Unpacked, ",")
		}
		extra := ""
		if long {
			extra = "\t" + f.SHA256
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%d\t%s\t%s%s\n", f.Mode, f.UID, f.GID, f.Size, f.Type, name, extra)
	}
	tw.Flush()
	if len(rep.Problems) > 0 {
		fmt.Fprintln(w)
		printProblems(w, rep.Problems)
	}
	return nil
}
