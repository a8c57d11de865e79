package version

import "strings"

// CompareDebian orders Debian package versions ([epoch:]upstream[-revision])
// by the algorithm of Debian Policy 5.6.12: non-digit runs compare with
// letters before non-letters and "~" before everything (even the end),
// digit runs compare numerically.
func CompareDebian(a, b string) int {
	ea, ua, ra := debSplit(a)
	eb, ub, rb := debSplit(b)
	if c := cmpNumeric(ea, eb); c != 0 {
		return c
	}
	if c := debCmpPart(ua, ub); c != 0 {
		return c
	}
	return debCmpPart(ra, rb)
}

func debSplit(v string) (epoch, upstream, revision string) {
	v = strings.TrimSpace(v)
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 && allDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// debOrder is the weight of one character in a non-digit run.
func debOrder(c byte) int {
	switch {
	case c == '~':
		return -1
	case isAlpha(c):
		return int(c) + 1
	}
	return int(c) + 256
}

func debCmpPart(a, b string) int {
	for a != "" || b != "" {
		// non-digit prefix
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			ox, oy := 0, 0 // 0: the run has ended
			xa := a != "" && !isDigit(a[0])
			ya := b != "" && !isDigit(b[0])
			if xa {
				ox = debOrder(a[0])
			}
			if ya {
				oy = debOrder(b[0])
			}
			if ox != oy {
				return sign(ox - oy)
			}
			if xa {
				a = a[1:]
			}
			if ya {
				b = b[1:]
			}
		}
		// digit prefix
		i, j := 0, 0
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := cmpNumeric(a[:i], b[:j]); c != 0 {
			return c
		}
		a, b = a[i:], b[j:]
	}
	return 0
}
