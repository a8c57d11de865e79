package unpack

import (
	"context"
	"os"
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

// measured are the stream formats whose identification measures a
// stream's length by decoding it, up to 4 MiB: a shorter stream is
// decoded once to be identified and once to be extracted.
var measured = map[string]bool{"gzip": true, "zlib": true, "lzma": true}

// decodeOnce unpacks file with every decoder metered and checks that the
// decoded files of its layers were each decoded once: for every such file
// of n bytes (more than the 4 KiB an lzma check decodes), one decoder yielded n
// bytes, not two or three (a check decoding the whole payload, then the
// extraction). It returns the number of decoded files checked.
func decodeOnce(t *testing.T, file string) int {
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
	for _, d := range m.Decoders() {
		yielded[d.Bytes()]++
	}
	checked := 0
	for _, l := range s.Layers() {
		if !decoding[l.Format] {
			continue
		}
		for p, e := range l.Entries {
			if !e.Mode.IsRegular() || e.Incomplete != "" || e.Size <= 4<<10 {
				continue
			}
			n := yielded[e.Size]
			want := 1
			if measured[l.Format] && e.Size <= 4<<20 {
				want = 2
			}
			if n > want {
				t.Errorf("%s: %s %s (%d bytes) was decoded %d times", filepath.Base(file), l.ID, p, e.Size, n)
			}
			if n > 0 {
				checked++
			}
		}
	}
	return checked
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
			if n := decodeOnce(t, f); n != 1 && !strings.HasSuffix(f, ".itb") || n < 1 {
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
	if n := decodeOnce(t, formattest.Shared(t, "corpus/firmware/acme-hg100-1.0.0.bin")); n < 1 {
		t.Errorf("%d decoded files checked, want the kernel at least", n)
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
