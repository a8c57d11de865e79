// Package plugin is the contract between the engine and the analyzers.
//
// A FileAnalyzer says which files it wants from cheap facts (path, size,
// type, first bytes) and then gets each wanted file once, already read:
// the engine reads every file a single time and offers it to every
// analyzer. A Consolidator then turns the components found file by file
// into the report's component list (one component, many locations, stable
// Refs). A TreeAnalyzer runs last, over the whole tree and the
// consolidated report, which it only reads (service graph, exposure,
// update path); what it finds goes into its Results.
package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/strmatch"
	"github.com/thingsec/thingsec/internal/model"
)

// FileInfo are the facts known before a file is handed over.
type FileInfo struct {
	Layer string // layer ID
	Path  string // in-layer path, "/etc/shadow"
	Mode  fs.FileMode
	UID   int
	GID   int
	Size  int64
	Type  filetype.Result
	Head  []byte // first filetype.HeadSize bytes (fewer for small files)
}

// Input is one file handed to a FileAnalyzer.
type Input struct {
	FileInfo
	// Data is the whole content when the file is small enough to be held
	// in memory (the usual case), nil otherwise; R always works. Both are
	// valid only during Analyze: the engine reuses the buffer.
	Data []byte
	R    io.ReaderAt
	// Loc is where the file is, for findings.
	Loc model.Location
	// Keywords is the file's shared keyword pass over Data for the
	// string-rule families of this scan (strmatch.Find); nil outside a
	// scan.
	Keywords *strmatch.File
}

// Results collects what analyzers produce. Each file gets its own, so
// analyzers need no locking; the engine merges them in a fixed order.
type Results struct {
	Components []model.Component
	// Requires are the dependencies package databases declare by name;
	// the consolidation stage turns them into Component.Dependencies.
	Requires []Requirement
	Findings []model.Finding
	Services []model.Service
	Problems []model.Problem
	// Skipped is what an analyzer wanted but did not fully analyse.
	Skipped []model.Skip
	// Binaries are hardening records (ELF files, kernels).
	Binaries []model.Binary
}

// Requirement is a dependency a package database declares by package name
// ("Depends: libc6"). It names no component yet: the consolidation stage
// resolves it to the Ref of that package's component, or drops it. It
// never reaches the report.
type Requirement struct {
	From string // purl of the component that declares the dependency
	DB   string // package database: "deb", "opkg", "apk"
	Name string // name of the package required
}

// Merge appends o to r.
func (r *Results) Merge(o *Results) {
	r.Components = append(r.Components, o.Components...)
	r.Requires = append(r.Requires, o.Requires...)
	r.Findings = append(r.Findings, o.Findings...)
	r.Services = append(r.Services, o.Services...)
	r.Problems = append(r.Problems, o.Problems...)
	r.Skipped = append(r.Skipped, o.Skipped...)
	r.Binaries = append(r.Binaries, o.Binaries...)
}

// Skip records that analyzer did not fully analyse in, and why.
func (r *Results) Skip(analyzer string, in *Input, reason string) {
	r.Skipped = append(r.Skipped, model.Skip{Analyzer: analyzer, Layer: in.Layer, Path: in.Path, Offset: in.Loc.Offset, Size: in.Size, Reason: reason})
}

// SkipLarge records that analyzer skipped in for its size: over the
// analyzer's own limit (limit > 0), or too large for the engine to hold in
// memory (Input.Data is nil).
func (r *Results) SkipLarge(analyzer string, in *Input, limit int64) {
	reason := fmt.Sprintf("%d bytes: too large to be held in memory", in.Size)
	if limit > 0 && in.Size > limit {
		reason = fmt.Sprintf("%d bytes: over the %d-byte size limit", in.Size, limit)
	}
	r.Skip(analyzer, in, reason)
}

// FileAnalyzer analyses single files.
type FileAnalyzer interface {
	Name() string
	FileRequired(fi *FileInfo) bool
	Analyze(ctx context.Context, in *Input, out *Results) error
}

