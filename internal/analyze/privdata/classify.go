package privdata

import (
	"strings"
	"unicode"

	"github.com/thingsec/thingsec/internal/lazyre"
)

// kind is a sort of personal data (or credential) a value holds.
type kind int

const (
	kEmail kind = iota
	kPhone
	kBirth
	kGeo
	kName
	kDevice // MAC address, serial number, IMEI: personal only next to user data
	kPlainPassword
	kHashedPassword
	nKinds
)

// what names each kind in titles and evidence ("12 rows with ...").
var what = [nKinds]string{
	kEmail:          "e-mail addresses",
	kPhone:          "phone numbers",
	kBirth:          "birth dates",
	kGeo:            "precise locations",
	kName:           "names",
	kDevice:         "device identifiers",
	kPlainPassword:  "plaintext passwords",
	kHashedPassword: "password hashes",
}

// personal kinds alone make a store of personal data; names and device
// identifiers count only next to one of them.
func (k kind) personal() bool { return k == kEmail || k == kPhone || k == kBirth || k == kGeo }

// fieldKind says what a column or key is meant to hold, from its name
// ("e-mail" -> "email", "Phone_Number" -> "phonenumber").
type fieldKind struct {
	phone, birth, lat, lon, geo, name, device, password, pin, hashed, user bool
}

func norm(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var personNames = map[string]bool{
	"name": true, "fullname": true, "displayname": true, "firstname": true, "lastname": true,
	"surname": true, "givenname": true, "familyname": true, "owner": true, "ownername": true,
	"realname": true, "contactname": true, "customername": true, "contact": true, "nickname": true,
}

var passwordNames = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pass": true, "passcode": true,
	"passphrase": true, "pword": true, "userpassword": true, "adminpassword": true,
	"loginpassword": true, "userpass": true, "adminpass": true, "psk": true, "wpapsk": true,
}

func classifyField(name string) fieldKind {
	n := norm(name)
	// the last part of a path: "$.users[].contact.phone" -> "phone"
	if i := strings.LastIndexAny(name, ".[/@"); i >= 0 {
		n = norm(name[i+1:])
		if n == "" {
			n = norm(name)
		}
	}
	var f fieldKind
	f.phone = strings.Contains(n, "phone") || n == "tel" || n == "telephone" || strings.Contains(n, "mobile") ||
		strings.Contains(n, "msisdn") || n == "cell" || n == "cellphone" || n == "fax"
	f.birth = strings.Contains(n, "birth") || n == "dob" || strings.Contains(n, "geburt")
	f.lat = n == "lat" || strings.HasSuffix(n, "latitude") || strings.HasSuffix(n, "lat") && len(n) <= 8
	f.lon = n == "lon" || n == "lng" || n == "long" || strings.HasSuffix(n, "longitude") ||
		(strings.HasSuffix(n, "lon") || strings.HasSuffix(n, "lng")) && len(n) <= 8
	f.geo = strings.Contains(n, "location") || strings.Contains(n, "coord") || n == "position" ||
		n == "gps" || n == "geo" || n == "latlng" || n == "latlon" || n == "geolocation"
	f.name = personNames[n]
	f.device = n == "mac" || strings.HasSuffix(n, "macaddr") || strings.HasSuffix(n, "macaddress") ||
		n == "hwaddr" || strings.Contains(n, "serial") || n == "imei" || n == "bssid"
	f.hashed = strings.Contains(n, "hash") || strings.Contains(n, "md5") || strings.Contains(n, "sha") ||
		strings.Contains(n, "salt") || strings.Contains(n, "digest") || strings.Contains(n, "crypt")
	f.password = !f.hashed && (passwordNames[n] || strings.HasSuffix(n, "password") || strings.HasSuffix(n, "passwd"))
	f.pin = n == "pin" || n == "pincode" || n == "userpin"
	f.user = n == "user" || n == "username" || n == "login" || n == "userid" || n == "account" || f.name
	if f.hashed && !(strings.Contains(n, "pass") || strings.Contains(n, "pwd") || n == "hash" || strings.HasSuffix(n, "hash")) {
		f.hashed = false // "sha256" of a file, a "salt" alone
	}
	return f
}

// An address: a local part, a domain with a letter TLD that is not a
// file extension ("icon@2x.png" is an image).
var emailRe = lazyre.New(`[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.([A-Za-z]{2,24})\b`)

var fileExt = map[string]bool{
	"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "ico": true, "bmp": true,
	"js": true, "mjs": true, "css": true, "html": true, "htm": true, "json": true, "xml": true, "txt": true,
	"bin": true, "so": true, "map": true, "ts": true, "lua": true, "sh": true, "py": true, "tar": true, "gz": true,
}

func isEmail(v string) bool {
	m := emailRe.FindStringSubmatchIndex(v)
	return m != nil && m[0] == 0 && m[1] == len(v) && !fileExt[strings.ToLower(v[m[2]:m[3]])] && !strings.Contains(v, "..")
}

// E.164 country calling codes: one digit (1, 7), the assigned two-digit
// codes, and three-digit codes by their first two digits.
var (
	cc2 = "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
	cc3 = "21 22 23 24 25 26 29 35 37 38 42 50 59 67 68 69 85 87 88 96 97 99"
)

func validCountry(d string) bool {
	if len(d) < 3 {
		return false
	}
	if d[0] == '1' || d[0] == '7' {
		return true
	}
	return inList(d[:2], cc2) || inList(d[:2], cc3)
}

func inList(p, list string) bool {
	for _, c := range strings.Fields(list) {
		if c == p {
			return true
		}
	}
	return false
}

