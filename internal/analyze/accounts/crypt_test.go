package accounts

import (
	"bufio"
	"crypto/des"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestDESMatchesStdlib checks the hand-written DES (salt 0) against
// crypto/des on random keys and blocks.
func TestDESMatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		key, block := r.Uint64(), r.Uint64()
		var kb, bb, want [8]byte
		binary.BigEndian.PutUint64(kb[:], key)
		binary.BigEndian.PutUint64(bb[:], block)
		c, _ := des.NewCipher(kb[:])
		c.Encrypt(want[:], bb[:])
		ks := desSubkeys(key)
		if got := desEncrypt(&ks, block, 0); got != binary.BigEndian.Uint64(want[:]) {
			t.Fatalf("DES(%x, %x) = %x, want %x", key, block, got, want)
		}
	}
}

// TestVerifyRealToolHashes checks every hash made by mkpasswd and openssl
// passwd (testdata/hashes.tsv, scripts/fixtures/secrets.sh) against its
// password and a wrong one.
func TestVerifyRealToolHashes(t *testing.T) {
	f, err := os.Open("testdata/hashes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		tool, scheme, pw, h := p[0], p[1], p[2], p[3]
		n++
		t.Run(tool+"/"+scheme+"/"+pw, func(t *testing.T) {
			if scheme == "yescrypt" && raceDetector {
				t.Skip("default yescrypt cost: run without the race detector")
			}
			if m, ok := Verify(h, pw, false); !ok || !m {
				t.Fatalf("Verify(%q, %q) = %v, %v; want match (scheme %s)", h, pw, m, ok, Identify(h, false).Name)
			}
			if m, _ := Verify(h, "x"+pw, false); m {
				t.Fatalf("Verify(%q, wrong password) matched", h)
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d hashes in testdata", n)
	}
}

func TestDESCryptTruncatesAtEight(t *testing.T) {
	h := DESCrypt("support123", "ab")
	if !strings.HasPrefix(h, "ab") || len(h) != 13 || DESCrypt("support1", "ab") != h {
		t.Fatalf("DES crypt must only use 8 characters: %q", h)
	}
}

func TestLMHashKnownValue(t *testing.T) {
	// The LM hash of the empty password is a well-known constant.
	if got := LMHash(""); got != "AAD3B435B51404EEAAD3B435B51404EE" {
		t.Fatalf("LMHash(\"\") = %s", got)
	}
}
