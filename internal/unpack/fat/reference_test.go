package fat

import (
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestAgainstMcopy compares every fixture, file by file, with what
// mtools' mcopy copies out of it (FAT keeps no Unix modes: contents and
// the tree only).
func TestAgainstMcopy(t *testing.T) {
	t.Setenv("MTOOLS_SKIP_CHECK", "1")
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			data := formattest.ReadXZ(t, filepath.Join("testdata", name+".xz"))
			ref := formattest.Reference(t, "mcopy", "-s", "-n", "-i", formattest.TempFile(t, data), "::*", "{}")
			s, _ := formattest.Extract(t, New(), data)
			formattest.CompareTree(t, s, ref, formattest.CompareOptions{})
		})
	}
}
