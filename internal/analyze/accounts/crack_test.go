package accounts

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

func shadowInput(t testing.TB, layer string) *plugin.Input {
	t.Helper()
	data, err := os.ReadFile("testdata/shadow20")
	if err != nil {
		t.Fatal(err)
	}
	return &plugin.Input{FileInfo: plugin.FileInfo{Layer: layer, Path: "/etc/shadow", Size: int64(len(data)), Type: filetype.Result{Type: filetype.Text}, Head: data},
		Data: data, Loc: model.Location{Layer: layer, Path: "/etc/shadow"}}
}

// TestCrackBudget: on 20 SHA-512-crypt hashes made by openssl, the four
// default passwords are cracked and reported in the file's order, and
// each of the sixteen random ones is recorded as not cracked within the
// budget, never dropped. Two layers holding the same file, analysed at
// once, get the same results (each distinct hash is cracked once and
// shared).
func TestCrackBudget(t *testing.T) {
	budget := DefaultCrackBudget
	if raceDetector { // 12 guesses a hash: the defaults are still among them
		budget = 12 * 5000 * time.Second / WorkPerSecond
	}
	a, err := New(Options{Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	outs := make([]plugin.Results, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			if err := a.Analyze(context.Background(), shadowInput(t, fmt.Sprint("L", i)), &outs[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	tried := candidateLimit(budget, 5000)
	for i, out := range outs {
		var cracked []string
		for _, f := range out.Findings {
			if f.RuleID == RuleDefaultPassword {
				cracked = append(cracked, strings.Split(f.Title, `"`)[1])
			}
		}
		if got := strings.Join(cracked, ","); got != "admin,root,support,user" {
			t.Errorf("layer %d: cracked %s", i, got)
		}
		if len(out.Skipped) != 16 {
			t.Fatalf("layer %d: %d skipped, want 16: %+v", i, len(out.Skipped), out.Skipped)
		}
		for _, s := range out.Skipped {
			want := fmt.Sprintf("(SHA-512 crypt ($6$)) not cracked within the --crack-budget of %v: %d of ", budget, tried)
			if !strings.Contains(s.Reason, want) || !strings.Contains(s.Reason, `"svc`) {
				t.Errorf("layer %d: skip %q, want %q", i, s.Reason, want)
			}
		}
	}
	n := 0
	a.cracked.Range(func(any, any) bool { n++; return true })
	if n != 20 {
		t.Errorf("%d distinct hashes cracked, want 20", n)
	}
}

// TestCrackEarliestCandidate: DES crypt reads only the first 8
// characters, so several candidates match one hash; the earliest in the
// list wins whatever the scheduling, so reports are the same on every run.
func TestCrackEarliestCandidate(t *testing.T) {
	d, err := ParseDefaults([]byte("passwords:\n- password1\n- xx\n- password\n- password12\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Defaults: d})
	if err != nil {
		t.Fatal(err)
	}
	h := DESCrypt("password", "ab")
	for range 20 {
		a.cracked.Clear()
		r := a.crackAll(context.Background(), []crackJob{{user: "", scheme: SchemeDES, hash: h, verify: func(pw string) bool { m, _ := Verify(h, pw, false); return m }}})
		if !r[0].ok || r[0].pw != "password1" {
			t.Fatalf("cracked %+v, want password1 (the first candidate that matches)", r[0])
		}
	}
}

// BenchmarkShadow20 is the cracking cost of a shadow file of 20
// SHA-512-crypt hashes at the default budget, on every CPU: what the
// accounts analyzer adds to a scan of a root file system that has one.
func BenchmarkShadow20(b *testing.B) {
	for b.Loop() {
		a, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		var out plugin.Results
		if err := a.Analyze(context.Background(), shadowInput(b, "L0"), &out); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCandidateLimit(t *testing.T) {
	for _, c := range []struct {
		budget time.Duration
		cost   int
		want   int
	}{
		{DefaultCrackBudget, 5000, 33},                   // SHA-512-crypt, default rounds
		{DefaultCrackBudget, 1, 165000},                  // unsalted MD5
		{DefaultCrackBudget, 0, 165000},                  // a cost of 0 counts as 1
		{DefaultCrackBudget, 1 << 10 * 30, 8},            // bcrypt cost 10: 5, the floor of 8
		{DefaultCrackBudget, 1 << 14 * 30, 8},            // bcrypt cost 14: 8 guesses are 1.2 s of work
		{DefaultCrackBudget, 1 << 15 * 30, 0},            // bcrypt cost 15: past the floor's cap
		{DefaultCrackBudget, 999_999_999, 0},             // $6$rounds=999999999$
		{10 * time.Second, 999_999_999, 0},               // a larger budget is not enough either
		{1000 * time.Second, 999_999_999, 3},             // ...this one is
		{DefaultCrackBudget, maxMinWork / minTried, 8},   // the floor's edge
		{DefaultCrackBudget, maxMinWork/minTried + 1, 0}, // just past it
	} {
		if got := candidateLimit(c.budget, c.cost); got != c.want {
			t.Errorf("candidateLimit(%v, %d) = %d, want %d", c.budget, c.cost, got, c.want)
		}
	}
}

// TestHostileRounds: a hash whose own parameters make a guess cost hours
// is listed as not cracked, with no candidate tried, at once.
func TestHostileRounds(t *testing.T) {
	shadow := "a:$6$rounds=999999999$saltsaltsaltsalt$" + strings.Repeat("x", 86) + ":19000:0:99999:7:::\n" +
		"b:$5$rounds=999999999$saltsaltsaltsalt$" + strings.Repeat("y", 43) + ":19000:0:99999:7:::\n" +
		"c:$2b$31$" + strings.Repeat("z", 53) + ":19000:0:99999:7:::\n"
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := shadowInput(t, "L0")
	in.Data, in.Head, in.Size = []byte(shadow), []byte(shadow), int64(len(shadow))
	var out plugin.Results
	done := make(chan error, 1)
	go func() { done <- a.Analyze(context.Background(), in, &out) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("still cracking hostile hashes after a minute")
	}
	if len(out.Skipped) != 3 {
		t.Fatalf("%d skipped, want 3: %+v", len(out.Skipped), out.Skipped)
	}
	for _, s := range out.Skipped {
		if !strings.Contains(s.Reason, "not cracked within the --crack-budget") || !strings.Contains(s.Reason, ": 0 of ") {
			t.Errorf("skip %q, want not cracked with 0 candidates tried", s.Reason)
		}
	}
}
