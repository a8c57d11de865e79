package archive

import (
	"archive/tar"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// randomTree writes n random files under dir (plus one file named bad
// when bad is not "") and returns their contents by slash path.
func randomTree(t *testing.T, rng *rand.Rand, dir string, n int, bad string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	write := func(p string) {
		data := make([]byte, rng.IntN(3000))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
		files[p] = data
	}
	for i := 0; i < n; i++ {
		write(fmt.Sprintf("d%d/%03d-%s", rng.IntN(3), i, formattest.RandomName(rng)))
	}
	if bad != "" {
		write(bad)
	}
	return files
}

// longBadName is a name that needs an extended header (PAX "path" or GNU
// "L") and sorts in the middle of the random files.
func longBadName(rng *rand.Rand) string {
	return "d1/050-" + strings.Repeat("x", 120+rng.IntN(50)) + "-bad"
}

// corrupt damages the entry named bad in a tar made by GNU tar.
func corrupt(t *testing.T, data []byte, bad, how string) []byte {
	t.Helper()
	out := append([]byte(nil), data...)
	switch how {
	case "pax-nul", "gnu-nul":
		// The extended header holds the full name: put a NUL in it.
		i := bytes.Index(out, []byte(bad))
		if i < 0 || bytes.Count(out, []byte(bad)) != 1 {
			t.Fatalf("the long name is not stored once in the archive")
		}
		out[i+len(bad)/2] = 0
	case "bad-checksum":
		// The first header block of the entry (its extended header).
		i := bytes.Index(out, []byte(bad))
		h := i / 512 * 512
		for h >= 0 && !tarHeaderOK(out[h:h+512]) {
			h -= 512
		}
		out[h+148] ^= 0x11
	default:
		t.Fatal(how)
	}
	return out
}

// TestTarBadEntryInTheMiddle: one entry with a bad name or header in the
// middle of an archive made by GNU tar spoils that entry only: every
// other file is extracted exactly as GNU tar extracts it.
func TestTarBadEntryInTheMiddle(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar not installed")
	}
	for i, c := range []struct{ how, format string }{
		{"pax-nul", "pax"}, {"gnu-nul", "gnu"}, {"bad-checksum", "pax"}, {"bad-checksum", "gnu"},
	} {
		t.Run(c.how+"-"+c.format, func(t *testing.T) {
			rng := formattest.Rand(uint64(100 + i))
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			bad := longBadName(rng)
			files := randomTree(t, rng, src, 20+rng.IntN(40), bad)
			arc := filepath.Join(dir, "a.tar")
			if out, err := exec.Command("tar", "--format="+c.format, "--sort=name", "-cf", arc, "-C", src, ".").CombinedOutput(); err != nil {
				t.Fatalf("tar: %v\n%s", err, out)
			}
			orig, err := os.ReadFile(arc)
			if err != nil {
				t.Fatal(err)
			}
			data := corrupt(t, orig, bad, c.how)
			os.WriteFile(arc, data, 0o644)
			ref := filepath.Join(dir, "ref")
			os.Mkdir(ref, 0o755)
			exec.Command("tar", "-xf", arc, "-C", ref).Run() // reports the damage and goes on
			s, _ := formattest.Extract(t, Tar(), data)
			named := false
			for _, p := range s.Problems {
				named = named || strings.Contains(p, bad[:20]) || strings.Contains(p, "@0x")
			}
			if !named {
				t.Errorf("no problem names the bad entry: %q", s.Problems)
			}
			n := 0
			for p, want := range files {
				if p == bad {
					continue
				}
				refData, refErr := os.ReadFile(filepath.Join(ref, p))
				f := s.Get("./" + p)
				if refErr != nil {
					t.Logf("%s: GNU tar did not extract it either", p)
					continue
				}
				if f == nil {
					t.Errorf("%s: GNU tar extracts it, we do not", p)
					continue
				}
				if !bytes.Equal(f.Data, refData) || !bytes.Equal(f.Data, want) {
					t.Errorf("%s: content differs", p)
				}
				n++
			}
			if n < len(files)-1 {
				t.Errorf("%d of %d good files extracted", n, len(files)-1)
			}
		})
	}
}

// TestTarOverlongExtendedHeaders: PAX and GNU long-name headers past the
// 1 MiB archive/tar accepts spoil their entry only.
func TestTarOverlongExtendedHeaders(t *testing.T) {
	for _, kind := range []string{"pax", "gnu"} {
		t.Run(kind, func(t *testing.T) {
			rng := formattest.Rand(7)
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			want := map[string]string{}
			for i := 0; i < 30; i++ {
				name := fmt.Sprintf("f%02d-%s", i, formattest.RandomName(rng))
				h := &tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg}
				if i == 15 {
					// An extended header archive/tar's writer refuses to make.
					long := strings.Repeat("n", (1<<20)+1+rng.IntN(1000))
					ext, typ := long+"\x00", byte(tar.TypeGNULongName)
					if kind == "pax" {
						rec := " path=" + long + "\n"
						n := len(rec) + 7
						ext, typ = fmt.Sprint(n)+rec, tar.TypeXHeader
					}
					tw.Flush()
					buf.Write(rawHeader("././@LongLink", typ, int64(len(ext))))
					buf.Write([]byte(ext))
					buf.Write(make([]byte, (512-len(ext)%512)%512))
					h.Name = "short-name-of-the-bad-entry"
				} else {
					want[name] = formattest.RandomName(rng)
				}
				content := want[name]
				h.Size = int64(len(content))
				if err := tw.WriteHeader(h); err != nil {
					t.Fatal(err)
				}
				tw.Write([]byte(content))
			}
			tw.Close()
			s, _ := formattest.Extract(t, Tar(), buf.Bytes())
			for name, content := range want {
				if f := s.Get(name); f == nil || string(f.Data) != content {
					t.Errorf("%s: missing or wrong", name)
				}
			}
			if len(s.Problems) != 1 {
				t.Errorf("problems %q, want one for the over-long entry", s.Problems)
			}
		})
	}
}

// rawHeader is a ustar header block of the given type and size.
func rawHeader(name string, typ byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b, name)
	copy(b[100:], "0000644\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000000\x00")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	sum := 0
	for i, c := range b {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// TestZipOverlappingEntries: entries that share one stored stream (the
// non-recursive zip bomb) are skipped after the first, each named.
func TestZipOverlappingEntries(t *testing.T) {
	rng := formattest.Rand(42)
	n := 50 + rng.IntN(200)
	data := formattest.OverlapZipBomb(rng, n, 4<<20)
	s, _ := formattest.Extract(t, Zip(), data)
	if len(s.Files) != 1 {
		t.Errorf("%d entries extracted, want the first only", len(s.Files))
	}
	if len(s.Problems) != n-1 || !strings.Contains(s.Problems[0], "overlaps") {
		t.Errorf("%d problems (want %d), first %q", len(s.Problems), n-1, s.Problems[:min(1, len(s.Problems))])
	}
}
