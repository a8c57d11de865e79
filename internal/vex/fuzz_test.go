package vex

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, n := range []string{"acme-cam.openvex.json", "acme-cam-update.openvex.json", "acme-cam.cdx.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("f.json", data)
		if err != nil {
			return
		}
		Apply(demo(), []*Doc{d})
	})
}
