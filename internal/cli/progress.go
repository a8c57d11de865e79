package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// errLine is standard error, shared by the progress line and every other
// message (notes, logs, errors): a message first clears the progress
// line, so that it is never glued to it; the next update redraws it.
type errLine struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool // w is a terminal
	shown bool // a progress line is on screen
}

func newErrLine(w io.Writer) *errLine { return &errLine{w: w, tty: isTerminal(w)} }

func (e *errLine) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clearLocked()
	return e.w.Write(p)
}

// status replaces the progress line with line.
func (e *errLine) status(line string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprint(e.w, "\r\x1b[K"+line)
	e.shown = line != ""
}

// clear removes the progress line, if one is shown.
func (e *errLine) clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clearLocked()
}

func (e *errLine) clearLocked() {
	if e.shown {
		fmt.Fprint(e.w, "\r\x1b[K")
		e.shown = false
	}
}

// progressOn says whether a progress line may be drawn: on a terminal
// only, and never with --quiet, --no-progress, TERM=dumb or in CI (the
// CI variable every major CI system sets), where escapes end up in logs.
func (g *globals) progressOn() bool {
	return progressAllowed(g.stderr.tty, g.quiet || g.noProgress, os.Getenv)
}

func progressAllowed(tty, off bool, getenv func(string) string) bool {
	return tty && !off && getenv("TERM") != "dumb" && getenv("CI") == ""
}

// progress prints one self-overwriting status line on stderr while a scan
// runs (see progressOn).
type progress struct {
	g      *globals
	on     bool
	mu     sync.Mutex
	last   time.Time
	stage  string
	layers int
	ubytes int64
	files  int
	fbytes int64
}

func newProgress(g *globals) *progress {
	return &progress{g: g, on: g.progressOn()}
}

func (p *progress) Stage(name string) {
	p.mu.Lock()
	p.stage = name
	p.mu.Unlock()
	p.draw(true)
}

func (p *progress) Unpacked(layers int, bytes int64) {
	p.mu.Lock()
	p.layers, p.ubytes = layers, bytes
	p.mu.Unlock()
	p.draw(false)
}

func (p *progress) Walked(files int, bytes int64) {
	p.mu.Lock()
	p.files, p.fbytes = files, bytes
	p.mu.Unlock()
	p.draw(false)
}

func (p *progress) draw(force bool) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !force && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.g.stderr.status(fmt.Sprintf("%-8s unpacked %d layers, %.1f MiB | analysed %d files, %.1f MiB",
		p.stage, p.layers, float64(p.ubytes)/(1<<20), p.files, float64(p.fbytes)/(1<<20)))
}

func (p *progress) done() { p.g.stderr.clear() }
