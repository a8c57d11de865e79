package outfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func hello(w io.Writer) error { _, err := io.WriteString(w, "report\n"); return err }

func TestKinds(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "old.json")
	if err := os.WriteFile(reg, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("old.json", link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.json")
	if err := os.Symlink("nowhere/x.json", dangling); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path  string
		kind  Kind
		final string
		usage bool
	}{
		{"-", Stdout, "", false},
		{"", Stdout, "", false},
		{"/dev/stdout", Stdout, "", false},
		{"/dev/null", Stream, "", false},
		{fifo, Stream, "", false},
		{reg, Atomic, reg, false},
		{link, Atomic, reg, false},
		{filepath.Join(dir, "new.json"), Atomic, filepath.Join(dir, "new.json"), false},
		{dir, 0, "", true},
		{filepath.Join(dir, "missing", "x.json"), 0, "", true},
		{filepath.Join(reg, "x.json"), 0, "", true},
		{dangling, 0, "", true},
	} {
		got, err := Check(c.path)
		if c.usage {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("Check(%q) = %v, want a usage error", c.path, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Check(%q): %v", c.path, err)
			continue
		}
		if got.Kind != c.kind {
			t.Errorf("Check(%q).Kind = %v, want %v", c.path, got.Kind, c.kind)
		}
		if c.final != "" {
			want, _ := filepath.EvalSymlinks(filepath.Dir(c.final))
			if got.Final != filepath.Join(want, filepath.Base(c.final)) && got.Final != c.final {
				t.Errorf("Check(%q).Final = %q, want %q", c.path, got.Final, c.final)
			}
		}
	}
}

func TestAtomicKeepsOldOnFailureAndModeOnSuccess(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("encoder failed")
	if err := Write(p, nil, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the encoder's error", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("a failed write replaced the old report: %q", b)
	}
	if err := Write(p, nil, hello); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "report\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("after write: %q mode %v", b, st.Mode())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
}

func TestSymlinkStaysALink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "target.json"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "latest.json")
	if err := os.Symlink("target.json", link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, nil, hello); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "target.json")); string(b) != "report\n" {
		t.Fatalf("target = %q", b)
	}
}

func TestStdout(t *testing.T) {
	for _, p := range []string{"-", "/dev/stdout"} {
		var buf bytes.Buffer
		if err := Write(p, &buf, hello); err != nil {
			t.Fatal(err)
		}
		if buf.String() != "report\n" {
			t.Errorf("%s: stdout got %q", p, buf.String())
		}
	}
}

func TestFIFOStreamed(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if err := Write(fifo, nil, hello); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "report\n" {
		t.Fatalf("reader got %q", s)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", st.Mode(), err)
	}
}

// TestDeviceNodeNotReplaced writes to /dev/null and to a throw-away null
// device made in a temporary directory: both must still be character
// devices afterwards. As root a rename over /dev/null would succeed, so
// this is the case that matters in CI containers.
func TestDeviceNodeNotReplaced(t *testing.T) {
	paths := []string{"/dev/null"}
	dev := filepath.Join(t.TempDir(), "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err == nil {
		paths = append(paths, dev)
	} else {
		t.Logf("mknod: %v (not root, or nodev): checking /dev/null only", err)
	}
	for _, p := range paths {
		if err := Write(p, nil, hello); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("%s is no longer a character device: %v %v", p, st.Mode(), err)
		}
	}
}

func TestWriteFileCopies(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	if err := os.WriteFile(src, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out.db")
	if err := WriteFile(dst, nil, src); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "bundle" {
		t.Fatalf("copy = %q", b)
	}
}
