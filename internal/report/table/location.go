package table

import (
	"fmt"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// locator writes locations for a reader. By default a location is the
// format of the layer it is in, the path and the line
// ("squashfs:/etc/shadow:3"): the layer IDs of the report mean nothing to
// a person. A format found in more than one layer takes the layer ID too
// ("squashfs[L3]:/etc/shadow"). Verbose shows the whole chain
// ("fw.bin > trx@0x0 > squashfs@0x1c0000:/etc/shadow:3").
type locator struct {
	layers  map[string]model.Layer
	formats map[string]int
	verbose bool
}

func newLocator(rep *model.Report, verbose bool) *locator {
	l := &locator{layers: map[string]model.Layer{}, formats: map[string]int{}, verbose: verbose}
	for _, x := range rep.Layers {
		l.layers[x.ID] = x
		l.formats[x.Format]++
	}
	return l
}

// of is the location of something at path (and line, when not 0) in
// layer.
func (l *locator) of(layer, chain, path string, line int) string {
	where := l.layer(layer, chain)
	s := path
	if where != "" {
		s = where + ":" + path
	}
	if line > 0 {
		s += fmt.Sprintf(":%d", line)
	}
	return s
}

// layer names a layer: empty for the target itself (its paths say all).
func (l *locator) layer(id, chain string) string {
	x, ok := l.layers[id]
	if !ok {
		// not a layer of the tree (a git commit): its chain names it,
		// a commit's hash shortened as git log --oneline does
		if hash, isCommit := strings.CutPrefix(chain, "git:"); isCommit && !l.verbose && len(hash) > 12 {
			return "git:" + hash[:12]
		}
		if chain != "" {
			return chain
		}
		return id
	}
	if l.verbose {
		if chain == "" {
			chain = x.Chain
		}
		return chain
	}
	if x.Depth == 0 {
		return ""
	}
	if l.formats[x.Format] > 1 {
		return x.Format + "[" + x.ID + "]"
	}
	return x.Format
}

func (l *locator) loc(x model.Location) string { return l.of(x.Layer, x.Chain, x.Path, x.Line) }
