package unpack_test

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// gzipData compresses data with the gzip tool.
func gzipData(t *testing.T, data []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("gzip"); err != nil {
		t.Skip("gzip not installed")
	}
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// -1: -9 spends minutes on long runs of two byte values.
	out, err := exec.Command("gzip", "-1", "-n", "-c", in).Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// zlibData wraps the deflate data gzip wrote in a zlib header and trailer.
func zlibData(t *testing.T, data []byte) []byte {
	gz := gzipData(t, data)
	if gz[3] != 0 { // no name, no extra fields
		t.Fatalf("gzip header flags %#x, want none", gz[3])
	}
	z := append([]byte{0x78, 0xda}, gz[10:len(gz)-8]...)
	return binary.BigEndian.AppendUint32(z, adler32.Checksum(data))
}

// twoBytes returns n bytes of 0x00 and 0x11, one in five 0x11: the
// histogram of a false zlib match in a kernel (0.72 bits/byte).
func twoBytes(seed uint64, n int) []byte {
	rng := formattest.Rand(seed)
	b := make([]byte, n)
	for i := range b {
		if rng.IntN(5) == 0 {
			b[i] = 0x11
		}
	}
	return b
}

// letters returns n bytes of 16 letters: content with 4 bits/byte.
func letters(seed uint64, n int) []byte {
	rng := formattest.Rand(seed)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rng.IntN(16))
	}
	return b
}

// TestCarvedGarbageStream: a carved compressed stream that fails to
// decode is kept when its output is real content, and dropped, having
// written at most the judging bound, when its output is garbage. A whole
// file target and a stream that decodes to its end are always kept.
func TestCarvedGarbageStream(t *testing.T) {
	const bound = 1<<20 + 256<<10 // the judging bound plus one write buffer
	pad := bytes.Repeat([]byte{0xff}, 64<<10)
	cut := func(b []byte, frac float64) []byte { return b[:int(float64(len(b))*frac)] }
	carved := func(stream []byte) []byte {
		return append(append(append([]byte{}, pad...), stream...), pad...)
	}
	realText := letters(1, 6<<20)
	garbage := twoBytes(2, 16<<20)
	empty := append(bytes.Repeat([]byte{0}, 6<<20), letters(3, 1000)...)
	for _, tc := range []struct {
		name    string
		image   []byte
		format  string
		content []byte // the decoded stream, of which the layer keeps a prefix
		whole   bool   // the layer holds all of content
		dropped bool
	}{
		{"truncated gzip of real content", carved(cut(gzipData(t, realText), 0.6)), "gzip", realText, false, false},
		{"truncated zlib of real content", carved(cut(zlibData(t, realText), 0.6)), "zlib", realText, false, false},
		{"truncated zlib of garbage", carved(cut(zlibData(t, garbage), 0.8)), "zlib", garbage, false, true},
		{"truncated gzip of garbage", carved(cut(gzipData(t, garbage), 0.8)), "gzip", garbage, false, true},
		{"whole zlib of mostly zeros", carved(zlibData(t, empty)), "zlib", empty, true, false},
		{"whole-file truncated gzip of garbage", cut(gzipData(t, garbage), 0.8), "gzip", garbage, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := runImage(t, tc.image, unpack.DefaultLimits())
			var l *unpack.Layer
			for _, c := range s.Layers() {
				if c.Format == tc.format && c.Depth == 1 {
					l = c
				}
			}
			if l == nil {
				t.Fatalf("no %s layer: %+v", tc.format, s.Problems())
			}
			if tc.dropped {
				if l.Extracted || len(l.Entries) != 0 || l.Bytes != 0 || l.Dir != "" {
					t.Errorf("garbage layer kept: extracted %v, %d entries, %d bytes", l.Extracted, len(l.Entries), l.Bytes)
				}
				re := regexp.MustCompile(`dropped: decoding failed .* it wrote (\d+) bytes`)
				var m []string
				for _, p := range s.Problems() {
					if p.Layer == l.ID && p.Kind == "corrupt" {
						if m = re.FindStringSubmatch(p.Message); m != nil {
							break
						}
					}
				}
				if m == nil {
					t.Fatalf("no problem says the layer was dropped: %+v", s.Problems())
				}
				if n, _ := strconv.ParseInt(m[1], 10, 64); n == 0 || n > bound {
					t.Errorf("wrote %d bytes before dropping, want at most %d", n, bound)
				}
				return
			}
			if !l.Extracted || len(l.Entries) != 1 {
				t.Fatalf("layer not extracted: %+v", s.Problems())
			}
			for p := range l.Entries {
				got, err := os.ReadFile(filepath.Join(l.Dir, p))
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tc.whole && !bytes.Equal(got, tc.content):
					t.Errorf("got %d bytes, want the whole %d-byte stream", len(got), len(tc.content))
				case !tc.whole && common(got, tc.content) < 2<<20:
					// The padding after the cut decodes to junk (long
					// matches) before the decoder fails: only the prefix
					// is the stream's.
					t.Errorf("got %d bytes, %d of them the stream's; want over 2 MiB of it", len(got), common(got, tc.content))
				}
			}
		})
	}
}

// common is the length of the common prefix of a and b.
func common(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
