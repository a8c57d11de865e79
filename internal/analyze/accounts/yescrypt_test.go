package accounts

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/scrypt"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// TestYescryptMatchesCrypt3 computes every setting of testdata/yescrypt.tsv
// (made by the system's crypt(3), libxcrypt, through mkpasswd and perl:
// testdata/yescrypt.sh) and compares with what crypt(3) returned: the
// three flavors, p and t, every salt length class, settings it refuses,
// and one hash at mkpasswd's default cost (the pre-hash path).
func TestYescryptMatchesCrypt3(t *testing.T) {
	f, err := os.Open("testdata/yescrypt.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, refused, flavors := 0, 0, map[byte]bool{}
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 3 {
			t.Fatalf("bad line %q", sc.Text())
		}
		pw, setting, want := p[0], p[1], p[2]
		if strings.HasPrefix(want, "*") {
			want = "" // crypt(3) refused the setting
			refused++
		} else {
			flavors[setting[3]] = true
		}
		n++
		if raceDetector && (want == "" || yescryptCost(want) > 10000 || n%3 != 0) {
			continue // under the race detector, a third of the low-cost lines
		}
		got := Yescrypt(pw, setting)
		if got != want {
			t.Errorf("Yescrypt(%.20q, %q)\n got %q\nwant %q", pw, setting, got, want)
			continue
		}
		if want == "" {
			if m, ok := Verify(setting, pw, false); m || ok {
				t.Errorf("Verify accepted the refused setting %q", setting)
			}
			continue
		}
		if raceDetector {
			continue
		}
		if m, ok := Verify(want, pw, false); !m || !ok {
			t.Errorf("Verify(%q, %.20q) = %v, %v", want, pw, m, ok)
		}
		if m, _ := Verify(want, pw+"x", false); m {
			t.Errorf("Verify(%q) matched a wrong password", want)
		}
	}
	if n < 40 || refused < 5 || !flavors['j'] || !flavors['/'] || !flavors['.'] {
		t.Fatalf("testdata too thin: %d lines, %d refused, flavors %v", n, refused, flavors)
	}
}

// TestYescryptClassicIsScrypt: flavor 0 is classic scrypt, so the body
// must give golang.org/x/crypto/scrypt's output (the scrypt paper's
// test vector parameters).
func TestYescryptClassicIsScrypt(t *testing.T) {
	for _, tc := range []struct {
		pw, salt string
		n        uint64
		r, p     uint32
	}{
		{"password", "NaCl", 1024, 8, 16},
		{"", "", 16, 1, 1},
		{"pleaseletmein", "SodiumChloride", 16384 / 16, 8, 1},
	} {
		want, err := scrypt.Key([]byte(tc.pw), []byte(tc.salt), int(tc.n), int(tc.r), int(tc.p), 64)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := yescryptBody([]byte(tc.pw), []byte(tc.salt), ysParams{n: tc.n, r: tc.r, p: tc.p}, 64)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("%+v: %x, want %x", tc, got, want)
		}
	}
}

// TestYescryptRefuses: malformed settings and parameters past the memory
// bound are refused without computing anything.
func TestYescryptRefuses(t *testing.T) {
	for _, s := range []string{
		"", "$y$", "$y$j", "$y$j7", "$y$j75", "$y$j75abc", "$5$abc$",
		"$y$jzz$abcd$",   // N = 2^large: over the memory bound
		"$y$j75/z$abcd$", // t = 2^large
		"$y$\x00\x00$abc$",
	} {
		if got := Yescrypt("x", s); got != "" {
			t.Errorf("%q: %q, want refusal", s, got)
		}
		if m, ok := Verify(s, "x", false); m || (ok && strings.HasPrefix(s, "$y$")) {
			t.Errorf("Verify(%q) = %v, %v", s, m, ok)
		}
	}
	if c := yescryptCost("$y$jzz$abcd$"); c != 0 {
		t.Errorf("cost of an over-bound hash: %d", c)
	}
	for _, par := range []ysParams{
		{flags: ysRWDefault, n: 1024, r: 8, p: 1, t: 1 << 20}, // time
		{flags: ysRWDefault, n: 1 << 17, r: 32, p: 1},         // memory
		{flags: ysRWDefault, n: 1024, r: 8, p: 1 << 20},       // lanes
		{flags: ysRWDefault, n: 1024, r: 8, p: 1024},          // N/p <= 1
		{flags: ysRWDefault | 0x100, n: 1024, r: 8, p: 1},     // another flavor
		{flags: 0, n: 1024, r: 8, p: 1, t: 1},                 // classic scrypt has no t
		{flags: ysRWDefault, n: 1000, r: 8, p: 1},             // N not a power of 2
	} {
		if par.supported() {
			t.Errorf("%+v supported", par)
		}
	}
}

