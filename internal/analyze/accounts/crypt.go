package accounts

import (
	"bytes"
	"crypto/des"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"unicode/utf16"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/md4" //nolint:staticcheck // NT hashes are MD4 by definition
)

// Scheme is a password-hash scheme.
type Scheme struct {
	Name string
	// Weak schemes are fast or unsalted: any captured hash is brute-forced.
	Weak bool
	// Cost is a rough relative price of one guess (1 = one MD5), used to
	// bound the guess list for slow schemes.
	Cost int
}

// Schemes.
var (
	SchemeDES          = Scheme{"DES crypt", true, 25}
	SchemeBigCrypt     = Scheme{"bigcrypt", true, 25}
	SchemeMD5Crypt     = Scheme{"MD5 crypt ($1$)", true, 1000}
	SchemeAPR1         = Scheme{"Apache MD5 ($apr1$)", true, 1000}
	SchemeSHA256       = Scheme{"SHA-256 crypt ($5$)", false, 5000}
	SchemeSHA512       = Scheme{"SHA-512 crypt ($6$)", false, 5000}
	SchemeBcrypt       = Scheme{"bcrypt ($2*$)", false, 200000}
	SchemeYescrypt     = Scheme{"yescrypt ($y$)", false, 1}
	SchemeGOSTYescrypt = Scheme{"GOST yescrypt ($gy$)", false, 0}
	SchemeMosq6        = Scheme{"mosquitto salted SHA-512 ($6$)", true, 1}
	SchemeMosq7        = Scheme{"mosquitto PBKDF2-SHA512 ($7$)", false, 100000}
	SchemeMD5          = Scheme{"unsalted MD5", true, 1}
	SchemeSHA1         = Scheme{"unsalted SHA-1", true, 1}
	SchemeSHA1B64      = Scheme{"unsalted SHA-1 ({SHA})", true, 1}
	SchemeNT           = Scheme{"NT hash (unsalted MD4)", true, 1}
	SchemeLM           = Scheme{"LAN Manager hash", true, 1}
	SchemeUnknown      = Scheme{"unknown", false, 0}
)

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func isCryptChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(itoa64, s[i]) < 0 {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// Identify names the scheme of a stored hash. mosquitto says the hash
// comes from a mosquitto password_file (its $6$ differs from crypt's).
func Identify(h string, mosquitto bool) Scheme {
	switch {
	case strings.HasPrefix(h, "$1$"):
		return SchemeMD5Crypt
	case strings.HasPrefix(h, "$apr1$"):
		return SchemeAPR1
	case strings.HasPrefix(h, "$5$"):
		return SchemeSHA256
	case strings.HasPrefix(h, "$6$") && (mosquitto || strings.HasSuffix(h, "=")):
		return SchemeMosq6
	case strings.HasPrefix(h, "$6$"):
		return SchemeSHA512
	case strings.HasPrefix(h, "$7$"):
		return SchemeMosq7
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"), strings.HasPrefix(h, "$2x$"):
		return SchemeBcrypt
	case strings.HasPrefix(h, "$y$"):
		return SchemeYescrypt
	case strings.HasPrefix(h, "$gy$"):
		return SchemeGOSTYescrypt
	case strings.HasPrefix(h, "{SHA}"):
		return SchemeSHA1B64
	case strings.HasPrefix(h, "$3$$") && len(h) == 36:
		return SchemeNT
	case len(h) == 13 && isCryptChars(h):
		return SchemeDES
	case len(h) > 13 && (len(h)-2)%11 == 0 && isCryptChars(h):
		return SchemeBigCrypt
	case len(h) == 32 && isHex(h):
		return SchemeMD5
	case len(h) == 40 && isHex(h):
		return SchemeSHA1
	}
	return SchemeUnknown
}

// Verify says whether pw hashes to h. ok is false when the scheme or its
// parameters are not supported (GOST yescrypt, a yescrypt hash over
// YescryptMaxMemory, unknown formats).
func Verify(h, pw string, mosquitto bool) (match, ok bool) {
	var got string
	switch Identify(h, mosquitto) {
	case SchemeDES:
		got = DESCrypt(pw, h[:2])
	case SchemeBigCrypt:
		return bigCrypt(pw, h), true
	case SchemeMD5Crypt:
		got = MD5Crypt(pw, h, "$1$")
	case SchemeAPR1:
		got = MD5Crypt(pw, h, "$apr1$")
	case SchemeSHA256:
		got = SHACrypt(pw, h, false)
	case SchemeSHA512:
		got = SHACrypt(pw, h, true)
	case SchemeYescrypt:
		return verifyYescrypt(h, pw)
	case SchemeBcrypt:
		hh := h
		if strings.HasPrefix(hh, "$2y$") || strings.HasPrefix(hh, "$2x$") {
			hh = "$2b$" + hh[4:]
		}
		return bcrypt.CompareHashAndPassword([]byte(hh), []byte(pw)) == nil, true
	case SchemeMosq6:
		return mosquitto6(h, pw), true
	case SchemeMosq7:
		return mosquitto7(h, pw), true
	case SchemeMD5:
		s := md5.Sum([]byte(pw))
		got, h = hex.EncodeToString(s[:]), strings.ToLower(h)
	case SchemeSHA1:
		s := sha1.Sum([]byte(pw))
		got, h = hex.EncodeToString(s[:]), strings.ToLower(h)
	case SchemeNT:
		got, h = NTHash(pw), strings.ToUpper(strings.TrimPrefix(h, "$3$$"))
	case SchemeSHA1B64:
		s := sha1.Sum([]byte(pw))
		got = "{SHA}" + base64.StdEncoding.EncodeToString(s[:])
	default:
		return false, false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(h)) == 1, true
}

// DESCrypt is traditional crypt(3): the first 8 characters of pw (7 bits
// each) key 25 DES encryptions of a zero block, perturbed by the 12-bit
// salt.
func DESCrypt(pw, salt string) string {
	if len(salt) < 2 {
		return ""
	}
	var key uint64
	for i := 0; i < 8; i++ {
		var c byte
		if i < len(pw) {
			c = pw[i]
		}
		key = key<<8 | uint64(c<<1)
	}
	sv := uint64(a64(salt[0])) | uint64(a64(salt[1]))<<6
	var mask uint64
	for i := 0; i < 12; i++ {
		if sv>>i&1 == 1 {
			mask |= 1 << (23 - i)
		}
	}
	ks := desSubkeys(key)
	var block uint64
	for i := 0; i < 25; i++ {
		block = desEncrypt(&ks, block, mask)
	}
	out := []byte(salt[:2])
	v := block
	for i := 0; i < 11; i++ {
		// 66 bits: the 64 of the block then two zero bits, 6 at a time.
		shift := 58 - 6*i
		var six uint64
		if shift >= 0 {
			six = v >> shift & 0x3f
		} else {
			six = v << -shift & 0x3f
		}
		out = append(out, itoa64[six])
	}
	return string(out)
}

// bigCrypt is the HP-UX/Tru64 extension used by some embedded vendors:
// DES crypt of each 8-character chunk, salted with the previous output.
func bigCrypt(pw, h string) bool {
	salt := h[:2]
	var sb strings.Builder
	sb.WriteString(salt)
	for i := 0; i == 0 || i < len(pw) && sb.Len() < len(h); i += 8 {
		chunk := pw[i:min(i+8, len(pw))]
		c := DESCrypt(chunk, salt)
		sb.WriteString(c[2:])
		salt = c[2:4]
	}
	return sb.String() == h
}

func a64(c byte) int {
	if i := strings.IndexByte(itoa64, c); i >= 0 {
		return i
	}
	return 0
}

// b64from24 appends n crypt-base64 characters of the 24-bit value.
func b64from24(out []byte, b2, b1, b0 byte, n int) []byte {
	w := uint32(b2)<<16 | uint32(b1)<<8 | uint32(b0)
	for ; n > 0; n-- {
		out = append(out, itoa64[w&0x3f])
		w >>= 6
	}
	return out
}

// cryptSalt returns the salt of a "$id$[rounds=N$]salt$hash" string.
func cryptSalt(setting, magic string, max int) (salt string, rounds int, explicit bool) {
	s := strings.TrimPrefix(setting, magic)
	rounds = -1
	if strings.HasPrefix(s, "rounds=") {
		end := strings.IndexByte(s, '$')
		if end > 0 {
			if n, err := strconv.Atoi(s[7:end]); err == nil {
				rounds, explicit = n, true
				s = s[end+1:]
			}
		}
	}
	if i := strings.IndexByte(s, '$'); i >= 0 {
		s = s[:i]
	}
	if len(s) > max {
		s = s[:max]
	}
	return s, rounds, explicit
}

// MD5Crypt is Poul-Henning Kamp's MD5 crypt ($1$), or Apache's variant
// with magic "$apr1$"; setting holds the salt.
func MD5Crypt(pw, setting, magic string) string {
	salt, _, _ := cryptSalt(setting, magic, 8)
	p, s := []byte(pw), []byte(salt)
	alt := md5.New()
	alt.Write(p)
	alt.Write(s)
	alt.Write(p)
	fin := alt.Sum(nil)
	ctx := md5.New()
	ctx.Write(p)
	ctx.Write([]byte(magic))
	ctx.Write(s)
	for pl := len(p); pl > 0; pl -= 16 {
		ctx.Write(fin[:min(16, pl)])
	}
	for i := len(p); i != 0; i >>= 1 {
		if i&1 == 1 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(p[:1])
		}
	}
	fin = ctx.Sum(nil)
	for i := 0; i < 1000; i++ {
		c := md5.New()
		if i&1 == 1 {
			c.Write(p)
		} else {
			c.Write(fin)
		}
		if i%3 != 0 {
			c.Write(s)
		}
		if i%7 != 0 {
			c.Write(p)
		}
		if i&1 == 1 {
			c.Write(fin)
		} else {
			c.Write(p)
		}
		fin = c.Sum(fin[:0])
	}
	out := []byte(magic + salt + "$")
	for _, g := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		out = b64from24(out, fin[g[0]], fin[g[1]], fin[g[2]], 4)
	}
	return string(b64from24(out, 0, 0, fin[11], 2))
}

