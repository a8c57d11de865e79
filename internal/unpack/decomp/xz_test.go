package decomp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/decomp/bcjtest"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// inputSize keeps the xz tests to about a second; the race detector
// slows decoding tenfold.
func inputSize() int {
	if formattest.Race {
		return 64 << 10
	}
	return 512 << 10
}

func needXZ(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("xz not installed")
	}
}

// run runs a command with stdin and returns its stdout.
func run(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func decodeXZ(t testing.TB, comp []byte) ([]byte, error) {
	t.Helper()
	rc, err := NewReader(XZ, bytes.NewReader(comp))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(rc)
}

// TestXZFiltersAgainstXZ compresses real executables with xz and every
// filter chain it offers, and compares our decoding with xz -d's, byte
// for byte.
func TestXZFiltersAgainstXZ(t *testing.T) {
	needXZ(t)
	n := inputSize()
	tests := []struct {
		name  string
		input string // architecture, or "samples"
		args  []string
	}{
		{"lzma2", "x86", nil},
		{"x86", "x86", []string{"--x86"}},
		{"x86-start", "x86", []string{"--x86=start=4099"}},
		{"powerpc", "powerpc", []string{"--powerpc"}},
		{"ia64", "ia64", []string{"--ia64"}},
		{"arm", "arm", []string{"--arm"}},
		{"armthumb", "armthumb", []string{"--armthumb"}},
		{"arm64", "arm64", []string{"--arm64"}},
		{"arm64-start", "arm64", []string{"--arm64=start=8192"}},
		{"sparc", "sparc", []string{"--sparc"}},
		{"delta1", "samples", []string{"--delta=dist=1"}},
		{"delta4", "samples", []string{"--delta=dist=4"}},
		{"delta256", "x86", []string{"--delta=dist=256"}},
		{"delta-x86", "x86", []string{"--delta=dist=4", "--x86"}},
		{"x86-arm", "arm", []string{"--x86", "--arm"}},
		{"three-bcj", "armthumb", []string{"--x86", "--powerpc", "--armthumb"}},
		{"check-none", "armthumb", []string{"--armthumb", "--check=none"}},
		{"check-crc32", "armthumb", []string{"--armthumb", "--check=crc32"}},
		{"check-sha256", "armthumb", []string{"--armthumb", "--check=sha256"}},
		// Several blocks; with two threads xz also writes the sizes
		// into the block headers.
		{"blocks", "arm64", []string{"--arm64", "--block-size=100000", "-T2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []byte
			if tt.input == "samples" {
				in = bcjtest.Samples(n)
			} else {
				in = bcjtest.Input(t, tt.input, n)
			}
			args := append([]string{"-c", "-T1"}, tt.args...)
			args = append(args, "--lzma2=preset=1")
			comp := run(t, in, "xz", args...)
			want := run(t, comp, "xz", "-dc")
			got, err := decodeXZ(t, comp)
			if err != nil {
				t.Fatalf("decode: %v after %d bytes", err, len(got))
			}
			if sha256.Sum256(got) != sha256.Sum256(want) {
				t.Fatalf("decoded %d bytes differ from xz -d's %d", len(got), len(want))
			}
			blk, err := Block(XZ, comp, len(in))
			if err != nil || !bytes.Equal(blk, want) {
				t.Fatalf("Block: %d bytes, %v", len(blk), err)
			}
		})
	}
}

// encode applies a filter's encoder to the whole of b, as xz does.
func encode(spec bcjSpec, b []byte, start uint32) []byte {
	out := append([]byte(nil), b...)
	spec.code(newBCJ(spec.code), out, start, true)
	return out
}

// unfilter undoes a filter in one call.
func unfilter(spec bcjSpec, b []byte, start uint32) []byte {
	out := append([]byte(nil), b...)
	spec.code(newBCJ(spec.code), out, start, false)
	return out
}

// TestBCJEncoderMatchesXZ checks the encoder direction (used by the
// tests of the filters no local tool writes) against xz on real code: xz
// encodes filter + LZMA2 as a raw stream, and decoding that with LZMA2
// alone leaves the filtered bytes.
func TestBCJEncoderMatchesXZ(t *testing.T) {
	needXZ(t)
	n := inputSize()
	for id, spec := range bcjFilters {
		if spec.name == "riscv" {
			continue // xz 5.4 has no RISC-V filter
		}
		t.Run(spec.name, func(t *testing.T) {
			in := bcjtest.Input(t, spec.name, n)
			raw := run(t, in, "xz", "-c", "--format=raw", "--"+spec.name, "--lzma2=preset=0")
			filtered := run(t, raw, "xz", "-dc", "--format=raw", "--lzma2=preset=0")
			ours := encode(spec, in, 0)
			if !bytes.Equal(ours, filtered) {
				t.Fatalf("filter %#x: our encoder differs from xz", id)
			}
			if changed := countChanged(in, ours); changed < len(in)/2000 {
				t.Fatalf("input exercises the filter too little: %d bytes changed", changed)
			}
		})
	}
}

func countChanged(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// TestRISCV tests the filter xz 5.4 cannot write. Hand-checked vectors
// follow the filter's definition: a JAL with rd=ra becomes its absolute
// target (bits 20:1, big endian in the immediate's place); an AUIPC+ADDI
// pair becomes AUIPC rd=sp carrying the ADDI's low 20 bits, then the
// 32-bit absolute address big endian.
func TestRISCV(t *testing.T) {
	spec := bcjFilters[0x0b]
	vectors := []struct {
		name      string
		pos       uint32
		code, enc []byte
	}{
		// jal ra, +0x100 at 0x1000 -> target 0x1100.
		{"jal", 0x1000, []byte{0xef, 0x00, 0x00, 0x10}, []byte{0xef, 0x00, 0x08, 0x80}},
		// jal zero, +0x100 (a plain jump) is left alone.
		{"j", 0x1000, []byte{0x6f, 0x00, 0x00, 0x10}, []byte{0x6f, 0x00, 0x00, 0x10}},
		// auipc a0, 0x12345; addi a0, a0, 0x678 at 0x2000 -> 0x12347678.
		{"auipc-addi", 0x2000, le32(0x12345517, 0x67850513), append(le32(0x50513117), 0x12, 0x34, 0x76, 0x78)},
	}
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			// The filter needs 8 bytes of lookahead: pad with zeros,
			// which it never converts.
			code := append(append([]byte(nil), v.code...), make([]byte, 8)...)
			want := append(append([]byte(nil), v.enc...), make([]byte, 8)...)
			if got := encode(spec, code, v.pos); !bytes.Equal(got, want) {
				t.Fatalf("encode: % x, want % x", got, want)
			}
			if got := unfilter(spec, want, v.pos); !bytes.Equal(got, code) {
				t.Fatalf("decode: % x, want % x", got, code)
			}
		})
	}

	t.Run("libc", func(t *testing.T) {
		needXZ(t)
		in := bcjtest.Input(t, "riscv", inputSize())
		enc := encode(spec, in, 0)
		if changed := countChanged(in, enc); changed < len(in)/200 {
			t.Fatalf("only %d bytes converted", changed)
		}
		if !bytes.Equal(unfilter(spec, enc, 0), in) {
			t.Fatal("decode(encode(x)) != x")
		}
		// A real xz container around the filtered bytes: xz writes
		// LZMA2 alone, and its one-filter block header is rewritten
		// (same size) to name RISC-V before LZMA2.
		comp := run(t, enc, "xz", "-c", "-T1", "--check=none", "--lzma2=preset=1")
		setRISCVFilter(t, comp)
		got, err := decodeXZ(t, comp)
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("xz stream with the RISC-V filter: %d bytes, %v", len(got), err)
		}
	})
}

