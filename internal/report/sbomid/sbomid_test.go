package sbomid

import (
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func TestIdentify(t *testing.T) {
	osc := func(name, ver, supplier, path string) model.Component {
		return model.Component{Name: name, Version: ver, Type: "operating-system", Supplier: supplier,
			Evidence: []model.Evidence{{Kind: "os-release", Path: path}}}
	}
	for _, tc := range []struct {
		name string
		rep  model.Report
		want Firmware
	}{
		{"os-release wins over a vendor file", model.Report{Components: []model.Component{
			osc("AcmeOS", "1.0.0", "", "/etc/acme_release"),
			osc("AcmeOS", "1.0.0", "Acme Home Networks", "/etc/os-release"),
		}}, Firmware{"AcmeOS", "1.0.0", "Acme Home Networks", "/etc/os-release"}},
		{"uImage header", model.Report{Layers: []model.Layer{
			{Format: "uimage", Chain: "cam.bin > uimage@0x0", Description: `uImage "AcmeCam C1 rootfs 1.0.0", MIPS filesystem, none, 741376 bytes`},
		}}, Firmware{"AcmeCam C1 rootfs", "1.0.0", "", "uImage header at cam.bin > uimage@0x0"}},
		{"uImage name without a version", model.Report{Layers: []model.Layer{
			{Format: "uimage", Chain: "x", Description: `uImage "Linux Kernel Image", ARM`},
		}}, Firmware{"Linux Kernel Image", "", "", "uImage header at x"}},
		{"a kernel is not the firmware", model.Report{Components: []model.Component{
			{Name: "linux_kernel", Version: "6.1.0", Type: "operating-system", Evidence: []model.Evidence{{Kind: "binary-fingerprint", Path: "/boot/vmlinux"}}},
		}}, Firmware{}},
	} {
		if got := Identify(&tc.rep); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestSupplierContact(t *testing.T) {
	for _, tc := range []struct{ in, name, email string }{
		{"Felix Fietkau <nbd@nbd.name>", "Felix Fietkau", "nbd@nbd.name"},
		{"Acme Home Networks firmware team", "Acme Home Networks firmware team", ""},
		{"  Debian Go Packaging Team <team+pkg-go@tracker.debian.org> ", "Debian Go Packaging Team", "team+pkg-go@tracker.debian.org"},
		{"weird <not an address>", "weird <not an address>", ""},
	} {
		n, e := SupplierContact(tc.in)
		if n != tc.name || e != tc.email {
			t.Errorf("SupplierContact(%q) = %q, %q", tc.in, n, e)
		}
	}
	if !Organization("Debian Go Packaging Team") || Organization("Felix Fietkau") {
		t.Error("Organization")
	}
}
