package accounts

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkYescrypt times one guess at mkpasswd's default cost ($y$j9T)
// here and in the system's crypt(3) (libxcrypt, through perl) on the same
// setting; the ratio of the two ns/op is the price of pure Go:
//
//	go test ./internal/analyze/accounts -run X -bench Yescrypt
func BenchmarkYescrypt(b *testing.B) {
	data, err := os.ReadFile("testdata/hashes.tsv")
	if err != nil {
		b.Fatal(err)
	}
	var h string
	for _, l := range strings.Split(string(data), "\n") {
		if p := strings.Split(l, "\t"); len(p) == 4 && p[1] == "yescrypt" {
			h = p[3]
		}
	}
	b.Run("thingsec", func(b *testing.B) {
		for b.Loop() {
			Yescrypt("admin", h)
		}
	})
	b.Run("crypt3", func(b *testing.B) {
		if _, err := exec.LookPath("perl"); err != nil {
			b.Skip("perl not installed")
		}
		cmd := exec.Command("perl", "-e", fmt.Sprintf(`crypt("admin", $ENV{H}) for 1..%d`, b.N))
		cmd.Env = append(os.Environ(), "H="+h)
		b.ResetTimer()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("perl: %v %s", err, out)
		}
	})
}
