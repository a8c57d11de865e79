package crypto

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
)

type treeFile struct {
	path string
	data []byte
	ft   filetype.Result
}

// loadTree reads every regular file under dir with its detected type.
func loadTree(tb testing.TB, dir string) []treeFile {
	tb.Helper()
	var files []treeFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		dev := "/" + filepath.ToSlash(rel)
		files = append(files, treeFile{dev, data, filetype.Detect(dev, data[:min(len(data), filetype.HeadSize)], int64(len(data)))})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// BenchmarkScan runs the per-file search, old (the reference) and new,
// over every file of the tree named by THINGSEC_BENCH_TREE (an unpacked
// root file system).
func BenchmarkScan(b *testing.B) {
	dir := os.Getenv("THINGSEC_BENCH_TREE")
	if dir == "" {
		b.Skip("THINGSEC_BENCH_TREE names no tree")
	}
	files := loadTree(b, dir)
	var size int64
	for _, f := range files {
		size += int64(len(f.data))
	}
	for _, bm := range []struct {
		name string
		scan func(string, []byte, filetype.Result) []Item
	}{{"old", scanRef}, {"new", Scan}} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				for _, f := range files {
					bm.scan(f.path, f.data, f.ft)
				}
			}
		})
	}
}
