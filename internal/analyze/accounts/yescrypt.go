package accounts

// yescrypt ($y$), the default password hash of current Debian, Ubuntu and
// Fedora, from its specification: the yescrypt reference algorithm
// (scrypt's SMix with the pwxform block mix, S-boxes and read-write
// second loop) and the $y$ setting encoding of crypt(3). Supported are
// the three flavors crypt(3) computes: RW with the default pwxform
// settings (what it writes), WORM and classic scrypt, with any N, r, p
// and t. A ROM (NROM) and hash upgrades (g) need more than a setting
// string and are not supported.

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"math/bits"
	"strings"
)

// yescrypt flags.
const (
	ysWORM         = 0x001
	ysRW           = 0x002
	ysModeMask     = 0x003
	ysRWFlavorMask = 0x3fc
	// ysRWDefault is the only RW flavor defined: 6 pwxform rounds, 4-way
	// gather, 2-way simple, 12 KiB S-boxes.
	ysRWDefault = ysRW | 0x004 | 0x010 | 0x020 | 0x080
	ysPrehash   = 0x10000000
)

// pwxform settings of the default RW flavor.
const (
	pwxSimple = 2
	pwxGather = 4
	pwxRounds = 6
	sWidth    = 8
	pwxWords  = pwxGather * pwxSimple * 2         // 64-byte pwxform block, in 32-bit words
	sWords    = 3 * (1 << sWidth) * pwxSimple * 2 // three S-boxes (12 KiB)
	sBoxWords = sWords / 3
	sMask     = ((1 << sWidth) - 1) * pwxSimple * 8 // byte offset mask into an S-box
)

// ysParams are the cost parameters of a $y$ setting.
type ysParams struct {
	flags uint32
	n     uint64
	r, p  uint32
	t     uint32
}

// YescryptMaxMemory bounds the memory one hash may ask for (128*N*r
// bytes): a hash over it is not computed, so a hostile image cannot make
// a guess take gigabytes. crypt(3)'s default cost takes 16 MiB, its
// highest (N=2^18, r=32) 1 GiB.
var YescryptMaxMemory uint64 = 256 << 20

// YescryptMaxWork bounds the blocks one hash may mix (N*r*(t+1)), as
// YescryptMaxMemory bounds its memory: 32 times the default cost, so a
// hostile hash cannot make one guess take minutes.
var YescryptMaxWork uint64 = 1 << 22

// Yescrypt returns the crypt(3) string of pw for the parameters and salt
// of setting (a $y$ hash or setting string), or "" when setting is
// malformed or asks for what is not supported.
func Yescrypt(pw, setting string) string {
	if !strings.HasPrefix(setting, "$y$") {
		return ""
	}
	par, rest, ok := ysDecodeParams(setting[3:])
	if !ok {
		return ""
	}
	saltStr := rest
	if i := strings.LastIndexByte(rest, '$'); i >= 0 {
		saltStr = rest[:i]
	}
	salt, ok := ysDecode64(saltStr)
	if !ok {
		return ""
	}
	out, ok := yescryptKDF([]byte(pw), salt, par, 32)
	if !ok {
		return ""
	}
	prefix := setting[:len(setting)-len(rest)]
	return prefix + saltStr + "$" + ysEncode64(out)
}

// verifyYescrypt says whether pw hashes to h; ok is false when h is not a
// supported yescrypt hash.
func verifyYescrypt(h, pw string) (match, ok bool) {
	got := Yescrypt(pw, h)
	if got == "" {
		return false, false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(h)) == 1, true
}

// yescryptCost is the price of one guess in Scheme.Cost units, or 0
// for a hash that is not computed. Measured against bcrypt (cost 10 =
// 30720 units) on the same machine: about 3/16 unit per block of 128
// bytes mixed (N of the first loop, N/3 to N*(t-1) of the second), plus
// a fixed 4096 (S-boxes, the memory of V); the default $y$j9T costs
// about as much as bcrypt at cost 10.
func yescryptCost(h string) int {
	if !strings.HasPrefix(h, "$y$") {
		return 0
	}
	par, _, ok := ysDecodeParams(h[3:])
	if !ok || !par.supported() {
		return 0
	}
	loops := par.n // the second loop, classic scrypt
	if par.flags&ysRW != 0 {
		switch {
		case par.t == 0:
			loops = par.n / 3
		case par.t == 1:
			loops = par.n * 2 / 3
		default:
			loops = par.n * uint64(par.t-1)
		}
	}
	return int(min((par.n+loops)*uint64(par.r)*3/16+4096, 1<<40))
}

