package accounts

import (
	"context"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestBlock8MatchesSHA512 hashes eight random messages at once with each
// compression function this machine has, padding them by hand, and
// compares every lane with crypto/sha512: one to four blocks, so later
// blocks start from a state other than the initial one.
func TestBlock8MatchesSHA512(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	trials := 60
	if raceDetector {
		trials = 6
	}
	for _, bf := range block8Funcs() {
		t.Run(bf.name, func(t *testing.T) {
			for trial := range trials {
				nb := 1 + trial%4
				var msgs [8][]byte
				m := make([]lanes, nb*16)
				for l := range msgs {
					// any length whose padding takes exactly nb blocks
					n := max(0, nb*128-17-r.IntN(128))
					msgs[l] = make([]byte, n)
					for i := range msgs[l] {
						msgs[l][i] = byte(r.Uint32())
					}
					p := append(append([]byte{}, msgs[l]...), 0x80)
					p = append(p, make([]byte, nb*128-len(p))...)
					binary.BigEndian.PutUint64(p[len(p)-8:], uint64(n)*8)
					for w := range m {
						m[w][l] = binary.BigEndian.Uint64(p[8*w:])
					}
				}
				h := sha512IVLanes
				bf.f(&h, m)
				for l, msg := range msgs {
					want := sha512.Sum512(msg)
					for w := range 8 {
						if got := h[w][l]; got != binary.BigEndian.Uint64(want[8*w:]) {
							t.Fatalf("trial %d lane %d (%d bytes): word %d = %016x, want %x", trial, l, len(msg), w, got, want)
						}
					}
				}
			}
		})
	}
}

// drepperSHA512 are the SHA-512-crypt test vectors of Drepper's
// specification (setting, password, result).
var drepperSHA512 = []struct{ setting, pw, want string }{
	{"$6$saltstring", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
	{"$6$rounds=10000$saltstringsaltstring", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
	{"$6$rounds=5000$toolongsaltstring", "This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
	{"$6$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
	{"$6$rounds=77777$short", "we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"},
	{"$6$rounds=123456$asaltof16chars..", "a short string", "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"},
	{"$6$rounds=10$roundstoolow", "the minimum number is still observed", "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."},
}

// TestSHA512CryptBatchDrepperVectors: the published vectors, each in a
// run with seven other passwords, and the scalar SHACrypt on them.
func TestSHA512CryptBatchDrepperVectors(t *testing.T) {
	for _, bf := range block8Funcs() {
		for _, v := range drepperSHA512 {
			t.Run(bf.name+"/"+v.setting, func(t *testing.T) {
				b := newSHA512Batch(v.setting, bf.f)
				if b.rounds > 10000 && (raceDetector || bf.name == "generic" && hasBlock8Asm) {
					t.Skip("many rounds: run on the path this machine cracks with, without the race detector")
				}
				if got := SHACrypt(v.pw, v.setting, true); got != v.want {
					t.Errorf("SHACrypt = %s, want %s", got, v.want)
				}
				pws := []string{"x", v.pw, "y" + v.pw, v.pw[:len(v.pw)-1]}
				for _, run := range b.batches(pws) {
					in := make([]string, len(run))
					for l, i := range run {
						in[l] = pws[i]
					}
					d, ok := b.sum8(context.Background(), in)
					if !ok {
						t.Fatal("sum8 gave up")
					}
					for l, i := range run {
						got := string(b.encode(&d, l))
						if (i == 1) != (got == v.want) {
							t.Errorf("password %q: %s, want %s only for %q", pws[i], got, v.want, v.pw)
						}
					}
				}
				hb := newSHA512Batch(v.want, bf.f)
				if m := hb.check(context.Background(), []string{"X" + v.pw[1:], v.pw}); m != 0b10 {
					t.Errorf("check(X…, %q) against %s = %b, want 10", v.pw, v.want, m)
				}
			})
		}
	}
}

// testPasswords are n passwords of lengths 0..n-1 made of every byte
// value (non-ASCII and control bytes included).
func testPasswords(r *rand.Rand, n int) []string {
	pws := make([]string, n)
	for i := range pws {
		b := make([]byte, i)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		pws[i] = string(b)
	}
	return pws
}

// TestSHA512CryptBatchMatchesSHACrypt compares the multi-buffer result
// of every lane with SHACrypt: passwords of 0 to 80 bytes run together
// (mixed lengths share a run when their messages take as many blocks)
// and one of 700 bytes (up to 13 blocks a round),
// salts of 0 to 16 bytes and longer ones that are cut, default and
// explicit rounds. For each setting the hash of one password is the
// target, and check must find that one only.
func TestSHA512CryptBatchMatchesSHACrypt(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	all := testPasswords(r, 81)
	few := []string{"", "admin", "password1", strings.Repeat("\xff", 15), "pässwörd", strings.Repeat("ab", 24), strings.Repeat("\x01", 47), strings.Repeat("z", 80), strings.Repeat("long", 175)}
	cases := []struct {
		setting string
		pws     []string
	}{
		{"$6$rounds=1000$", all},
		{"$6$rounds=1000$s", all},
		{"$6$rounds=1000$saltsalt", all},
		{"$6$rounds=1000$0123456789abcdef", all},
		{"$6$rounds=1000$0123456789abcdefTRUNCATED", all},
		{"$6$rounds=1001$a.b/c1", few},
		{"$6$rounds=5000$0123456789abcde", few},
		{"$6$3vKIfKbWSZNvqO2v", few},
		{"$6$rounds=5001$XyZ", few},
		{"$6$rounds=999$lowered", few},
	}
	if raceDetector { // the same settings on fewer lengths, none of 13 blocks
		for i := range cases {
			cases[i].pws = []string{all[0], all[15], all[16], all[23], all[24], all[47], all[48], all[80]}
		}
	}
	for _, bf := range block8Funcs() {
		for ci, c := range cases {
			t.Run(fmt.Sprintf("%s/%s", bf.name, c.setting), func(t *testing.T) {
				b := newSHA512Batch(c.setting, bf.f)
				if raceDetector && bf.name == "generic" && b.rounds > 1001 {
					t.Skip("Go code under the race detector: the least rounds only")
				}
				target := c.pws[(7*ci+3)%len(c.pws)]
				hash := SHACrypt(target, c.setting, true)
				tb := newSHA512Batch(hash, bf.f)
				for _, run := range b.batches(c.pws) {
					in := make([]string, len(run))
					for l, i := range run {
						in[l] = c.pws[i]
						if l > 0 && b.class(in[l]) != b.class(in[0]) {
							t.Fatalf("run %v mixes classes", run)
						}
					}
					d, _ := b.sum8(context.Background(), in)
					for l, pw := range in {
						if got, want := string(b.encode(&d, l)), SHACrypt(pw, c.setting, true); got != want {
							t.Errorf("password %q (%d bytes) in run %v: %s, want %s", pw, len(pw), run, got, want)
						}
					}
					var want uint8
					for l, pw := range in {
						if pw == target {
							want |= 1 << l
						}
					}
					if got := tb.check(context.Background(), in); got != want {
						t.Errorf("check of run %v against %s = %08b, want %08b", run, hash, got, want)
					}
				}
			})
		}
	}
}

// TestSHA512CryptBatchRuns: runs hold at most eight candidates of one
// class each, every candidate once, in the list's order.
func TestSHA512CryptBatchRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pws := testPasswords(r, 81)
	r.Shuffle(len(pws), func(i, j int) { pws[i], pws[j] = pws[j], pws[i] })
	for _, salt := range []string{"", "0123456789abcdef"} {
		b := newSHA512Batch("$6$"+salt+"$", block8Generic)
		seen := map[int]bool{}
		prev := -1
		for _, run := range b.batches(pws) {
			if len(run) == 0 || len(run) > 8 || run[0] <= prev {
				t.Fatalf("salt %q: run %v after first index %d", salt, run, prev)
			}
			prev = run[0]
			for l, i := range run {
				if seen[i] || l > 0 && (i <= run[l-1] || b.class(pws[i]) != b.class(pws[run[0]])) {
					t.Fatalf("salt %q: run %v", salt, run)
				}
				seen[i] = true
			}
		}
		if len(seen) != len(pws) {
			t.Fatalf("salt %q: %d of %d candidates in runs", salt, len(seen), len(pws))
		}
	}
}

// TestSHA512CryptBatchGivesUp: a cancelled context stops a run, which
// then matches nothing.
func TestSHA512CryptBatchGivesUp(t *testing.T) {
	h := SHACrypt("admin", "$6$rounds=1000$salt", true)
	b := newSHA512Batch(h, block8Generic)
	if m := b.check(context.Background(), []string{"admin"}); m != 1 {
		t.Fatalf("check matched %b, want 1", m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m := b.check(ctx, []string{"admin"}); m != 0 {
		t.Fatalf("cancelled check matched %b", m)
	}
}

// TestCrackSHA512BatchSameAsScalar: crackOne gives the same result with
// multi-buffer runs (each compression function) as candidate by
// candidate: the password, where it is in the list, how many were
// tried. The list mixes lengths so that runs of several classes and
// partly filled runs occur.
func TestCrackSHA512BatchSameAsScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var list []string
	for i := range 40 {
		list = append(list, fmt.Sprintf("pw%d-%s", i, strings.Repeat("x", r.IntN(3)*r.IntN(30))))
	}
	list = append(list, strings.Repeat("long", 20)) // alone in its run
	d := &Defaults{Passwords: list}
	saved := sha512Block8
	defer func() { sha512Block8 = saved }()
	const setting = "$6$rounds=1000$0123456789abcdef"
	cands := d.Candidates("u", 1<<30)
	// targets: in the first run, the last lane of a full run, the middle
	// of a partly filled run, a run of one candidate, none
	targets := []int{0, -1}
	for _, run := range newSHA512Batch(setting, block8Generic).batches(cands) {
		targets = append(targets, run[len(run)/2])
	}
	if raceDetector {
		targets = append(targets[:3], targets[len(targets)-1])
	}
	for _, ti := range targets {
		pw := "not in the list"
		if ti >= 0 {
			pw = cands[ti]
		}
		h := SHACrypt(pw, setting, true)
		job := crackJob{user: "u", scheme: SchemeSHA512, hash: h, verify: func(pw string) bool { m, _ := Verify(h, pw, false); return m }}
		var want crackResult
		for i, bf := range append([]namedBlock8{{"scalar", nil}}, block8Funcs()...) {
			sha512Block8 = bf.f
			a, err := New(Options{Defaults: d, Budget: DefaultCrackBudget * 5})
			if err != nil {
				t.Fatal(err)
			}
			got := a.crackOne(context.Background(), job)
			if i == 0 {
				want = got
				if got.ok != (ti >= 0) || got.ok && got.pw != pw || got.tried != len(cands) {
					t.Fatalf("scalar: %+v for target %d", got, ti)
				}
			} else if got != want {
				t.Errorf("%s: %+v, scalar %+v", bf.name, got, want)
			}
		}
	}
}

// FuzzSHA512CryptBatch compares the multi-buffer runs with SHACrypt on
// fuzzed passwords and salts, at the least number of rounds.
func FuzzSHA512CryptBatch(f *testing.F) {
	f.Add("admin", "Hello world!", "saltstring")
	f.Add("", strings.Repeat("p", 40), "0123456789abcdefgh")
	f.Add("\xff\x00é", "x", "")
	f.Fuzz(func(t *testing.T, pw1, pw2, salt string) {
		if len(pw1) > 160 || len(pw2) > 160 || len(salt) > 40 {
			return
		}
		setting := "$6$rounds=1000$" + salt
		pws := []string{pw1, pw2, pw1 + pw2, pw2 + "1"}
		for _, bf := range block8Funcs() {
			b := newSHA512Batch(setting, bf.f)
			for _, run := range b.batches(pws) {
				in := make([]string, len(run))
				for l, i := range run {
					in[l] = pws[i]
				}
				d, _ := b.sum8(context.Background(), in)
				for l, pw := range in {
					if got, want := string(b.encode(&d, l)), SHACrypt(pw, setting, true); got != want {
						t.Fatalf("%s: SHA-512-crypt(%q, %q) = %s, want %s", bf.name, pw, setting, got, want)
					}
				}
			}
		}
	})
}
