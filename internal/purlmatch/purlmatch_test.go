package purlmatch

import "testing"

func TestMatch(t *testing.T) {
	const have = "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc"
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{have, true},
		{"pkg:opkg/busybox", true},
		{"pkg:opkg/busybox@1.35.0-1", true},
		{"pkg:opkg/busybox?arch=mipsel_24kc", true},
		{"pkg:opkg/busybox@1.36.0-1", false},
		{"pkg:opkg/busybox?arch=arm", false},
		{"pkg:deb/busybox", false},
		{"pkg:opkg/dropbear", false},
		{"not a purl", false},
	} {
		if got := Match(tc.pattern, have); got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.pattern, got, tc.want)
		}
	}
}
