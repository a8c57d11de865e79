// Package version compares version strings under the ordering rules of one
// versioning scheme (semver, Debian, Alpine, RPM, PEP 440, Go, and a generic
// scheme for C projects that carry letters and dates in their versions).
package version

import "strings"

// Scheme names a version ordering.
type Scheme string

// Known schemes.
const (
	Semver  Scheme = "semver"
	Debian  Scheme = "deb"
	Alpine  Scheme = "apk"
	RPM     Scheme = "rpm"
	PEP440  Scheme = "pep440"
	Go      Scheme = "go"
	Generic Scheme = "generic"
)

// Compare returns -1, 0 or +1 as a is older than, equal to or newer than b
// under scheme s. Unknown schemes use Generic.
func Compare(s Scheme, a, b string) int {
	switch s {
	case Semver:
		return CompareSemver(a, b)
	case Debian:
		return CompareDebian(a, b)
	case Alpine:
		return CompareAlpine(a, b)
	case RPM:
		return CompareRPM(a, b)
	case PEP440:
		return ComparePEP440(a, b)
	case Go:
		return CompareGo(a, b)
	}
	return CompareGeneric(a, b)
}

// ForEcosystem is the scheme of an OSV ecosystem ("Debian:12" -> deb).
func ForEcosystem(eco string) Scheme {
	base, _, _ := strings.Cut(eco, ":")
	switch strings.ToLower(base) {
	case "go":
		return Go
	case "debian", "ubuntu":
		return Debian
	case "alpine", "wolfi", "chainguard":
		return Alpine
	case "pypi":
		return PEP440
	case "red hat", "rocky linux", "almalinux", "opensuse", "suse", "mageia", "openeuler", "photon os":
		return RPM
	case "npm", "crates.io", "packagist", "hex", "pub", "nuget", "rubygems":
		return Semver
	}
	return Generic
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// cmpNumeric compares two digit strings of any length without overflow.
func cmpNumeric(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}
