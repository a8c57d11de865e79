package lzmadec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
	"github.com/ulikunitz/xz/lzma"
)

// scale shrinks the test data under the race detector, which slows the
// decoding loop tenfold; the settings covered stay the same.
func scale(n int) int {
	if formattest.Race {
		return n / 8
	}
	return n
}

// sample is compressible data of every kind LZMA meets: text with long
// repeats, a machine-code-like binary, runs and random bytes.
func sample(n int, seed int64) []byte {
	rnd := rand.New(rand.NewSource(seed))
	var b bytes.Buffer
	words := []string{"busybox", "root", "etc/passwd", "0x00000000", "lib/libc.so", "\n", " ", "=", "httpd"}
	for b.Len() < n {
		switch rnd.Intn(5) {
		case 0:
			for i := 0; i < 200; i++ {
				b.WriteString(words[rnd.Intn(len(words))])
			}
		case 1:
			r := make([]byte, rnd.Intn(3000))
			rnd.Read(r)
			b.Write(r)
		case 2:
			b.Write(bytes.Repeat([]byte{byte(rnd.Intn(256))}, rnd.Intn(5000)))
		case 3:
			if b.Len() > 10 {
				off := rnd.Intn(b.Len())
				l := min(rnd.Intn(4000), b.Len()-off)
				b.Write(append([]byte(nil), b.Bytes()[off:off+l]...))
			}
		case 4:
			for i := 0; i < 500; i++ {
				var w [4]byte
				binary.LittleEndian.PutUint32(w[:], uint32(0x0c000000|rnd.Intn(1<<12)<<2))
				b.Write(w[:])
			}
		}
	}
	return b.Bytes()[:n]
}

func needXZ(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("xz (xz-utils) not installed")
	}
}

// xzCLI compresses data with the xz command and the given arguments.
func xzCLI(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("xz", append([]string{"-c", "-q"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("xz %v: %v: %s", args, err, errb.String())
	}
	return out.Bytes()
}

// cliSettings are the lc/lp/pb/dict combinations the CLI streams use.
var cliSettings = []string{
	"preset=0", "preset=6", "preset=9e,dict=1MiB",
	"lc=0,lp=0,pb=0", "lc=4,lp=0,pb=2", "lc=0,lp=4,pb=4", "lc=4,lp=0,pb=0",
	"lc=3,lp=1,pb=1,dict=4KiB", "lc=1,lp=3,pb=3,dict=64KiB,mode=fast", "lc=2,lp=2,pb=0,nice=273,mf=bt4",
}

func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAloneCLI(t *testing.T) {
	needXZ(t)
	for i, s := range cliSettings {
		data := sample(scale(200<<10)+i*777, int64(i))
		comp := xzCLI(t, data, "--format=lzma", "--lzma1="+s)
		t.Run(s, func(t *testing.T) {
			r, err := NewAloneReader(bytes.NewReader(comp), 64<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, r); !bytes.Equal(got, data) {
				t.Fatalf("output differs (%d vs %d bytes)", len(got), len(data))
			}
			if r.Consumed() != int64(len(comp)-HeaderSize) {
				t.Errorf("consumed %d of %d", r.Consumed(), len(comp)-HeaderSize)
			}
			// Trailing data is not read as part of the stream.
			r, _ = NewAloneReader(io.MultiReader(bytes.NewReader(comp), bytes.NewReader([]byte("trailing junk"))), 64<<20)
			if got := readAll(t, r); !bytes.Equal(got, data) {
				t.Fatal("output with trailing data differs")
			}
			// A small window (the stream's dictionary is larger) still
			// decodes: the window wraps.
			r, _ = NewAloneReader(bytes.NewReader(comp), 0)
			hd, _ := ParseHeader(comp)
			if err := r.Reset(bytes.NewReader(comp[HeaderSize:]), hd.Props, hd.DictSize, -1, 0); err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, iotestOneByte(r)); !bytes.Equal(got, data) {
				t.Fatal("byte-by-byte read differs")
			}
			// Known size in the header with the end marker present.
			known := append([]byte(nil), comp...)
			binary.LittleEndian.PutUint64(known[5:13], uint64(len(data)))
			r, err = NewAloneReader(bytes.NewReader(known), 64<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, r); !bytes.Equal(got, data) {
				t.Fatal("known-size output differs")
			}
			// Block decoding into the output, known and unknown size.
			var d Decoder
			dst := make([]byte, len(data))
			for _, size := range []int64{-1, int64(len(data))} {
				n, err := d.DecodeBlock(dst, comp[HeaderSize:], comp[0], size)
				if err != nil || !bytes.Equal(dst[:n], data) {
					t.Fatalf("DecodeBlock(size %d): %v", size, err)
				}
			}
			if _, err := d.DecodeBlock(dst[:len(data)-1], comp[HeaderSize:], comp[0], -1); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("DecodeBlock into a short buffer: %v", err)
			}
			// Every truncation is an error, never more output.
			for _, cut := range []int{1, 5, 6, len(comp) / 2, len(comp) - HeaderSize - 1} {
				r, _ := NewAloneReader(bytes.NewReader(comp[:len(comp)-cut]), 64<<20)
				got, err := io.ReadAll(r)
				if err == nil || !bytes.HasPrefix(data, got) {
					t.Fatalf("cut %d: err %v, %d bytes, prefix %v", cut, err, len(got), bytes.HasPrefix(data, got))
				}
			}
		})
	}
}

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func iotestOneByte(r io.Reader) io.Reader { return oneByte{r} }

