package iso9660

import (
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestAgainstBsdtar compares every fixture, file by file, with what
// libarchive's bsdtar extracts from it (Rock Ridge modes and symlinks,
// Joliet names, zisofs decompressed).
func TestAgainstBsdtar(t *testing.T) {
	for _, tc := range []struct {
		name string
		rr   bool
	}{{"rr.iso", true}, {"zisofs.iso", true}, {"joliet.iso", false}, {"plain.iso", false}} {
		t.Run(tc.name, func(t *testing.T) {
			data := formattest.ReadXZ(t, filepath.Join("testdata", tc.name+".xz"))
			// bsdtar misreads genisoimage's device numbers and cannot
			// create the nodes: TestFixtures checks them against the
			// source tree instead.
			ref := formattest.Reference(t, "bsdtar", "-x", "-f", formattest.TempFile(t, data), "-C", "{}",
				"--exclude", "dir/null", "--exclude", "dir/loop0")
			s, _ := formattest.Extract(t, New(), data)
			formattest.CompareTree(t, s, ref, formattest.CompareOptions{Perm: tc.rr, Special: tc.rr})
		})
	}
}
