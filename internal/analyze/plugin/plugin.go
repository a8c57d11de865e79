// Package plugin is the contract between the engine and the analyzers.
//
// A FileAnalyzer says which files it wants from cheap facts (path, size,
// type, first bytes) and then gets each wanted file once, already read:
// the engine reads every file a single time and offers it to every
// analyzer. A TreeAnalyzer runs after the walk, over the whole tree and
// what the file analyzers found (service graph, exposure, update path).
package plugin

import (
	"context"
	"io"
	"io/fs"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
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
}

// Results collects what analyzers produce. Each file gets its own, so
// analyzers need no locking; the engine merges them in a fixed order.
type Results struct {
	Components []model.Component
	Findings   []model.Finding
	Services   []model.Service
	Problems   []model.Problem
	// Binaries are hardening records (ELF files, kernels).
	Binaries []model.Binary
}

// Merge appends o to r.
func (r *Results) Merge(o *Results) {
	r.Components = append(r.Components, o.Components...)
	r.Findings = append(r.Findings, o.Findings...)
	r.Services = append(r.Services, o.Services...)
	r.Problems = append(r.Problems, o.Problems...)
	r.Binaries = append(r.Binaries, o.Binaries...)
}

// FileAnalyzer analyses single files.
type FileAnalyzer interface {
	Name() string
	FileRequired(fi *FileInfo) bool
	Analyze(ctx context.Context, in *Input, out *Results) error
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

// TreeAnalyzer runs after all files were analysed. rep holds what the file
// analyzers found so far (read-only).
type TreeAnalyzer interface {
	Name() string
	AnalyzeTree(ctx context.Context, t Tree, rep *model.Report, out *Results) error
}
