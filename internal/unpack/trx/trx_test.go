package trx

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// build makes a TRX image (no Debian tool writes TRX) from parts.
func build(version int, parts ...[]byte) []byte {
	hdr := 28
	if version == 2 {
		hdr = 32
	}
	img := make([]byte, hdr)
	copy(img, "HDR0")
	binary.LittleEndian.PutUint16(img[14:], uint16(version))
	for i, p := range parts {
		binary.LittleEndian.PutUint32(img[16+4*i:], uint32(len(img)))
		img = append(img, p...)
		for len(img)%4 != 0 {
			img = append(img, 0)
		}
	}
	binary.LittleEndian.PutUint32(img[4:], uint32(len(img)))
	binary.LittleEndian.PutUint32(img[8:], ^crc32.ChecksumIEEE(img[12:]))
	return img
}

func TestBuilt(t *testing.T) {
	kernel := bytes.Repeat([]byte("kernel"), 100)
	rootfs := []byte("hsqs rootfs")
	for _, v := range []int{1, 2} {
		parts := [][]byte{kernel, rootfs}
		if v == 2 {
			parts = append(parts, []byte("bin"), []byte("four"))
		}
		img := build(v, parts...)
		s, m := formattest.Extract(t, New(), img)
		if m.Size != int64(len(img)) || len(s.Problems) > 0 {
			t.Fatalf("v%d: size %d problems %v", v, m.Size, s.Problems)
		}
		if got := s.Paths(); len(got) != len(parts) {
			t.Fatalf("v%d: paths %v", v, got)
		}
		if !bytes.Equal(s.Get("part0").Data, kernel) || !bytes.HasPrefix(s.Get("part1").Data, rootfs) {
			t.Errorf("v%d: part contents differ", v)
		}
		if v == 2 && !bytes.HasPrefix(s.Get("part3").Data, []byte("four")) {
			t.Errorf("v2: part3 differs")
		}

		// A bad CRC is a problem, not a refusal.
		bad := append([]byte{}, img...)
		bad[len(bad)-1] ^= 1
		s, _ = formattest.Extract(t, New(), bad)
		if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "CRC") || len(s.Files) != len(parts) {
			t.Errorf("v%d bad CRC: problems %v files %v", v, s.Problems, s.Paths())
		}
	}
}

func TestDamaged(t *testing.T) {
	img := build(1, bytes.Repeat([]byte("k"), 300), []byte("rootfs"))
	rng := rand.New(rand.NewSource(1))
	variants := [][]byte{img[:100], img[:28], img[:20]}
	for i := 0; i < 200; i++ {
		v := append([]byte{}, img...)
		v[rng.Intn(32)] ^= 1 << rng.Intn(8)
		variants = append(variants, v)
	}
	for i, v := range variants {
		m, err := New().Identify(bytes.NewReader(v), int64(len(v)))
		if err != nil {
			if !errors.Is(err, format.ErrNotMatch) {
				t.Errorf("#%d: %v", i, err)
			}
			continue
		}
		size := int64(len(v))
		if m.Size > 0 {
			size = m.Size
		}
		s := &formattest.MemSink{}
		err = New().Extract(context.Background(), io.NewSectionReader(bytes.NewReader(v), 0, size), size, s)
		if !bytes.Equal(v, img) && err == nil && len(s.Problems) == 0 && v[12] == img[12] && v[13] == img[13] {
			// flags are covered by the CRC too, so any change is reported
			t.Errorf("#%d: damage not reported", i)
		}
	}
}

func TestCorpusSample(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/trx/trx.img")
	s, m := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 || m.Size != 4096 {
		t.Fatalf("problems %v size %d", s.Problems, m.Size)
	}
	p := s.Get("part0")
	if p == nil || len(s.Files) != 1 || !bytes.HasPrefix(p.Data, []byte("PK\x03\x04")) {
		t.Fatalf("paths %v", s.Paths())
	}
}

// TestCorpusFirmware checks the CRC convention and the partition split on
// the realistic firmware image.
func TestCorpusFirmware(t *testing.T) {
	f, err := os.Open(formattest.Shared(t, "corpus/firmware/acme-hg100-1.0.0.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	m, err := New().Identify(f, st.Size())
	if err != nil || m.Size != 23891968 || strings.Contains(m.Description, "CRC") {
		t.Fatalf("%+v %v", m, err)
	}
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), io.NewSectionReader(f, 0, m.Size), m.Size, s); err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) > 0 || len(s.Files) != 2 || len(s.Get("part0").Data) != 0x4A0000-0x1C || len(s.Get("part1").Data) != 19042304 {
		t.Fatalf("problems %v paths %v", s.Problems, s.Paths())
	}
}

func FuzzTRX(f *testing.F) {
	f.Add(build(1, []byte("kernel"), []byte("rootfs")))
	f.Add(build(2, []byte("a"), []byte("b"), []byte("c"), []byte("d")))
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}
