package decomp

import (
	"bytes"
	stdflate "compress/flate"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zlib"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// streamInflate is the reference: the streaming decoder the one-pass
// decoder must agree with.
func streamInflate(src []byte, max int) ([]byte, error) {
	return appendFrom(nil, flate.NewReader(bytes.NewReader(src)), max)
}

// inflateSamples are inputs of every kind deflate encoders meet: text,
// binary code, runs, random bytes, and a mix.
func inflateSamples(t testing.TB) map[string][]byte {
	rng := rand.New(rand.NewSource(1))
	size := 1 << 20
	if formattest.Race {
		size = 64 << 10 // the race detector slows the encoders tenfold
	}
	random := make([]byte, size/5)
	rng.Read(random)
	text := bytes.Repeat([]byte("squashfs block of a root file system: /etc/passwd, /bin/busybox\n"), size/350)
	runs := make([]byte, size*3/10)
	for i := range runs {
		runs[i] = byte(i / 7000)
	}
	mixed := append(append(append([]byte{}, text[:size/20]...), random[:size/15]...), runs[:size/12]...)
	out := map[string][]byte{"empty": {}, "one": {'x'}, "text": text, "random": random, "runs": runs, "mixed": mixed}
	// Real machine code: the test binary itself.
	if exe, err := os.Executable(); err == nil {
		if b, err := os.ReadFile(exe); err == nil && len(b) > size {
			out["elf"] = b[:size]
		}
	}
	return out
}

// TestInflateMatchesStream decodes streams of every encoder level and
// strategy (stored, fixed and dynamic Huffman blocks, long and overlapping
// matches) in one pass and compares with the streaming decoder.
func TestInflateMatchesStream(t *testing.T) {
	for name, data := range inflateSamples(t) {
		for _, level := range []int{stdflate.NoCompression, stdflate.HuffmanOnly, 1, 2, 5, 6, 9} {
			var buf bytes.Buffer
			w, _ := stdflate.NewWriter(&buf, level)
			w.Write(data)
			w.Close()
			comp := buf.Bytes()
			out := make([]byte, len(data)+1)
			end, used, err := inflate(out, 0, comp)
			if err != nil || !bytes.Equal(out[:end], data) || used != len(comp) {
				t.Errorf("%s level %d: %d of %d bytes, used %d of %d, %v", name, level, end, len(data), used, len(comp), err)
				continue
			}
			// One byte short of room fails (the caller then reports
			// ErrTooLarge through the streaming decoder).
			if len(data) > 0 {
				if _, _, err := inflate(out[:len(data)-1], 0, comp); err == nil {
					t.Errorf("%s level %d: no error without room", name, level)
				}
			}
			// Cut streams fail.
			for _, cut := range []int{len(comp) / 2, len(comp) - 1} {
				if cut > 0 {
					if _, _, err := inflate(out, 0, comp[:cut]); err == nil {
						t.Errorf("%s level %d: stream cut at %d decoded", name, level, cut)
					}
				}
			}
		}
	}
}

// TestZlibBlockTools decodes zlib blocks made by real tools (mksquashfs's
// zlib via the corpus images is covered in package squashfs) and by the
// klauspost encoder at every level, and checks the checksum is verified.
func TestZlibBlockTools(t *testing.T) {
	data := inflateSamples(t)["mixed"]
	for _, level := range []int{0, 1, 4, 9} {
		var buf bytes.Buffer
		w, _ := zlib.NewWriterLevel(&buf, level)
		w.Write(data)
		w.Close()
		comp := buf.Bytes()
		got, ok := zlibBlock(nil, comp, len(data))
		if !ok || !bytes.Equal(got, data) {
			t.Fatalf("level %d: ok %v, %d bytes", level, ok, len(got))
		}
		bad := bytes.Clone(comp)
		bad[len(bad)-1] ^= 1
		if _, ok := zlibBlock(nil, bad, len(data)); ok {
			t.Fatalf("level %d: bad checksum accepted", level)
		}
		// Through the block API: same bytes, and the streaming decoder's
		// error for the bad checksum.
		if blk, err := Block(Zlib, comp, len(data)); err != nil || !bytes.Equal(blk, data) {
			t.Fatalf("Block: %d bytes, %v", len(blk), err)
		}
		if _, err := Block(Zlib, bad, len(data)); err != zlib.ErrChecksum {
			t.Fatalf("bad checksum: %v, want %v", err, zlib.ErrChecksum)
		}
		if _, err := Block(Zlib, comp, len(data)-1); err != ErrTooLarge {
			t.Fatalf("too large: %v", err)
		}
	}
	// gzip -9 output of a real tool, as raw deflate.
	gz := compressWith(t, data, "gzip", "-9", "-n", "-c")
	raw := gz[10 : len(gz)-8]
	if got, err := Block(Deflate, raw, len(data)); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("gzip -9 as deflate: %d bytes, %v", len(got), err)
	}
}

