package engine

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/thingsec/thingsec/internal/model"
)

// timings adds up the time each file analyzer spent, over all files; it
// is only kept when the log shows debug records.
type timings struct {
	mu    sync.Mutex
	total map[string]time.Duration
	calls map[string]int
}

func newTimings(log *slog.Logger) *timings {
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		return nil
	}
	return &timings{total: map[string]time.Duration{}, calls: map[string]int{}}
}

// add counts one call of the analyzer called name that started at t0.
func (t *timings) add(name string, t0 time.Time) {
	d := time.Since(t0)
	t.mu.Lock()
	t.total[name] += d
	t.calls[name]++
	t.mu.Unlock()
}

// log writes one record per file analyzer, the slowest first.
func (t *timings) log(log *slog.Logger) {
	if t == nil {
		return
	}
	names := make([]string, 0, len(t.total))
	for n := range t.total {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return t.total[names[i]] > t.total[names[j]] })
	for _, n := range names {
		log.Debug("file analyzer", "name", n, "files", t.calls[n], "seconds", t.total[n].Seconds())
	}
}

// logReport writes the layers and the problems of a finished report:
// every layer and problem at debug level, a limit hit at info level (it
// bounds what the report could see).
func logReport(log *slog.Logger, rep *model.Report) {
	for _, l := range rep.Layers {
		log.Debug("layer", "id", l.ID, "format", l.Format, "chain", l.Chain, "offset", l.Offset, "size", l.Size, "extracted", l.Extracted, "files", l.Files, "bytes", l.Bytes)
	}
	for _, p := range rep.Problems {
		lvl := slog.LevelDebug
		if p.Kind == "limit" {
			lvl = slog.LevelInfo
		}
		log.Log(context.Background(), lvl, "problem", "kind", p.Kind, "stage", p.Stage, "layer", p.Layer, "path", p.Path, "message", p.Message)
	}
}
