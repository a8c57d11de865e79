package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack"
)

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

// TestReadFileLent: a large file is lent from the read buffers with its
// bytes, a small one is left to ReadFile, and a missing one is an error.
func TestReadFileLent(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), lendMin/16+5)
	if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "small"), []byte("key"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := unpack.NewSession(unpack.Options{WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.AddDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	w := newWalker(Config{Workers: 2}.withDefaults(), s.Layers(), nil)
	defer w.closeRoots()
	data, release, ok, err := w.ReadFileLent(l.ID, "/big", 1<<30)
	if err != nil || !ok || !bytes.Equal(data, big) {
		t.Fatalf("big: ok %v, err %v, %d bytes (want %d)", ok, err, len(data), len(big))
	}
	release()
	if data, _, ok, err := w.ReadFileLent(l.ID, "/big", 100); ok || err != nil {
		t.Errorf("a read limited to 100 bytes was lent (%d bytes, %v)", len(data), err)
	}
	if _, _, ok, err := w.ReadFileLent(l.ID, "/small", 1<<30); ok || err != nil {
		t.Errorf("small: lent %v, err %v", ok, err)
	}
	if _, _, _, err := w.ReadFileLent(l.ID, "/missing", 1<<30); err == nil {
		t.Error("a missing file was read")
	}
}
