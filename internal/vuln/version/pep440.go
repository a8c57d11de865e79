package version

import (
	"strings"

	"github.com/thingsec/thingsec/internal/lazyre"
)

// pep440RE accepts the normalisable forms of PEP 440 (case-insensitive,
// with ., - or _ separators and the alternative spellings).
var pep440RE = lazyre.New(`^v?(?:(\d+)!)?(\d+(?:\.\d+)*)` +
	`(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?` +
	`(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?` +
	`(?:[-_.]?(dev)[-_.]?(\d*))?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

type pepVersion struct {
	epoch   string
	release []string
	pre     int // 0 none, 1 a, 2 b, 3 rc
	preN    string
	post    bool
	postN   string
	dev     bool
	devN    string
	local   string
	invalid string
}

func parsePEP440(v string) pepVersion {
	v = strings.ToLower(strings.TrimSpace(v))
	m := pep440RE.FindStringSubmatch(v)
	if m == nil {
		return pepVersion{invalid: v}
	}
	p := pepVersion{epoch: m[1], release: strings.Split(m[2], "."), preN: m[4], dev: m[8] != "", devN: m[9], local: m[10]}
	for len(p.release) > 1 && strings.Trim(p.release[len(p.release)-1], "0") == "" {
		p.release = p.release[:len(p.release)-1]
	}
	switch m[3] {
	case "a", "alpha":
		p.pre = 1
	case "b", "beta":
		p.pre = 2
	case "":
	default:
		p.pre = 3
	}
	if m[5] != "" {
		p.post, p.postN = true, m[5]
	} else if m[6] != "" {
		p.post, p.postN = true, m[7]
	}
	return p
}

// ComparePEP440 orders Python package versions by PEP 440: epoch, release
// (trailing zeros ignored), then X.devN < X.aN < X.bN < X.rcN < X < X.postN,
// with a dev release below the pre/post release it belongs to, and a local
// version label newer than the same public version.
func ComparePEP440(a, b string) int {
	x, y := parsePEP440(a), parsePEP440(b)
	if x.invalid != "" || y.invalid != "" {
		return CompareGeneric(a, b)
	}
	if c := cmpNumeric(x.epoch, y.epoch); c != 0 {
		return c
	}
	for i := 0; i < len(x.release) || i < len(y.release); i++ {
		var p, q string
		if i < len(x.release) {
			p = x.release[i]
		}
		if i < len(y.release) {
			q = y.release[i]
		}
		if c := cmpNumeric(p, q); c != 0 {
			return c
		}
	}
	if c := sign(pepPreKey(x) - pepPreKey(y)); c != 0 {
		return c
	}
	if x.pre != 0 {
		if c := cmpNumeric(x.preN, y.preN); c != 0 {
			return c
		}
	}
	if x.post != y.post {
		if x.post {
			return 1
		}
		return -1
	}
	if x.post {
		if c := cmpNumeric(x.postN, y.postN); c != 0 {
			return c
		}
	}
	if x.dev != y.dev {
		if x.dev {
			return -1
		}
		return 1
	}
	if x.dev {
		if c := cmpNumeric(x.devN, y.devN); c != 0 {
			return c
		}
	}
	switch {
	case x.local == y.local:
		return 0
	case x.local == "":
		return -1
	case y.local == "":
		return 1
	}
	return CompareGeneric(x.local, y.local)
}

// pepPreKey places a release without pre-release segment: a bare
// dev release (1.0.dev1) is below every pre-release of 1.0.
func pepPreKey(p pepVersion) int {
	switch {
	case p.pre != 0:
		return p.pre
	case p.dev && !p.post:
		return -1
	}
	return 4
}
