// Package license turns the licence a package database or manifest states
// ("GPLv2+", "BSD-3-clause", "Apache 2.0", "MIT OR GPL-2.0") into a valid
// SPDX licence expression. Names on the SPDX licence list become their
// identifiers, the GNU family gets its -only/-or-later form from what the
// text says, and a name that is not on the list becomes a LicenseRef-...
// so that the expression stays valid and nothing is invented.
package license

import (
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Declared returns the licence of a component whose metadata, read from
// the file src, states raw. A statement that says nothing (empty,
// UNKNOWN, NONE) gives NOASSERTION with the reason.
func Declared(raw, src string) *model.License {
	raw = strings.TrimSpace(raw)
	expr, ok := Normalize(raw)
	if !ok {
		if raw == "" {
			return Unknown("the entry in " + src + " states no licence")
		}
		l := Unknown("the entry in " + src + " states the licence as " + raw)
		l.Declared, l.Source = raw, src
		return l
	}
	return &model.License{Expression: expr, Declared: raw, Source: src}
}

// Unknown is the licence of a component whose source says none; reason
// says why.
func Unknown(reason string) *model.License {
	return &model.License{Expression: model.NoAssertion, Reason: reason}
}

// Valid says whether expr is a valid SPDX licence expression.
func Valid(expr string) bool {
	if expr == model.NoAssertion {
		return true
	}
	ok, _ := spdxexp.ValidateLicenses([]string{expr})
	return ok
}

// Normalize returns the SPDX expression for a stated licence; ok is false
// when the statement names no licence at all.
func Normalize(raw string) (expr string, ok bool) {
	raw = strings.TrimSpace(raw)
	switch strings.ToUpper(raw) {
	case "", "UNKNOWN", "NONE", "NOASSERTION", "UNLICENSED", "N/A", "-":
		return "", false
	}
	if id := term(raw); !strings.HasPrefix(id, "LicenseRef-") || strings.HasPrefix(raw, "LicenseRef-") {
		return id, true // one name, commas and all ("Apache License, Version 2.0")
	}
	if e := expression(raw); e != "" && Valid(e) {
		return e, true
	}
	return Ref(raw), true
}

// Ref is the LicenseRef- identifier for a licence name that is not on the
// SPDX list: letters, digits, '.' and '-' only.
func Ref(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.TrimSpace(name) {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if r == '+' {
			b.WriteString("-plus")
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		s = "unnamed"
	}
	if len(s) > 96 {
		s = strings.TrimRight(s[:96], "-")
	}
	return "LicenseRef-" + s
}

// token kinds of a stated licence.
const (
	tWord = iota
	tAnd
	tOr
	tWith
	tOpen
	tClose
)

type token struct {
	kind int
	text string
}

// tokenize splits a statement into words, operators and parentheses.
// "&", "|", "," and ";" are operators too; "or later" is not an operator
// but part of the licence name before it.
func tokenize(s string) []token {
	s = strings.NewReplacer("(", " ( ", ")", " ) ", "&", " & ", "|", " | ", ",", " , ", ";", " ; ").Replace(s)
	f := strings.Fields(s)
	var out []token
	for i := 0; i < len(f); i++ {
		w := f[i]
		lw := strings.ToLower(w)
		switch {
		case lw == "(":
			out = append(out, token{kind: tOpen})
		case lw == ")":
			out = append(out, token{kind: tClose})
		case lw == "and" || lw == "&" || lw == "," || lw == ";":
			out = append(out, token{kind: tAnd})
		case lw == "or" && i+1 < len(f) && laterWord(f[i+1:]):
			out = append(out, token{kind: tWord, text: w})
		case lw == "or" || lw == "|" || lw == "and/or":
			out = append(out, token{kind: tOr})
		case lw == "with":
			out = append(out, token{kind: tWith})
		default:
			out = append(out, token{kind: tWord, text: w})
		}
	}
	// "A, and B" / "A, or B": the comma only separates.
	var clean []token
	for i, t := range out {
		if t.kind == tAnd && t.text == "" && i+1 < len(out) && (out[i+1].kind == tAnd || out[i+1].kind == tOr) {
			continue
		}
		clean = append(clean, t)
	}
	return clean
}

// laterWord says whether the words after an "or" continue a licence name:
// "or later", "or any later version", "or newer".
func laterWord(rest []string) bool {
	w := strings.ToLower(rest[0])
	if w == "later" || w == "newer" || strings.HasPrefix(w, "later") {
		return true
	}
	return w == "any" && len(rest) > 1 && strings.HasPrefix(strings.ToLower(rest[1]), "later")
}

// expression rebuilds a statement as an SPDX expression, each run of words
// being one licence; "" when it cannot be built.
func expression(raw string) string {
	toks := tokenize(raw)
	var parts []string
	var words []string
	afterWith := false
	flush := func() bool {
		if len(words) == 0 {
			return true
		}
		name := strings.Join(words, " ")
		words = nil
		if afterWith {
			afterWith = false
			ok, id := spdxlicenses.IsException(name)
			if !ok {
				ok, id = spdxlicenses.IsException(strings.ReplaceAll(name, " ", "-"))
			}
			if !ok {
				return false
			}
			parts = append(parts, id)
			return true
		}
		parts = append(parts, slashed(name))
		return true
	}
	for _, t := range toks {
		if t.kind == tWord {
			words = append(words, t.text)
			continue
		}
		if !flush() {
			return ""
		}
		switch t.kind {
		case tAnd:
			parts = append(parts, "AND")
		case tOr:
			parts = append(parts, "OR")
		case tWith:
			parts = append(parts, "WITH")
			afterWith = true
		case tOpen:
			parts = append(parts, "(")
		case tClose:
			parts = append(parts, ")")
		}
	}
	if !flush() {
		return ""
	}
	return strings.NewReplacer("( ", "(", " )", ")").Replace(strings.Join(parts, " "))
}

// slashed reads "GPL-2.0/BSD-3-Clause" as a choice when both sides are
// licences on the list, and "MIT/X11" (one name) otherwise.
func slashed(name string) string {
	if id := term(name); !strings.HasPrefix(id, "LicenseRef-") {
		return id
	}
	if strings.Contains(name, "/") && !strings.Contains(name, " ") {
		var ids []string
		for _, p := range strings.Split(name, "/") {
			id := term(p)
			if p == "" || strings.HasPrefix(id, "LicenseRef-") {
				ids = nil
				break
			}
			ids = append(ids, id)
		}
		if len(ids) > 1 {
			return "(" + strings.Join(ids, " OR ") + ")"
		}
	}
	return term(name)
}

// term is the SPDX identifier of one licence name.
func term(name string) string {
	name = strings.TrimSpace(name)
	if strings.HasPrefix(name, "LicenseRef-") || strings.HasPrefix(name, "DocumentRef-") {
		return Ref(strings.TrimPrefix(name, "LicenseRef-"))
	}
	if id, ok := gnu(name); ok {
		return id
	}
	if ok, id := spdxlicenses.IsActiveLicense(name); ok {
		return id
	}
	if ok, id := spdxlicenses.IsDeprecatedLicense(name); ok {
		return id
	}
	k := key(name)
	if id, ok := aliases[k]; ok {
		return id
	}
	if ok, id := spdxlicenses.IsActiveLicense(strings.ReplaceAll(k, " ", "-")); ok {
		return id
	}
	return Ref(name)
}

var keySep = lazyre.New(`[\s_]+`)

// key is the lookup form of a licence name: lower case, single spaces, no
// "the" or trailing "license".
func key(name string) string {
	k := strings.ToLower(keySep.ReplaceAllString(strings.TrimSpace(name), " "))
	k = strings.TrimPrefix(k, "the ")
	for _, suf := range []string{" license", " licence", " licensed"} {
		k = strings.TrimSuffix(k, suf)
	}
	return strings.TrimSpace(k)
}

// gnuName matches the GNU licence families in the ways package metadata
// writes them: "GPLv2+", "GPL-2", "GPL 2.0 or later", "LGPL-2.1-only",
// "GNU General Public License v3 or later", "GPL2".
var gnuName = lazyre.New(`^(?:the\s+)?(?:gnu\s+)?(affero\s+general\s+public|lesser\s+general\s+public|library\s+general\s+public|general\s+public|free\s+documentation|agpl|lgpl|gpl|gfdl|fdl)(?:\s+licen[cs]e)?(?:[\s,-]*v(?:ersion)?)?[\s.-]*(\d+(?:\.\d+)?)?(.*)$`)

// gnuVersions are the versions of each family on the SPDX list; the
// first is the one a statement without a version means.
var gnuVersions = map[string][]string{
	"GPL":  {"1.0", "2.0", "3.0"},
	"LGPL": {"2.0", "2.1", "3.0"},
	"AGPL": {"1.0", "3.0"},
	"GFDL": {"1.1", "1.2", "1.3"},
}

// gnu reads a GNU family licence. "+" and "or (any) later (version)" give
// -or-later, "only" gives -only; a version with neither stays the
// deprecated plain identifier (GPL-2.0), which says just as much as the
// text does.
func gnu(name string) (string, bool) {
	m := gnuName.FindStringSubmatch(strings.ToLower(strings.TrimSpace(name)))
	if m == nil {
		return "", false
	}
	fam := map[string]string{
		"affero general public": "AGPL", "agpl": "AGPL",
		"lesser general public": "LGPL", "library general public": "LGPL", "lgpl": "LGPL",
		"general public": "GPL", "gpl": "GPL",
		"free documentation": "GFDL", "gfdl": "GFDL", "fdl": "GFDL",
	}[strings.Join(strings.Fields(m[1]), " ")]
	ver := m[2]
	if ver != "" && !strings.Contains(ver, ".") {
		ver += ".0"
	}
	known := false
	for _, v := range gnuVersions[fam] {
		known = known || v == ver
	}
	if ver != "" && !known {
		return "", false
	}
	rest := strings.TrimSpace(strings.Trim(strings.TrimSpace(m[3]), "-"))
	rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(rest, "licence"), "license"))
	suffix := ""
	switch rest {
	case "":
	case "+", "or later", "or-later", "+ or later", "or any later version", "or any later", "or later version", "or newer", "or-newer":
		suffix = "-or-later"
	case "only", "-only":
		suffix = "-only"
	default:
		return "", false
	}
	if ver == "" {
		// A GNU licence that names no version lets the recipient choose
		// any version ever published.
		return fam + "-" + gnuVersions[fam][0] + "-or-later", true
	}
	id := fam + "-" + ver
	if suffix == "" {
		if ok, dep := spdxlicenses.IsDeprecatedLicense(id); ok {
			return dep, true
		}
		suffix = "-only"
	}
	if ok, full := spdxlicenses.IsActiveLicense(id + suffix); ok {
		return full, true
	}
	return "", false
}

