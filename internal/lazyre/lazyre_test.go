package lazyre

import (
	"sync"
	"testing"
)

func TestLazy(t *testing.T) {
	r := New(`a(b+)c`)
	if r.re.Load() != nil {
		t.Fatal("compiled before use")
	}
	if r.String() != `a(b+)c` {
		t.Errorf("String %q", r.String())
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if m := r.FindStringSubmatch("xabbcx"); len(m) != 2 || m[1] != "bb" {
				t.Errorf("FindStringSubmatch %q", m)
			}
		})
	}
	wg.Wait()
	if !r.MatchString("abc") || r.MatchString("ac") || r.NumSubexp() != 1 {
		t.Error("matches differ from regexp's")
	}
	found := false
	for _, x := range All() {
		found = found || x == r
	}
	if !found {
		t.Error("not in All")
	}
}

func TestInvalid(t *testing.T) {
	r := New(`a(`)
	if _, err := r.Compile(); err == nil {
		t.Fatal("no error")
	}
	if _, err := r.Compile(); err == nil {
		t.Fatal("no error the second time")
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic on use")
		}
	}()
	r.MatchString("a")
}
