package crypto

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/benchtree"
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
	dir := os.Getenv(benchtree.Env)
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

// BenchmarkPairCerts scans the certificate files of the tree named by
// THINGSEC_BENCH_TREE as the key pairing does, old (every certificate
// parsed) and new (only those that may hold a key of the tree's key
// files).
func BenchmarkPairCerts(b *testing.B) {
	dir := os.Getenv(benchtree.Env)
	if dir == "" {
		b.Skip("THINGSEC_BENCH_TREE names no tree")
	}
	var certFiles []treeFile
	var keyItems [][]Item
	for _, f := range loadTree(b, dir) {
		ext := strings.ToLower(path.Ext(f.path))
		if f.ft.Type == filetype.PEM || f.ft.Type == filetype.DER || ext == ".crt" || ext == ".pem" || ext == ".cer" || ext == ".der" {
			certFiles = append(certFiles, f)
		}
		var keys []Item
		for _, it := range Scan(f.path, f.data, f.ft) {
			if it.Kind != "cert" {
				keys = append(keys, it)
			}
		}
		keyItems = append(keyItems, keys)
	}
	var size int64
	for _, f := range certFiles {
		size += int64(len(f.data))
	}
	want := certFilter(keyItems)
	for _, bm := range []struct {
		name string
		scan func(string, []byte, filetype.Result) []Item
	}{
		{"old", scanRef},
		{"new", func(p string, data []byte, ft filetype.Result) []Item { return scan(p, data, ft, want) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				for _, f := range certFiles {
					bm.scan(f.path, f.data, f.ft)
				}
			}
		})
	}
}
