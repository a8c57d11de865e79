package table

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// Layers writes the layer tree of "thingsec unpack": each layer with the
// directory it was extracted into under dir, then the problems.
func Layers(w io.Writer, rep *model.Report, dir string, opt Options) error {
	p := newPrinter(w, opt)
	g := &grid{cols: []column{{head: "LAYER"}, {head: "FORMAT"}, {head: "OFFSET", align: alignRight}, {head: "SIZE", align: alignRight}, {head: "FILES", align: alignRight}, {head: "DIRECTORY", flex: true, cut: cutStart}, {head: "FOUND IN", flex: true, cut: cutStart}}}
	for _, l := range rep.Layers {
		where := filepath.Join(dir, l.ID)
		switch {
		case l.Depth == 0:
			where = "-"
		case !l.Extracted:
			where = "(identified, not unpacked)"
		}
		g.add(c(strings.Repeat("  ", l.Depth)+l.ID), c(l.Format), c(fmt.Sprintf("0x%x", l.Offset)), c(human(l.Size)), c(fmt.Sprint(l.Files)), c(where), c(l.Chain))
	}
	g.render(p)
	var files int
	for _, l := range rep.Layers {
		if l.Depth > 0 {
			files += l.Files
		}
	}
	p.f("\n%d layers, %d entries extracted into %s\n", len(rep.Layers), files, esc(dir))
	problems(p, rep)
	return p.err
}

// Files writes the listing of "thingsec ls": the layer tree, then every
// file of each layer (mode, owner, size, type, name; long adds the
// SHA-256 before the name), then the problems.
func Files(w io.Writer, rep *model.Report, long bool, opt Options) error {
	p := newPrinter(w, opt)
	chain := map[string]string{}
	for _, l := range rep.Layers {
		chain[l.ID] = l.Chain
		p.raw(strings.TrimRight(fmt.Sprintf("%s%s %s @0x%x %s %s", strings.Repeat("  ", l.Depth), l.ID, esc(l.Format), l.Offset, human(l.Size), esc(l.Description)), " ") + "\n")
	}
	// the name is last and never cut: a listing is read for its names
	cols := []column{{}, {}, {align: alignRight}, {}, {}}
	if long {
		cols = append(cols, column{})
	}
	var g *grid
	cur := ""
	for _, f := range rep.Files {
		if f.Layer != cur || g == nil {
			if g != nil {
				g.render(p)
			}
			cur = f.Layer
			p.f("\n[%s] %s\n", esc(f.Layer), esc(chain[f.Layer]))
			g = &grid{cols: cols}
		}
		name := f.Path
		if f.LinkTarget != "" && f.Type == "symlink" {
			name += " -> " + f.LinkTarget
		}
		if len(f.Unpacked) > 0 {
			name += "  => " + strings.Join(f.Unpacked, ",")
		}
		row := []cell{c(f.Mode), c(fmt.Sprintf("%d/%d", f.UID, f.GID)), c(human(f.Size)), c(f.Type)}
		if long {
			row = append(row, c(orDash(f.SHA256)))
		}
		row = append(row, c(name))
		g.add(row...)
	}
	if g != nil {
		g.render(p)
	}
	if len(rep.Problems) > 0 {
		p.f("\n")
		problems(p, rep)
	}
	return p.err
}

// problems lists every problem, one a line.
func problems(p *printer, rep *model.Report) {
	if len(rep.Problems) == 0 {
		return
	}
	loc := newLocator(rep, p.opt.Verbose > 0)
	p.f("%s:\n", plural(len(rep.Problems), "problem"))
	for _, pr := range rep.Problems {
		p.f("  [%s] %s %s\n", esc(pr.Kind), esc(problemWhere(loc, pr)), esc(pr.Message))
	}
}
