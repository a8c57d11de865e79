package secrets

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// findings runs a over data as the engine would: held whole, or (held
// false) through the reader only, as for a file too large to hold.
func findings(t *testing.T, a *Analyzer, data []byte, typ string, held bool) []string {
	t.Helper()
	in := &plugin.Input{
		FileInfo: plugin.FileInfo{Layer: "L1", Path: "/etc/big.conf", Size: int64(len(data)), Type: filetype.Result{Type: typ}},
		R:        bytes.NewReader(data),
		Loc:      model.Location{Layer: "L1", Path: "/etc/big.conf"},
	}
	if held {
		in.Data = data
	}
	var out plugin.Results
	if err := a.Analyze(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Skipped) > 0 {
		t.Fatalf("skipped: %v", out.Skipped)
	}
	var fs []string
	for _, f := range out.Findings {
		fs = append(fs, fmt.Sprintf("%s line %d off %d %s", f.RuleID, f.Location.Line, f.Location.Offset, f.Fingerprint))
	}
	slices.Sort(fs)
	return fs
}

// TestWindowsFindWhatTheWholeFileGives: a file read in overlapping windows
// gives exactly the findings of the same file read whole (same rules,
// lines, offsets; nothing twice, nothing lost at the edges), on random
// text and binaries dense with secrets, with windows small enough that
// many secrets straddle their edges.
func TestWindowsFindWhatTheWholeFileGives(t *testing.T) {
	defer func(s, o int) { windowStep, windowOverlap = s, o }(windowStep, windowOverlap)
	windowStep, windowOverlap = 4096, 1024
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	plants := []string{
		"password=Tr0ub4dor&3x", "aws_access_key_id = AKIA" + "JPJOMKEFOIUC5LGT", "mqtt://gw:ttH1e0SV4aPq@broker.example.net",
		"token: ghp_" + randStr(r, 36), "xoxb-123456789012-1234567890123-" + randStr(r, 24),
		"aws_secret_access_key=" + randStr(r, 40), "api_key = \"" + randStr(r, 32) + "\"",
	}
	total := 0
	for i := 0; i < 5; i++ {
		for _, typ := range []string{filetype.Text, filetype.Data} {
			var b []byte
			for len(b) < 48<<10 {
				switch r.IntN(5) {
				case 0:
					b = append(b, plants[r.IntN(len(plants))]...)
				case 1:
					b = append(b, '\n')
				case 2:
					if typ == filetype.Data {
						b = append(b, 0, byte(r.IntN(256)))
					}
				default:
					b = append(b, randStr(r, r.IntN(60))...)
					b = append(b, ' ')
				}
			}
			whole := findings(t, a, b, typ, true)
			windowed := findings(t, a, b, typ, false)
			if !slices.Equal(whole, windowed) {
				t.Fatalf("%s input %d: windowed scan differs:\nwhole    %v\nwindowed %v", typ, i, whole, windowed)
			}
			total += len(whole)
		}
	}
	if total < 50 {
		t.Fatalf("only %d findings in all inputs: the test does not exercise the edges", total)
	}
}

// TestLargeFileAndLongLine: a token on the last line of a file too large to
// hold, and one in the middle of a multi-megabyte single line, are found.
func TestLargeFileAndLongLine(t *testing.T) {
	defer func(s, o int) { windowStep, windowOverlap = s, o }(windowStep, windowOverlap)
	windowStep = 1 << 20 // several windows in a file of a few MiB
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok := "ghp_" + randStr(rand.New(rand.NewPCG(1, 2)), 36)
	var b bytes.Buffer
	for b.Len() < 5<<20 {
		b.WriteString("# filler line of a very large configuration export\n")
	}
	lines := bytes.Count(b.Bytes(), []byte{'\n'})
	b.WriteString("github_token = " + tok + "\n")
	fs := findings(t, a, b.Bytes(), filetype.Text, false)
	if len(fs) != 1 || !strings.Contains(fs[0], fmt.Sprintf("line %d ", lines+1)) {
		t.Fatalf("token on line %d of a %d MiB file: %v", lines+1, b.Len()>>20, fs)
	}
	long := bytes.Repeat([]byte("x=1;"), 3<<20/4)
	long = append(long, []byte(" github_token = "+tok+" ")...)
	long = append(long, bytes.Repeat([]byte("y=2;"), 3<<20/4)...)
	for _, held := range []bool{true, false} {
		if fs := findings(t, a, long, filetype.Text, held); len(fs) != 1 {
			t.Fatalf("token in a 6 MiB line (held %v): %v", held, fs)
		}
	}
}
