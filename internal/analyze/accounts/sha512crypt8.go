package accounts

import (
	"context"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"strconv"
)

// Multi-buffer SHA-512-crypt: the candidates of one $6$ hash are checked
// eight at a time, one per lane of block8.
//
// Each of the rounds of SHA-512-crypt hashes the previous digest C with
// the password-derived P sequence (len(pw) bytes) and the salt-derived
// S sequence (len(salt) bytes) in an order set by i%2, i%3 and i%7:
// 42 message layouts repeat. A lane's P and S never change, so the 42
// messages are built once per lane with C left zero (templates); each
// round copies a template, ORs C in at its offset and compresses.

// shaCryptRounds is the pattern period: lcm(2, 3, 7).
const shaCryptRounds = 42

// sha512Batch checks candidate passwords against one SHA-512-crypt hash.
type sha512Batch struct {
	hash   string
	salt   string
	rounds int
	prefix string // "$6$" [rounds=N$] salt "$"
	block  block8Func
}

func newSHA512Batch(hash string, block block8Func) *sha512Batch {
	salt, rounds, explicit := cryptSalt(hash, "$6$", 16)
	if rounds < 0 {
		rounds = 5000
	}
	rounds = max(1000, min(rounds, 999999999))
	prefix := "$6$"
	if explicit {
		prefix += "rounds=" + strconv.Itoa(rounds) + "$"
	}
	return &sha512Batch{hash: hash, salt: salt, rounds: rounds, prefix: prefix + salt + "$", block: block}
}

// blocks is how many 128-byte blocks a round message takes whose P part
// is np copies of P (1 or 2) and S part ns copies of S (0 or 1), for a
// password of length n: C, P, S, then at least 17 bytes of padding.
func (b *sha512Batch) blocks(n, np, ns int) int {
	return (64 + np*n + ns*len(b.salt) + 17 + 127) / 128
}

// class says which passwords can share one run: every round message
// must take as many blocks in each lane. The four layouts of P and S
// that occur set the class, so passwords of different lengths share a
// run as long as their messages round up to the same blocks (all those
// of one block when the password and salt are short).
func (b *sha512Batch) class(pw string) [4]int {
	n := len(pw)
	return [4]int{b.blocks(n, 1, 0), b.blocks(n, 1, 1), b.blocks(n, 2, 0), b.blocks(n, 2, 1)}
}

// batches splits candidates into runs of at most 8 of one class, in the
// candidates' order, and returns their indices, the runs ordered by
// their first candidate.
func (b *sha512Batch) batches(cands []string) [][]int {
	var out [][]int
	open := map[[4]int]int{} // class -> index in out of its run being filled
	for i, pw := range cands {
		c := b.class(pw)
		r, ok := open[c]
		if !ok || len(out[r]) == 8 {
			r = len(out)
			open[c] = r
			out = append(out, nil)
		}
		out[r] = append(out[r], i)
	}
	return out
}

// check returns the bit set of the passwords (at most 8, all of one
// class) that match the hash. It gives up, matching nothing, when ctx
// is done.
func (b *sha512Batch) check(ctx context.Context, pws []string) uint8 {
	digests, ok := b.sum8(ctx, pws)
	if !ok {
		return 0
	}
	var match uint8
	for l := range pws {
		got := b.encode(&digests, l)
		if subtle.ConstantTimeCompare(got, []byte(b.hash)) == 1 {
			match |= 1 << l
		}
	}
	return match
}

// encode is the crypt string of lane l's final digest.
func (b *sha512Batch) encode(d *[8]lanes, l int) []byte {
	var c [64]byte
	for w := range 8 {
		binary.BigEndian.PutUint64(c[8*w:], d[w][l])
	}
	out := make([]byte, 0, len(b.prefix)+86)
	out = append(out, b.prefix...)
	for _, g := range sha512Order {
		out = b64from24(out, c[g[0]], c[g[1]], c[g[2]], 4)
	}
	return b64from24(out, 0, 0, c[63], 2)
}

