package version

import "testing"

// ordered lists versions oldest first; each scheme's test checks every pair.
var ordered = map[Scheme][][]string{
	Generic: {
		{"1.0.2", "1.0.2a", "1.0.2k", "1.0.2l", "1.0.2z", "1.0.2za", "1.0.2zb", "1.1.0-beta2", "1.1.0-pre1", "1.1.0rc1", "1.1.0", "1.1.0a"},
		{"2016.73", "2019.78", "2020.81", "2022.83"},
		{"1.4.9", "1.4.59", "1.4.69", "1.4.100"},
		{"2.78", "2.85", "2.86", "2.87", "2.90"},
		{"2019.07-rc1", "2019.07-rc5", "2019.07", "2019.10"},
		{"7.88", "7.88.1", "7.881"},
		{"0.15-20200726", "0.15-20200727", "0.16"},
		{"8.5", "8.5p1", "8.5p2", "9.0"},
		{"1.9.5", "1.9.5patch1", "1.9.5p2"},
		{"1.0alpha", "1.0beta", "1.0rc", "1.0"},
	},
	Semver: {
		{"0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"},
	},
	Go: {
		{"v0.0.0-20190101000000-aaaaaaaaaaaa", "v0.0.0-20210101000000-bbbbbbbbbbbb", "v0.3.5", "v0.3.7", "v0.3.8-0.20211004125949-5bd84dd9b33b", "v0.3.8", "v0.10.0", "v1.0.0", "v2.0.0+incompatible"},
		{"go1.19", "go1.20rc1", "go1.20", "1.20.1", "go1.20.10", "go1.21.0"},
	},
	Debian: {
		{"1.0~rc1", "1.0", "1.0-1", "1.0-1+deb11u1", "1.0-2", "1.0a", "1.0+dfsg", "1.1", "1:0.9"},
		{"2.85-1", "2.85-1+deb11u1", "2.86-1", "2.90-4~deb12u1", "2.90-4"},
		{"1.1.1n-0+deb11u3", "1.1.1n-0+deb11u5", "1.1.1w-0+deb11u1", "3.0.11-1~deb12u2"},
		{"~~", "~~a", "~", ""},
	},
	Alpine: {
		{"1.0_alpha", "1.0_alpha2", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0", "1.0-r1", "1.0_p1", "1.0a", "1.0.1", "1.2", "1.10"},
		{"1.36.1-r0", "1.36.1-r5", "1.36.1-r29", "1.37.0-r0"},
		{"3.1.4_git20230101", "3.1.4_p1"},
	},
	RPM: {
		{"1.0~rc1", "1.0", "1.0^20230101", "1.0a", "1.0.1", "1.1"},
		{"1.1.1k-7.el8_6", "1.1.1k-9.el8_7", "1.1.1k-12.el8", "1:1.0-1"},
		{"2.0.1", "2.0.1a", "2.0.2"},
	},
	PEP440: {
		{"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1", "1!0.1"},
	},
}

// equal lists pairs that are the same version under the scheme.
var equal = map[Scheme][][2]string{
	Generic: {{"1.0", "1.0.0"}, {"1.9.5p1", "1.9.5patch1"}, {"1.0.2K", "1.0.2k"}, {"2.85", "2.85"}, {"2019.07-rc1", "2019.07rc1"}},
	Semver:  {{"1.0.0", "v1.0.0"}, {"1.2", "1.2.0"}, {"1.0.0+build.1", "1.0.0+other"}},
	Go:      {{"go1.21", "1.21.0"}, {"v1.2.3", "1.2.3"}},
	Debian:  {{"0:1.0", "1.0"}, {"1.0-0", "1.0-0"}, {"1.01", "1.1"}},
	Alpine:  {{"1.0-r0", "1.0"}},
	RPM:     {{"0:1.0-1", "1.0-1"}, {"1.0", "1.0-5"}, {"1.0.0", "1_0_0"}},
	PEP440:  {{"1.0", "1.0.0"}, {"1.0alpha1", "1.0a1"}, {"1.0-1", "1.0.post1"}, {"1.0c1", "1.0rc1"}, {"v1.0", "1.0"}, {"1.0-dev", "1.0.dev0"}},
}

func TestOrdered(t *testing.T) {
	for scheme, lists := range ordered {
		for _, list := range lists {
			for i := range list {
				for j := range list {
					want := sign(i - j)
					if got := Compare(scheme, list[i], list[j]); got != want {
						t.Errorf("%s: Compare(%q, %q) = %d, want %d", scheme, list[i], list[j], got, want)
					}
				}
			}
		}
	}
}

func TestEqual(t *testing.T) {
	for scheme, pairs := range equal {
		for _, p := range pairs {
			if got := Compare(scheme, p[0], p[1]); got != 0 {
				t.Errorf("%s: Compare(%q, %q) = %d, want 0", scheme, p[0], p[1], got)
			}
			if got := Compare(scheme, p[1], p[0]); got != 0 {
				t.Errorf("%s: Compare(%q, %q) = %d, want 0", scheme, p[1], p[0], got)
			}
		}
	}
}

func TestForEcosystem(t *testing.T) {
	for eco, want := range map[string]Scheme{"Go": Go, "Debian:12": Debian, "Alpine:v3.18": Alpine, "PyPI": PEP440, "Red Hat:enterprise_linux:8": RPM, "npm": Semver, "OSS-Fuzz": Generic} {
		if got := ForEcosystem(eco); got != want {
			t.Errorf("ForEcosystem(%q) = %s, want %s", eco, got, want)
		}
	}
}

func FuzzCompareAntisymmetric(f *testing.F) {
	f.Add("1.0.2k", "1.0.2za")
	f.Add("1:2.0~rc1-1", "2.0")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, s := range []Scheme{Generic, Semver, Go, Debian, Alpine, RPM, PEP440} {
			if x, y := Compare(s, a, b), Compare(s, b, a); x != -y {
				t.Fatalf("%s: Compare(%q,%q)=%d but reverse %d", s, a, b, x, y)
			}
		}
	})
}
