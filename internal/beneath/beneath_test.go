package beneath

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// tree makes a directory tree with links that stay inside and links that
// lead out, and a file outside it.
func tree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	outside = filepath.Join(base, "secret")
	must(t, os.WriteFile(outside, []byte("outside"), 0o644))
	for _, d := range []string{"etc", "usr/lib/deep", "bin"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(root, "etc/shadow"), []byte("root:x:0:0"), 0o600))
	must(t, os.WriteFile(filepath.Join(root, "usr/lib/deep/libz.so"), []byte("\x7fELF lib"), 0o644))
	must(t, os.Symlink("../usr/lib/deep/libz.so", filepath.Join(root, "bin/inside"))) // file link, stays in
	must(t, os.Symlink("usr/lib", filepath.Join(root, "lib")))                        // directory link, stays in
	must(t, os.Symlink(outside, filepath.Join(root, "bin/abs-out")))                  // absolute, leads out
	must(t, os.Symlink("../../secret", filepath.Join(root, "bin/rel-out")))           // relative, leads out
	must(t, os.Symlink(filepath.Dir(outside), filepath.Join(root, "up")))             // directory leading out
	must(t, os.Symlink("/etc", filepath.Join(root, "hostetc")))                       // the host's /etc
	return root, outside
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSameAsOSRoot opens every kind of path both ways: the outcome (the
// bytes read, or an error) is os.Root's, and nothing outside is reached.
func TestSameAsOSRoot(t *testing.T) {
	root, _ := tree(t)
	r, err := Open(root)
	must(t, err)
	defer r.Close()
	ref, err := os.OpenRoot(root)
	must(t, err)
	defer ref.Close()
	for _, c := range []struct {
		name string
		want string // content, or "" for an error
	}{
		{"etc/shadow", "root:x:0:0"},
		{"usr/lib/deep/libz.so", "\x7fELF lib"},
		{"./usr/lib/../lib/deep/libz.so", "\x7fELF lib"},
		{"bin/inside", "\x7fELF lib"},
		{"lib/deep/libz.so", "\x7fELF lib"},
		{"bin/abs-out", ""},
		{"bin/rel-out", ""},
		{"up/secret", ""},
		{"hostetc/passwd", ""},
		{"../secret", ""},
		{"usr/../../secret", ""},
		{"/etc/passwd", ""},
		{"etc/missing", ""},
		{"etc/shadow/x", ""},
	} {
		got, gerr := read(r.Open(c.name))
		want, werr := read(ref.Open(c.name))
		if (gerr == nil) != (werr == nil) || got != want {
			t.Errorf("%s: got %q, %v; os.Root gives %q, %v", c.name, got, gerr, want, werr)
		}
		if got != c.want {
			t.Errorf("%s: read %q, want %q (err %v)", c.name, got, c.want, gerr)
		}
		if werr != nil && gerr != nil && gerr.Error() != werr.Error() {
			t.Errorf("%s: error %q, os.Root's %q", c.name, gerr, werr)
		}
	}
	if _, err := r.Open("etc/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want not exist", err)
	}
}

func read(f *os.File, err error) (string, error) {
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

// TestOneCall checks that a plain path takes the one-call route on Linux
// and that links and escapes never do.
func TestOneCall(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("openat2 is Linux's")
	}
	root, _ := tree(t)
	r, err := Open(root)
	must(t, err)
	defer r.Close()
	f, ok := r.fast.open("usr/lib/deep/libz.so")
	if noOpenat2.Load() {
		t.Skip("this kernel or its seccomp filter refuses openat2")
	}
	if !ok {
		t.Fatal("a plain path was not opened in one call")
	}
	f.Close()
	for _, p := range []string{"bin/inside", "lib/deep/libz.so", "bin/abs-out", "bin/rel-out", "up/secret", "../secret", "/etc/passwd"} {
		if f, ok := r.fast.open(p); ok {
			f.Close()
			t.Errorf("%s: opened in one call; only plain paths inside may be", p)
		}
	}
}
