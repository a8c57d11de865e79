package uimage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

var kernels = []string{"none", "gzip", "bzip2", "lzma", "lzo", "lz4", "zstd"}

func TestKernels(t *testing.T) {
	payload := formattest.Testdata(t, "payload")
	for _, c := range kernels {
		t.Run(c, func(t *testing.T) {
			data := formattest.Testdata(t, "kernel-"+c+".uimg")
			s, m := formattest.Extract(t, New(), data)
			if m.Size != int64(len(data)) || !strings.Contains(m.Description, "MIPS kernel, "+c) {
				t.Errorf("match %+v", m)
			}
			if len(s.Problems) > 0 {
				t.Errorf("problems %v", s.Problems)
			}
			if f := s.Get("kernel"); f == nil || len(s.Files) != 1 || !bytes.Equal(f.Data, payload) {
				t.Errorf("paths %v", s.Paths())
			}
		})
	}
}

func TestRamdiskAndMulti(t *testing.T) {
	s, _ := formattest.Extract(t, New(), formattest.Testdata(t, "ramdisk.uimg"))
	if f := s.Get("ramdisk"); f == nil || string(f.Data) != "second image\n" {
		t.Errorf("ramdisk: %v", s.Paths())
	}
	s, _ = formattest.Extract(t, New(), formattest.Testdata(t, "multi.uimg"))
	if len(s.Problems) > 0 || len(s.Files) != 2 {
		t.Fatalf("multi: %v %v", s.Paths(), s.Problems)
	}
	if !bytes.Equal(s.Get("image0").Data, formattest.Testdata(t, "payload")) || string(s.Get("image1").Data) != "second image\n" {
		t.Error("multi contents differ")
	}
}

// rehdr fixes the header CRC after a header edit.
func rehdr(b []byte) {
	binary.BigEndian.PutUint32(b[4:], 0)
	binary.BigEndian.PutUint32(b[4:], crc32.ChecksumIEEE(b[:64]))
}

func TestDataCRCAndBadPayload(t *testing.T) {
	// Data CRC mismatch: extracted, with a problem.
	data := formattest.Testdata(t, "kernel-none.uimg")
	data[100] ^= 0xff
	s, _ := formattest.Extract(t, New(), data)
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "CRC") || s.Get("kernel") == nil {
		t.Errorf("problems %v paths %v", s.Problems, s.Paths())
	}
	// A gzip payload that does not decode is kept raw, with a problem.
	data = formattest.Testdata(t, "kernel-gzip.uimg")
	for i := 80; i < 200; i++ {
		data[i] = 0xAA
	}
	binary.BigEndian.PutUint32(data[24:], crc32.ChecksumIEEE(data[64:]))
	rehdr(data)
	s, _ = formattest.Extract(t, New(), data)
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "kept raw") || !bytes.Equal(s.Get("kernel").Data, data[64:]) {
		t.Errorf("problems %v", s.Problems)
	}
	// A header CRC mismatch is not a uImage.
	data = formattest.Testdata(t, "kernel-none.uimg")
	data[40] ^= 1
	if _, err := New().Identify(bytes.NewReader(data), int64(len(data))); !errors.Is(err, format.ErrNotMatch) {
		t.Errorf("bad header CRC: %v", err)
	}
}

func TestDamaged(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range append(kernels, "multi") {
		name := "kernel-" + c + ".uimg"
		if c == "multi" {
			name = "multi.uimg"
		}
		data := formattest.Testdata(t, name)
		variants := [][]byte{data[:len(data)/2], data[:70], data[:63]}
		for i := 0; i < 30; i++ {
			v := append([]byte{}, data...)
			v[64+rng.Intn(len(v)-64)] ^= 1 << rng.Intn(8)
			variants = append(variants, v)
			// header edits with a fixed CRC: sizes, types, compressions
			h := append([]byte{}, data...)
			h[12+rng.Intn(20)] = byte(rng.Intn(256))
			rehdr(h)
			variants = append(variants, h)
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
			if i < 30 && i%2 == 1 && err == nil && len(s.Problems) == 0 {
				t.Errorf("%s #%d: damage not reported", name, i)
			}
		}
	}
}

func TestCorpus(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/uboot/uboot.image_with_header")
	s, m := formattest.Extract(t, New(), data)
	if m.Size != 64+32753 || !strings.Contains(m.Description, `"u-boot image", MIPS firmware, lzma`) {
		t.Errorf("match %+v", m)
	}
	f := s.Get("u-boot image")
	if len(s.Problems) > 0 || f == nil || len(f.Data) <= 32753 {
		t.Fatalf("problems %v paths %v", s.Problems, s.Paths())
	}
	t.Logf("decompressed %d bytes", len(f.Data))
}

func FuzzUImage(f *testing.F) {
	for _, c := range kernels {
		f.Add(formattest.Testdata(f, "kernel-"+c+".uimg"))
	}
	f.Add(formattest.Testdata(f, "multi.uimg"))
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}

// TestCorpusBadHeader: uboot.dtb is a legacy uImage header whose header
// CRC does not match (and whose data is cut short): not a uImage.
func TestCorpusBadHeader(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/uboot/uboot.dtb")
	if _, err := New().Identify(bytes.NewReader(data), int64(len(data))); !errors.Is(err, format.ErrNotMatch) {
		t.Errorf("Identify = %v", err)
	}
	// With the header CRC repaired it is a truncated kernel image.
	fixed := append([]byte{}, data...)
	rehdr(fixed)
	s, m := formattest.Extract(t, New(), fixed)
	if m.Size != 0 || !strings.Contains(m.Description, "truncated") {
		t.Errorf("match %+v", m)
	}
	if f := s.Get("kernel"); len(s.Problems) != 1 || f == nil || len(f.Data) != len(data)-64 {
		t.Errorf("problems %v paths %v", s.Problems, s.Paths())
	}
}