func le32(v ...uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

// setRISCVFilter rewrites the first block header of a single-filter xz
// stream to the chain RISC-V, LZMA2.
func setRISCVFilter(t testing.TB, comp []byte) {
	h := comp[12 : 12+(int(comp[12])+1)*4]
	if len(h) != 12 || h[1] != 0 || h[2] != 0x21 || h[3] != 1 {
		t.Fatalf("unexpected block header % x", h)
	}
	dict := h[4]
	copy(h[1:], []byte{0x01, 0x0b, 0x00, 0x21, 0x01, dict, 0})
	binary.LittleEndian.PutUint32(h[8:], crc32.ChecksumIEEE(h[:8]))
}

// chunkReader returns at most the next of its sizes per Read.
type chunkReader struct {
	r     io.Reader
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	n := c.sizes[c.i%len(c.sizes)]
	c.i++
	if n < len(p) {
		p = p[:n]
	}
	return c.r.Read(p)
}

// checkBCJ checks that decoding inverts encoding for every filter, in
// one call and streamed in chunks of the given sizes.
func checkBCJ(t *testing.T, data []byte, start uint32, sizes []int) {
	for id, spec := range bcjFilters {
		s := start &^ (spec.align - 1)
		enc := encode(spec, data, s)
		if got := unfilter(spec, enc, s); !bytes.Equal(got, data) {
			t.Fatalf("filter %#x start %d: decode(encode(x)) != x", id, s)
		}
		br := newBCJReader(&chunkReader{r: bytes.NewReader(enc), sizes: sizes}, spec, s)
		br.buf = make([]byte, 16+int(start%61)) // small buffers: many refills
		got, err := io.ReadAll(br)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("filter %#x start %d: streamed decoding differs (%v)", id, s, err)
		}
	}
}

