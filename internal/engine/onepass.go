package engine

import (
	"io/fs"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/unpack"
)

// targetHash sets the SHA-256 of a file target: sum when the walk computed
// it (the target is the root layer's only file), else by reading the file.
func targetHash(cfg Config, fi fs.FileInfo, rep *model.Report, sum string) error {
	if fi.IsDir() {
		return nil
	}
	if sum == "" {
		var err error
		if sum, err = hashFile(cfg.Target); err != nil {
			return &InputError{Target: cfg.Target, Reason: "cannot read: " + err.Error(), Err: err}
		}
	}
	rep.Target.SHA256 = sum
	return nil
}

// rootHash is the hash the walk computed for the target file, "" when the
// root layer is a directory or its file could not be read whole.
func rootHash(root *unpack.Layer, res []model.Problem, files []model.File) string {
	if root.Format != "file" {
		return ""
	}
	for _, p := range res {
		if p.Layer == root.ID {
			return ""
		}
	}
	for _, f := range files {
		if f.Layer == root.ID {
			return f.SHA256
		}
	}
	return ""
}

// skippedFiles counts, per analyzer, the distinct files with a Skip.
func skippedFiles(skips []model.Skip) map[string]int {
	type key struct{ analyzer, layer, path string }
	seen := map[key]bool{}
	n := map[string]int{}
	for _, s := range skips {
		k := key{s.Analyzer, s.Layer, s.Path}
		if !seen[k] {
			seen[k] = true
			n[s.Analyzer]++
		}
	}
	return n
}