// ysDecodeParams reads "flavor N r [have p t g NROM] $" and returns the
// rest of the string (salt, "$", hash).
func ysDecodeParams(s string) (ysParams, string, bool) {
	par := ysParams{p: 1}
	flavor, s, ok := ysDecodeUint32(s, 0)
	if !ok {
		return par, "", false
	}
	switch {
	case flavor < ysRW:
		par.flags = flavor
	case flavor <= ysRW+(ysRWFlavorMask>>2):
		par.flags = ysRW + (flavor-ysRW)<<2
	default:
		return par, "", false
	}
	nlog2, s, ok := ysDecodeUint32(s, 1)
	if !ok || nlog2 > 63 {
		return par, "", false
	}
	par.n = 1 << nlog2
	if par.r, s, ok = ysDecodeUint32(s, 1); !ok {
		return par, "", false
	}
	if s != "" && s[0] != '$' {
		var have uint32
		if have, s, ok = ysDecodeUint32(s, 1); !ok {
			return par, "", false
		}
		if have&1 != 0 {
			if par.p, s, ok = ysDecodeUint32(s, 2); !ok {
				return par, "", false
			}
		}
		if have&2 != 0 {
			if par.t, s, ok = ysDecodeUint32(s, 1); !ok {
				return par, "", false
			}
		}
		if have&^3 != 0 {
			return par, "", false // hash upgrades (g) or a ROM
		}
	}
	if s == "" || s[0] != '$' {
		return par, "", false
	}
	return par, s[1:], true
}

// ysDecodeUint32 reads one variable-length number of the $y$ encoding:
// the first character's range gives the count of characters that follow
// (0-47: none, then ever smaller ranges for more), each 6 more bits.
func ysDecodeUint32(s string, min uint32) (uint32, string, bool) {
	if s == "" {
		return 0, s, false
	}
	c := ysA64(s[0])
	if c < 0 {
		return 0, s, false
	}
	s = s[1:]
	start, end, chars, nbits := uint32(0), uint32(47), 1, uint(0)
	v := uint64(min)
	for uint32(c) > end {
		v += uint64(end+1-start) << nbits
		start = end + 1
		end = start + (62-end)/2
		chars++
		nbits += 6
	}
	v += uint64(uint32(c)-start) << nbits
	for ; chars > 1; chars-- {
		if s == "" {
			return 0, s, false
		}
		c := ysA64(s[0])
		if c < 0 {
			return 0, s, false
		}
		s = s[1:]
		nbits -= 6
		v += uint64(c) << nbits
	}
	if v > 1<<32-1 {
		return 0, s, false
	}
	return uint32(v), s, true
}

// ysDecode64 decodes the $y$ salt encoding: groups of up to four
// characters, 6 bits each, least significant first, into up to three
// bytes; the bits of a short group past its last byte must be zero.
func ysDecode64(s string) ([]byte, bool) {
	var out []byte
	for len(s) > 0 {
		n := min(4, len(s))
		if n < 2 {
			return nil, false // less than one byte
		}
		var v uint32
		for i := 0; i < n; i++ {
			c := ysA64(s[i])
			if c < 0 {
				return nil, false
			}
			v |= uint32(c) << (6 * i)
		}
		s = s[n:]
		for nb := n * 6; nb >= 8; nb -= 8 {
			out = append(out, byte(v))
			v >>= 8
		}
		if v != 0 {
			return nil, false
		}
	}
	return out, len(out) <= 64
}

// ysEncode64 is the hash encoding: three bytes at a time, little-endian,
// as 6-bit characters least significant first.
func ysEncode64(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i += 3 {
		var v uint32
		n := 0
		for j := i; j < len(b) && j < i+3; j++ {
			v |= uint32(b[j]) << (8 * (j - i))
			n += 8
		}
		for k := 0; k < n; k += 6 {
			sb.WriteByte(itoa64[v&0x3f])
			v >>= 6
		}
	}
	return sb.String()
}

// supported says whether the parameters are ones this implementation
// computes, within YescryptMaxMemory.
func (par ysParams) supported() bool {
	switch par.flags & ysModeMask {
	case 0:
		if par.flags != 0 || par.t != 0 {
			return false
		}
	case ysWORM:
		if par.flags != ysWORM {
			return false
		}
	case ysRW:
		if par.flags&^ysPrehash != ysRWDefault {
			return false
		}
	default:
		return false
	}
	n, r, p := par.n, uint64(par.r), uint64(par.p)
	if n < 2 || n&(n-1) != 0 || r < 1 || p < 1 || r*p >= 1<<30 {
		return false
	}
	if par.flags&ysRW != 0 && (n/p <= 1 || r < (pwxWords*4+127)/128) {
		return false
	}
	if 128*r > YescryptMaxMemory/n || 128*r*p > YescryptMaxMemory {
		return false
	}
	return uint64(par.t) < YescryptMaxWork && n*r <= YescryptMaxWork/(uint64(par.t)+1)
}

