package benchtree

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Env names the real tree the tree benchmarks and the tests that compare
// two implementations on real files read: an extracted root filesystem
// (binaries, libraries and configuration).
const Env = "THINGSEC_BENCH_TREE"

// DefaultDir is where scripts/bench extracts the HG-100 root filesystem,
// which those tests read when Env is not set and it exists.
const DefaultDir = "/tmp/thingsec-bench/acme-hg100-1.0.0-rootfs"

// Read reads every regular file under dir, in walk order.
func Read(dir string) (paths []string, files [][]byte, n int64, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		paths, files, n = append(paths, p), append(files, data), n+int64(len(data))
		return err
	})
	return paths, files, n, err
}