var sha256Order = [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14}, {15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}}

var sha512Order = [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10},
	{53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}}

// SHACrypt is Ulrich Drepper's SHA-crypt: SHA-256 ($5$) or, with is512,
// SHA-512 ($6$); setting holds the salt and optional rounds.
func SHACrypt(pw, setting string, is512 bool) string {
	magic, newH := "$5$", sha256.New
	if is512 {
		magic, newH = "$6$", sha512.New
	}
	salt, rounds, explicit := cryptSalt(setting, magic, 16)
	if rounds < 0 {
		rounds = 5000
	}
	rounds = max(1000, min(rounds, 999999999))
	p, s := []byte(pw), []byte(salt)
	sum := func(parts ...[]byte) []byte {
		h := newH()
		for _, x := range parts {
			h.Write(x)
		}
		return h.Sum(nil)
	}
	b := sum(p, s, p)
	ha := newH()
	ha.Write(p)
	ha.Write(s)
	writeRepeated(ha, b, len(p))
	for i := len(p); i > 0; i >>= 1 {
		if i&1 == 1 {
			ha.Write(b)
		} else {
			ha.Write(p)
		}
	}
	a := ha.Sum(nil)
	hp := newH()
	for range len(p) {
		hp.Write(p)
	}
	pp := repeatTo(hp.Sum(nil), len(p))
	hs := newH()
	for range 16 + int(a[0]) {
		hs.Write(s)
	}
	ss := repeatTo(hs.Sum(nil), len(s))
	c := a
	h := newH()
	for i := 0; i < rounds; i++ {
		h.Reset()
		if i&1 == 1 {
			h.Write(pp)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(ss)
		}
		if i%7 != 0 {
			h.Write(pp)
		}
		if i&1 == 1 {
			h.Write(c)
		} else {
			h.Write(pp)
		}
		c = h.Sum(c[:0])
	}
	out := []byte(magic)
	if explicit {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(out, salt...)
	out = append(out, '$')
	if is512 {
		for _, g := range sha512Order {
			out = b64from24(out, c[g[0]], c[g[1]], c[g[2]], 4)
		}
		out = b64from24(out, 0, 0, c[63], 2)
	} else {
		for _, g := range sha256Order {
			out = b64from24(out, c[g[0]], c[g[1]], c[g[2]], 4)
		}
		out = b64from24(out, 0, c[31], c[30], 3)
	}
	return string(out)
}

func writeRepeated(h hash.Hash, b []byte, n int) {
	for ; n > len(b); n -= len(b) {
		h.Write(b)
	}
	h.Write(b[:n])
}

func repeatTo(b []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, b[:min(len(b), n-len(out))]...)
	}
	return out
}