func TestBCJStreaming(t *testing.T) {
	for _, arch := range []string{"x86", "ia64", "sparc"} {
		in := bcjtest.Input(t, arch, 64<<10)
		checkBCJ(t, in, 0, []int{1, 7, 4096, 3, 100})
		checkBCJ(t, in, 4100, []int{13})
	}
}

// FuzzBCJ: every filter is a bijection that streaming does not change.
func FuzzBCJ(f *testing.F) {
	f.Add([]byte("\xe8\x00\x00\x00\x00\xe9\xff\xff\xff\xff\xe8\xe8\x01\x02\x03\x00"), uint32(0), uint8(3))
	f.Add(bytes.Repeat([]byte{0xef, 0x00, 0x17, 0x05, 0x13, 0x05, 0x45, 0x67, 0x17, 0x01}, 20), uint32(2), uint8(1))
	f.Add(bytes.Repeat([]byte{0x00, 0x00, 0x00, 0xeb, 0x48, 0x00, 0x00, 0x01, 0xf0, 0xf8, 0x40, 0x00}, 30), uint32(16), uint8(5))
	f.Add(bcjtest.Samples(512), uint32(1<<31), uint8(16))
	f.Fuzz(func(t *testing.T, data []byte, start uint32, chunk uint8) {
		checkBCJ(t, data, start, []int{int(chunk%32) + 1, 1, 9})
	})
}

// xzSeeds are small streams with each filter, made by xz.
func xzSeeds(t testing.TB) [][]byte {
	if _, err := exec.LookPath("xz"); err != nil {
		return nil
	}
	in := bcjtest.Samples(3000)
	var out [][]byte
	for _, f := range []string{"--x86", "--powerpc", "--ia64", "--arm", "--armthumb", "--arm64", "--sparc", "--delta=dist=3"} {
		out = append(out, run(t, in, "xz", "-c", "-T1", f, "--lzma2=preset=0"))
	}
	out = append(out, run(t, in, "xz", "-c", "-T2", "--block-size=1000", "--check=sha256"))
	return out
}