// aliases are the common names (key form) of licences on the SPDX list
// that package databases write instead of the identifier.
var aliases = map[string]string{
	"mit":                          "MIT",
	"mit/x11":                      "MIT",
	"mit-style":                    "MIT",
	"expat":                        "MIT",
	"x11":                          "X11",
	"isc":                          "ISC",
	"iscl":                         "ISC",
	"bsd-2":                        "BSD-2-Clause",
	"bsd 2-clause":                 "BSD-2-Clause",
	"bsd-2-clause":                 "BSD-2-Clause",
	"2-clause bsd":                 "BSD-2-Clause",
	"simplified bsd":               "BSD-2-Clause",
	"freebsd":                      "BSD-2-Clause",
	"bsd-3":                        "BSD-3-Clause",
	"bsd 3-clause":                 "BSD-3-Clause",
	"bsd-3-clause":                 "BSD-3-Clause",
	"3-clause bsd":                 "BSD-3-Clause",
	"new bsd":                      "BSD-3-Clause",
	"revised bsd":                  "BSD-3-Clause",
	"modified bsd":                 "BSD-3-Clause",
	"bsd-4":                        "BSD-4-Clause",
	"bsd 4-clause":                 "BSD-4-Clause",
	"bsd-4-clause":                 "BSD-4-Clause",
	"original bsd":                 "BSD-4-Clause",
	"apache 2":                     "Apache-2.0",
	"apache 2.0":                   "Apache-2.0",
	"apache-2":                     "Apache-2.0",
	"apache2":                      "Apache-2.0",
	"apache-2.0":                   "Apache-2.0",
	"apache version 2.0":           "Apache-2.0",
	"apache license 2.0":           "Apache-2.0",
	"apache license version 2.0":   "Apache-2.0",
	"apache license, version 2.0":  "Apache-2.0",
	"apache software license 2.0":  "Apache-2.0",
	"asl 2.0":                      "Apache-2.0",
	"apache 1.1":                   "Apache-1.1",
	"mpl":                          "MPL-2.0",
	"mpl2":                         "MPL-2.0",
	"mpl 2.0":                      "MPL-2.0",
	"mpl-2":                        "MPL-2.0",
	"mozilla public license 2.0":   "MPL-2.0",
	"mpl 1.1":                      "MPL-1.1",
	"zlib/libpng":                  "Zlib",
	"libpng":                       "Libpng",
	"openssl":                      "OpenSSL",
	"ssleay":                       "SSLeay-standalone",
	"unlicense":                    "Unlicense",
	"cc0":                          "CC0-1.0",
	"cc0 1.0":                      "CC0-1.0",
	"artistic":                     "Artistic-1.0",
	"artistic 2.0":                 "Artistic-2.0",
	"artistic-2":                   "Artistic-2.0",
	"psf":                          "Python-2.0",
	"python":                       "Python-2.0",
	"python software foundation":   "Python-2.0",
	"boost":                        "BSL-1.0",
	"boost software license 1.0":   "BSL-1.0",
	"wtfpl":                        "WTFPL",
	"openldap":                     "OLDAP-2.8",
	"ruby":                         "Ruby",
	"php":                          "PHP-3.01",
	"postgresql":                   "PostgreSQL",
	"bzip2":                        "bzip2-1.0.6",
	"epl":                          "EPL-2.0",
	"epl 2.0":                      "EPL-2.0",
	"epl 1.0":                      "EPL-1.0",
	"cddl":                         "CDDL-1.0",
	"ncsa":                         "NCSA",
	"ofl":                          "OFL-1.1",
	"sil open font":                "OFL-1.1",
	"beerware":                     "Beerware",
	"curl":                         "curl",
	"vim":                          "Vim",
	"sleepycat":                    "Sleepycat",
	"ijg":                          "IJG",
	"x.org":                        "X11",
	"historical permission notice": "HPND",
	"hpnd":                         "HPND",
	"bsl":                          "BSL-1.0",
	"eupl 1.2":                     "EUPL-1.2",
	"unicode":                      "Unicode-DFS-2016",
	"info-zip":                     "Info-ZIP",
	"0bsd":                         "0BSD",
	"zero-clause bsd":              "0BSD",
	"mit no attribution":           "MIT-0",
	"academic free license 2.1":    "AFL-2.1",
}
