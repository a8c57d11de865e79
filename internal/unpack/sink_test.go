package unpack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format"
)

func newTestSink(t *testing.T, lim Limits) (*layerSink, string) {
	t.Helper()
	work := t.TempDir()
	if lim.MaxDepth == 0 {
		lim = DefaultLimits()
	}
	s, err := NewSession(Options{WorkDir: work, Limits: lim, Formats: []format.Format{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	l := s.newLayer(nil, "", "test", 0, 0)
	if err := s.work.Mkdir("L0", 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := s.work.OpenRoot("L0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &layerSink{s: s, l: l, root: root, inSize: 1 << 20}, work
}

func reg(p, data string) (format.Entry, io.Reader) {
	return format.Entry{Path: p, Mode: 0o644}, strings.NewReader(data)
}

// noEscape asserts that nothing exists outside work except what the test
// itself created.
func noEscape(t *testing.T, work string) {
	t.Helper()
	parent := filepath.Dir(work)
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		if filepath.Join(parent, e.Name()) != work {
			t.Errorf("something was written beside the work dir: %s", e.Name())
		}
	}
}

func TestSinkConfinesTraversal(t *testing.T) {
	k, work := newTestSink(t, Limits{})
	for _, name := range []string{"../../etc/evil", "/etc/abs", "a/../../../up", "..\\..\\win"} {
		e, r := reg(name, "x")
		if err := k.Add(e, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"/etc/evil", "/etc/abs", "/up", "/win"} {
		if _, ok := k.l.Entries[want]; !ok {
			t.Errorf("entry %s not recorded; have %v", want, keys(k.l.Entries))
		}
		if _, err := os.Stat(filepath.Join(work, "L0", want)); err != nil {
			t.Errorf("%s not written inside the layer: %v", want, err)
		}
	}
	if n := countKind(k.s, "unsafe"); n != 4 {
		t.Errorf("%d unsafe problems, want 4: %+v", n, k.s.problems)
	}
	noEscape(t, work)
}

func TestSinkSymlinks(t *testing.T) {
	k, work := newTestSink(t, Limits{})
	links := []struct{ path, target, wantDisk string }{
		{"bin/sh", "/bin/busybox", "busybox"},
		{"usr/bin/env", "/bin/busybox", "../../bin/busybox"},
		{"etc/escape", "../../../../etc/passwd", "passwd"},
		{"lib/loop", "loop", "loop"},
		{"www", "/tmp/www", "tmp/www"},
	}
	for _, l := range links {
		if err := k.Add(format.Entry{Path: l.path, Mode: fs.ModeSymlink | 0o777, Linkname: l.target}, nil); err != nil {
			t.Fatal(err)
		}
		got, err := os.Readlink(filepath.Join(work, "L0", l.path))
		if err != nil || got != l.wantDisk {
			t.Errorf("%s -> %q on disk (%v), want %q", l.path, got, err, l.wantDisk)
		}
		if e := k.l.Entries["/"+l.path]; e.Linkname != l.target {
			t.Errorf("%s: recorded target %q, want the original %q", l.path, e.Linkname, l.target)
		}
	}
	if countKind(k.s, "unsafe") != 1 {
		t.Errorf("escaping symlink not reported once: %+v", k.s.problems)
	}
	// A file written through a symlinked name replaces the link, never
	// follows it.
	e, r := reg("etc/escape", "data")
	if err := k.Add(e, r); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(work, "L0", "etc/escape"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("write through symlink: %v %v", fi, err)
	}
	noEscape(t, work)
}

func TestSinkSpecialFilesNotCreated(t *testing.T) {
	k, work := newTestSink(t, Limits{})
	for _, e := range []format.Entry{
		{Path: "dev/null", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666},
		{Path: "dev/sda", Mode: fs.ModeDevice | 0o660},
		{Path: "tmp/fifo", Mode: fs.ModeNamedPipe | 0o600},
		{Path: "bin/su", Mode: fs.ModeSetuid | 0o755},
	} {
		var r io.Reader
		if e.Mode.IsRegular() {
			r = strings.NewReader("elf")
		}
		if err := k.Add(e, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"dev/null", "dev/sda", "tmp/fifo"} {
		if _, err := os.Lstat(filepath.Join(work, "L0", p)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s created on disk: %v", p, err)
		}
		if _, ok := k.l.Entries["/"+p]; !ok {
			t.Errorf("%s not recorded", p)
		}
	}
	fi, err := os.Stat(filepath.Join(work, "L0", "bin/su"))
	if err != nil || fi.Mode()&fs.ModeSetuid != 0 {
		t.Errorf("bin/su on disk: %v %v (must exist, never setuid)", fi, err)
	}
	if k.l.Entries["/bin/su"].Mode&fs.ModeSetuid == 0 {
		t.Error("setuid bit lost from the recorded mode")
	}
}

func TestSinkHardlinks(t *testing.T) {
	k, work := newTestSink(t, Limits{})
	e, r := reg("bin/busybox", "BB")
	k.Add(e, r)
	if err := k.Add(format.Entry{Path: "bin/ls", Mode: 0o755, Hardlink: true, Linkname: "bin/busybox"}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(work, "L0", "bin/ls"))
	if err != nil || string(b) != "BB" {
		t.Errorf("hard link content %q %v", b, err)
	}
	// A hard link to a path outside the layer cannot reach it.
	k.Add(format.Entry{Path: "evil", Mode: 0o644, Hardlink: true, Linkname: "../../../../etc/passwd"}, nil)
	if _, err := os.Stat(filepath.Join(work, "L0", "evil")); err == nil {
		t.Error("hard link to a path outside the layer was created")
	}
	noEscape(t, work)
}

// TestSinkLimits: limits that leave nothing to write (scan bytes, file
// counts) stop the layer; byte budgets of the layer cut the offending
// entry short, name it, and later entries are still written.
func TestSinkLimits(t *testing.T) {
	big := func(k *layerSink) error {
		return k.Add(format.Entry{Path: "big", Mode: 0o644}, bytes.NewReader(make([]byte, 5000)))
	}
	tests := []struct {
		name string
		lim  func(*Limits)
		add  func(k *layerSink) error
		stop bool
	}{
		{"layer bytes", func(l *Limits) { l.MaxLayerBytes = 1000 }, big, false},
		{"total bytes", func(l *Limits) { l.MaxTotalBytes = 1000 }, big, true},
		{"total ratio", func(l *Limits) { l.TotalGrace = 1000; l.MaxRatio = 2 }, big, true},
		{"ratio", func(l *Limits) { l.RatioGrace = 100; l.MaxRatio = 2 }, func(k *layerSink) error {
			k.inSize = 100
			return k.Add(format.Entry{Path: "bomb", Mode: 0o644}, bytes.NewReader(make([]byte, 1000)))
		}, false},
		{"files", func(l *Limits) { l.MaxLayerFiles = 3 }, func(k *layerSink) error {
			for i := 0; ; i++ {
				if err := k.Add(format.Entry{Path: strings.Repeat("f", i+1), Mode: 0o644}, strings.NewReader("x")); err != nil {
					return err
				}
				if i > 10 {
					return nil
				}
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := DefaultLimits()
			tt.lim(&lim)
			k, work := newTestSink(t, lim)
			err := tt.add(k)
			if countKind(k.s, "limit") != 1 {
				t.Errorf("limit problem not listed once: %+v", k.s.problems)
			}
			later := k.Add(format.Entry{Path: "later", Mode: 0o644}, strings.NewReader("x"))
			if !tt.stop {
				if err != nil || later != nil {
					t.Fatalf("errors %v, %v: want the layer to go on", err, later)
				}
				if p := k.s.problems[0].Path; p == "" {
					t.Errorf("the problem does not name the entry: %+v", k.s.problems[0])
				}
				if b, err := os.ReadFile(filepath.Join(work, "L0", "later")); err != nil || string(b) != "x" {
					t.Errorf("later entry: %q %v", b, err)
				}
				if k.written > 1000 {
					t.Errorf("wrote %d bytes past the budget", k.written)
				}
				return
			}
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want ErrLimit", err)
			}
			// Further adds keep failing: the unpacker must stop.
			if !errors.Is(later, ErrLimit) {
				t.Errorf("add after limit: %v", later)
			}
		})
	}
}

func TestRelPath(t *testing.T) {
	tests := []struct{ dir, target, want string }{
		{"/bin", "/bin/busybox", "busybox"},
		{"/", "/etc", "etc"},
		{"/usr/bin", "/bin/busybox", "../../bin/busybox"},
		{"/a", "/", ".."},
		{"/a/b", "/a/b", "."},
	}
	for _, tt := range tests {
		if got := relPath(tt.dir, tt.target); got != tt.want {
			t.Errorf("relPath(%q, %q) = %q, want %q", tt.dir, tt.target, got, tt.want)
		}
	}
}

func countKind(s *Session, kind string) int {
	n := 0
	for _, p := range s.problems {
		if p.Kind == kind {
			n++
		}
	}
	return n
}

func keys(m map[string]format.Entry) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

var _ = context.Background

// TestSinkMarksIncomplete: a content that fails to read, or a problem
// reported about an entry already added, marks the entry incomplete with
// the reason; a whole file and a device keep theirs.
func TestSinkMarksIncomplete(t *testing.T) {
	k, _ := newTestSink(t, Limits{})
	bad := io.MultiReader(strings.NewReader("half"), iotestErr{errors.New("bad block 7")})
	if err := k.Add(format.Entry{Path: "cut.bin", Mode: 0o644}, bad); err != nil {
		t.Fatal(err)
	}
	e, r := reg("later.bin", "whole")
	if err := k.Add(e, r); err != nil {
		t.Fatal(err)
	}
	k.Problem("later.bin", errors.New("CRC mismatch"))
	k.Add(format.Entry{Path: "mid.bin", Mode: 0o644}, &problemReader{k: k, path: "mid.bin"})
	e, r = reg("fine.bin", "fine")
	k.Add(e, r)
	k.Add(format.Entry{Path: "dev/null", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, DevMajor: 1, DevMinor: 3}, nil)
	for p, want := range map[string]string{"/cut.bin": "bad block 7", "/later.bin": "CRC mismatch", "/mid.bin": "node 3 damaged", "/fine.bin": "", "/dev/null": ""} {
		if got := k.l.Entries[p].Incomplete; !strings.Contains(got, want) || (want == "") != (got == "") {
			t.Errorf("%s: incomplete %q, want %q", p, got, want)
		}
	}
	if e := k.l.Entries["/cut.bin"]; e.Size != 4 {
		t.Errorf("cut.bin kept %d bytes", e.Size)
	}
	if e := k.l.Entries["/dev/null"]; e.DevMajor != 1 || e.DevMinor != 3 {
		t.Errorf("dev/null: %d:%d", e.DevMajor, e.DevMinor)
	}
}

type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

// problemReader reports a problem about its own file while it is read,
// as the page-by-page readers of the flash file systems do.
type problemReader struct {
	k    *layerSink
	path string
	done bool
}

func (r *problemReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	r.done = true
	r.k.Problem(r.path, errors.New("node 3 damaged"))
	return copy(p, "zeros where node 3 was"), nil
}
