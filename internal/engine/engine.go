// Package engine runs a scan: target -> unpack -> walk once (file
// inventory and file analyzers) -> component consolidation -> tree
// analyzers -> enrichers -> report. It holds no analysis logic of its own
// besides the file inventory every analyzer builds on; which analyzers run
// is the caller's choice (a named set from internal/analyze/sets).
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/strmatch"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/memguard"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/dirlist"
)

// Progress receives updates on long work. Implementations must be safe for
// concurrent use.
type Progress interface {
	Stage(name string)
	Unpacked(layers int, bytes int64)
	Walked(files int, bytes int64)
}

// Config is one scan's settings.
type Config struct {
	Target  string
	Version string
	Workers int
	// Unpack carves and extracts embedded formats; off, only the given
	// tree is analysed.
	Unpack bool
	// UnpackOnly stops after extraction: the report has the layers and
	// problems but no file inventory (thingsec unpack).
	UnpackOnly bool
	Limits     unpack.Limits
	// TempDir is where the work directory is made ("" = os.TempDir()).
	TempDir string
	// KeepExtracted, when set, is used as the work directory and kept.
	KeepExtracted string
	// MaxInMemory is the largest file read whole into memory for the
	// analyzers; larger files are read through an io.ReaderAt.
	MaxInMemory int64
	Files       []plugin.FileAnalyzer
	// Components consolidates what the file analyzers found into the
	// report's component list before the tree analyzers run; nil keeps
	// the components as found.
	Components plugin.Consolidator
	Trees      []plugin.TreeAnalyzer
	// Enrichers run last, on the finished report (vulnerability matching,
	// compliance mapping).
	Enrichers []Enricher
	Progress  Progress
	Now       func() time.Time
	shed      func() bool // memory is short (set by Scan)
	// MaxMemory is the scan's memory budget in bytes (0: the default of
	// package memguard): near it, new layers are not extracted and files
	// are not read into memory, each listed as a problem or a skip.
	MaxMemory int64
	// Log receives debug records (stages, layers, analyzer timings) and
	// the limits hit; nil discards them.
	Log *slog.Logger
	// SkipDirs are directory names left out of a directory target (see
	// unpack.Options.SkipDirs).
	SkipDirs map[string]string
	// Listing, when it reads Target, is the directory target's listing,
	// started while the command was still building its analyzers
	// (dirlist.Start); nil lists the directory here.
	Listing *dirlist.Listing
}

// Enricher adds to a finished report from outside knowledge (a
// vulnerability database, a compliance catalog).
type Enricher interface {
	Name() string
	Enrich(ctx context.Context, rep *model.Report) error
}

// Scan runs the pipeline. An *InputError means the target is unusable;
// every other problem found on the way is listed in the report.
func Scan(ctx context.Context, cfg Config) (*model.Report, error) {
	fi, err := checkTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	rep := newReport(cfg, fi)
	work, cleanup, err := workDir(cfg)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	mem := memguard.Start(cfg.MaxMemory)
	defer mem.Stop()
	cfg.shed = mem.Pressure

	strs := make(chan *strmatch.Set, 1)
	if !cfg.UnpackOnly {
		go func() { strs <- stringSet(cfg.Files) }()
	}
	t0 := stage(cfg, "unpack")
	sess, root, err := openTarget(ctx, cfg, fi, work)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if cfg.UnpackOnly {
		return unpackOnly(ctx, cfg, fi, sess, rep, t0)
	}

	// One pass: each layer's files are read once, as soon as the layer is
	// extracted, for the inventory, the analyzers and the carve.
	// The walk starts without waiting for the keyword automaton: files are
	// read, hashed and carved while it is still being built, and the
	// first analyzer to need it waits.
	w := newWalker(cfg, sess.Layers(), sync.OnceValue(func() *strmatch.Set { return <-strs }))
	defer w.closeRoots() // opened again by the stages after the walk
	res, err := w.run(ctx, sess, cfg.Unpack)
	if err != nil {
		return nil, err
	}
	done(rep, "unpack+analyze", t0)
	if err := targetHash(cfg, fi, rep, rootHash(root, res.Problems, w.files)); err != nil {
		return nil, err
	}
	for _, l := range sess.Layers() {
		rep.Layers = append(rep.Layers, l.Layer)
	}
	rep.Files = w.files
	rep.Problems = append(rep.Problems, sess.Problems()...)
	rep.Problems = append(rep.Problems, res.Problems...)
	rep.Findings = res.Findings
	rep.Services = res.Services
	rep.Skipped = res.Skipped
	rep.Binaries = res.Binaries

	t0 = stage(cfg, "components")
	rep.Components = consolidate(ctx, cfg.Components, w, res, rep)
	done(rep, "components", t0)

	t0 = stage(cfg, "detect")
	detect(ctx, cfg.Log, cfg.Trees, w, rep)
	done(rep, "detect", t0)

	t0 = stage(cfg, "enrich")
	enrich(ctx, cfg.Log, cfg.Enrichers, rep)
	done(rep, "enrich", t0)
	Reword(rep, catalog.PlaceOf(rep.Target.Kind, cfg.Target))
	Finish(rep)
	w.timings.log(cfg.Log)
	logReport(cfg.Log, rep)
	return rep, nil
}

