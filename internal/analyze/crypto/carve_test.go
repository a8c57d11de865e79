package crypto

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// carveEveryByte is carveDER as it was before candidates were found from
// the body's first bytes: a parse attempt at every 0x30 byte. The two
// must find the same items.
func carveEveryByte(data []byte, items []Item) []Item {
	for off := 0; off < len(data)-8; {
		i := bytes.IndexByte(data[off:], 0x30)
		if i < 0 {
			break
		}
		p := off + i
		off = p + 1
		n := derLen(data[p:])
		if n < 64 || p+n > len(data) {
			continue
		}
		hdr := 2
		if data[p+1] >= 0x80 {
			hdr += int(data[p+1] & 0x7f)
		}
		body := data[p+hdr:]
		match := false
		for _, s := range derStarts {
			match = match || bytes.HasPrefix(body, s)
		}
		if !match {
			continue
		}
		if it, ok := parseDER(data[p : p+n]); ok {
			it.Offset = int64(p)
			items = append(items, it)
			off = p + n
		}
	}
	return items
}

// TestCarveDERCandidates embeds the DER keys and certificates of
// testdata (made by openssl) in noise rich in 0x30, 02 01 and 30 82
// bytes, overlapping and truncated, and checks that carving from the
// candidates finds what a parse attempt at every 0x30 byte finds.
func TestCarveDERCandidates(t *testing.T) {
	var ders [][]byte
	for _, name := range []string{"leaf-sha1-expired.der", "rsa2048-pkcs8.der"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		ders = append(ders, b)
	}
	blob, err := os.ReadFile(filepath.Join("testdata", "firmware-blob.bin"))
	if err != nil {
		t.Fatal(err)
	}
	noise := []byte{0x30, 0x82, 0x02, 0x01, 0x00, 0x01, 0x04, '0', 0x81, 0x83, 0x7f, 0x40}
	rng := rand.New(rand.NewPCG(1, 2))
	total := 0
	for round := range 200 {
		var data []byte
		for range 1 + rng.IntN(8) {
			for range rng.IntN(300) {
				data = append(data, noise[rng.IntN(len(noise))])
			}
			d := ders[rng.IntN(len(ders))]
			switch rng.IntN(4) {
			case 0:
				d = d[:rng.IntN(len(d))] // truncated
			case 1:
				d = d[rng.IntN(8):] // a shifted header
			}
			data = append(data, d...)
		}
		if round%20 == 0 {
			data = append(data, blob...)
		}
		want, got := carveEveryByte(data, nil), carveDER(data, nil)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: carved %d items, want %d", round, len(got), len(want))
		}
		total += len(want)
	}
	if total < 200 {
		t.Fatalf("only %d items carved in 200 rounds: the test data does not exercise carving", total)
	}
}
