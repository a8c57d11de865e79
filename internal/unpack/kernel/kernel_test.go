package kernel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

func TestCorpusBzImage(t *testing.T) {
	var first []byte
	for _, c := range []string{"gzip", "bzip2", "lz4", "lzma", "lzo", "xz"} {
		t.Run(c, func(t *testing.T) {
			data := formattest.ReadShared(t, "corpus/formats/kernel/bzImage_"+c)
			s, m := formattest.Extract(t, New(), data)
			t.Logf("%+v", m)
			if m.Size != int64(len(data)) {
				t.Errorf("size %d of %d", m.Size, len(data))
			}
			f := s.Get("vmlinux")
			if len(s.Problems) > 0 || f == nil {
				t.Fatalf("problems %v paths %v", s.Problems, s.Paths())
			}
			if !bytes.HasPrefix(f.Data, []byte("\x7fELF")) {
				t.Errorf("vmlinux is not an ELF file")
			}
			if first == nil {
				first = f.Data
			} else if len(first) != len(f.Data) {
				// the samples are separate builds: same size, other build IDs
				t.Errorf("vmlinux size differs from the gzip one (%d vs %d bytes)", len(f.Data), len(first))
			}
		})
	}
}

func TestCorpusZImageBE32(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/kernel/zImage_be32")
	s, m := formattest.Extract(t, New(), data)
	t.Logf("%+v", m)
	f := s.Get("vmlinux")
	if len(s.Problems) > 0 || f == nil || !bytes.Contains(f.Data, []byte("Linux version")) {
		t.Fatalf("problems %v paths %v", s.Problems, s.Paths())
	}
}

// synthetic builds small kernel images around a gzip payload (no Debian
// tool builds a kernel image).
func synthetic(t testing.TB) map[string][]byte {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(bytes.Repeat([]byte("\x7fELF synthetic vmlinux "), 200))
	w.Close()
	payload := append(gz.Bytes(), 0, 0, 0, 0)

	x86 := make([]byte, 5*512)
	x86[0x1f1] = 4
	x86[0x1fe], x86[0x1ff] = 0x55, 0xaa
	copy(x86[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(x86[0x206:], 0x20d)
	binary.LittleEndian.PutUint32(x86[0x248:], 0x40)
	binary.LittleEndian.PutUint32(x86[0x24c:], uint32(len(payload)))
	x86 = append(x86, make([]byte, 0x40)...)
	x86 = append(x86, payload...)
	for len(x86)%16 != 0 {
		x86 = append(x86, 0)
	}
	binary.LittleEndian.PutUint32(x86[0x1f4:], uint32((len(x86)-5*512)/16))

	arm := make([]byte, 0x200)
	copy(arm[0x24:], []byte{0x18, 0x28, 0x6f, 0x01})
	arm = append(arm, payload...)
	binary.LittleEndian.PutUint32(arm[0x2c:], uint32(len(arm)))
	return map[string][]byte{"x86": x86, "arm": arm}
}

func TestSynthetic(t *testing.T) {
	for name, data := range synthetic(t) {
		s, m := formattest.Extract(t, New(), data)
		if m.Size != int64(len(data)) || len(s.Problems) > 0 {
			t.Errorf("%s: %+v %v", name, m, s.Problems)
		}
		if f := s.Get("vmlinux"); f == nil || !bytes.HasPrefix(f.Data, []byte("\x7fELF synthetic")) {
			t.Errorf("%s: paths %v", name, s.Paths())
		}
	}
}

// TestNoFalseCarving: the magics alone, without a valid payload, are not
// kernels.
func TestNoFalseCarving(t *testing.T) {
	for name, data := range synthetic(t) {
		v := append([]byte{}, data...)
		i := bytes.Index(v, []byte{0x1f, 0x8b, 0x08})
		v[i+3] = 0xff // reserved gzip flags: the payload is gone
		if _, err := New().Identify(bytes.NewReader(v), int64(len(v))); !errors.Is(err, format.ErrNotMatch) {
			t.Errorf("%s without payload: %v", name, err)
		}
	}
	junk := make([]byte, 4096)
	copy(junk[0x202:], "HdrS")
	copy(junk[0x24:], []byte{0x18, 0x28, 0x6f, 0x01})
	if _, err := New().Identify(bytes.NewReader(junk), int64(len(junk))); err == nil {
		t.Error("junk identified")
	}
}

func TestDamaged(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for name, data := range synthetic(t) {
		variants := [][]byte{data[:len(data)/2], data[:len(data)-30], data[:0x30]}
		for i := 0; i < 100; i++ {
			v := append([]byte{}, data...)
			v[rng.Intn(len(v))] ^= 1 << rng.Intn(8)
			variants = append(variants, v)
		}
		for i, v := range variants {
			m, err := New().Identify(bytes.NewReader(v), int64(len(v)))
			if err != nil {
				continue
			}
			size := int64(len(v))
			if m.Size > 0 && m.Size < size {
				size = m.Size
			}
			s := &formattest.MemSink{}
			err = New().Extract(context.Background(), io.NewSectionReader(bytes.NewReader(v), 0, size), size, s)
			if i < 2 && err == nil && len(s.Problems) == 0 {
				t.Errorf("%s truncated #%d: no problem", name, i)
			}
		}
	}
}

func FuzzKernel(f *testing.F) {
	for _, data := range synthetic(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}
