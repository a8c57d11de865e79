package extfs

import (
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestAgainstDebugfs compares every fixture, file by file, with what
// e2fsprogs' debugfs rdump extracts (regular files, directories and
// symlinks; it skips devices and fifos, which TestFixtures checks, and
// drops setuid bits).
func TestAgainstDebugfs(t *testing.T) {
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			data := formattest.ReadXZ(t, filepath.Join("testdata", name+".xz"))
			refData := data
			if name == "ext4-inline.img" {
				// debugfs 1.47 rdump writes an inline-data file as its
				// whole 60-byte i_block, not its i_size bytes: compare
				// with ext4.img's extraction, made from the same tree.
				refData = formattest.ReadXZ(t, filepath.Join("testdata", "ext4.img.xz"))
			}
			ref := formattest.Reference(t, "debugfs", "-R", "rdump / {}", formattest.TempFile(t, refData))
			s, _ := formattest.Extract(t, New(), data)
			formattest.CompareTree(t, s, ref, formattest.CompareOptions{Perm: true, Skip: []string{"lost+found"}})
		})
	}
}
