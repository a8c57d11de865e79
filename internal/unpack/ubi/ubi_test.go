package ubi

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

const fixturePEB = 16 << 10

// twoUBI is the ubinize image of scripts/fixtures/flash.sh: volume "cfg"
// (dynamic, holding ../ubifs/testdata/zlib.ubifs) and "kernel" (static).
func twoUBI(t testing.TB) []byte {
	return formattest.ReadGzip(t, filepath.Join("testdata", "two.ubi.gz"))
}

func kernelBin() []byte {
	var b bytes.Buffer
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "kernel %05d\n", i)
	}
	return b.Bytes()
}

// checkVolumes asserts the volumes of two.ubi.
func checkVolumes(t *testing.T, s *formattest.MemSink) {
	t.Helper()
	if got := strings.Join(s.Paths(), " "); got != "/cfg /kernel" {
		t.Fatalf("volumes %s", got)
	}
	if k := s.Get("kernel"); !bytes.Equal(k.Data, kernelBin()) || k.Mode != 0o644 {
		t.Errorf("kernel: %d bytes, mode %v", len(k.Data), k.Mode)
	}
	img := formattest.ReadGzip(t, filepath.Join("..", "ubifs", "testdata", "zlib.ubifs.gz"))
	cfg := s.Get("cfg").Data
	if len(cfg) < len(img) || !bytes.Equal(cfg[:len(img)], img) || len(cfg)%(fixturePEB-128) != 0 {
		t.Errorf("cfg: %d bytes, want the %d bytes of zlib.ubifs, LEB aligned", len(cfg), len(img))
	} else if strings.Trim(string(cfg[len(img):]), "\xff") != "" {
		t.Errorf("cfg: tail after the UBIFS image is not erased")
	}
}

func TestFixture(t *testing.T) {
	data := twoUBI(t)
	s, m := formattest.Extract(t, New(), data)
	if len(s.Problems) > 0 {
		t.Errorf("problems: %v", s.Problems)
	}
	want := "UBI v1, PEB 16 KiB, 2 volumes: cfg (dynamic, 13 LEBs), kernel (static, 3 LEBs)"
	if m.Description != want || m.Size != int64(len(data)) {
		t.Errorf("match %q size %d, want %q size %d", m.Description, m.Size, want, len(data))
	}
	checkVolumes(t, s)
}

// TestSmall: PEB 2 KiB with a 256-byte data offset, a dynamic volume with
// one mapped LEB and a static volume with id 3.
func TestSmall(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "small.ubi"))
	if err != nil {
		t.Fatal(err)
	}
	s, m := formattest.Extract(t, New(), data)
	want := "UBI v1, PEB 2 KiB, 2 volumes: cfg (dynamic, 1 LEBs), boot (static, 2 LEBs)"
	if m.Description != want || m.Size != int64(len(data)) || len(s.Problems) > 0 {
		t.Errorf("match %q size %d, problems %v", m.Description, m.Size, s.Problems)
	}
	var boot bytes.Buffer
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&boot, "boot %04d\n", i)
	}
	if b := s.Get("boot"); b == nil || !bytes.Equal(b.Data, boot.Bytes()) {
		t.Errorf("boot volume wrong")
	}
	cfg := s.Get("cfg")
	if cfg == nil || !strings.HasPrefix(string(cfg.Data), "config data\n") || len(cfg.Data) != 2048-256 ||
		strings.Trim(string(cfg.Data[12:]), "\xff") != "" {
		t.Errorf("cfg volume wrong: %q", cfg.Data)
	}
}

// TestExtent: data after the UBI area is not part of the match, erased
// PEBs inside or right after it are.
func TestExtent(t *testing.T) {
	data := twoUBI(t)
	blank := bytes.Repeat([]byte{0xFF}, fixturePEB)
	junk := bytes.Repeat([]byte("junk"), fixturePEB)
	cases := []struct {
		name string
		img  []byte
		size int
	}{
		{"trailing junk", cat(data, junk), len(data)},
		{"erased then junk", cat(data, blank, junk), len(data) + fixturePEB},
		{"erased PEB 1", cat(data[:fixturePEB], blank, data[fixturePEB:]), len(data) + fixturePEB},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, m := formattest.Extract(t, New(), c.img)
			if m.Size != int64(c.size) || !strings.Contains(m.Description, "PEB 16 KiB") {
				t.Errorf("match %+v, want size %d", m, c.size)
			}
			checkVolumes(t, s)
		})
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// findLEB returns the offset of the PEB that holds (vol, lnum).
func findLEB(t *testing.T, data []byte, vol, lnum uint32) int {
	for off := 0; off+fixturePEB <= len(data); off += fixturePEB {
		v, ok := readVID(bytes.NewReader(data), int64(off+64))
		if ok && v.volID == vol && v.lnum == lnum {
			return off
		}
	}
	t.Fatalf("LEB %d:%d not found", vol, lnum)
	return 0
}

