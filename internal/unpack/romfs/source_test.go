package romfs

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestAgainstSourceTree builds an image with genromfs from a tree written
// here (binary and text files across many 16-byte-aligned offsets, nested
// directories, a symlink, executables) and compares the extraction with
// that tree, file by file. romfs keeps only the executable bit: the tree
// uses 0644 and 0755.
func TestAgainstSourceTree(t *testing.T) {
	src := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	write := func(p string, data []byte, perm os.FileMode) {
		full := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, perm); err != nil {
			t.Fatal(err)
		}
		os.Chmod(full, perm)
	}
	for i := 0; i < 40; i++ {
		b := make([]byte, rng.Intn(3000)+i)
		rng.Read(b)
		write(filepath.Join("bin", "blob"+string(rune('a'+i%26))+string(rune('a'+i/26))), b, 0o644)
	}
	big := make([]byte, 70001)
	rng.Read(big)
	write("usr/lib/big.so", big, 0o755)
	write("etc/config/network", []byte("config interface 'lan'\n"), 0o644)
	write("empty", nil, 0o644)
	os.Symlink("../usr/lib/big.so", filepath.Join(src, "bin", "link"))
	img := filepath.Join(t.TempDir(), "tree.romfs")
	formattest.Reference(t, "genromfs", "-V", "source", "-d", src, "-f", img)
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 {
		t.Errorf("problems: %v", s.Problems)
	}
	formattest.CompareTree(t, s, src, formattest.CompareOptions{Perm: true})
}
