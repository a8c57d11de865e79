package secrets

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/strmatch"
	"github.com/thingsec/thingsec/internal/benchtree"
)

// benchText makes n bytes of source-like, config-like and base64-like
// lines with a secret now and then.
func benchText(n int) []byte {
	r := rand.New(rand.NewPCG(7, 8))
	lines := []string{
		"\tif err := parse(password, cfg.Options); err != nil {",
		"func (s *Server) handle(w http.ResponseWriter, req *http.Request) {",
		"# the admin password must be changed at first login",
		"option proto 'dhcp'",
		"static int passthrough_token_count = 0;",
		"const char *usage = \"usage: %s [-p port] [-k keyfile]\";",
		"    return bypass(secret_len, key, token);",
		"network={ ssid=\"home\" key_mgmt=WPA-PSK }",
	}
	var b strings.Builder
	for b.Len() < n {
		switch r.IntN(40) {
		case 0:
			b.WriteString("aws_secret_access_key = " + randStr(r, 40) + "\n")
		case 1:
			b.WriteString("slack_token=xoxb-123456789012-1234567890123-" + randStr(r, 24) + "\n")
		case 2, 3, 4:
			b.WriteString(randStr(r, 76) + "\n")
		default:
			b.WriteString(lines[r.IntN(len(lines))] + "\n")
		}
	}
	return []byte(b.String())
}

func randStr(r *rand.Rand, n int) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = a[r.IntN(len(a))]
	}
	return string(b)
}

// BenchmarkScan measures the rule engine alone (keyword pass plus the
// regexes around the hits) on mixed text.
func BenchmarkScan(b *testing.B) {
	rs, err := Embedded()
	if err != nil {
		b.Fatal(err)
	}
	sc := NewScanner(rs)
	text := benchText(8 << 20)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sc.Scan(text, "/etc/app.conf")
	}
}

// BenchmarkKeywordPass measures the keyword automaton alone.
func BenchmarkKeywordPass(b *testing.B) {
	rs, _ := Embedded()
	sc := NewScanner(rs)
	text := benchText(8 << 20)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		strmatch.Find(nil, sc.Pack(), text)
	}
}

// benchTree reads every regular file of the directory
// THINGSEC_BENCH_TREE (an extracted root filesystem: binaries, libraries
// and configuration), skipping the benchmark when it is not set.
func benchTree(b *testing.B) (paths []string, files [][]byte, n int64) {
	dir := os.Getenv(benchtree.Env)
	if dir == "" {
		b.Skip(benchtree.Env + " is not set (a directory to read, such as an unsquashfs tree)")
	}
	paths, files, n, err := benchtree.Read(dir)
	if err != nil {
		b.Fatal(err)
	}
	return paths, files, n
}

// BenchmarkKeywordPassTree measures the keyword automaton over every
// file of THINGSEC_BENCH_TREE, the pass the scan makes over each file.
func BenchmarkKeywordPassTree(b *testing.B) {
	_, files, n := benchTree(b)
	rs, _ := Embedded()
	sc := NewScanner(rs)
	b.SetBytes(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			strmatch.Find(nil, sc.Pack(), f)
		}
	}
}

// BenchmarkScanTree measures the rule engine (keyword pass and the rules
// around the hits) over every file of THINGSEC_BENCH_TREE, files with a
// NUL byte as binaries, the others as text.
func BenchmarkScanTree(b *testing.B) {
	paths, files, n := benchTree(b)
	rs, _ := Embedded()
	sc := NewScanner(rs)
	b.SetBytes(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, f := range files {
			if bytes.IndexByte(f, 0) >= 0 {
				sc.ScanBinary(f, paths[j], strmatch.Find(nil, sc.Pack(), f))
			} else {
				sc.Scan(f, paths[j])
			}
		}
	}
}

// BenchmarkScanTreeCold is BenchmarkScanTree with new rules every round,
// as one run of the program has them: it adds the rules' compilation on
// first use, which the prefilters spare the rules whose regexes cannot
// match the lines their keywords put them on.
func BenchmarkScanTreeCold(b *testing.B) {
	paths, files, n := benchTree(b)
	b.SetBytes(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs, _ := Embedded()
		sc := NewScanner(rs)
		for j, f := range files {
			if bytes.IndexByte(f, 0) >= 0 {
				sc.ScanBinary(f, paths[j], strmatch.Find(nil, sc.Pack(), f))
			} else {
				sc.Scan(f, paths[j])
			}
		}
	}
}
