package version

import "strings"

// CompareRPM orders RPM [epoch:]version[-release] strings the way
// rpmvercmp does: alphanumeric segments, digits newer than letters, "~"
// older than anything (pre-releases) and "^" newer than the end but older
// than any further segment (post-release snapshots).
func CompareRPM(a, b string) int {
	ea, va, ra := rpmSplit(a)
	eb, vb, rb := rpmSplit(b)
	if c := cmpNumeric(ea, eb); c != 0 {
		return c
	}
	if c := rpmvercmp(va, vb); c != 0 {
		return c
	}
	if ra == "" || rb == "" { // a missing release matches any release
		return 0
	}
	return rpmvercmp(ra, rb)
}

func rpmSplit(v string) (epoch, ver, rel string) {
	v = strings.TrimSpace(v)
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 && allDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	ver, rel, _ = strings.Cut(v, "-")
	return epoch, ver, rel
}

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	for a != "" || b != "" {
		for a != "" && !isAlnum(a[0]) && a[0] != '~' && a[0] != '^' {
			a = a[1:]
		}
		for b != "" && !isAlnum(b[0]) && b[0] != '~' && b[0] != '^' {
			b = b[1:]
		}
		// tilde: older than everything
		if strings.HasPrefix(a, "~") || strings.HasPrefix(b, "~") {
			if !strings.HasPrefix(a, "~") {
				return 1
			}
			if !strings.HasPrefix(b, "~") {
				return -1
			}
			a, b = a[1:], b[1:]
			continue
		}
		// caret: newer than the end, older than anything else
		if strings.HasPrefix(a, "^") || strings.HasPrefix(b, "^") {
			switch {
			case a == "":
				return -1
			case b == "":
				return 1
			case !strings.HasPrefix(a, "^"):
				return 1
			case !strings.HasPrefix(b, "^"):
				return -1
			}
			a, b = a[1:], b[1:]
			continue
		}
		if a == "" || b == "" {
			break
		}
		numeric := isDigit(a[0])
		take := func(s string) (string, string) {
			i := 0
			for i < len(s) && (numeric && isDigit(s[i]) || !numeric && isAlpha(s[i])) {
				i++
			}
			return s[:i], s[i:]
		}
		var x, y string
		x, a = take(a)
		y, b = take(b)
		if y == "" { // segments of different kinds: numeric is newer
			if numeric {
				return 1
			}
			return -1
		}
		var c int
		if numeric {
			c = cmpNumeric(x, y)
		} else {
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}