// phoneDigits strips the separators people write phone numbers with;
// ok is false when anything else is in v or the parentheses do not pair.
func phoneDigits(v string) (digits string, plus bool, ok bool) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "+") {
		plus, v = true, v[1:]
	} else if strings.HasPrefix(v, "00") {
		plus, v = true, v[2:]
	}
	var b strings.Builder
	parens, seps := 0, 0
	prevSep := false
	for i, r := range v {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			prevSep = false
		case r == ' ' || r == '-' || r == '.' || r == '/':
			if prevSep || i == 0 {
				return "", false, false
			}
			prevSep = true
			seps++
		case r == '(':
			parens++
		case r == ')':
			parens--
			if parens < 0 {
				return "", false, false
			}
		default:
			return "", false, false
		}
	}
	if parens != 0 || prevSep {
		return "", false, false
	}
	return b.String(), plus, true
}

// isPhone: an international number (E.164: '+' or 00, a valid country
// code, 8 to 15 digits) anywhere; a national number (7 to 15 digits,
// not one digit repeated) only in a field named like a phone number.
func isPhone(v string, phoneField bool) bool {
	if len(v) < 7 || len(v) > 24 {
		return false
	}
	d, plus, ok := phoneDigits(v)
	if !ok || allSame(d) {
		return false
	}
	if plus {
		return len(d) >= 8 && len(d) <= 15 && validCountry(d)
	}
	if !phoneField || len(d) < 7 || len(d) > 15 {
		return false
	}
	// a date or a version is not a phone number
	return !dateRe.MatchString(v) && strings.Count(v, ".") < 2
}

func allSame(s string) bool { return s != "" && strings.Count(s, s[:1]) == len(s) }

var dateRe = lazyre.New(`^(?:(19\d\d|20[0-3]\d)-(0?[1-9]|1[0-2])-(0?[1-9]|[12]\d|3[01])(?:[T ].*)?|(0?[1-9]|[12]\d|3[01])[./](0?[1-9]|1[0-2])[./](19\d\d|20[0-3]\d)|(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/(19\d\d|20[0-3]\d))$`)

func isDate(v string) bool { return dateRe.MatchString(strings.TrimSpace(v)) }

// coordinate parses a decimal degree with at least 4 decimals (about
// 10 m): precise enough to find a home.
func coordinate(v string, limit float64) bool {
	v = strings.TrimSpace(v)
	dot := strings.IndexByte(v, '.')
	if dot < 1 || len(v)-dot-1 < 4 || len(v) > 20 {
		return false
	}
	neg := v[0] == '-' || v[0] == '+'
	s := v
	if neg {
		s = v[1:]
		dot--
	}
	if dot < 1 {
		return false
	}
	whole := 0.0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == dot {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
		if i < dot {
			whole = whole*10 + float64(c-'0')
		}
	}
	return whole <= limit && !allSame(strings.ReplaceAll(s[dot+1:], "0", "")+"x")
}

// isLatLon: "48.85837,2.29448" or "48.85837 2.29448".
func isLatLon(v string) bool {
	f := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	return len(f) == 2 && coordinate(f[0], 90) && coordinate(f[1], 180)
}

var macRe = lazyre.New(`^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){4}$|^[0-9A-Fa-f]{12}$|^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$`)

// isName: one to five words of letters, as people's names are written.
func isName(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 2 || len(v) > 64 {
		return false
	}
	words := strings.Fields(v)
	if len(words) > 5 {
		return false
	}
	letters := 0
	for _, r := range v {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == ' ' || r == '-' || r == '\'' || r == '.' || r == '\u2019':
		default:
			return false
		}
	}
	return letters >= 2
}

var cryptRe = lazyre.New(`^(?:\$(?:1|2[abxy]?|5|6|y|7|gy|sha1|md5|argon2(?:id|i|d)|pbkdf2[-_a-z0-9]*|scrypt)\$|\{(?:SSHA|SHA|SMD5|MD5|CRYPT|SSHA256|SSHA512|PBKDF2[-A-Z0-9]*)\}|(?:pbkdf2_sha\d+|bcrypt|argon2|sha1|md5)\$)`)
var hexRe = lazyre.New(`^(?:[0-9a-f]{32}|[0-9A-F]{32}|[0-9a-f]{40}|[0-9A-F]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9A-F]{64}|[0-9a-f]{96}|[0-9a-f]{128}|[0-9A-F]{128})$`)
var b64HashRe = lazyre.New(`^[A-Za-z0-9+/]{22,86}={0,2}$`)

// isHash: a value that is a password hash, not a password.
func isHash(v string) bool {
	if cryptRe.MatchString(v) || hexRe.MatchString(v) {
		return true
	}
	// base64 of a 16..64-byte digest: long, padded or mixed, no words
	return b64HashRe.MatchString(v) && (len(v)%4 == 0) && len(v) >= 24 && strings.ContainsAny(v, "+/=")
}

// placeholder values say that no password is set.
func placeholder(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || allSame(v) {
		return true
	}
	l := strings.ToLower(v)
	switch l {
	case "null", "none", "nil", "undefined", "n/a", "na", "-", "x", "*", "!", "!!", "disabled", "locked", "true", "false", "password", "secret":
		return true
	}
	return strings.HasPrefix(v, "${") || strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">") || strings.HasPrefix(v, "{{")
}

// pinValue: a numeric PIN of 4 to 8 digits.
func pinValue(v string) bool {
	if len(v) < 4 || len(v) > 8 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