// Reword puts the findings' text in the words of the target's place:
// rule text speaks of an image, a directory target is a source tree or a
// repository.
func Reword(rep *model.Report, p catalog.Place) {
	for i := range rep.Findings {
		p.RewordFinding(&rep.Findings[i])
	}
}

// unpackOnly is thingsec unpack: extraction without the walk.
func unpackOnly(ctx context.Context, cfg Config, fi os.FileInfo, sess *unpack.Session, rep *model.Report, t0 time.Time) (*model.Report, error) {
	if err := targetHash(cfg, fi, rep, ""); err != nil {
		return nil, err
	}
	if cfg.Unpack {
		if err := sess.Run(ctx); err != nil {
			return nil, err
		}
	}
	done(rep, "unpack", t0)
	for _, l := range sess.Layers() {
		rep.Layers = append(rep.Layers, l.Layer)
	}
	rep.Problems = append(rep.Problems, sess.Problems()...)
	Finish(rep)
	logReport(cfg.Log, rep)
	return rep, nil
}

func (cfg Config) withDefaults() Config {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if cfg.MaxInMemory == 0 {
		cfg.MaxInMemory = 64 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Progress == nil {
		cfg.Progress = nopProgress{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg
}

func newReport(cfg Config, fi os.FileInfo) *model.Report {
	rep := &model.Report{
		SchemaVersion: model.SchemaVersion,
		Tool:          model.Tool{Name: "thingsec", Version: cfg.Version},
		StartedAt:     cfg.Now().UTC().Truncate(time.Second),
		Target:        model.Target{Name: filepath.Base(filepath.Clean(cfg.Target)), Kind: "file", Size: fi.Size()},
	}
	if fi.IsDir() {
		rep.Target.Kind = "directory"
		rep.Target.Size = 0
	}
	return rep
}

// stage announces a stage and returns its start time.
func stage(cfg Config, name string) time.Time {
	cfg.Progress.Stage(name)
	cfg.Log.Debug("stage", "name", name)
	return time.Now()
}

// done records a stage's duration.
func done(rep *model.Report, name string, t0 time.Time) {
	rep.Durations = append(rep.Durations, model.StageDuration{Stage: name, Seconds: time.Since(t0).Seconds()})
}

// openTarget starts the unpack session with the target as its root layer.
// Near the memory budget (cfg.shed) the session stops extracting layers.
func openTarget(ctx context.Context, cfg Config, fi os.FileInfo, work string) (*unpack.Session, *unpack.Layer, error) {
	sess, err := unpack.NewSession(unpack.Options{WorkDir: work, Limits: cfg.Limits, Workers: cfg.Workers, Progress: cfg.Progress.Unpacked, Shed: cfg.shed, SkipDirs: cfg.SkipDirs})
	if err != nil {
		return nil, nil, err
	}
	var root *unpack.Layer
	switch {
	case fi.IsDir() && cfg.Listing != nil && cfg.Listing.Dir() == cfg.Target:
		root, err = sess.AddListing(ctx, cfg.Listing)
	case fi.IsDir():
		root, err = sess.AddDir(ctx, cfg.Target)
	default:
		root, err = sess.AddFile(cfg.Target)
	}
	if err != nil {
		sess.Close()
		return nil, nil, &InputError{Target: cfg.Target, Reason: err.Error(), Err: err}
	}
	return sess, root, nil
}

// detect runs the tree analyzers, each on a read-only view of the report.
func detect(ctx context.Context, log *slog.Logger, trees []plugin.TreeAnalyzer, t plugin.Tree, rep *model.Report) {
	for _, ta := range trees {
		var out plugin.Results
		t0 := time.Now()
		err := ta.AnalyzeTree(ctx, t, readOnly(rep), &out)
		log.Debug("tree analyzer", "name", ta.Name(), "seconds", time.Since(t0).Seconds(), "findings", len(out.Findings))
		if err != nil {
			rep.Problems = append(rep.Problems, model.Problem{Stage: "analyze", Kind: "analyzer", Message: fmt.Sprintf("%s: %v", ta.Name(), err)})
		}
		rep.Components = append(rep.Components, out.Components...)
		rep.Findings = append(rep.Findings, out.Findings...)
		rep.Services = append(rep.Services, out.Services...)
		rep.Problems = append(rep.Problems, out.Problems...)
		rep.Skipped = append(rep.Skipped, out.Skipped...)
		rep.Binaries = append(rep.Binaries, out.Binaries...)
	}
}

// enrich runs the enrichers on the finished report.
func enrich(ctx context.Context, log *slog.Logger, enrichers []Enricher, rep *model.Report) {
	for _, e := range enrichers {
		t0 := time.Now()
		err := e.Enrich(ctx, rep)
		log.Debug("enricher", "name", e.Name(), "seconds", time.Since(t0).Seconds())
		if err != nil {
			rep.Problems = append(rep.Problems, model.Problem{Stage: "enrich", Kind: "enricher", Message: fmt.Sprintf("%s: %v", e.Name(), err)})
		}
	}
}

// consolidate runs the component stage; its failure is a problem of the
// report, and the components stay as found.
func consolidate(ctx context.Context, c plugin.Consolidator, t plugin.Tree, found *plugin.Results, rep *model.Report) []model.Component {
	if c == nil {
		return found.Components
	}
	comps, err := c.Consolidate(ctx, t, found.Components, found.Requires)
	if err != nil {
		rep.Problems = append(rep.Problems, model.Problem{Stage: "analyze", Kind: "analyzer", Message: fmt.Sprintf("%s: %v", c.Name(), err)})
		return found.Components
	}
	return comps
}

// readOnly is the view of rep a tree analyzer gets: a copy of the report
// whose lists are clipped, so that an append cannot write into the
// engine's.
func readOnly(rep *model.Report) *model.Report {
	v := *rep
	v.Files = slices.Clip(v.Files)
	v.Layers = slices.Clip(v.Layers)
	v.Components = slices.Clip(v.Components)
	v.Findings = slices.Clip(v.Findings)
	v.Services = slices.Clip(v.Services)
	v.Problems = slices.Clip(v.Problems)
	return &v
}

// Finish sorts the report's lists into their canonical order, fills the
// summary and the chain steps of layers and locations, so equal scans give
// byte-identical JSON.
func Finish(rep *model.Report) {
	if rep.Schema == "" {
		rep.Schema = model.SchemaID
	}
	rep.LinkChains()
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.Location.Path != b.Location.Path {
			return a.Location.Path < b.Location.Path
		}
		return a.Fingerprint < b.Fingerprint
	})
	sort.SliceStable(rep.Binaries, func(i, j int) bool {
		a, b := rep.Binaries[i], rep.Binaries[j]
		if a.Layer != b.Layer {
			return a.Layer < b.Layer
		}
		return a.Path < b.Path
	})
	s := model.Summary{
		Layers:     len(rep.Layers),
		FileTypes:  map[string]int{},
		Findings:   map[string]int{},
		Components: len(rep.Components),
	}
	for _, f := range rep.Files {
		s.Files++
		s.Bytes += f.Size
		s.FileTypes[f.Type]++
	}
	for _, sev := range model.Severities {
		if sev != model.Unknown { // a vulnerability's severity only
			s.Findings[string(sev)] = 0
		}
	}
	for _, f := range rep.Findings {
		s.Findings[string(f.Severity)]++
	}
	s.Vulnerabilities = len(rep.Vulnerabilities)
	s.VulnerabilitiesBySeverity = model.CountVulnerabilities(rep.Vulnerabilities)
	s.Problems = len(rep.Problems)
	s.SkippedFiles = skippedFiles(rep.Skipped)
	s.Hardening = model.SummarizeHardening(rep.Binaries)
	rep.Summary = s
	for _, p := range []*[]model.Component{&rep.Components} {
		if *p == nil {
			*p = []model.Component{}
		}
	}
	if rep.Files == nil {
		rep.Files = []model.File{}
	}
	if rep.Layers == nil {
		rep.Layers = []model.Layer{}
	}
	if rep.Findings == nil {
		rep.Findings = []model.Finding{}
	}
	if rep.Vulnerabilities == nil {
		rep.Vulnerabilities = []model.Vulnerability{}
	}
	if rep.Problems == nil {
		rep.Problems = []model.Problem{}
	}
	if rep.Skipped == nil {
		rep.Skipped = []model.Skip{}
	}
	if rep.Durations == nil {
		rep.Durations = []model.StageDuration{}
	}
}

func workDir(cfg Config) (string, func(), error) {
	if cfg.KeepExtracted != "" {
		if err := os.MkdirAll(cfg.KeepExtracted, 0o755); err != nil {
			return "", nil, &InputError{Target: cfg.KeepExtracted, Reason: "cannot create extraction directory: " + err.Error(), Err: err}
		}
		ents, err := os.ReadDir(cfg.KeepExtracted)
		if err != nil {
			return "", nil, &InputError{Target: cfg.KeepExtracted, Reason: err.Error(), Err: err}
		}
		if len(ents) > 0 {
			return "", nil, &InputError{Target: cfg.KeepExtracted, Reason: "extraction directory is not empty; choose a new or empty one"}
		}
		return cfg.KeepExtracted, func() {}, nil
	}
	d, err := os.MkdirTemp(cfg.TempDir, "thingsec-")
	if err != nil {
		return "", nil, fmt.Errorf("work directory: %w", err)
	}
	return d, func() { os.RemoveAll(d) }, nil
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type nopProgress struct{}

func (nopProgress) Stage(string)        {}
func (nopProgress) Unpacked(int, int64) {}
func (nopProgress) Walked(int, int64)   {}