// FuzzInflate: whatever the one-pass decoder accepts, the streaming decoder
// decodes to the same bytes and the same length of input.
func FuzzInflate(f *testing.F) {
	for _, data := range inflateSamples(f) {
		for _, level := range []int{0, 1, 9, stdflate.HuffmanOnly} {
			var buf bytes.Buffer
			w, _ := stdflate.NewWriter(&buf, level)
			w.Write(data[:min(len(data), 3000)])
			w.Close()
			f.Add(buf.Bytes())
		}
	}
	if seeds, _ := filepath.Glob("testdata/inflate/*"); len(seeds) > 0 {
		for _, s := range seeds {
			if b, err := os.ReadFile(s); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, comp []byte) {
		const max = 1 << 16
		out := make([]byte, max)
		end, used, err := inflate(out, 0, comp)
		if err != nil {
			return
		}
		br := bytes.NewReader(comp)
		want, werr := appendFrom(nil, flate.NewReader(br), max)
		if werr != nil || !bytes.Equal(out[:end], want) {
			t.Fatalf("one pass: %d bytes; streaming: %d bytes, %v", end, len(want), werr)
		}
		// Both stop at the same byte: a zlib checksum follows there.
		if used != len(comp)-br.Len() {
			t.Fatalf("used %d bytes, the streaming decoder %d", used, len(comp)-br.Len())
		}
	})
}

func BenchmarkBlockZlib(b *testing.B) {
	data := inflateSamples(b)["elf"]
	if data == nil {
		data = inflateSamples(b)["mixed"]
	}
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, 6)
	w.Write(data)
	w.Close()
	comp := buf.Bytes()
	dst := make([]byte, 0, len(data))
	b.Run("one-pass", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := AppendBlock(dst[:0], Zlib, comp, len(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream-reused", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		z := &zlibBlocks{}
		for b.Loop() {
			z.src.Reset(comp)
			if z.z == nil {
				z.z, _ = zlib.NewReader(&z.src)
			} else {
				z.z.(zlib.Resetter).Reset(&z.src, nil)
			}
			if _, err := appendFrom(dst[:0], z.z, len(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream-new-buffer", func(b *testing.B) {
		// What a block cost before: a new reader and a buffer grown from
		// zero.
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			rc, _ := zlib.NewReader(bytes.NewReader(comp))
			var out bytes.Buffer
			if _, err := io.Copy(&out, io.LimitReader(rc, int64(len(data))+1)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestInflateMutations damages valid streams byte by byte: whatever the
// one-pass decoder still accepts, the streaming decoder decodes alike.
func TestInflateMutations(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	accepted := 0
	for name, data := range inflateSamples(t) {
		data = data[:min(len(data), 20000)]
		for _, level := range []int{0, 1, 6, stdflate.HuffmanOnly} {
			var buf bytes.Buffer
			w, _ := stdflate.NewWriter(&buf, level)
			w.Write(data)
			w.Close()
			comp := buf.Bytes()
			if len(comp) == 0 {
				continue
			}
			out := make([]byte, 1<<16)
			tries := 300
			if formattest.Race {
				tries = 30
			}
			for range tries {
				bad := bytes.Clone(comp)
				for range 1 + rng.Intn(3) {
					bad[rng.Intn(len(bad))] ^= byte(1 + rng.Intn(255))
				}
				end, used, err := inflate(out, 0, bad)
				if err != nil {
					continue
				}
				accepted++
				br := bytes.NewReader(bad)
				want, werr := appendFrom(nil, flate.NewReader(br), len(out))
				if werr != nil || !bytes.Equal(out[:end], want) || used != len(bad)-br.Len() {
					t.Fatalf("%s level %d: one pass %d bytes used %d; streaming %d bytes used %d, %v", name, level, end, used, len(want), len(bad)-br.Len(), werr)
				}
			}
		}
	}
	t.Logf("%d damaged streams still decoded, all alike", accepted)
}
