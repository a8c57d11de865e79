package cpio

import (
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestAgainstCpio compares each header format's fixture, file by file,
// with what GNU cpio -i extracts from it, and checks the device numbers.
func TestAgainstCpio(t *testing.T) {
	for _, name := range []string{"newc", "crc", "odc", "bin"} {
		t.Run(name, func(t *testing.T) {
			file, _ := filepath.Abs(filepath.Join("testdata", name+".cpio"))
			ref := formattest.Reference(t, "cpio", "-i", "-d", "-m", "--quiet", "--no-absolute-filenames", "-F", file)
			s, _ := formattest.Extract(t, New(), formattest.Testdata(t, name+".cpio"))
			formattest.CompareTree(t, s, ref, formattest.CompareOptions{Perm: true, Special: true})
			formattest.Device(t, s, "dir/null", fs.ModeDevice|fs.ModeCharDevice, 1, 3)
			formattest.Device(t, s, "dir/sda", fs.ModeDevice, 8, 0)
		})
	}
}