// FuzzYescryptSetting: no setting string makes Yescrypt panic or take
// more than the memory bound (the bound is lowered so that fuzzing stays
// fast).
func FuzzYescryptSetting(f *testing.F) {
	f.Add("$y$j75$abcd$")
	f.Add("$y$j75..$abcd$")
	f.Add("$y$/75/0$$")
	f.Add("$y$.75$abc$")
	old := YescryptMaxMemory
	YescryptMaxMemory = 1 << 20
	defer func() { YescryptMaxMemory = old }()
	f.Fuzz(func(t *testing.T, s string) {
		Yescrypt("pw", s)
		yescryptCost(s)
	})
}

// TestYescryptShadowCracked: a shadow file as current Debian writes it
// (mkpasswd's default yescrypt cost) with a default password is cracked
// and reported as such; a strong one at low cost is not, and a hash past
// the work bound is listed as skipped, not dropped.
func TestYescryptShadowCracked(t *testing.T) {
	hashes := map[string]string{} // password -> a hash of the test data
	f, err := os.ReadFile("testdata/hashes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(f)), "\n") {
		if p := strings.Split(l, "\t"); p[1] == "yescrypt" {
			hashes[p[2]] = p[3]
		}
	}
	y, err := os.ReadFile("testdata/yescrypt.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var strong string // low cost, not a default password
	for _, l := range strings.Split(string(y), "\n") {
		if p := strings.Split(l, "\t"); len(p) == 3 && p[0] == "Xq9#vT2!pLw0rZ8m" && strings.HasPrefix(p[2], "$y$j75$") {
			strong = p[2]
		}
	}
	if hashes["admin"] == "" || strong == "" {
		t.Fatal("test data lacks the hashes")
	}
	shadow := "admin:" + hashes["admin"] + ":20157:0:99999:7:::\n" +
		"big:$y$jzT$abcdabcdabcdabcdabcdab$:20157:0:99999:7:::\n"
	if !raceDetector { // 16 guesses
		shadow += "operator:" + strong + ":20157:0:99999:7:::\n"
	}
	// a small budget: 8 guesses at the default cost, 16 at the low one
	a, err := New(Options{ShowSecrets: true, Budget: 100_000 * time.Second / WorkPerSecond})
	if err != nil {
		t.Fatal(err)
	}
	var out plugin.Results
	data := []byte(shadow)
	in := &plugin.Input{FileInfo: plugin.FileInfo{Path: "/etc/shadow", Size: int64(len(data)), Type: filetype.Result{Type: filetype.Text}, Head: data}, Data: data, Loc: model.Location{Layer: "L0", Path: "/etc/shadow"}}
	if err := a.Analyze(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	var cracked []string
	for _, f := range out.Findings {
		if f.RuleID == RuleDefaultPassword {
			cracked = append(cracked, f.Title+" | "+f.Evidence)
		}
	}
	if len(cracked) != 1 || !strings.Contains(cracked[0], `"admin" is a known default (cracked yescrypt ($y$))`) || !strings.Contains(cracked[0], `password "admin"`) {
		t.Errorf("cracked: %q", cracked)
	}
	// "big" is past the supported cost; "operator" has a strong password
	// that the budget did not reach: both said, neither dropped
	want := 1
	if !raceDetector {
		want = 2
	}
	if len(out.Skipped) != want || !strings.Contains(out.Skipped[0].Reason, `"big"`) ||
		(want == 2 && !strings.Contains(out.Skipped[1].Reason, `"operator" (yescrypt ($y$)) not cracked within the --crack-budget`)) {
		t.Errorf("skipped: %+v", out.Skipped)
	}
}
