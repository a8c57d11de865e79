package table

import (
	"fmt"
	"io"

	"github.com/thingsec/thingsec/internal/model"
)

// Options are the settings of a terminal rendering. The zero value is
// plain text at DefaultWidth.
type Options struct {
	// Color writes severities, headings and the verdict in ANSI colour.
	Color bool
	// Width is the terminal's width in columns; 0 is DefaultWidth.
	Width int
	// Verbose (-v) shows every location's whole layer chain, wraps long
	// evidence instead of cutting it, and lists every row of the lists
	// that are otherwise cut short.
	Verbose int
	// ShowSecrets says the report's evidence is unredacted (the scan ran
	// with --show-secrets); the findings heading says which it is.
	ShowSecrets bool
	// Gate is the result of the command's gate, when it has one; the
	// verdict line ends with it.
	Gate *Gate
}

// Gate is the result of a command's gate (secrets found, a file not fully
// analysed).
type Gate struct {
	Failed bool
	// Reason says why it failed, or what it checked when it passed.
	Reason string
}

// SGR parameters of the styles.
const (
	styleHead   = "1"
	styleDim    = "2"
	styleFailed = "1;31"
	stylePassed = "32"
)

// severityStyle is the colour of each severity: the worst the loudest.
var severityStyle = map[model.Severity]string{
	model.Critical: "1;37;41",
	model.High:     "1;31",
	model.Medium:   "33",
	model.Low:      "36",
	unknown:        "35",
	model.Info:     "2",
}

func sevStyle(s model.Severity) string { return severityStyle[normSeverity(s)] }

type printer struct {
	w   io.Writer
	opt Options
	err error
}

func newPrinter(w io.Writer, opt Options) *printer { return &printer{w: w, opt: opt} }

func (p *printer) width() int {
	if p.opt.Width > 0 {
		return p.opt.Width
	}
	return DefaultWidth
}

// paint wraps s in the style when colour is on.
func (p *printer) paint(s, style string) string {
	if !p.opt.Color || style == "" || s == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// raw writes s as it is: callers have escaped what came from the image.
func (p *printer) raw(s string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s)
	}
}

func (p *printer) f(format string, a ...any) { p.raw(fmt.Sprintf(format, a...)) }

// heading starts a section: a blank line, the title in bold, then the
// rest of the line.
func (p *printer) heading(title, rest string) {
	p.raw("\n" + p.paint(title, styleHead) + rest + "\n")
}

// labelled writes "Label    text", wrapping text under itself at the
// terminal's width.
func (p *printer) labelled(label, text string) {
	const col = 9
	lead := fmt.Sprintf("%-*s", col, label)
	for i, part := range wrap(text, max(p.width()-col, minFlex)) {
		if i > 0 {
			lead = fmt.Sprintf("%*s", col, "")
		}
		p.raw(lead + part + "\n")
	}
}
