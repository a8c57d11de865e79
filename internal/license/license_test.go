package license

import (
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// SPDX identifiers, any case
		{"MIT", "MIT"},
		{"mit", "MIT"},
		{"BSD-3-clause", "BSD-3-Clause"},
		{"Apache-2.0", "Apache-2.0"},
		{"GPL-2.0-only", "GPL-2.0-only"},
		{"GPL-2.0-or-later", "GPL-2.0-or-later"},
		{"LGPL-2.1-or-later", "LGPL-2.1-or-later"},
		// the GNU family: "only" and "or later" are what the text says
		{"GPL-2.0", "GPL-2.0"},
		{"GPL-2.0 only", "GPL-2.0-only"},
		{"GPLv2 only", "GPL-2.0-only"},
		{"GPL-2.0+", "GPL-2.0-or-later"},
		{"GPLv2+", "GPL-2.0-or-later"},
		{"GPL-2+", "GPL-2.0-or-later"},
		{"GPL2", "GPL-2.0"},
		{"GPLv3", "GPL-3.0"},
		{"GPL-3.0+", "GPL-3.0-or-later"},
		{"GPL v2 or later", "GPL-2.0-or-later"},
		{"GPL-2 or any later version", "GPL-2.0-or-later"},
		{"GNU General Public License v3 or later", "GPL-3.0-or-later"},
		{"GNU Lesser General Public License v2.1 or later", "LGPL-2.1-or-later"},
		{"LGPL-2.1+", "LGPL-2.1-or-later"},
		{"LGPLv2.1", "LGPL-2.1"},
		{"LGPL-3", "LGPL-3.0"},
		{"AGPL-3.0-or-later", "AGPL-3.0-or-later"},
		{"GFDL-1.3+", "GFDL-1.3-or-later"},
		{"GPL", "GPL-1.0-or-later"},
		{"LGPL", "LGPL-2.0-or-later"},
		// common names
		{"Expat", "MIT"},
		{"MIT License", "MIT"},
		{"Apache 2.0", "Apache-2.0"},
		{"Apache License, Version 2.0", "Apache-2.0"},
		{"Apache License 2.0", "Apache-2.0"},
		{"ASL 2.0", "Apache-2.0"},
		{"MPL-2.0", "MPL-2.0"},
		{"ISC", "ISC"},
		{"zlib", "Zlib"},
		{"OpenSSL", "OpenSSL"},
		{"CC0", "CC0-1.0"},
		{"Artistic", "Artistic-1.0"},
		{"Simplified BSD", "BSD-2-Clause"},
		{"BSD 3-Clause", "BSD-3-Clause"},
		// expressions and lists
		{"MIT OR Apache-2.0", "MIT OR Apache-2.0"},
		{"GPL-2.0+ OR BSD-3-Clause", "GPL-2.0-or-later OR BSD-3-Clause"},
		{"GPL-2+ or Artistic", "GPL-2.0-or-later OR Artistic-1.0"},
		{"LGPL-2.1+ and GPL-2+", "LGPL-2.1-or-later AND GPL-2.0-or-later"},
		{"GPL-2.0+ & BSD", "GPL-2.0-or-later AND LicenseRef-BSD"},
		{"MIT, ISC", "MIT AND ISC"},
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause"},
		{"GPL-2.0-only WITH Linux-syscall-note", "GPL-2.0-only WITH Linux-syscall-note"},
		{"GPL-2.0/BSD-3-Clause", "(GPL-2.0 OR BSD-3-Clause)"},
		{"MIT/X11", "MIT"},
		{"GPL-2.0-with-classpath-exception", "GPL-2.0-with-classpath-exception"},
		// names not on the list stay visible as LicenseRef
		{"BSD", "LicenseRef-BSD"},
		{"Public Domain", "LicenseRef-Public-Domain"},
		{"Acme Proprietary", "LicenseRef-Acme-Proprietary"},
		{"LicenseRef-Acme-EULA", "LicenseRef-Acme-EULA"},
		{"GPL-3+ with OpenSSL exception", "LicenseRef-GPL-3-plus-with-OpenSSL-exception"},
		{"GPL-7", "LicenseRef-GPL-7"},
		{"MIT AND", "LicenseRef-MIT-AND"},
		{"((MIT)", "LicenseRef-MIT"},
	} {
		got, ok := Normalize(tc.in)
		if !ok || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
		if !Valid(got) {
			t.Errorf("Normalize(%q) = %q is not a valid SPDX expression", tc.in, got)
		}
	}
}

func TestNormalizeSaysNothing(t *testing.T) {
	for _, in := range []string{"", "  ", "UNKNOWN", "unknown", "NONE", "NOASSERTION", "UNLICENSED"} {
		if got, ok := Normalize(in); ok {
			t.Errorf("Normalize(%q) = %q, want no licence", in, got)
		}
	}
}

func TestDeclared(t *testing.T) {
	for _, tc := range []struct {
		raw, expr, reason string
	}{
		{"GPLv2+", "GPL-2.0-or-later", ""},
		{"", model.NoAssertion, "the entry in /usr/lib/opkg/status states no licence"},
		{"UNKNOWN", model.NoAssertion, "the entry in /usr/lib/opkg/status states the licence as UNKNOWN"},
	} {
		l := Declared(tc.raw, "/usr/lib/opkg/status")
		if l.Expression != tc.expr || l.Reason != tc.reason {
			t.Errorf("Declared(%q) = %+v, want %s (%q)", tc.raw, l, tc.expr, tc.reason)
		}
	}
}

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"MIT", true},
		{"NOASSERTION", true},
		{"LicenseRef-x", true},
		{"MIT AND", false},
		{"GPLv2", false},
		{"Foo-1.0", false},
	} {
		if got := Valid(tc.expr); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"GPLv2+", "MIT OR (Apache-2.0 AND BSD)", "GPL-2 or any later version", "a/b/c", "((", "WITH WITH"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Normalize(s)
		if ok && !Valid(got) {
			t.Fatalf("Normalize(%q) = %q, not valid", s, got)
		}
	})
}
