package inventory

import (
	"os"
	"reflect"
	"testing"

	"github.com/thingsec/thingsec/internal/license"
)

func TestDep5Licences(t *testing.T) {
	doc := "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n\n" +
		"Files: *\nCopyright: 2020 A\nLicense: GPL-2+\n\n" +
		"Files: lib/*\nCopyright: 2021 B\nLicense: BSD-3-clause or GPL-2\n\n" +
		"Files: debian/*\nCopyright: 2022 C\nLicense: GPL-2+\n\n" +
		"License: GPL-2+\n This program is free software...\n .\n more text\n"
	got, ok := Dep5Licences([]byte(doc))
	if want := []string{"GPL-2+", "BSD-3-clause or GPL-2"}; !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v, want %v", got, ok, want)
	}
	if _, ok := Dep5Licences([]byte("This is the Debian prepackaged version of x.\n\nCopyright: ...\n")); ok {
		t.Error("a free-form copyright file read as DEP-5")
	}
}

// TestDep5System reads the copyright files Debian ships with packages the
// test machine has (.ci/run installs them).
func TestDep5System(t *testing.T) {
	for _, tc := range []struct{ pkg, want string }{
		{"squashfs-tools", "GPL-2.0-or-later"},
		{"cpio", "(GPL-3.0-or-later) AND (LGPL-3.0-or-later)"},
	} {
		data, err := os.ReadFile("/usr/share/doc/" + tc.pkg + "/copyright")
		if err != nil {
			t.Skipf("%s not installed: %v", tc.pkg, err)
		}
		names, ok := Dep5Licences(data)
		if !ok {
			t.Fatalf("%s: not DEP-5", tc.pkg)
		}
		raw := Dep5Expression(names)
		l := license.Declared(raw, "/usr/share/doc/"+tc.pkg+"/copyright")
		if l.Expression != tc.want || !license.Valid(l.Expression) {
			t.Errorf("%s: %q -> %q, want %q", tc.pkg, raw, l.Expression, tc.want)
		}
	}
}

func FuzzDep5(f *testing.F) {
	f.Add([]byte("Format: x\n\nFiles: *\nLicense: GPL-2+\n\nLicense: GPL-2+\n text\n"))
	f.Add([]byte("Format: x\r\n\r\nFiles: *\r\nLicense: MIT or (Apache-2.0\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		names, _ := Dep5Licences(b)
		if len(names) > 0 {
			if l := license.Declared(Dep5Expression(names), "/c"); !license.Valid(l.Expression) {
				t.Fatalf("%q -> %q", names, l.Expression)
			}
		}
	})
}
