package binver

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/thingsec/thingsec/rules"
)

// benchTree loads up to n ELF files from $THINGSEC_FP_TREE, or from the
// unpacked Debian packages of scripts/fixtures/components.sh.
func benchTree(b *testing.B, n int) (paths []string, data [][]byte, total int64) {
	root := os.Getenv("THINGSEC_FP_TREE")
	if root == "" {
		root = filepath.Join(os.TempDir(), "thingsec-components", "root")
	}
	var all []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			all = append(all, p)
		}
		return nil
	})
	sort.Strings(all)
	for _, p := range all {
		if len(paths) == n {
			break
		}
		f, err := os.ReadFile(p)
		if err != nil || len(f) < 4 || string(f[:4]) != "\x7fELF" || len(f) > 64<<20 {
			continue
		}
		paths, data, total = append(paths, p), append(data, f), total+int64(len(f))
	}
	if len(paths) == 0 {
		b.Skipf("no ELF files under %s (set THINGSEC_FP_TREE or run scripts/fixtures/components.sh download)", root)
	}
	return paths, data, total
}

// BenchmarkFingerprintPass is the fingerprint pass (one keyword pass per
// file, regular expressions only near hits) over 2,000 real ELF files of
// six architectures, with the first rule pack alone, with every pack, and
// with every pack plus never-matching rules up to four times the first
// pack's rule count (the cost of growing the table). scripts/bench
// fingerprints prints the MB/s and the ratios.
func BenchmarkFingerprintPass(b *testing.B) {
	paths, data, total := benchTree(b, 2000)
	first := loadPack(b, "binaries.yaml")
	full, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	grown := append([]*Rule{}, full.Rules...)
	for i := 0; len(grown) < 4*len(first.Rules); i++ {
		r := *first.Rules[i%len(first.Rules)]
		r.ID = fmt.Sprintf("%s-grown-%d", r.ID, i)
		r.Keywords = nil
		for _, k := range first.Rules[i%len(first.Rules)].Keywords {
			r.Keywords = append(r.Keywords, fmt.Sprintf("%s\x01%d", k, i))
		}
		if len(r.Keywords) == 0 {
			r.Keywords = []string{fmt.Sprintf("grown\x01%d", i)}
		}
		r.Files, r.Paths, r.PathRegex, r.Packages = nil, nil, false, nil
		grown = append(grown, &r)
	}
	x4, err := Compile(grown)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cat  *Catalog
	}{{"first-pack", first}, {"all-packs", full}, {"4x-first-pack", x4}} {
		b.Run(fmt.Sprintf("%s/%d-rules/%d-files", c.name, len(c.cat.Rules), len(paths)), func(b *testing.B) {
			b.SetBytes(total)
			for i := 0; i < b.N; i++ {
				for j, d := range data {
					c.cat.Scan(paths[j], d)
				}
			}
		})
	}
}

func loadPack(b *testing.B, name string) *Catalog {
	raw, err := fs.ReadFile(rules.FS, "components/"+name)
	if err != nil {
		b.Fatal(err)
	}
	c, err := Load(fstest.MapFS{name: {Data: raw}})
	if err != nil {
		b.Fatal(err)
	}
	if !strings.HasSuffix(name, ".yaml") || len(c.Rules) == 0 {
		b.Fatal("empty pack")
	}
	return c
}
