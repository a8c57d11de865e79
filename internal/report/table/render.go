package table

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// DefaultWidth is the width tables are fitted to when the output is not a
// terminal (a pipe, a file): wide enough for a location chain, narrow
// enough for a CI log.
const DefaultWidth = 120

// gap is the space between two columns.
const gap = 2

// align is how a column places a cell shorter than the column.
type align int

const (
	alignLeft align = iota
	alignRight
)

// cut is the side a cell too long for its column loses: the end of a
// title, the start of a location (whose file name and line matter most).
type cut int

const (
	cutEnd cut = iota
	cutStart
)

// column is one column of a grid.
type column struct {
	head  string
	align align
	// flex columns give up width, down to minFlex, when the grid is wider
	// than the terminal; the others keep theirs.
	flex bool
	cut  cut
	// wrap breaks a cell too long for the column over several lines
	// instead of cutting it (prose such as a title); with -v every
	// column wraps.
	wrap bool
	// omitEmpty hides the column when no row has a value in it (no
	// vulnerability in the KEV catalog: no KEV column).
	omitEmpty bool
}

// minFlex is the narrowest a flexible column becomes; minWrap the
// narrowest a wrapping one becomes before the columns that are cut give
// up any width (wrapping loses nothing, cutting does).
const (
	minFlex = 16
	minWrap = 24
)

// cell is one cell: its text (escaped when added) and its style (an SGR
// parameter such as "1;31", or empty).
type cell struct {
	text  string
	style string
}

// row is a line of cells, or a line of its own (a group heading, the
// evidence under a finding) that starts at column at and runs to the
// right edge.
type row struct {
	cells []cell
	line  *cell
	at    int
}

// grid is a table of aligned columns: the one renderer every table of the
// package uses, so columns, units, truncation and colour agree.
type grid struct {
	indent int
	cols   []column
	rows   []row
}

// c makes a cell of text from the image or the report; it is escaped here,
// so no caller can forget.
func c(text string) cell { return cell{text: esc(text)} }

// styled makes a cell with a style.
func styled(text, style string) cell { return cell{text: esc(text), style: style} }

func (g *grid) add(cells ...cell) { g.rows = append(g.rows, row{cells: cells}) }

// addLine adds a line that starts under column at.
func (g *grid) addLine(at int, x cell) { g.rows = append(g.rows, row{line: &x, at: at}) }

// widths fits the columns to total: each column is as wide as its widest
// cell, then the widest wrapping column gives up one character at a time
// down to minWrap, then the widest flexible column down to minFlex, until
// the grid fits.
func (g *grid) widths(total int) []int {
	w := make([]int, len(g.cols))
	for i, col := range g.cols {
		w[i] = textWidth(col.head)
	}
	for _, r := range g.rows {
		for i, x := range r.cells {
			if i < len(w) {
				w[i] = max(w[i], textWidth(x.text))
			}
		}
	}
	used := g.indent + gap*(len(w)-1)
	for _, n := range w {
		used += n
	}
	for _, wrapping := range []bool{true, false} {
		for used > total {
			widest := -1
			for i, col := range g.cols {
				floor := minFlex
				if wrapping {
					floor = minWrap
				}
				if col.flex && (col.wrap || !wrapping) && w[i] > floor && (widest < 0 || w[i] > w[widest]) {
					widest = i
				}
			}
			if widest < 0 {
				break
			}
			w[widest]--
			used--
		}
	}
	return w
}

// render writes the grid: a header when any column has one, then the rows.
// Lines never end in spaces.
func (g *grid) render(p *printer) {
	g.dropEmpty()
	w := g.widths(p.width())
	pad := strings.Repeat(" ", g.indent)
	hasHead := false
	for _, col := range g.cols {
		hasHead = hasHead || col.head != ""
	}
	if hasHead {
		heads := make([]cell, len(g.cols))
		for i, col := range g.cols {
			heads[i] = cell{text: col.head, style: styleHead}
		}
		p.raw(pad + g.line(p, w, heads) + "\n")
	}
	for _, r := range g.rows {
		if r.line == nil {
			for _, cells := range g.split(p, w, r.cells) {
				p.raw(pad + g.line(p, w, cells) + "\n")
			}
			continue
		}
		start := g.indent
		for i := 0; i < r.at && i < len(w); i++ {
			start += w[i] + gap
		}
		room := max(p.width()-start, minFlex)
		lead := strings.Repeat(" ", start)
		if p.opt.Verbose > 0 {
			for _, part := range wrap(r.line.text, room) {
				p.raw(lead + p.paint(part, r.line.style) + "\n")
			}
			continue
		}
		p.raw(lead + p.paint(truncate(r.line.text, room, cutEnd), r.line.style) + "\n")
	}
}