// yescryptKDF is yescrypt_kdf: for the RW mode with a large N*r, a cheap
// pre-hash of the password at N/64 first, then the hash itself.
func yescryptKDF(pw, salt []byte, par ysParams, dkLen int) ([]byte, bool) {
	if !par.supported() {
		return nil, false
	}
	if par.flags&ysRW != 0 && par.n/uint64(par.p) >= 0x100 && par.n/uint64(par.p)*uint64(par.r) >= 0x20000 {
		pre := par
		pre.flags |= ysPrehash
		pre.n >>= 6
		pre.t = 0
		dk, ok := yescryptBody(pw, salt, pre, 32)
		if !ok {
			return nil, false
		}
		pw = dk
	}
	return yescryptBody(pw, salt, par, dkLen)
}

// yescryptBody is one yescrypt computation (yescrypt_kdf_body).
func yescryptBody(pw, salt []byte, par ysParams, dkLen int) ([]byte, bool) {
	if !par.supported() {
		return nil, false
	}
	r, p := int(par.r), int(par.p)
	s := 32 * r // words of one block B_i
	if par.flags != 0 {
		key := "yescrypt"
		if par.flags&ysPrehash != 0 {
			key = "yescrypt-prehash"
		}
		pw = hmacSHA256([]byte(key), pw)
	}
	bBytes, err := pbkdf2.Key(sha256.New, string(pw), salt, 1, 128*r*p)
	if err != nil {
		return nil, false
	}
	var passwd []byte // the 32 bytes that key the final PBKDF2
	if par.flags != 0 {
		passwd = append([]byte(nil), bBytes[:32]...)
	} else {
		passwd = pw
	}
	b := make([]uint32, s*p)
	for i := range b {
		b[i] = binary.LittleEndian.Uint32(bBytes[4*i:])
	}
	v := make([]uint32, uint64(s)*par.n)
	xy := make([]uint32, 2*s)
	if par.flags&ysRW != 0 {
		ctx := make([]pwxCtx, p)
		for i := range ctx {
			ctx[i].s = make([]uint32, sWords)
		}
		passwd = ysSMix(b, r, par.n, par.p, par.t, par.flags, v, xy, ctx, passwd)
	} else {
		for i := 0; i < p; i++ {
			ysSMix(b[i*s:(i+1)*s], r, par.n, 1, par.t, par.flags, v, xy, nil, nil)
		}
	}
	for i, w := range b {
		binary.LittleEndian.PutUint32(bBytes[4*i:], w)
	}
	dk, err := pbkdf2.Key(sha256.New, string(passwd), bBytes, 1, dkLen)
	if err != nil {
		return nil, false
	}
	if par.flags != 0 && par.flags&ysPrehash == 0 {
		// the SCRAM-like tail: StoredKey = H(HMAC(dk, "Client Key"))
		ck := hmacSHA256(dk[:32], []byte("Client Key"))
		sk := sha256.Sum256(ck)
		copy(dk, sk[:min(dkLen, 32)])
	}
	return dk, true
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// pwxCtx is one lane's pwxform state: its S-boxes (S2, S1, S0 at word
// offsets s2, s1, s0 of s, rotated after each use) and write position.
type pwxCtx struct {
	s          []uint32
	s0, s1, s2 int
	w          int
}

// ysSMix is SMix over p lanes of B (p > 1 only in the RW mode). For RW it
// first fills each lane's S-boxes, and returns the password of the final
// PBKDF2 re-keyed with lane 0's state.
func ysSMix(b []uint32, r int, n uint64, p, t, flags uint32, v, xy []uint32, ctx []pwxCtx, passwd []byte) []byte {
	s := 32 * r
	nchunk := n / uint64(p)
	nloopAll := nchunk
	if flags&ysRW != 0 {
		if t <= 1 {
			if t != 0 {
				nloopAll *= 2
			}
			nloopAll = (nloopAll + 2) / 3
		} else {
			nloopAll *= uint64(t) - 1
		}
	} else if t != 0 {
		if t == 1 {
			nloopAll += (nloopAll + 1) / 2
		}
		nloopAll *= uint64(t)
	}
	var nloopRW uint64
	if flags&ysRW != 0 {
		nloopRW = nloopAll / uint64(p)
	}
	nchunk &^= 1
	nloopAll = (nloopAll + 1) &^ 1
	nloopRW = (nloopRW + 1) &^ 1

	var vchunk uint64
	for i := uint32(0); i < p; i, vchunk = i+1, vchunk+nchunk {
		np := nchunk
		if i == p-1 {
			np = n - vchunk
		}
		bp := b[int(i)*s : int(i+1)*s]
		vp := v[vchunk*uint64(s):]
		var c *pwxCtx
		if flags&ysRW != 0 {
			c = &ctx[i]
			// the S-boxes: SMix1 of the lane's first 128 bytes, classic
			smix1(bp[:32], 1, sWords/32, 0, c.s, xy, nil)
			c.s2, c.s1, c.s0, c.w = 0, sBoxWords, 2*sBoxWords, 0
			if i == 0 {
				var last [64]byte
				for k, w := range bp[s-16:] {
					binary.LittleEndian.PutUint32(last[4*k:], w)
				}
				passwd = hmacSHA256(last[:], passwd)
			}
		}
		smix1(bp, r, np, flags, vp, xy, c)
		smix2(bp, r, p2floor(np), nloopRW, flags, vp, xy, c)
	}
	for i := 0; i < int(p); i++ {
		var c *pwxCtx
		if flags&ysRW != 0 {
			c = &ctx[i]
		}
		smix2(b[i*s:(i+1)*s], r, n, nloopAll-nloopRW, flags&^ysRW, v, xy, c)
	}
	return passwd
}

// smix1 is SMix's first loop: V filled with the successive states of X,
// and in the RW mode each state also mixed with an earlier one.
func smix1(b []uint32, r int, n uint64, flags uint32, v, xy []uint32, c *pwxCtx) {
	s := 32 * r
	x, y := xy[:s], xy[s:2*s]
	shuffleIn(x, b)
	for i := uint64(0); i < n; i++ {
		copy(v[i*uint64(s):], x)
		if flags&ysRW != 0 && i > 1 {
			j := wrap(integerify(x, r), i)
			xorWords(x, v[j*uint64(s):j*uint64(s)+uint64(s)])
		}
		blockMix(x, y, r, c)
	}
	shuffleOut(b, x)
}

// smix2 is SMix's second loop: nloop reads of V at data-dependent
// places, written back in the RW mode.
func smix2(b []uint32, r int, n, nloop uint64, flags uint32, v, xy []uint32, c *pwxCtx) {
	s := uint64(32 * r)
	x, y := xy[:s], xy[s:2*s]
	shuffleIn(x, b)
	for i := uint64(0); i < nloop; i++ {
		j := integerify(x, r) & (n - 1)
		vj := v[j*s : j*s+s]
		xorWords(x, vj)
		if flags&ysRW != 0 {
			copy(vj, x)
		}
		blockMix(x, y, r, c)
	}
	shuffleOut(b, x)
}

// blockMix is BlockMix_pwxform with S-boxes, BlockMix_salsa20/8 without.
func blockMix(x, y []uint32, r int, c *pwxCtx) {
	if c != nil {
		blockMixPwx(x, y, r, c)
	} else {
		blockMixSalsa8(x, y, r)
	}
}

// The words of each 64-byte sub-block are kept in the order the
// reference's SIMD layout gives them (word i at i*5 mod 16): pwxform
// reads the block in that order, so the order is part of the algorithm.
func shuffleIn(x, b []uint32) {
	for k := 0; k < len(b); k += 16 {
		for i := 0; i < 16; i++ {
			x[k+i] = b[k+i*5%16]
		}
	}
}

func shuffleOut(b, x []uint32) {
	for k := 0; k < len(b); k += 16 {
		for i := 0; i < 16; i++ {
			b[k+i*5%16] = x[k+i]
		}
	}
}

// integerify is the last sub-block's first 64 bits (words 0 and 13 in
// the shuffled order are words 0 and 1).
func integerify(x []uint32, r int) uint64 {
	last := x[(2*r-1)*16:]
	return uint64(last[13])<<32 | uint64(last[0])
}

// ysA64 is the value of a crypt base-64 character, -1 for another.
func ysA64(c byte) int { return strings.IndexByte(itoa64, c) }

func p2floor(x uint64) uint64 { return 1 << (63 - bits.LeadingZeros64(x)) }

// wrap maps x into [0, i): into the last power of 2 below i, offset to
// the newest blocks.
func wrap(x, i uint64) uint64 {
	n := p2floor(i)
	return x&(n-1) + (i - n)
}

func xorWords(dst, src []uint32) {
	for i := range dst {
		dst[i] ^= src[i]
	}
}

// salsa20 applies the Salsa20 core with the given number of rounds to a
// shuffled 16-word block.
func salsa20(b []uint32, rounds int) {
	var x [16]uint32
	for i := 0; i < 16; i++ {
		x[i*5%16] = b[i]
	}
	qr := func(a, b, c, d int) {
		x[b] ^= bits.RotateLeft32(x[a]+x[d], 7)
		x[c] ^= bits.RotateLeft32(x[b]+x[a], 9)
		x[d] ^= bits.RotateLeft32(x[c]+x[b], 13)
		x[a] ^= bits.RotateLeft32(x[d]+x[c], 18)
	}
	for i := 0; i < rounds; i += 2 {
		qr(0, 4, 8, 12) // columns
		qr(5, 9, 13, 1)
		qr(10, 14, 2, 6)
		qr(15, 3, 7, 11)
		qr(0, 1, 2, 3) // rows
		qr(5, 6, 7, 4)
		qr(10, 11, 8, 9)
		qr(15, 12, 13, 14)
	}
	for i := 0; i < 16; i++ {
		b[i] += x[i*5%16]
	}
}

// blockMixSalsa8 is scrypt's BlockMix with Salsa20/8.
func blockMixSalsa8(b, y []uint32, r int) {
	var x [16]uint32
	copy(x[:], b[(2*r-1)*16:])
	for i := 0; i < 2*r; i++ {
		xorWords(x[:], b[i*16:i*16+16])
		salsa20(x[:], 8)
		copy(y[i*16:], x[:])
	}
	for i := 0; i < r; i++ {
		copy(b[i*16:i*16+16], y[2*i*16:])
		copy(b[(i+r)*16:(i+r)*16+16], y[(2*i+1)*16:])
	}
}

// blockMixPwx is BlockMix_pwxform: pwxform over the 64-byte sub-blocks
// in a chain, then Salsa20/2 on the last one.
func blockMixPwx(b, y []uint32, r int, c *pwxCtx) {
	r1 := 128 * r / (pwxWords * 4)
	x := y[:pwxWords]
	copy(x, b[(r1-1)*pwxWords:])
	for i := 0; i < r1; i++ {
		if r1 > 1 {
			xorWords(x, b[i*pwxWords:(i+1)*pwxWords])
		}
		pwxform(x, c)
		copy(b[i*pwxWords:], x)
	}
	i := (r1 - 1) * pwxWords * 4 / 64
	salsa20(b[i*16:i*16+16], 2)
	for i++; i < 2*r; i++ {
		xorWords(b[i*16:i*16+16], b[(i-1)*16:i*16])
		salsa20(b[i*16:i*16+16], 2)
	}
}

// pwxform transforms one 64-byte block (pwxGather lanes of pwxSimple
// 64-bit words, each word as low and high 32 bits) with multiplications
// and S-box lookups, writing rounds 1..4 into S2, then rotates the
// S-boxes.
func pwxform(x []uint32, c *pwxCtx) {
	s := c.s
	s0, s1, s2, w := c.s0, c.s1, c.s2, c.w
	for i := 0; i < pwxRounds; i++ {
		for j := 0; j < pwxGather; j++ {
			lane := x[j*pwxSimple*2 : (j+1)*pwxSimple*2]
			p0 := s0 + int(lane[0]&sMask)/4
			p1 := s1 + int(lane[1]&sMask)/4
			for k := 0; k < pwxSimple; k++ {
				xl, xh := lane[2*k], lane[2*k+1]
				v := uint64(xh) * uint64(xl)
				v += uint64(s[p0+2*k+1])<<32 | uint64(s[p0+2*k])
				v ^= uint64(s[p1+2*k+1])<<32 | uint64(s[p1+2*k])
				lane[2*k], lane[2*k+1] = uint32(v), uint32(v>>32)
				if i != 0 && i != pwxRounds-1 {
					s[s2+2*w], s[s2+2*w+1] = uint32(v), uint32(v>>32)
					w++
				}
			}
		}
	}
	c.s0, c.s1, c.s2 = s2, s0, s1
	c.w = w & ((1<<sWidth)*pwxSimple - 1)
}
