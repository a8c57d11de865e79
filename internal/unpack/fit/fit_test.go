package fit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
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
			if len(s.Problems) > 0 || len(s.Files) != 3 {
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

func TestPlainDTB(t *testing.T) {
	dtb := formattest.Testdata(t, "board.dtb")
	m, err := New().Identify(bytes.NewReader(dtb), int64(len(dtb)))
	if err != nil || m.Extractable || m.Size != int64(len(dtb)) {
		t.Fatalf("%+v %v", m, err)
	}
	if want := `device tree blob, model "Acme Test Board", compatible "acme,test-board", 3 nodes`; m.Description != want {
		t.Errorf("description %q", m.Description)
	}
	s := &formattest.MemSink{}
	if err := New().Extract(context.Background(), bytes.NewReader(dtb), int64(len(dtb)), s); err != nil || len(s.Files) != 0 {
		t.Errorf("extract: %v %v", err, s.Paths())
	}
	sum, err := Summary(dtb)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/ model=\"Acme Test Board\"", "/memory@80000000 device_type=\"memory\" reg=<8 bytes>", "/chosen bootargs=\"console=ttyS0\""} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
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
	// Despite its name, uboot.dtb is a (truncated) legacy uImage.
	dtb := formattest.ReadShared(t, "corpus/formats/uboot/uboot.dtb")
	if _, err := New().Identify(bytes.NewReader(dtb), int64(len(dtb))); err == nil {
		t.Errorf("uboot.dtb identified as a device tree")
	}
	// The FIT's own fdt image is a real device tree.
	sum, err := Summary(s.Get("fdt").Data)
	if err != nil || !strings.HasPrefix(sum, "/") {
		t.Errorf("summary: %v", err)
	}
	t.Log(sum)
}

func FuzzFIT(f *testing.F) {
	for _, n := range []string{"image.itb", "external.itb", "board.dtb"} {
		f.Add(formattest.Testdata(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		formattest.Fuzz(t, New(), data)
		Summary(data)
	})
}
