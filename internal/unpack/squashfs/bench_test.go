package squashfs

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

// countSink reads every file's content and counts the bytes.
type countSink struct{ n int64 }

func (s *countSink) Add(e format.Entry, r io.Reader) error {
	if r != nil {
		n, err := io.Copy(io.Discard, r)
		s.n += n
		return err
	}
	return nil
}

func (s *countSink) Problem(string, error) {}

// BenchmarkExtract extracts mksquashfs images of a real tree (the Go
// toolchain's sources and its assembler: many small text files and a
// large binary) for each compressor, at the default block size and at the
// 1 MiB of many firmware root file systems. Content is read, not written:
// this is the decoding path alone (scripts/bench squashfs times the whole
// extraction against unsquashfs).
func BenchmarkExtract(b *testing.B) {
	if _, err := exec.LookPath("mksquashfs"); err != nil {
		b.Skip("mksquashfs not installed")
	}
	root := runtime.GOROOT()
	srcs := []string{filepath.Join(root, "src/net/http"), filepath.Join(root, "src/crypto")}
	tools, _ := filepath.Glob(filepath.Join(root, "pkg/tool/*/asm"))
	srcs = append(srcs, tools...)
	for _, comp := range []string{"gzip", "lzo", "lz4", "zstd", "xz"} {
		for _, bs := range []string{"128K", "1M"} {
			b.Run(comp+"/"+bs, func(b *testing.B) {
				img := filepath.Join(b.TempDir(), "img.sqfs")
				args := append(append([]string{}, srcs...), img, "-noappend", "-no-progress", "-quiet", "-comp", comp, "-b", bs)
				out, err := exec.Command("mksquashfs", args...).CombinedOutput()
				if err != nil {
					b.Skipf("mksquashfs -comp %s: %v %s", comp, err, out)
				}
				data, err := os.ReadFile(img)
				if err != nil {
					b.Fatal(err)
				}
				var s countSink
				if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), &s); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(s.n)
				b.ResetTimer()
				for b.Loop() {
					if err := New().Extract(context.Background(), bytes.NewReader(data), int64(len(data)), &countSink{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