// TestXZDamaged: every truncation and many bit flips of a filtered stream
// give an error, never a panic or a silently short result.
func TestXZDamaged(t *testing.T) {
	needXZ(t)
	in := bcjtest.Samples(20000)
	comp := run(t, in, "xz", "-c", "-T1", "--delta=dist=4", "--x86", "--lzma2=preset=1,dict=64KiB")
	step := 5
	if formattest.Race {
		step = 41
	}
	for n := 0; n < len(comp); n += step {
		if got, err := decodeXZ(t, comp[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error (%d bytes out)", n, len(got))
		}
	}
	rng := rand.New(rand.NewSource(1))
	flips := 200
	if formattest.Race {
		flips = 40
	}
	for i := 0; i < flips; i++ {
		bad := append([]byte(nil), comp...)
		bad[rng.Intn(len(bad))] ^= byte(1 << rng.Intn(8))
		if got, err := decodeXZ(t, bad); err == nil && !bytes.Equal(got, in) {
			t.Fatalf("flip %d: wrong data without an error", i)
		}
	}
	// Trailing data after the stream is ignored (a carved stream).
	got, err := decodeXZ(t, append(append([]byte(nil), comp...), "trailing"...))
	if err != nil || !bytes.Equal(got, in) {
		t.Fatalf("with trailing data: %v", err)
	}
}

// TestXZDictionaryCap: a header asking for a 1.5 GiB dictionary is refused
// as a stream, and clamped to the block size for a block.
func TestXZDictionaryCap(t *testing.T) {
	needXZ(t)
	in := bytes.Repeat([]byte("thingsec "), 1000)
	comp := run(t, in, "xz", "-c", "-T1", "--x86", "--lzma2=dict=1536MiB")
	_, err := decodeXZ(t, comp)
	var u *format.UnsupportedError
	if !errors.As(err, &u) {
		t.Fatalf("1.5 GiB dictionary: %v, want an unsupported error", err)
	}
	if got, err := Block(XZ, comp, len(in)); err != nil || !bytes.Equal(got, in) {
		t.Fatalf("Block: %v", err)
	}
}

func FuzzXZ(f *testing.F) {
	for _, s := range xzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rc, err := NewReader(XZ, bytes.NewReader(data))
		if err == nil {
			ReadAtMost(rc, 1<<20)
		}
		Block(XZ, data, 1<<16)
	})
}

// blockHeader builds a block header with the given flags byte and body
// (sizes and filter flags), padded and checksummed.
func blockHeader(flags byte, body ...byte) []byte {
	n := (2 + len(body) + 4 + 3) &^ 3
	h := make([]byte, n)
	h[0] = byte(n/4 - 1)
	h[1] = flags
	copy(h[2:], body)
	binary.LittleEndian.PutUint32(h[n-4:], crc32.ChecksumIEEE(h[:n-4]))
	return h
}

func TestXZBlockHeaderErrors(t *testing.T) {
	unsupported := func(err error) bool {
		var u *format.UnsupportedError
		return errors.As(err, &u)
	}
	corrupt := func(err error) bool { return errors.Is(err, errXZCorrupt) }
	tests := []struct {
		name string
		h    []byte
		want func(error) bool
	}{
		{"unknown filter", blockHeader(1, 0x0c, 0, 0x21, 1, 16), unsupported},
		{"lzma2 not last", blockHeader(1, 0x21, 1, 16, 0x04, 0), corrupt},
		{"bcj last", blockHeader(0, 0x04, 0), unsupported},
		{"misaligned arm start", blockHeader(1, 0x07, 4, 2, 0, 0, 0, 0x21, 1, 16), unsupported},
		{"bad bcj props", blockHeader(1, 0x04, 2, 0, 0, 0x21, 1, 16), corrupt},
		{"bad delta props", blockHeader(1, 0x03, 0, 0x21, 1, 16), corrupt},
		{"dict over 4 GiB", blockHeader(0, 0x21, 1, 41), corrupt},
		{"reserved flags", blockHeader(0x04, 0x21, 1, 16), unsupported},
		{"props beyond header", blockHeader(0, 0x21, 60), corrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseXZBlockHeader(tt.h); !tt.want(err) {
				t.Fatalf("error %v", err)
			}
		})
	}
	bad := blockHeader(1, 0x04, 0, 0x21, 1, 16)
	if _, err := parseXZBlockHeader(bad); err != nil {
		t.Fatalf("valid header: %v", err)
	}
	bad[3] ^= 1
	if _, err := parseXZBlockHeader(bad); !corrupt(err) {
		t.Fatalf("CRC mismatch: %v", err)
	}
}

