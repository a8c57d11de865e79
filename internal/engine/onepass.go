package engine

import (
	"hash"
	"io"
	"io/fs"
	"sync"

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

// seqHash is the io.ReaderAt of a file too large to hold in memory. It
// hashes the file's bytes as reads reach them in order (the carve reads a
// file front to back), so the hash needs no read of its own; finish reads
// and hashes only what no read reached.
type seqHash struct {
	r    io.ReaderAt
	h    hash.Hash
	size int64
	mu   sync.Mutex
	pos  int64 // bytes hashed
}

func (s *seqHash) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	s.mu.Lock()
	if off <= s.pos && off+int64(n) > s.pos {
		s.h.Write(p[s.pos-off : n])
		s.pos = off + int64(n)
	}
	s.mu.Unlock()
	return n, err
}

// finish hashes the bytes from the furthest read to the end.
func (s *seqHash) finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := make([]byte, 1<<20)
	for s.pos < s.size {
		n, err := s.r.ReadAt(buf[:min(int64(len(buf)), s.size-s.pos)], s.pos)
		s.h.Write(buf[:n])
		s.pos += int64(n)
		if n == 0 || err != nil && !(err == io.EOF && s.pos == s.size) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}
