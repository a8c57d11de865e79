package cli

import (
	"fmt"
	"sync"
	"time"
)

// progress prints one self-overwriting status line on stderr while a scan
// runs; it is silent when stderr is not a terminal or with --quiet.
type progress struct {
	g       *globals
	on      bool
	mu      sync.Mutex
	last    time.Time
	stage   string
	layers  int
	ubytes  int64
	files   int
	fbytes  int64
	printed bool
}

func newProgress(g *globals) *progress {
	return &progress{g: g, on: !g.quiet && isTerminal(g.stderr)}
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
	p.printed = true
	fmt.Fprintf(p.g.stderr, "\r\x1b[K%-8s unpacked %d layers, %.1f MiB | analysed %d files, %.1f MiB",
		p.stage, p.layers, float64(p.ubytes)/(1<<20), p.files, float64(p.fbytes)/(1<<20))
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on && p.printed {
		fmt.Fprint(p.g.stderr, "\r\x1b[K")
	}
}
