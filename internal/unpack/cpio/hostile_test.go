package cpio

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// TestBadNameInTheMiddle: a member whose name holds a NUL, lacks its
// terminator or is longer than PATH_MAX, in the middle of an archive made
// by GNU cpio (newc, odc, bin), spoils that member only: every other file
// is extracted, exactly as GNU cpio extracts it.
func TestBadNameInTheMiddle(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio not installed")
	}
	for i, c := range []struct{ variant, how string }{
		{"newc", "nul"}, {"odc", "nul"}, {"bin", "nul"}, {"newc", "unterminated"}, {"odc", "unterminated"}, {"newc", "overlong"},
	} {
		t.Run(c.variant+"-"+c.how, func(t *testing.T) {
			rng := formattest.Rand(uint64(200 + i))
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			files := map[string][]byte{}
			var names []string
			for k := 0; k < 20+rng.IntN(30); k++ {
				p := fmt.Sprintf("%03d-%s", k, formattest.RandomName(rng))
				data := make([]byte, rng.IntN(3000))
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				os.MkdirAll(src, 0o755)
				if err := os.WriteFile(filepath.Join(src, p), data, 0o644); err != nil {
					t.Fatal(err)
				}
				files[p] = data
				names = append(names, p)
			}
			sort.Strings(names)
			bad := names[len(names)/2]
			cmd := exec.Command("cpio", "-o", "-H", c.variant)
			cmd.Dir = src
			cmd.Stdin = strings.NewReader(strings.Join(names, "\n") + "\n")
			arc, err := cmd.Output()
			if err != nil {
				t.Fatalf("cpio -o: %v", err)
			}
			i := bytes.Index(arc, []byte(bad+"\x00"))
			if i < 0 {
				t.Fatal("member name not found")
			}
			switch c.how {
			case "nul":
				arc[i+len(bad)/2] = 0
			case "unterminated":
				arc[i+len(bad)] = 'X'
			case "overlong":
				// namesize (the 12th field of newc) says 5000 bytes; the
				// member's data is moved accordingly.
				h := i - 110
				size := 5000
				copy(arc[h+94:h+102], fmt.Sprintf("%08X", size))
				pad := make([]byte, size-len(bad)-1)
				for j := range pad {
					pad[j] = 'y'
				}
				tail := append([]byte(nil), arc[i+len(bad):]...)
				// Keep the 4-byte alignment newc wants after the name.
				oldEnd := (110 + len(bad) + 1 + 3) &^ 3
				newEnd := (110 + size + 3) &^ 3
				tail = tail[oldEnd-110-len(bad):]
				arc = append(append(append(arc[:i+len(bad)], pad...), make([]byte, 1+newEnd-110-size)...), tail...)
			}
			os.WriteFile(filepath.Join(dir, "a.cpio"), arc, 0o644)
			ref := filepath.Join(dir, "ref")
			os.Mkdir(ref, 0o755)
			gnu := exec.Command("cpio", "-i", "-d", "--quiet", "-F", filepath.Join(dir, "a.cpio"))
			gnu.Dir = ref
			gnu.Run() // complains about the bad member and goes on
			s, _ := formattest.Extract(t, New(), arc)
			if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "skipped") {
				t.Errorf("problems %q: want one naming the bad member", s.Problems)
			}
			for p, want := range files {
				if p == bad {
					continue
				}
				f := s.Get(p)
				if f == nil || !bytes.Equal(f.Data, want) {
					t.Errorf("%s: missing or different", p)
					continue
				}
				if c.how != "overlong" {
					if ref, err := os.ReadFile(filepath.Join(ref, p)); err != nil || !bytes.Equal(ref, f.Data) {
						t.Errorf("%s: GNU cpio extracts %d bytes (%v), we %d", p, len(ref), err, len(f.Data))
					}
				}
			}
		})
	}
}