// Early is implemented by a file analyzer whose work on some small files
// is long (cracking the hashes of an account file): the walk reads the
// files it names before the others, so that this work overlaps the rest
// of the walk instead of ending it alone. Only the path is known when the
// order is chosen. The order changes no result.
type Early interface {
	ReadEarly(path string) bool
}

// Tree gives whole-tree analyzers access to every layer's files.
type Tree interface {
	// Files is the inventory of all layers, in report order.
	Files() []model.File
	// ReadFile reads a regular file of a layer, at most max bytes.
	ReadFile(layer, path string, max int64) ([]byte, error)
	// Chain returns a layer's location chain.
	Chain(layer string) string
}

// Opener is a Tree that also opens a file for reads at offsets, so that a
// parser needing a few parts of a large file (the ELF headers and dynamic
// section) reads those, not the whole file.
type Opener interface {
	// OpenFile opens a regular file of a layer; the caller closes it.
	OpenFile(layer, path string) (FileReader, error)
}

// Lender is a Tree that also reads a file into a buffer it lends: the
// bytes stay valid until release is called, and nothing sliced from
// them may be kept after that. A lent buffer is one the walk already
// made and reuses, where a new buffer of a large file costs a page fault
// per 4 KiB of it. ok is false when the file is too large to lend; the
// caller then reads it with ReadFile.
type Lender interface {
	ReadFileLent(layer, path string, max int64) (data []byte, release func(), ok bool, err error)
}

// FileReader is an open file of a layer.
type FileReader interface {
	io.ReaderAt
	io.Closer
	// Size is the file's size when opened.
	Size() int64
}

// Consolidator is the component stage between the walk and the tree
// analyzers. It gets every component the file analyzers found, one per
// file and match, with the requirements they declared, and returns the
// report's component list: duplicates merged, each with a stable, unique
// Ref, and Dependencies that are Refs of components in the list. found is
// its own to change.
type Consolidator interface {
	Name() string
	Consolidate(ctx context.Context, t Tree, found []model.Component, requires []Requirement) ([]model.Component, error)
}

// TreeAnalyzer runs after all files were analysed and the components
// consolidated. rep is the report so far; it is read-only: everything a
// tree analyzer adds goes into out.
type TreeAnalyzer interface {
	Name() string
	AnalyzeTree(ctx context.Context, t Tree, rep *model.Report, out *Results) error
}

// Window is one part of a file too large to hold whole, as Windows reads
// it: Data starts Base bytes into the file, and Data[Own[0]:Own[1]] is the
// part this window owns. The rest is context shared with the neighbours,
// so a match that starts in the owned part is whole in Data, and a caller
// that reports only matches starting there reports each match once.
type Window struct {
	Data  []byte
	Base  int64
	Own   [2]int
	Lines int // newlines in the file before Data[0], for line numbers
}

// Windows reads size bytes of r in windows that each own step bytes and
// see overlap bytes of context on either side, and calls fn on each in
// order. Analyzers use it for files the engine does not hold in memory,
// so that nothing is skipped: a key on the last line of a 100 MiB file is
// found, and memory stays at step+2*overlap bytes.
func Windows(ctx context.Context, r io.ReaderAt, size int64, step, overlap int, fn func(*Window) error) error {
	buf := make([]byte, step+2*overlap)
	lines := 0 // newlines before the owned part of the current window
	for own := int64(0); own < size; own += int64(step) {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := max(0, own-int64(overlap))
		want := min(int64(len(buf)), size-start)
		n, err := r.ReadAt(buf[:want], start)
		if n == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		data := buf[:n]
		o0 := int(own - start)
		if o0 > n {
			return nil
		}
		o1 := min(n, o0+step)
		w := &Window{Data: data, Base: start, Own: [2]int{o0, o1}, Lines: lines - bytes.Count(data[:o0], []byte{'\n'})}
		if err := fn(w); err != nil {
			return err
		}
		lines += bytes.Count(data[o0:o1], []byte{'\n'})
	}
	return nil
}