// TestXZCorpusKernel decodes the x86 BCJ + LZMA2 payload of the corpus's
// xz bzImage and compares it with xz --single-stream -dc's output.
func TestXZCorpusKernel(t *testing.T) {
	needXZ(t)
	data, err := os.ReadFile(formattest.Shared(t, "corpus/formats/kernel/bzImage_xz"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, xzMagic)
	if i < 0 {
		t.Fatal("no xz stream")
	}
	stream := data[i:]
	if h := stream[12:]; h[1]&3 != 1 || h[2] != 0x04 {
		t.Fatalf("expected an x86 BCJ + LZMA2 block, header % x", h[:8])
	}
	want := run(t, stream, "xz", "--single-stream", "-dc")
	got, err := decodeXZ(t, stream)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%d bytes (xz: %d), %v", len(got), len(want), err)
	}
}

func TestNewBCJReader(t *testing.T) {
	in := bcjtest.Input(t, "x86", 64<<10)
	rd, err := NewBCJReader(bytes.NewReader(encode(bcjFilters[0x04], in, 16)), "x86", 16)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rd); err != nil || !bytes.Equal(got, in) {
		t.Fatalf("x86: %v", err)
	}
	if _, err := NewBCJReader(nil, "arm", 2); err == nil {
		t.Error("misaligned ARM start offset accepted")
	}
	if _, err := NewBCJReader(nil, "mips", 0); err == nil {
		t.Error("unknown filter accepted")
	}
	samples := bcjtest.Samples(4096)
	enc := make([]byte, len(samples))
	for i := range samples { // the Delta encoder: differences at distance 4
		enc[i] = samples[i]
		if i >= 4 {
			enc[i] -= samples[i-4]
		}
	}
	dr, err := NewDeltaReader(bytes.NewReader(enc), 4)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(dr); err != nil || !bytes.Equal(got, samples) {
		t.Fatalf("delta: %v", err)
	}
}

// TestProbeXZ: the probe accepts a stream from its first bytes alone and
// refuses one whose first data do not decode. The input is one LZMA2 chunk
// (it compresses well), so a probe that decoded the whole first chunk, as
// it did before, would refuse the stream cut in half.
func TestProbeXZ(t *testing.T) {
	needXZ(t)
	var text bytes.Buffer
	for i := 0; text.Len() < 512<<10; i++ {
		fmt.Fprintf(&text, "%08d thingsec probe line %x\n", i*7919%100000, i)
	}
	in := text.Bytes()
	comp := run(t, in, "xz", "-c", "-T1", "--x86", "--lzma2=preset=0,dict=32MiB")
	if !ProbeXZ(bytes.NewReader(comp)) {
		t.Fatal("whole stream refused")
	}
	if !ProbeXZ(bytes.NewReader(comp[:len(comp)/2])) {
		t.Errorf("a stream cut in half (%d of %d bytes) is refused: the probe decodes more than a prefix", len(comp)/2, len(comp))
	}
	start := 12 + (int(comp[12])+1)*4 // the first block's data
	bad := append([]byte(nil), comp...)
	for i := start; i < start+64; i++ {
		bad[i] = 0xff
	}
	if ProbeXZ(bytes.NewReader(bad)) {
		t.Error("garbage first chunk accepted")
	}
	if ProbeXZ(bytes.NewReader(comp[:start+8])) {
		t.Error("a stream cut inside its first chunk accepted")
	}
	if _, err := decodeXZ(t, comp[:len(comp)/2]); err == nil {
		t.Error("the cut stream decodes in full") // the probe's pass above is not vacuous
	}
}

// BenchmarkBlockXZ decodes a 128 KiB x86-filtered block the way squashfs
// asks for one (mksquashfs -comp xz -Xbcj x86 makes such blocks).
func BenchmarkBlockXZ(b *testing.B) {
	needXZ(b)
	in := bcjtest.Input(b, "x86", 128<<10)
	comp := run(b, in, "xz", "-c", "-T1", "--x86", "--lzma2=preset=6,dict=128KiB")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if got, err := Block(XZ, comp, len(in)); err != nil || len(got) != len(in) {
			b.Fatal(err)
		}
	}
}
