package squashfs

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/decomp/bcjtest"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// fidelityTree writes, for each architecture, a real executable of it
// large enough for several data blocks, pieces of it small enough for
// fragments, and a duplicate (which mksquashfs stores once).
func fidelityTree(t *testing.T, arches []string, size int) string {
	t.Helper()
	dir := t.TempDir()
	for _, arch := range arches {
		in := bcjtest.Input(t, arch, size)
		d := filepath.Join(dir, arch)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{
			"code.bin": in,
			"copy.bin": in,
			"tail.bin": in[len(in)/3:], // starts mid-block
		}
		for i, n := range []int{1, 100, 3001, 20000, 40000} {
			off := (i * 7919) % (len(in) - n)
			files["piece"+strings.Repeat("x", i)] = in[off : off+n]
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(d, name), b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// regularSums maps each regular file under dir to its SHA-256.
func regularSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		h := sha256.Sum256(b)
		sums["/"+filepath.ToSlash(rel)] = hex.EncodeToString(h[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// ourSums maps each regular file thingsec extracts from img to its SHA-256.
func ourSums(t *testing.T, img []byte) map[string]string {
	t.Helper()
	s, _ := formattest.Extract(t, New(), img)
	if len(s.Problems) > 0 {
		t.Errorf("problems: %v", s.Problems)
	}
	sums := map[string]string{}
	for _, p := range s.Paths() {
		f := s.Get(p)
		if f.Hardlink {
			f = s.Get(f.Linkname)
		}
		if f != nil && f.Mode.IsRegular() {
			h := sha256.Sum256(f.Data)
			sums[p] = hex.EncodeToString(h[:])
		}
	}
	return sums
}

func compareSums(t *testing.T, got, want map[string]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s: sha256 %q, reference %s", k, got[k], want[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: extracted but not by the reference", k)
		}
	}
}

// xzFilterIDs counts, per first-filter ID, the xz blocks of a squashfs
// image that use a filter before LZMA2 (every compressed block is one xz
// stream).
func xzFilterIDs(img []byte) map[byte]int {
	ids := map[byte]int{}
	magic := []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	for i := bytes.Index(img, magic); i >= 0 && i+16 <= len(img); {
		if h := img[i+12:]; h[1]&3 > 0 {
			// Skip the size fields mksquashfs writes before the filters.
			p := 2
			for _, bit := range []byte{0x40, 0x80} {
				if h[1]&bit != 0 {
					for p < len(h) && h[p]&0x80 != 0 {
						p++
					}
					p++
				}
			}
			if p < len(h) {
				ids[h[p]]++
			}
		}
		j := bytes.Index(img[i+1:], magic)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return ids
}

// xzIDs are the .xz filter IDs of mksquashfs's -Xbcj names.
var xzIDs = map[string]byte{"x86": 4, "powerpc": 5, "ia64": 6, "arm": 7, "armthumb": 8, "sparc": 9}

// TestFidelityAgainstUnsquashfs builds images with the real mksquashfs,
// for every compressor and every -Xbcj filter it offers (alone and
// combined), from real executables of the matching architecture, and
// compares the SHA-256 of every regular file with unsquashfs's extraction.
func TestFidelityAgainstUnsquashfs(t *testing.T) {
	for _, tool := range []string{"mksquashfs", "unsquashfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	size := 300 << 10
	if formattest.Race {
		size = 96 << 10
	}
	tests := []struct {
		name   string
		arches []string
		args   []string
		bcj    []string // filters that must appear in the image's blocks
	}{
		{"gzip", []string{"x86"}, []string{"-comp", "gzip"}, nil},
		{"lzma", []string{"x86"}, []string{"-comp", "lzma"}, nil},
		{"lzo", []string{"x86"}, []string{"-comp", "lzo"}, nil},
		{"lz4", []string{"x86"}, []string{"-comp", "lz4"}, nil},
		{"zstd", []string{"x86"}, []string{"-comp", "zstd"}, nil},
		{"xz", []string{"x86"}, []string{"-comp", "xz"}, nil},
		{"xz-x86", []string{"x86"}, []string{"-comp", "xz", "-Xbcj", "x86"}, []string{"x86"}},
		{"xz-powerpc", []string{"powerpc"}, []string{"-comp", "xz", "-Xbcj", "powerpc"}, []string{"powerpc"}},
		{"xz-ia64", []string{"ia64"}, []string{"-comp", "xz", "-Xbcj", "ia64"}, []string{"ia64"}},
		{"xz-arm", []string{"arm"}, []string{"-comp", "xz", "-Xbcj", "arm"}, []string{"arm"}},
		{"xz-armthumb", []string{"armthumb"}, []string{"-comp", "xz", "-Xbcj", "armthumb"}, []string{"armthumb"}},
		{"xz-sparc", []string{"sparc"}, []string{"-comp", "xz", "-Xbcj", "sparc"}, []string{"sparc"}},
		{"xz-x86,arm", []string{"x86", "arm"}, []string{"-comp", "xz", "-Xbcj", "x86,arm"}, []string{"x86", "arm"}},
		{"xz-all", []string{"powerpc", "sparc"},
			// mksquashfs keeps the filter that compresses each block
			// best: which one wins varies, that some do does not.
			[]string{"-comp", "xz", "-Xbcj", "x86,arm,armthumb,powerpc,sparc,ia64", "-Xdict-size", "50%"},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fidelityTree(t, tt.arches, size)
			out := t.TempDir()
			img := filepath.Join(out, "img.sqfs")
			args := append([]string{src, img, "-noappend", "-no-progress", "-b", "65536", "-all-root"}, tt.args...)
			if b, err := exec.Command("mksquashfs", args...).CombinedOutput(); err != nil {
				t.Fatalf("mksquashfs: %v\n%s", err, b)
			}
			ref := filepath.Join(out, "ref")
			if b, err := exec.Command("unsquashfs", "-no-progress", "-d", ref, img).CombinedOutput(); err != nil {
				t.Fatalf("unsquashfs: %v\n%s", err, b)
			}
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			ids := xzFilterIDs(data)
			if strings.Contains(tt.name, "-") && len(ids) == 0 {
				t.Error("no block uses a BCJ filter")
			}
			for _, f := range tt.bcj {
				if ids[xzIDs[f]] == 0 {
					t.Errorf("no block uses the %s filter (%v): the input does not exercise it", f, ids)
				}
			}
			want := regularSums(t, ref)
			if len(want) < 8*len(tt.arches) {
				t.Fatalf("unsquashfs extracted %d files", len(want))
			}
			compareSums(t, ourSums(t, data), want)
		})
	}
}

// TestFirmwareCorpusRootfs compares every regular file of the squashfs
// root file system of the public firmware images with the SHA-256 that
// unsquashfs's extraction gives (verify/<version>/rootfs.sha256).
func TestFirmwareCorpusRootfs(t *testing.T) {
	if formattest.Race {
		t.Skip("extracts 2 x 19 MB; too slow under -race, where TestFidelityAgainstUnsquashfs covers the same code")
	}
	dir := formattest.Shared(t, "corpus", "firmware")
	versions := []string{"1.0.0", "1.1.0"}
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			fw, err := os.ReadFile(filepath.Join(dir, "acme-hg100-"+v+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			// TRX v1: partition offsets at 16, the root file system is
			// the second.
			if len(fw) < 28 || string(fw[:4]) != "HDR0" {
				t.Fatal("not a TRX image")
			}
			off := binary.LittleEndian.Uint32(fw[20:])
			if int(off) >= len(fw) || string(fw[off:off+4]) != "hsqs" {
				t.Fatalf("no squashfs at TRX offset %#x", off)
			}
			list, err := os.ReadFile(filepath.Join(dir, "verify", v, "rootfs.sha256"))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(string(list)), "\n") {
				sum, p, ok := strings.Cut(l, "  ")
				if !ok {
					t.Fatalf("bad line %q", l)
				}
				want[p] = sum
			}
			got := ourSums(t, fw[off:])
			compareSums(t, got, want)
			t.Logf("%d files identical", len(want))
		})
	}
}

// TestBigEndianTwins: no tool here writes big-endian squashfs, so the
// corpus's big-endian vendor images are checked against their
// little-endian twins (same files), which unsquashfs extracts: every
// regular file must be identical to unsquashfs's.
func TestBigEndianTwins(t *testing.T) {
	if _, err := exec.LookPath("unsquashfs"); err != nil {
		t.Skip("unsquashfs not installed")
	}
	dir := formattest.Shared(t, "corpus", "formats", "squashfs")
	for be, le := range map[string]string{"avm_be.sqfs4": "avm_le.sqfs4", "zlib_be.sqfs3": "zlib_le.sqfs3"} {
		t.Run(be, func(t *testing.T) {
			ref := filepath.Join(t.TempDir(), "ref")
			if b, err := exec.Command("unsquashfs", "-no-progress", "-d", ref, filepath.Join(dir, le)).CombinedOutput(); err != nil {
				t.Fatalf("unsquashfs %s: %v\n%s", le, err, b)
			}
			data, err := os.ReadFile(filepath.Join(dir, be))
			if err != nil {
				t.Fatal(err)
			}
			want := regularSums(t, ref)
			if len(want) < 3 {
				t.Fatalf("unsquashfs extracted %d files", len(want))
			}
			compareSums(t, ourSums(t, data), want)
		})
	}
}
