package table

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/thingsec/thingsec/internal/model"
)

// Layers writes the layer tree of "thingsec unpack": each layer with the
// directory it was extracted into under dir, then the problems.
func Layers(w io.Writer, rep *model.Report, dir string) error {
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
		fmt.Fprintf(tw, "%s%s\t%s\t0x%x\t%d\t%d\t%s\t%s\n", strings.Repeat("  ", l.Depth), l.ID, l.Format, l.Offset, l.Size, l.Files, esc(where), esc(l.Chain))
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
	p := &printer{w: w}
	p.f("\n%d layers, %d entries extracted into %s\n", len(rep.Layers), files, dir)
	problems(p, rep.Problems)
	return p.err
}

// Files writes the listing of "thingsec ls": the layer tree, then every
// file of each layer (mode, owner, size, type, name; long adds the
// SHA-256), then the problems.
func Files(w io.Writer, rep *model.Report, long bool) error {
	p := &printer{w: w}
	chain := map[string]string{}
	for _, l := range rep.Layers {
		chain[l.ID] = l.Chain
		p.f("%s%s %s @0x%x %d bytes %s\n", strings.Repeat("  ", l.Depth), l.ID, l.Format, l.Offset, l.Size, esc(l.Description))
	}
	cur := ""
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, f := range rep.Files {
		if f.Layer != cur {
			tw.Flush()
			cur = f.Layer
			p.f("\n[%s] %s\n", f.Layer, chain[f.Layer])
		}
		name := esc(f.Path)
		if f.LinkTarget != "" && f.Type == "symlink" {
			name += " -> " + esc(f.LinkTarget)
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
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		p.f("\n")
		problems(p, rep.Problems)
	}
	return p.err
}

// problems lists every problem, one a line.
func problems(p *printer, ps []model.Problem) {
	if len(ps) == 0 {
		return
	}
	p.f("%d problems:\n", len(ps))
	for _, pr := range ps {
		p.f("  [%s] %s %s\n", pr.Kind, esc(where(pr)), esc(pr.Message))
	}
}

// where is a problem's place: its layer, and the path inside it if any.
func where(pr model.Problem) string {
	if pr.Path != "" {
		return pr.Layer + ":" + pr.Path
	}
	return pr.Layer
}