// TestDuplicateLEB: of two copies of a static LEB the newest one with a
// valid data CRC wins.
func TestDuplicateLEB(t *testing.T) {
	data := twoUBI(t)
	off := findLEB(t, data, 1, 1)
	cp := append([]byte(nil), data[off:off+fixturePEB]...)
	vid := cp[64:128]
	binary.BigEndian.PutUint64(vid[40:], binary.BigEndian.Uint64(vid[40:])+100)
	copy(cp[128:], "NEWER!")
	fix := func() { binary.BigEndian.PutUint32(vid[60:], crc(vid[:60])) }
	fix()

	// Newer copy with a stale data CRC: the older copy is used.
	s, _ := formattest.Extract(t, New(), cat(data, cp))
	if k := s.Get("kernel"); !bytes.Equal(k.Data, kernelBin()) {
		t.Errorf("bad newer copy was used")
	}
	// Newer copy with a correct data CRC: it wins.
	size := binary.BigEndian.Uint32(vid[20:])
	binary.BigEndian.PutUint32(vid[32:], crc(cp[128:128+size]))
	fix()
	s, _ = formattest.Extract(t, New(), cat(data, cp))
	want := append([]byte(nil), kernelBin()...)
	copy(want[fixturePEB-128:], "NEWER!")
	if k := s.Get("kernel"); !bytes.Equal(k.Data, want) {
		t.Errorf("newer copy was not used")
	}
}

func TestNotUBI(t *testing.T) {
	data := twoUBI(t)
	bad := append([]byte(nil), data...)
	bad[10] ^= 1
	for _, d := range [][]byte{nil, data[:64], data[:fixturePEB], bad} {
		if _, err := New().Identify(bytes.NewReader(d), int64(len(d))); err == nil {
			t.Errorf("Identify(%d bytes) accepted", len(d))
		}
	}
}

// TestRealSample: ubi.img holds one static volume, "rootfs", which is the
// test.ubifs sample.
func TestRealSample(t *testing.T) {
	data := formattest.ReadShared(t, "corpus", "formats", "ubi", "ubi.img")
	fsImg := formattest.ReadShared(t, "corpus", "formats", "ubifs", "test.ubifs")
	s, m := formattest.Extract(t, New(), data)
	if m.Description != "UBI v1, PEB 1 KiB, 1 volumes: rootfs (static, 1902 LEBs)" || m.Size != int64(len(data)) {
		t.Errorf("match %+v", m)
	}
	if f := s.Get("rootfs"); f == nil || !bytes.Equal(f.Data, fsImg) || len(s.Problems) > 0 {
		t.Errorf("rootfs: %v, problems %v", s.Paths(), s.Problems)
	}
}

// TestDamaged: truncated and bit-flipped images never panic, and either
// fail or report a problem.
func TestDamaged(t *testing.T) {
	data := twoUBI(t)
	for _, cut := range []int{100, fixturePEB + 10, 2 * fixturePEB, len(data) / 2, len(data) - 7} {
		damagedRun(t, data[:cut])
	}
	// Flips in the VID header (dropped LEB) and in static data (CRC).
	kern := findLEB(t, data, 1, 0)
	for _, pos := range []int{kern + 64 + 13, kern + 128 + 5, findLEB(t, data, layoutVolID, 0) + 128 + 3} {
		d := append([]byte(nil), data...)
		d[pos] ^= 0x04
		if s, ok := damagedRun(t, d); ok && len(s.Problems) == 0 {
			t.Errorf("flip at %d went unnoticed", pos)
		}
	}
}

func damagedRun(t *testing.T, data []byte) (*formattest.MemSink, bool) {
	r := bytes.NewReader(data)
	m, err := New().Identify(r, int64(len(data)))
	if err != nil {
		return nil, false
	}
	size := int64(len(data))
	if m.Size > 0 {
		size = m.Size
	}
	s := &formattest.MemSink{MaxBytes: 1 << 24}
	err = New().Extract(context.Background(), io.NewSectionReader(r, 0, size), size, s)
	return s, err == nil
}

func FuzzUBI(f *testing.F) {
	small, err := os.ReadFile(filepath.Join("testdata", "small.ubi"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Add(twoUBI(f))
	f.Fuzz(func(t *testing.T, data []byte) { formattest.Fuzz(t, New(), data) })
}

// fixCRCs recomputes the EC and VID header CRCs so that fuzzing reaches the
// code behind the CRC checks.
func fixCRCs(d []byte) {
	for off := 0; off+hdrSize <= len(d); off += hdrSize {
		if m := string(d[off : off+4]); m == "UBI#" || m == "UBI!" {
			binary.BigEndian.PutUint32(d[off+60:], crc(d[off:off+60]))
		}
	}
}

func FuzzUBIFixedCRC(f *testing.F) {
	small, err := os.ReadFile(filepath.Join("testdata", "small.ubi"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Fuzz(func(t *testing.T, data []byte) {
		fixCRCs(data)
		formattest.Fuzz(t, New(), data)
	})
}
