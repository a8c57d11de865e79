package version

import "strings"

// preReleaseWords sort below a release; their order among themselves.
var preReleaseWords = map[string]int{
	"dev": 1, "snapshot": 1, "alpha": 2, "beta": 3, "pre": 4, "preview": 4, "rc": 5, "cr": 5,
}

// CompareGeneric orders the versions of C projects and anything else
// without a formal scheme: numbers compare as numbers, letters as text
// (1.0.2k < 1.0.2l < 1.0.2za), a trailing letter or patch suffix is newer
// than no suffix, but dev/alpha/beta/pre/rc are older than the release.
// Separators (. - _ + ~ :) only split tokens; trailing zeros do not count.
func CompareGeneric(a, b string) int {
	ta, tb := genericTokens(a), genericTokens(b)
	for i := 0; i < len(ta) || i < len(tb); i++ {
		switch {
		case i >= len(ta):
			return -tailOrder(tb[i:])
		case i >= len(tb):
			return tailOrder(ta[i:])
		}
		x, y := ta[i], tb[i]
		xn, yn := isDigit(x[0]), isDigit(y[0])
		switch {
		case xn && yn:
			if c := cmpNumeric(x, y); c != 0 {
				return c
			}
		case xn: // a number beats a word at the same place
			return 1
		case yn:
			return -1
		default:
			px, okx := preReleaseWords[x]
			py, oky := preReleaseWords[y]
			switch {
			case okx && oky:
				if px != py {
					return sign(px - py)
				}
			case okx:
				return -1
			case oky:
				return 1
			default:
				if c := strings.Compare(x, y); c != 0 {
					return c
				}
			}
		}
	}
	return 0
}

// tailOrder is the order of a version that continues with rest against one
// that stopped: zeros are equal, pre-release words older, anything else newer.
func tailOrder(rest []string) int {
	for _, t := range rest {
		if isDigit(t[0]) {
			if strings.Trim(t, "0") != "" {
				return 1
			}
			continue
		}
		if _, pre := preReleaseWords[t]; pre {
			return -1
		}
		return 1
	}
	return 0
}

func genericTokens(s string) []string {
	s = strings.ToLower(strings.TrimSpace(s))
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		j := i + 1
		switch {
		case isDigit(c):
			for j < len(s) && isDigit(s[j]) {
				j++
			}
		case isAlpha(c):
			for j < len(s) && isAlpha(s[j]) {
				j++
			}
		default:
			i = j
			continue
		}
		t := s[i:j]
		if t == "patch" { // sudo's 1.9.5p1 is NVD's 1.9.5 update patch1
			t = "p"
		}
		out = append(out, t)
		i = j
	}
	return out
}
