package unpack

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/decomp"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// decoding are the formats whose files are decoded streams.
var decoding = map[string]bool{
	"gzip": true, "zlib": true, "xz": true, "lzma": true, "bzip2": true, "zstd": true,
	"lz4": true, "lzop": true, "compress": true, "kernel": true, "uimage": true, "fit": true,
}

// decodeOnce unpacks file with every decoder metered and checks that the
// decoded files of its layers were each decoded once: for every such file
// of n bytes (more than the 4 KiB an lzma check decodes), one decoder yielded n
// bytes, not two or three (a check decoding the whole payload, then the
// extraction). It returns the number of decoded files checked and the
// bytes the decoders yielded beyond those files (bounded format checks).
func decodeOnce(t *testing.T, file string) (int, int64) {
	t.Helper()
	m := &decomp.Meter{}
	restore := decomp.SetMeter(m)
	defer restore()
	dir := t.TempDir()
	s, err := NewSession(Options{WorkDir: dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddFile(file); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	restore()
	yielded := map[int64]int{}
	var extra int64
	for _, d := range m.Decoders() {
		yielded[d.Bytes()]++
		extra += d.Bytes()
	}
	checked := 0
	for _, l := range s.Layers() {
		if !decoding[l.Format] {
			continue
		}
		for p, e := range l.Entries {
			if e.Mode.IsRegular() {
				extra -= e.Size
			}
			if !e.Mode.IsRegular() || e.Incomplete != "" || e.Size <= 4<<10 {
				continue
			}
			n := yielded[e.Size]
			if want := 1; n > want {
				t.Errorf("%s: %s %s (%d bytes) was decoded %d times", filepath.Base(file), l.ID, p, e.Size, n)
			}
			if n > 0 {
				checked++
			}
		}
	}
	return checked, extra
}

// TestDecodeOnceContainers: a boot container's compressed payload (uImage,
// FIT, the kernel of a bzImage or zImage) is decoded once, by extraction:
// the format checks decode a bounded prefix, and a payload is checked as
// it is decoded rather than by a decoding pass of its own.
func TestDecodeOnceContainers(t *testing.T) {
	var files []string
	for _, c := range []string{"gzip", "bzip2", "lzma", "lzo", "lz4", "zstd"} {
		files = append(files, filepath.Join("uimage", "testdata", "kernel-"+c+".uimg"))
	}
	files = append(files, filepath.Join("fit", "testdata", "image.itb"))
	if d := os.Getenv("THINGSEC_SHARED"); d != "" || dirExists("../../../shared") {
		for _, k := range []string{"gzip", "xz", "lzma", "bzip2", "lz4", "lzo"} {
			files = append(files, formattest.Shared(t, "corpus/formats/kernel/bzImage_"+k))
		}
	} else {
		t.Log("shared corpus absent: the bzImage kernels are not checked")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if n, _ := decodeOnce(t, f); n != 1 && !strings.HasSuffix(f, ".itb") || n < 1 {
				t.Errorf("%d decoded payloads found, want 1", n)
			}
		})
	}
}

// TestDecodeOnceImages checks whole firmware images: the demo image and
// the shared ones.
func TestDecodeOnceImages(t *testing.T) {
	decodeOnce(t, filepath.Join("..", "..", "testdata", "demo", "acme-cam.bin"))
	if testing.Short() || formattest.Race {
		t.Skip("the shared images decode a 16 MB kernel; too slow under -short or -race")
	}
	if n, _ := decodeOnce(t, formattest.Shared(t, "corpus/firmware/acme-hg100-1.0.0.bin")); n < 1 {
		t.Errorf("%d decoded files checked, want the kernel at least", n)
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// streamTools compress stdin to stdout with the reference tools, one per
// stream format.
var streamTools = []struct {
	format string
	cmd    []string
}{
	{"gzip", []string{"gzip", "-9", "-n", "-c"}},
	{"zlib", []string{"perl", "-MCompress::Zlib", "-0777", "-e", "binmode STDIN; binmode STDOUT; print compress(scalar <STDIN>, 9)"}},
	{"lzma", []string{"xz", "--format=lzma", "-c"}},
	{"xz", []string{"xz", "-c"}},
	{"bzip2", []string{"bzip2", "-c"}},
	{"zstd", []string{"zstd", "-q", "-c"}},
	{"lz4", []string{"lz4", "-q", "-c"}},
	{"lzop", []string{"lzop", "-c"}},
	{"compress", []string{"compress", "-c"}},
}

// TestDecodeOnceStreams carves standalone streams of every stream format
// out of a blob, each between other data: streams shorter than what
// identification decodes to measure them (4 MiB) and longer ones. Each
// is decoded once: identification hands what it decoded to extraction.
func TestDecodeOnceStreams(t *testing.T) {
	for _, tool := range streamTools {
		if _, err := exec.LookPath(tool.cmd[0]); err != nil {
			t.Skipf("%s not installed (.ci/run installs it)", tool.cmd[0])
		}
	}
	// Text: compressible, but well above the garbage guard's entropy
	// floor.
	text, err := os.ReadFile(filepath.Join("compress", "testdata", "plain.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var small, large []byte
	for i := 0; len(large) < 6<<20; i++ {
		large = append(large, fmt.Sprintf("\n-- copy %d --\n", i)...)
		large = append(large, text...)
		if i == 8 {
			small = large
		}
	}
	sizes := [][]byte{small}
	if !testing.Short() && !formattest.Race {
		sizes = append(sizes, large)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	gap := func() []byte {
		b := make([]byte, 4096)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	// .Z has no end marker: it ends with its file, alone in it. The
	// other formats share one file, one stream each (the formats whose
	// identification does not measure a stream, xz and bzip2, take the
	// rest of the file, hiding a second stream of theirs).
	groups := [][]int{{0, 1, 2, 3, 4, 5, 6, 7}, {8}}
	for k, in := range sizes {
		for g, group := range groups {
			blob := gap()
			for j, i := range group {
				tool := streamTools[i]
				// Every stream decodes to its own size: the meter tells
				// decoders apart by what they yielded.
				in := append(bytes.Repeat([]byte{'#'}, 1+i), in...)
				cmd := exec.Command(tool.cmd[0], tool.cmd[1:]...)
				cmd.Stdin = bytes.NewReader(in)
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s: %v", tool.format, err)
				}
				blob = append(blob, out...)
				if j < len(group)-1 {
					blob = append(blob, gap()...)
				}
			}
			file := filepath.Join(t.TempDir(), fmt.Sprintf("streams%d-%d.bin", k, g))
			if err := os.WriteFile(file, blob, 0o644); err != nil {
				t.Fatal(err)
			}
			n, extra := decodeOnce(t, file)
			if n < len(group) {
				t.Errorf("%s: %d decoded streams checked, want %d", filepath.Base(file), n, len(group))
			}
			// The format checks decode at most a few blocks each; a
			// stream measured by decoding its first 4 MiB once more
			// would show.
			if extra > 1<<20 {
				t.Errorf("%s: decoders yielded %d bytes more than the decoded files", filepath.Base(file), extra)
			}
		}
	}
}
