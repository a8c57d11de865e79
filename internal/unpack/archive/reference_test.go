package archive

import (
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestAgainstReference compares the tar and zip fixtures, file by file,
// with GNU tar's and Info-ZIP unzip's extraction.
func TestAgainstReference(t *testing.T) {
	for _, c := range []struct {
		file string
		f    format.Format
		tool string
		args []string
	}{
		{"ustar.tar", Tar(), "tar", []string{"-x", "-C", "{}", "-f"}},
		{"gnu.tar", Tar(), "tar", []string{"-x", "-C", "{}", "-f"}},
		{"pax.tar", Tar(), "tar", []string{"-x", "-C", "{}", "-f"}},
		// -K keeps setuid bits, as tar does for root.
		{"test.zip", Zip(), "unzip", []string{"-q", "-K", "-d", "{}"}},
		{"test.7z", SevenZip(), "7z", []string{"x", "-bso0", "-bsp0", "-snl", "-o{}"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			file, _ := filepath.Abs(filepath.Join("testdata", c.file))
			ref := formattest.Reference(t, c.tool, append(c.args, file)...)
			s, _ := formattest.Extract(t, c.f, formattest.Testdata(t, c.file))
			formattest.CompareTree(t, s, ref, formattest.CompareOptions{Perm: true, Special: true})
		})
	}
}
