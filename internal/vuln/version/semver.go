package version

import "strings"

// semverParts splits a (leniently parsed) semantic version: a leading "v"
// is dropped, missing minor/patch are zero, build metadata is ignored.
func semverParts(v string) (core [3]string, pre []string) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	c, p, hasPre := strings.Cut(v, "-")
	nums := strings.SplitN(c, ".", 3)
	for i := range core {
		core[i] = "0"
		if i < len(nums) && nums[i] != "" {
			core[i] = nums[i]
		}
	}
	if hasPre {
		pre = strings.Split(p, ".")
	}
	return core, pre
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// CompareSemver orders Semantic Versioning 2.0.0 versions: numeric core,
// a pre-release is older than its release, pre-release identifiers compare
// numerically when both are numbers, numbers below words, shorter first.
func CompareSemver(a, b string) int {
	ca, pa := semverParts(a)
	cb, pb := semverParts(b)
	for i := range ca {
		var c int
		if allDigits(ca[i]) && allDigits(cb[i]) {
			c = cmpNumeric(ca[i], cb[i])
		} else {
			c = CompareGeneric(ca[i], cb[i])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case pa == nil && pb == nil:
		return 0
	case pa == nil:
		return 1
	case pb == nil:
		return -1
	}
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, y := pa[i], pb[i]
		xn, yn := allDigits(x), allDigits(y)
		var c int
		switch {
		case xn && yn:
			c = cmpNumeric(x, y)
		case xn:
			c = -1
		case yn:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return sign(len(pa) - len(pb))
}

// CompareGo orders Go module versions (semver with a "v", pseudo-versions
// such as v0.0.0-20210101000000-abcdef123456 being pre-releases) and Go
// toolchain versions ("go1.21.3", "1.21", "go1.21rc2").
func CompareGo(a, b string) int {
	return CompareSemver(goSemver(a), goSemver(b))
}

// goSemver turns a toolchain version into semver; module versions pass.
func goSemver(v string) string {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "go") {
		return strings.TrimSuffix(v, "+incompatible")
	}
	v = strings.TrimPrefix(v, "go")
	for _, p := range []string{"rc", "beta"} {
		if i := strings.Index(v, p); i > 0 {
			return pad3(v[:i]) + "-" + p + "." + v[i+len(p):]
		}
	}
	return pad3(v)
}

func pad3(v string) string {
	for strings.Count(v, ".") < 2 {
		v += ".0"
	}
	return v
}
