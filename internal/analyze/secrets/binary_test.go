package secrets

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/strmatch"
)

// TestScanBinaryMatchesStringsView proves that reading a binary's strings
// in place finds what the strings view (Strings, then Scan) finds, at the
// same file offsets: on real ELF files of this machine with secrets
// planted, and on random bytes full of keywords, runs of every length and
// non-printable separators.
func TestScanBinaryMatchesStringsView(t *testing.T) {
	rs, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(rs)
	if !sc.RawBinary("/usr/bin/f0") {
		t.Fatal("the embedded rules should allow reading binaries in place")
	}
	var inputs [][]byte
	r := rand.New(rand.NewPCG(5, 6))
	plants := []string{
		"password=Tr0ub4dor&3x", "AKIA" + "IOSFODNN7EXAMPL3", "mqtt://gw:ttH1e0SV4aPq@broker.example.net",
		"-----BEGIN RSA PRIVATE KEY-----", "token: ghp_" + randStr(r, 36), "api_key = \"" + randStr(r, 32) + "\"",
		"xoxb-123456789012-1234567890123-" + randStr(r, 24), "pass", "secret", "passwd:", "aws_secret_access_key=" + randStr(r, 40),
	}
	for i := 0; i < 200; i++ {
		var b []byte
		for len(b) < 2000 {
			switch r.IntN(6) {
			case 0:
				b = append(b, plants[r.IntN(len(plants))]...)
			case 1:
				b = append(b, randStr(r, r.IntN(80))...)
			case 2:
				b = append(b, byte(r.IntN(32)), 0x7f, 0xff)
			default:
				b = append(b, byte(r.IntN(256)))
			}
		}
		inputs = append(inputs, b)
	}
	for _, p := range []string{"/bin/ls", "/usr/bin/ssh", "/usr/bin/curl", "/usr/bin/git"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		b = append(b[:len(b):len(b)], []byte("\x00\x01password=Zx9!kLq2mmPw\x00")...)
		inputs = append(inputs, b)
	}
	if len(inputs) < 201 {
		t.Log("no system binaries found; random inputs only")
	}
	for i, data := range inputs {
		path := filepath.Join("/usr/bin", fmt.Sprint("f", i))
		strs, segs := Strings(data, nil)
		var want []string
		for _, h := range sc.Scan(strs, path) {
			want = append(want, fmt.Sprintf("%s@%d:%q", h.Rule.ID, fileOffset(segs, h.SStart), strs[h.Start:h.End]))
		}
		var got []string
		for _, h := range sc.ScanBinary(data, path, strmatch.Find(nil, sc.Pack(), data)) {
			got = append(got, fmt.Sprintf("%s@%d:%q", h.Rule.ID, h.SStart, data[h.Start:h.End]))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("input %d:\n got %v\nwant %v", i, got, want)
		}
	}
}