// TestKnownSizeNoMarker decodes streams without end marker (size in the
// header), as kernels and squashfs carry them; xz cannot write those, so
// ulikunitz's encoder does.
func TestKnownSizeNoMarker(t *testing.T) {
	for i, p := range []lzma.Properties{{LC: 3, LP: 0, PB: 2}, {LC: 0, LP: 2, PB: 0}, {LC: 4, LP: 0, PB: 4}} {
		data := sample(scale(150<<10), int64(100+i))
		var buf bytes.Buffer
		w, err := lzma.WriterConfig{Properties: &p, DictCap: 1 << 16, SizeInHeader: true, Size: int64(len(data))}.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
		comp := buf.Bytes()
		r, err := NewAloneReader(bytes.NewReader(append(append([]byte(nil), comp...), 1, 2, 3)), 64<<20)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, r); !bytes.Equal(got, data) {
			t.Fatalf("%+v: output differs", p)
		}
		if r.Consumed() != int64(len(comp)-HeaderSize) {
			t.Errorf("%+v: consumed %d of %d", p, r.Consumed(), len(comp)-HeaderSize)
		}
		var d Decoder
		dst := make([]byte, len(data)+100)
		n, err := d.DecodeBlock(dst, comp[HeaderSize:], comp[0], int64(len(data)))
		if err != nil || !bytes.Equal(dst[:n], data) {
			t.Fatalf("%+v: DecodeBlock: %v", p, err)
		}
	}
}

func TestLZMA2CLI(t *testing.T) {
	needXZ(t)
	for i, s := range append(cliSettings[:3:3], "lc=4,lp=0,pb=4", "lc=0,lp=4,pb=0,dict=4KiB", "lc=1,lp=1,pb=1,dict=128KiB,mode=fast") {
		// Random data makes the encoder write uncompressed chunks.
		data := sample(scale(3<<20/2)+i*1001, int64(50+i))
		comp := xzCLI(t, data, "--format=raw", "--lzma2="+s)
		t.Run(s, func(t *testing.T) {
			// The window: ample, the output's size, and for streams
			// with a small dictionary exactly that (the window wraps).
			wins := []int{64 << 20, len(data)}
			if d := dictOf(s); d > 0 {
				wins = append(wins, d)
			}
			for _, win := range wins {
				r := NewReader2(bytes.NewReader(append(append([]byte(nil), comp...), 0xff)), win)
				if got := readAll(t, r); !bytes.Equal(got, data) {
					t.Fatalf("window %d: output differs (%d vs %d bytes)", win, len(got), len(data))
				}
			}
			r := NewReader2(bytes.NewReader(comp[:len(comp)-1]), 64<<20)
			if _, err := io.ReadAll(r); err == nil {
				t.Fatal("LZMA2 data without end byte decoded")
			}
		})
	}
}

func dictOf(setting string) int {
	for _, kv := range []struct {
		s string
		n int
	}{{"dict=4KiB", 4 << 10}, {"dict=128KiB", 128 << 10}, {"dict=1MiB", 1 << 20}} {
		if bytes.Contains([]byte(setting), []byte(kv.s)) {
			return kv.n
		}
	}
	return 0
}

// TestDifferential decodes ulikunitz-made streams and compares with
// ulikunitz's own decoder on mutated inputs: same output prefix, and an
// error from one is an error (or shorter output) from the other.
func TestDifferential(t *testing.T) {
	data := sample(scale(64<<10), 7)
	var buf bytes.Buffer
	w, _ := lzma.WriterConfig{DictCap: 1 << 16}.NewWriter(&buf)
	w.Write(data)
	w.Close()
	comp := buf.Bytes()
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		m := append([]byte(nil), comp...)
		for k := 0; k < 1+rnd.Intn(3); k++ {
			m[HeaderSize+rnd.Intn(len(m)-HeaderSize)] ^= byte(1 << rnd.Intn(8))
		}
		differential(t, m, 4<<20)
	}
}

