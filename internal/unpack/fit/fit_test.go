package fit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

func TestFIT(t *testing.T) {
	payload := formattest.Testdata(t, "payload")
	dtb := formattest.Testdata(t, "board.dtb")
	for _, name := range []string{"image.itb", "external.itb"} {
		t.Run(name, func(t *testing.T) {
			data := formattest.Testdata(t, name)
			s, m := formattest.Extract(t, New(), data)
			// mkimage pads the file after the last external image
			if m.Size > int64(len(data)) || m.Size < int64(len(data))-3 || !m.Extractable || !strings.Contains(m.Description, "kernel-1, ramdisk-1, fdt-1") {
				t.Errorf("match %+v (len %d)", m, len(data))
			}
			if len(s.Problems) > 0 || len(s.Files) != 4 || s.Get(DTSName) == nil {
				t.Fatalf("problems %v paths %v", s.Problems, s.Paths())
			}
			if !bytes.Equal(s.Get("kernel-1").Data, payload) {
				t.Error("kernel-1 not decompressed")
			}
			if string(s.Get("ramdisk-1").Data) != "second image\n" || !bytes.Equal(s.Get("fdt-1").Data, dtb) {
				t.Error("ramdisk-1 or fdt-1 differ")
			}
		})
	}
}

// dtcListing is what dtc -I dtb -O dts prints for the blob at file.
func dtcListing(t *testing.T, file string) string {
	t.Helper()
	if _, err := exec.LookPath("dtc"); err != nil {
		t.Skip("dtc not installed (apt-get install device-tree-compiler)")
	}
	out, err := exec.Command("dtc", "-q", "-I", "dtb", "-O", "dts", filepath.Join("testdata", file)).Output()
	if err != nil {
		t.Fatalf("dtc: %v", err)
	}
	return string(out)
}

// TestListingMatchesDtc: the devicetree.dts of plain blobs is, byte for
// byte, what dtc prints.
func TestListingMatchesDtc(t *testing.T) {
	for _, name := range []string{"board.dtb", "rich.dtb"} {
		t.Run(name, func(t *testing.T) {
			dtb := formattest.Testdata(t, name)
			s, m := formattest.Extract(t, New(), dtb)
			if !m.Extractable || m.Size != int64(len(dtb)) || len(s.Problems) > 0 || len(s.Files) != 1 {
				t.Fatalf("match %+v, paths %v, problems %v", m, s.Paths(), s.Problems)
			}
			want := dtcListing(t, name)
			if got := string(s.Get(DTSName).Data); got != want {
				t.Errorf("listing differs from dtc's:\n%s\ndtc:\n%s", got, want)
			}
			if got, err := DTS(dtb); err != nil || got != want {
				t.Errorf("DTS: %v", err)
			}
		})
	}
	dtb := formattest.Testdata(t, "board.dtb")
	m, _ := New().Identify(bytes.NewReader(dtb), int64(len(dtb)))
	if want := `device tree blob, model "Acme Test Board", compatible "acme,test-board", 3 nodes`; m.Description != want {
		t.Errorf("description %q", m.Description)
	}
}

// TestEmbeddedBlobs: a data property and a big property are unpacked as
// files with their exact bytes, and the listing says where they went;
// the rest of the listing is dtc's.
func TestEmbeddedBlobs(t *testing.T) {
	s, _ := formattest.Extract(t, New(), formattest.Testdata(t, "blobs.dtb"))
	if len(s.Problems) > 0 || len(s.Files) != 3 {
		t.Fatalf("paths %v problems %v", s.Paths(), s.Problems)
	}
	if f := s.Get("firmware/wifi/data"); f == nil || !bytes.Equal(f.Data, formattest.Testdata(t, "blob.bin")) {
		t.Errorf("firmware/wifi/data: %v", f)
	}
	if f := s.Get("firmware/calibration"); f == nil || !bytes.Equal(f.Data, formattest.Testdata(t, "big.bin")) {
		t.Errorf("firmware/calibration: %v", f)
	}
	got := string(s.Get(DTSName).Data)
	for _, line := range strings.Split(dtcListing(t, "blobs.dtb"), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " = ")
		switch name {
		case "calibration":
			line = "\t\tcalibration = [ /* 5700 bytes, unpacked as firmware/calibration */ ];"
		case "data":
			line = "\t\t\tdata = [ /* 4600 bytes, unpacked as firmware/wifi/data */ ];"
		}
		if !strings.Contains(got, line+"\n") && line != "" {
			t.Errorf("listing lacks %q:\n%s", line, got)
		}
	}
}

func TestDamaged(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, name := range []string{"image.itb", "external.itb", "board.dtb"} {
		data := formattest.Testdata(t, name)
		variants := [][]byte{data[:len(data)/2], data[:len(data)-4], data[:40]}
		for i := 0; i < 200; i++ {
			v := append([]byte{}, data...)
			v[rng.Intn(min(len(v), 1024))] ^= 1 << rng.Intn(8)
			variants = append(variants, v)
		}
		for i, v := range variants {
			m, err := New().Identify(bytes.NewReader(v), int64(len(v)))
			if err != nil {
				if !errors.Is(err, format.ErrNotMatch) {
					t.Errorf("%s #%d: %v", name, i, err)
				}
				continue
			}
			size := int64(len(v))
			if m.Size > 0 && m.Size < size {
				size = m.Size
			}
			s := &formattest.MemSink{}
			err = New().Extract(context.Background(), io.NewSectionReader(bytes.NewReader(v), 0, size), size, s)
			if name == "external.itb" && i == 1 && err == nil && len(s.Problems) == 0 {
				t.Errorf("truncated external data: no problem")
			}
		}
	}
}

func TestCorpus(t *testing.T) {
	data := formattest.ReadShared(t, "corpus/formats/uboot/fit.itb")
	s, m := formattest.Extract(t, New(), data)
	t.Logf("%+v", m)
	for _, p := range s.Paths() {
		t.Logf("%s: %d bytes", p, len(s.Get(p).Data))
	}
	if len(s.Files) == 0 || len(s.Problems) > 0 {
		t.Errorf("problems %v", s.Problems)
	}
	// The FIT's own fdt image is a real device tree.
	if _, err := DTS(s.Get("fdt").Data); err != nil {
		t.Errorf("fdt image: %v", err)
	}
	// uboot.dtb is a (truncated) legacy uImage of an ARM zImage with a
	// device tree at 0x980; the unpack corpus test checks its listing.
	dtb := formattest.ReadShared(t, "corpus/formats/uboot/uboot.dtb")
	if _, err := New().Identify(bytes.NewReader(dtb), int64(len(dtb))); err == nil {
		t.Errorf("uboot.dtb identified as a device tree at offset 0")
	}
	s, _ = formattest.Extract(t, New(), dtb[0x980:])
	if f := s.Get(DTSName); f == nil || !strings.Contains(string(f.Data), `compatible = "linksys,shelby\0`) {
		t.Errorf("uboot.dtb at 0x980: %v", s.Paths())
	}
}

func FuzzFIT(f *testing.F) {
	for _, n := range []string{"image.itb", "external.itb", "board.dtb", "rich.dtb", "blobs.dtb"} {
		f.Add(formattest.Testdata(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		formattest.Fuzz(t, New(), data)
		DTS(data)
	})
}
