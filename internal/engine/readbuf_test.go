package engine

import "testing"

// TestReadBufs: a buffer is writable to its capacity, comes back to the
// next worker that asks for as much or less, and two workers at once get
// two buffers.
func TestReadBufs(t *testing.T) {
	const size = 3 << 20
	var p bufPool // not the scans' own: tests scan in parallel
	a := p.get(size)
	if len(a) != 0 || cap(a) < size {
		t.Fatalf("len %d cap %d, want 0 and >= %d", len(a), cap(a), size)
	}
	a = a[:size]
	for i := range a {
		a[i] = byte(i)
	}
	b := p.get(size)
	if &b[:1][0] == &a[0] {
		t.Fatal("two workers share one buffer")
	}
	p.put(a)
	c := p.get(1 << 20)
	if &c[:1][0] != &a[0] {
		t.Error("a buffer given back was not reused")
	}
	if last := size - 1; c[:size][last] != byte(last) {
		t.Error("the buffer lost its bytes")
	}
	p.put(b)
	p.put(c)
	if d := p.get(64 << 20); cap(d) < 64<<20 {
		t.Errorf("cap %d for a larger request", cap(d))
	} else {
		p.put(d)
	}
}