// lanePrep is the scalar part of SHA-512-crypt for one password: the
// digest A that starts the rounds and the P and S sequences.
func (b *sha512Batch) lanePrep(pw string) (a [64]byte, pp, ss []byte) {
	p, s := []byte(pw), []byte(b.salt)
	h := sha512.New()
	h.Write(p)
	h.Write(s)
	h.Write(p)
	var bd [64]byte
	h.Sum(bd[:0])
	h.Reset()
	h.Write(p)
	h.Write(s)
	n := len(p)
	for ; n > 64; n -= 64 {
		h.Write(bd[:])
	}
	h.Write(bd[:n])
	for i := len(p); i > 0; i >>= 1 {
		if i&1 == 1 {
			h.Write(bd[:])
		} else {
			h.Write(p)
		}
	}
	h.Sum(a[:0])
	h.Reset()
	for range len(p) {
		h.Write(p)
	}
	var dp [64]byte
	h.Sum(dp[:0])
	pp = make([]byte, len(p))
	for i := range pp {
		pp[i] = dp[i%64]
	}
	h.Reset()
	for range 16 + int(a[0]) {
		h.Write(s)
	}
	var ds [64]byte
	h.Sum(ds[:0])
	ss = make([]byte, len(s)) // the salt is at most 16 bytes
	copy(ss, ds[:])
	return a, pp, ss
}

// sum8 runs SHA-512-crypt on up to 8 passwords of one class and returns
// the final digests, lane-interleaved.
func (b *sha512Batch) sum8(ctx context.Context, pws []string) ([8]lanes, bool) {
	var c [8]lanes
	if ctx.Err() != nil {
		return c, false
	}
	if len(pws) == 0 {
		return c, true
	}
	nb := b.blocks(len(pws[0]), 2, 1)
	// tmpl[k] are the nb*16 words of the messages of rounds i%42 == k,
	// C left zero; off[k][l] is where lane l's C starts in bytes.
	tmpl := make([]lanes, shaCryptRounds*nb*16)
	var off [shaCryptRounds][8]int
	nblocks := [shaCryptRounds]int{}
	msg := make([]byte, nb*128)
	for l, pw := range pws {
		a, pp, ss := b.lanePrep(pw)
		for w := range 8 {
			c[w][l] = binary.BigEndian.Uint64(a[8*w:])
		}
		var zero [64]byte
		for k := range shaCryptRounds {
			m := msg[:0]
			if k&1 == 1 {
				m = append(m, pp...)
			} else {
				m = append(m, zero[:]...)
			}
			if k%3 != 0 {
				m = append(m, ss...)
			}
			if k%7 != 0 {
				m = append(m, pp...)
			}
			if k&1 == 1 {
				off[k][l] = len(m)
				m = append(m, zero[:]...)
			} else {
				m = append(m, pp...)
			}
			n := len(m)
			kb := (n + 17 + 127) / 128
			if l > 0 && kb != nblocks[k] {
				panic("accounts: passwords of different classes in one SHA-512-crypt run")
			}
			nblocks[k] = kb
			m = append(m, 0x80)
			m = append(m, make([]byte, kb*128-len(m))...)
			binary.BigEndian.PutUint64(m[kb*128-8:], uint64(n)*8)
			t := tmpl[k*nb*16:]
			for w := range kb * 16 {
				t[w][l] = binary.BigEndian.Uint64(m[8*w:])
			}
			msg = m[:0]
		}
	}
	buf := make([]lanes, nb*16)
	for i, k := 0, 0; i < b.rounds; i, k = i+1, k+1 {
		if k == shaCryptRounds {
			k = 0
			if i%(100*shaCryptRounds) == 0 && ctx.Err() != nil {
				return c, false
			}
		}
		m := buf[:nblocks[k]*16]
		copy(m, tmpl[k*nb*16:])
		if k&1 == 0 {
			copy(m, c[:])
		} else {
			for l := range len(pws) {
				placeC(m, &c, l, off[k][l])
			}
		}
		c = sha512IVLanes
		b.block(&c, m)
	}
	return c, true
}

// sha512IVLanes is the initial state in every lane.
var sha512IVLanes = func() (h [8]lanes) {
	for w := range h {
		for l := range h[w] {
			h[w][l] = sha512IV[w]
		}
	}
	return h
}()

// placeC ORs lane l's 64-byte digest, words c[0..7], into the message
// words m at byte offset off.
func placeC(m []lanes, c *[8]lanes, l, off int) {
	q, s := off/8, uint(off%8)*8
	if s == 0 {
		for w := range 8 {
			m[q+w][l] |= c[w][l]
		}
		return
	}
	m[q][l] |= c[0][l] >> s
	for w := 1; w < 8; w++ {
		m[q+w][l] |= c[w-1][l]<<(64-s) | c[w][l]>>s
	}
	m[q+8][l] |= c[7][l] << (64 - s)
}
