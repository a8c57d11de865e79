package strmatch

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// naive finds p's hits the slow way, in the order the Set promises: by
// end offset, longer keywords first.
func naive(p *Pack, data []byte) []Hit {
	var out []Hit
	low := []byte(fold(string(data)))
	for end := 1; end <= len(data); end++ {
		var at []Hit
		for ki, k := range p.keywords {
			n := len(k.Text)
			if k.Text == "" || n > end {
				continue
			}
			start := end - n
			ok := bytes.Equal(low[start:end], []byte(fold(k.Text)))
			if k.Exact {
				ok = bytes.Equal(data[start:end], []byte(k.Text))
			}
			if ok {
				at = append(at, Hit{Pos: start, Kw: ki})
			}
		}
		// longer first (distinct lengths: same length and end means same text)
		for i := 1; i < len(at); i++ {
			for j := i; j > 0 && len(p.keywords[at[j].Kw].Text) > len(p.keywords[at[j-1].Kw].Text); j-- {
				at[j], at[j-1] = at[j-1], at[j]
			}
		}
		out = append(out, at...)
	}
	return out
}

// TestSetMatchesNaivePerPack runs three packs through one Set (folded and
// exact keywords that collide once folded, a keyword shared by two packs)
// and checks each pack gets exactly its own hits, as a pass over that
// pack alone would give.
func TestSetMatchesNaivePerPack(t *testing.T) {
	secrets := NewPack("secrets", []Keyword{{Text: "pass"}, {Text: "password"}, {Text: "sk_live_"}, {Text: "ss"}, {Text: "word"}})
	versions := NewPack("versions", []Keyword{{Text: "OpenSSL ", Exact: true}, {Text: "openssl ", Exact: true}, {Text: "Pass", Exact: true}, {Text: "BusyBox v", Exact: true}})
	config := NewPack("config", []Keyword{{Text: "PermitRootLogin"}, {Text: "word"}})
	set := Compile(secrets, versions, config, secrets)
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "aAsSpPwWoOrRdDnNlLeE _\x00\xff"
	words := []string{"pass", "PASS", "Pass", "password", "OpenSSL ", "OPENSSL ", "openssl ", "busybox v", "BusyBox v", "permitrootlogin", "sk_LIVE_"}
	for iter := 0; iter < 300; iter++ {
		var b bytes.Buffer
		for b.Len() < 400 {
			if r.IntN(8) == 0 {
				b.WriteString(words[r.IntN(len(words))])
			} else {
				b.WriteByte(alphabet[r.IntN(len(alphabet))])
			}
		}
		data := b.Bytes()
		res := set.Scan(data)
		f := set.File(data)
		for _, p := range []*Pack{secrets, versions, config} {
			got, ok := res.Hits(p)
			if !ok {
				t.Fatalf("pack %s not in set", p.Name())
			}
			want := naive(p, data)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("pack %s on %q:\n got %v\nwant %v", p.Name(), data, got, want)
			}
			if shared, solo := Find(f, p, data), Find(nil, p, data); !reflect.DeepEqual(shared, want) || fmt.Sprint(solo) != fmt.Sprint(want) {
				t.Fatalf("pack %s: Find shared %v solo %v, want %v", p.Name(), shared, solo, want)
			}
		}
	}
}

// TestFindWithoutPack falls back to the pack's own pass when the file's
// set does not hold the pack or covers other bytes.
func TestFindWithoutPack(t *testing.T) {
	a := NewPack("a", []Keyword{{Text: "key"}})
	b := NewPack("b", []Keyword{{Text: "KEY", Exact: true}})
	set := Compile(a)
	data := []byte("a key, a KEY")
	f := set.File(data)
	if got := Find(f, b, data); fmt.Sprint(got) != "[{9 0}]" {
		t.Fatalf("pack outside the set: %v", got)
	}
	other := []byte("key key")
	if got := Find(f, a, other); fmt.Sprint(got) != "[{0 0} {4 0}]" {
		t.Fatalf("other bytes: %v", got)
	}
	if got := Find(f, a, data); fmt.Sprint(got) != "[{2 0} {9 0}]" {
		t.Fatalf("shared pass: %v", got)
	}
	var none *Set
	if none.File(data) != nil || none.Has(a) {
		t.Fatal("nil set")
	}
}
