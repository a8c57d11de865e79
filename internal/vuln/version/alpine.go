package version

import "strings"

// apkSuffixRank orders Alpine suffixes: pre-release ones below no suffix
// (rank 0), post-release ones above.
var apkSuffixRank = map[string]int{
	"alpha": -4, "beta": -3, "pre": -2, "rc": -1,
	"cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5,
}

type apkVersion struct {
	nums     []string
	letter   string
	suffixes [][2]string // name, number
	rev      string
}

func parseAlpine(v string) apkVersion {
	var p apkVersion
	v = strings.TrimSpace(v)
	if i := strings.LastIndex(v, "-r"); i >= 0 && allDigits(v[i+2:]) {
		p.rev, v = v[i+2:], v[:i]
	}
	if i := strings.IndexByte(v, '~'); i >= 0 { // ~commit hash: ignored
		v = v[:i]
	}
	main, rest, _ := strings.Cut(v, "_")
	i := len(main)
	for i > 0 && isAlpha(main[i-1]) {
		i--
	}
	p.letter = main[i:]
	p.nums = strings.Split(main[:i], ".")
	if rest != "" {
		for _, s := range strings.Split(rest, "_") {
			j := 0
			for j < len(s) && isAlpha(s[j]) {
				j++
			}
			p.suffixes = append(p.suffixes, [2]string{s[:j], s[j:]})
		}
	}
	return p
}

// CompareAlpine orders apk versions: dotted numbers, an optional letter,
// suffixes (_alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg <
// _p, each with an optional number) and the package revision -rN.
func CompareAlpine(a, b string) int {
	x, y := parseAlpine(a), parseAlpine(b)
	for i := 0; i < len(x.nums) || i < len(y.nums); i++ {
		switch {
		case i >= len(x.nums):
			return -1
		case i >= len(y.nums):
			return 1
		}
		if c := cmpNumeric(x.nums[i], y.nums[i]); c != 0 {
			return c
		}
	}
	if c := strings.Compare(x.letter, y.letter); c != 0 {
		return c
	}
	for i := 0; i < len(x.suffixes) || i < len(y.suffixes); i++ {
		var rx, ry int
		var nx, ny string
		if i < len(x.suffixes) {
			rx, nx = apkSuffixRank[x.suffixes[i][0]], x.suffixes[i][1]
		}
		if i < len(y.suffixes) {
			ry, ny = apkSuffixRank[y.suffixes[i][0]], y.suffixes[i][1]
		}
		if rx != ry {
			return sign(rx - ry)
		}
		if c := cmpNumeric(nx, ny); c != 0 {
			return c
		}
	}
	return cmpNumeric(x.rev, y.rev)
}