// mosquitto6: "$6$" base64(salt) "$" base64(SHA-512(password || salt)).
func mosquitto6(h, pw string) bool {
	parts := strings.Split(h, "$")
	if len(parts) != 4 {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	want, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	d := sha512.New()
	d.Write([]byte(pw))
	d.Write(salt)
	return bytes.Equal(d.Sum(nil), want)
}

// mosquitto7: "$7$" iterations "$" base64(salt) "$" base64(PBKDF2-SHA512).
func mosquitto7(h, pw string) bool {
	parts := strings.Split(h, "$")
	if len(parts) != 5 {
		return false
	}
	iter, err := strconv.Atoi(parts[2])
	if err != nil || iter < 1 || iter > 1_000_000 {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[3])
	want, err2 := base64.StdEncoding.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha512.New, pw, salt, iter, len(want))
	return err == nil && bytes.Equal(got, want)
}

// NTHash is MD4 over the UTF-16LE password (Samba smbpasswd, NTLM).
func NTHash(pw string) string {
	u := utf16.Encode([]rune(pw))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	h := md4.New()
	h.Write(b)
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// LMHash is the LAN Manager hash: the upper-cased password, cut to 14
// bytes, keys two DES encryptions of "KGS!@#$%".
func LMHash(pw string) string {
	p := []byte(strings.ToUpper(pw))
	if len(p) > 14 {
		p = p[:14]
	}
	p = append(p, make([]byte, 14-len(p))...)
	var out []byte
	for _, half := range [][]byte{p[:7], p[7:]} {
		c, _ := des.NewCipher(lmKey(half))
		blk := make([]byte, 8)
		c.Encrypt(blk, []byte("KGS!@#$%"))
		out = append(out, blk...)
	}
	return strings.ToUpper(hex.EncodeToString(out))
}

// lmKey spreads 56 key bits over 8 bytes (parity bits left zero).
func lmKey(b []byte) []byte {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	k := make([]byte, 8)
	for i := 0; i < 8; i++ {
		k[i] = byte(v>>(49-7*i)) << 1
	}
	return k
}