// split is the lines a row takes: as many as its longest wrapping cell
// needs, each such cell wrapped in its column; the others are cut to
// their columns when the lines are laid out.
func (g *grid) split(p *printer, w []int, cells []cell) [][]cell {
	var lines [][]cell
	for i, x := range cells {
		if i >= len(w) {
			break
		}
		parts := []string{x.text}
		if g.cols[i].wrap || p.opt.Verbose > 0 {
			parts = wrap(x.text, max(w[i], 1))
		}
		for j, part := range parts {
			if j == len(lines) {
				lines = append(lines, make([]cell, len(cells)))
			}
			lines[j][i] = cell{text: part, style: x.style}
		}
	}
	return lines
}

// dropEmpty removes the omitEmpty columns no row has a value in. Lines
// under a dropped column move left with the rest.
func (g *grid) dropEmpty() {
	for i := len(g.cols) - 1; i >= 0; i-- {
		if !g.cols[i].omitEmpty || g.used(i) {
			continue
		}
		g.cols = append(g.cols[:i:i], g.cols[i+1:]...)
		for k := range g.rows {
			r := &g.rows[k]
			if r.line != nil {
				if r.at > i {
					r.at--
				}
				continue
			}
			if i < len(r.cells) {
				r.cells = append(r.cells[:i:i], r.cells[i+1:]...)
			}
		}
	}
}

func (g *grid) used(i int) bool {
	for _, r := range g.rows {
		if r.line == nil && i < len(r.cells) && r.cells[i].text != "" {
			return true
		}
	}
	return false
}

// line lays out one row of cells in the column widths w.
func (g *grid) line(p *printer, w []int, cells []cell) string {
	last := len(cells) - 1
	for last > 0 && cells[last].text == "" {
		last--
	}
	var b strings.Builder
	for i := 0; i <= last && i < len(w); i++ {
		col := g.cols[i]
		text := truncate(cells[i].text, w[i], col.cut)
		fill := strings.Repeat(" ", w[i]-textWidth(text))
		switch {
		case col.align == alignRight:
			b.WriteString(fill + p.paint(text, cells[i].style))
		case i == last:
			b.WriteString(p.paint(text, cells[i].style))
		default:
			b.WriteString(p.paint(text, cells[i].style) + fill)
		}
		if i < last {
			b.WriteString(strings.Repeat(" ", gap))
		}
	}
	return b.String()
}

// ellipsis marks text that was cut; ASCII, so any terminal shows it.
const ellipsis = "..."

// truncate shortens s to n columns, dropping the side c names.
func truncate(s string, n int, c cut) string {
	if textWidth(s) <= n {
		return s
	}
	if n <= len(ellipsis) {
		return takeFront(s, n)
	}
	if c == cutStart {
		return ellipsis + takeBack(s, n-len(ellipsis))
	}
	return takeFront(s, n-len(ellipsis)) + ellipsis
}

// takeFront is the longest prefix of s at most n columns wide.
func takeFront(s string, n int) string {
	used := 0
	for i, r := range s {
		if used+runeWidth(r) > n {
			return s[:i]
		}
		used += runeWidth(r)
	}
	return s
}

// takeBack is the longest suffix of s at most n columns wide.
func takeBack(s string, n int) string {
	used := 0
	for i := len(s); i > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if used+runeWidth(r) > n {
			return s[i:]
		}
		used += runeWidth(r)
		i -= size
	}
	return s
}

// wrap breaks s into lines of at most n columns, at spaces where it can.
func wrap(s string, n int) []string {
	var lines []string
	for {
		head := takeFront(s, n)
		if len(head) == len(s) {
			break
		}
		if head == "" {
			// a character wider than the column: it gets a line of its own
			_, size := utf8.DecodeRuneInString(s)
			head = s[:size]
		} else if s[len(head)] != ' ' {
			// the line ends inside a word: break at the last space
			if i := strings.LastIndexByte(head, ' '); i > 0 {
				head = head[:i]
			}
		}
		lines = append(lines, head)
		s = strings.TrimLeft(s[len(head):], " ")
	}
	return append(lines, s)
}

// textWidth is the number of terminal columns s takes: East Asian wide and
// full-width characters take two.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	if r < 0x1100 {
		return 1
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