// differential compares the first limit bytes of both decoders' output.
func differential(t *testing.T, comp []byte, limit int64) {
	t.Helper()
	// ulikunitz allocates the dictionary a header asks for (up to 4 GiB):
	// both decoders get a header asking for at most 1 MiB.
	if len(comp) >= 5 && binary.LittleEndian.Uint32(comp[1:5]) > 1<<20 {
		comp = append([]byte(nil), comp...)
		binary.LittleEndian.PutUint32(comp[1:5], 1<<20)
	}
	var want []byte
	var werr error
	if ur, err := (lzma.ReaderConfig{DictCap: 1 << 20}).NewReader(bytes.NewReader(comp)); err != nil {
		werr = err
	} else {
		want, werr = io.ReadAll(io.LimitReader(ur, limit))
	}
	var got []byte
	r, gerr := NewAloneReader(bytes.NewReader(comp), 1<<20)
	if gerr == nil {
		got, gerr = io.ReadAll(io.LimitReader(r, limit))
	}
	if (werr == nil) != (gerr == nil) {
		// ulikunitz refuses some headers this decoder accepts (it caps
		// the dictionary at its DictCap); both must agree on the data.
		if werr != nil && len(want) == 0 && gerr == nil {
			return
		}
		t.Fatalf("ulikunitz err %v, ours %v", werr, gerr)
	}
	n := min(len(want), len(got))
	if !bytes.Equal(want[:n], got[:n]) {
		t.Fatalf("outputs differ within the first %d bytes", n)
	}
	if werr == nil && !bytes.Equal(want, got) {
		t.Fatalf("outputs differ: %d vs %d bytes", len(want), len(got))
	}
}

func FuzzAlone(f *testing.F) {
	for _, s := range []string{"preset=0", "lc=0,lp=4,pb=4,dict=4KiB"} {
		if _, err := exec.LookPath("xz"); err == nil {
			f.Add(xzCLI(f, sample(5000, 3), "--format=lzma", "--lzma1="+s))
		}
	}
	var buf bytes.Buffer
	w, _ := lzma.WriterConfig{DictCap: 1 << 12, SizeInHeader: true, Size: 3000}.NewWriter(&buf)
	w.Write(sample(3000, 4))
	w.Close()
	f.Add(buf.Bytes())
	addCorpus(f, "alone")
	f.Fuzz(func(t *testing.T, b []byte) {
		differential(t, b, 256<<10)
		if hd, err := ParseHeader(b); err == nil {
			var d Decoder
			dst := make([]byte, 1<<16)
			n, err := d.DecodeBlock(dst, b[HeaderSize:], hd.Props, min(hd.Size, -1))
			if n > len(dst) {
				t.Fatal("output beyond the buffer")
			}
			r, _ := NewAloneReader(bytes.NewReader(b), 1<<16)
			got, rerr := io.ReadAll(io.LimitReader(r, 1<<16))
			if err == nil && rerr == nil && !bytes.Equal(dst[:n], got) {
				t.Fatal("DecodeBlock and Reader differ")
			}
		}
	})
}

func FuzzLZMA2(f *testing.F) {
	if _, err := exec.LookPath("xz"); err == nil {
		f.Add(xzCLI(f, sample(5000, 3), "--format=raw", "--lzma2=preset=0"))
		f.Add(xzCLI(f, sample(70000, 9), "--format=raw", "--lzma2=lc=0,lp=4,pb=0,dict=4KiB"))
	}
	addCorpus(f, "lzma2")
	f.Fuzz(func(t *testing.T, b []byte) {
		var want []byte
		ur, werr := lzma.Reader2Config{DictCap: 1 << 16}.NewReader2(bytes.NewReader(b))
		if werr == nil {
			want, werr = io.ReadAll(io.LimitReader(ur, 1<<22))
		}
		got, gerr := io.ReadAll(io.LimitReader(NewReader2(bytes.NewReader(b), 1<<16), 1<<22))
		n := min(len(want), len(got))
		if !bytes.Equal(want[:n], got[:n]) {
			t.Fatalf("outputs differ within the first %d bytes", n)
		}
		if werr == nil && gerr == nil && !bytes.Equal(want, got) {
			t.Fatalf("outputs differ: %d vs %d bytes", len(want), len(got))
		}
	})
}

// addCorpus adds the regression inputs kept in testdata/regress/NAME-*.
func addCorpus(f *testing.F, name string) {
	for i := 0; ; i++ {
		b, err := os.ReadFile(fmt.Sprintf("testdata/regress/%s-%d", name, i))
		if err != nil {
			return
		}
		f.Add(b)
	}
}
