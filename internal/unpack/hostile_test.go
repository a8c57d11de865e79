package unpack_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// hostile runs a session with limits on a crafted image and checks the
// invariants every hostile input must keep: the scan finishes, a problem
// of the given kind is listed, nothing is written outside the work dir.
func hostile(t *testing.T, name string, image []byte, lim unpack.Limits, kind string) *unpack.Session {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, name)
	if err := os.WriteFile(img, image, 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	s, err := unpack.NewSession(unpack.Options{WorkDir: work, Limits: lim, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddFile(img); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range s.Problems() {
		if p.Kind == kind {
			found = true
		}
	}
	if !found {
		t.Errorf("no %q problem listed; problems: %+v", kind, s.Problems())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != name && e.Name() != "work" {
			t.Errorf("written outside the work dir: %s", e.Name())
		}
	}
	for _, p := range []string{"/tmp/evil", "/etc/evil", filepath.Join(dir, "evil")} {
		if _, err := os.Lstat(p); err == nil && !strings.HasPrefix(p, work) {
			t.Errorf("%s exists", p)
		}
	}
	return s
}

func need(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if !registered(n) {
			t.Skipf("no %s unpacker registered yet", n)
		}
	}
}

func TestHostileTarTraversal(t *testing.T) {
	need(t, "tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "../../../../tmp/evil", Mode: 0o644, Size: 4, Typeflag: tar.TypeReg},
		{Name: "/etc/evil", Mode: 0o644, Size: 4, Typeflag: tar.TypeReg},
		{Name: "link", Linkname: "../../../../../", Typeflag: tar.TypeSymlink},
		{Name: "link/evil", Mode: 0o644, Size: 4, Typeflag: tar.TypeReg},
		{Name: "loop", Linkname: "loop", Typeflag: tar.TypeSymlink},
		{Name: "hard", Linkname: "../../../etc/passwd", Typeflag: tar.TypeLink},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("evil"))
		}
	}
	tw.Close()
	hostile(t, "evil.tar", buf.Bytes(), unpack.DefaultLimits(), "unsafe")
}

func TestHostileZipTraversal(t *testing.T) {
	need(t, "zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range []string{"../../../../tmp/evil", "/etc/evil", "ok/file"} {
		w, _ := zw.Create(n)
		w.Write([]byte("evil"))
	}
	zw.Close()
	hostile(t, "evil.zip", buf.Bytes(), unpack.DefaultLimits(), "unsafe")
}

// gzipBomb is n concatenated gzip members of 100 MiB of zeros each: a
// few hundred KiB per GiB of output.
func gzipBomb(t *testing.T, members int) []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for i := 0; i < 100; i++ {
		zw.Write(zero)
	}
	zw.Close()
	return bytes.Repeat(member.Bytes(), members)
}

// TestHostileGzipBomb: 10 GB of output from ~10 MB; the ratio limit
// stops it, the rest of the image is still unpacked, memory stays low.
func TestHostileGzipBomb(t *testing.T) {
	need(t, "gzip", "tar")
	if testing.Short() {
		t.Skip("-short")
	}
	bomb := gzipBomb(t, 100) // 100 x 100 MiB = 10 GiB
	var tbuf bytes.Buffer
	tw := tar.NewWriter(&tbuf)
	tw.WriteHeader(&tar.Header{Name: "after-the-bomb.txt", Mode: 0o644, Size: 5, Typeflag: tar.TypeReg})
	tw.Write([]byte("hello"))
	tw.Close()
	image := append(append(bomb, make([]byte, 4096)...), tbuf.Bytes()...)
	lim := unpack.DefaultLimits()
	lim.MaxRatio = 20 // the default (250) would let it write 2.5 GB first
	before := peakRSS()
	s := hostile(t, "bomb.bin", image, lim, "limit")
	var tarOK bool
	for _, l := range s.Layers() {
		if l.Format == "tar" {
			_, tarOK = l.Entries["/after-the-bomb.txt"]
		}
		if l.Bytes > int64(len(bomb))*21 {
			t.Errorf("layer %s wrote %d bytes past the ratio limit", l.ID, l.Bytes)
		}
	}
	if !tarOK {
		t.Error("the tar after the bomb was not unpacked")
	}
	if after := peakRSS(); after > 512<<20 {
		t.Errorf("peak RSS %d MiB (before %d MiB), want < 512 MiB", after>>20, before>>20)
	}
}

func TestHostileZipBomb(t *testing.T) {
	need(t, "zip")
	if testing.Short() {
		t.Skip("-short")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("zeros")
	zero := make([]byte, 1<<20)
	n := 1024 // 1 GiB
	if formattest.Race {
		n = 256 // compressing it is most of the cost, and 8x slower under -race
	}
	for i := 0; i < n; i++ {
		w.Write(zero)
	}
	zw.Close()
	lim := unpack.DefaultLimits()
	lim.MaxRatio = 20
	hostile(t, "bomb.zip", buf.Bytes(), lim, "limit")
	if rss := peakRSS(); rss > 512<<20 {
		t.Errorf("peak RSS %d MiB, want < 512 MiB", rss>>20)
	}
}

// TestHostileTruncatedAndFlipped cuts and flips every fixture of every
// unpacker's testdata: the session must finish without panicking.
func TestHostileTruncatedAndFlipped(t *testing.T) {
	files, _ := filepath.Glob("*/testdata/*")
	if len(files) == 0 {
		t.Skip("no unpacker fixtures")
	}
	n := 0
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || !st.Mode().IsRegular() || st.Size() > 256<<10 || st.Size() < 64 {
			continue
		}
		data, _ := os.ReadFile(f)
		variants := map[string][]byte{
			"half":  data[:len(data)/2],
			"head":  data[:64],
			"flip":  flip(data, 7),
			"flip2": flip(data, 131),
		}
		for v, b := range variants {
			lim := unpack.DefaultLimits()
			lim.MaxLayerBytes = 64 << 20
			dir := t.TempDir()
			img := filepath.Join(dir, "img")
			os.WriteFile(img, b, 0o644)
			s, err := unpack.NewSession(unpack.Options{WorkDir: dir, Limits: lim, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			s.AddFile(img)
			if err := s.Run(t.Context()); err != nil {
				t.Errorf("%s (%s): %v", f, v, err)
			}
			s.Close()
			n++
		}
	}
	t.Logf("%d damaged variants unpacked", n)
}

func flip(b []byte, every int) []byte {
	c := append([]byte(nil), b...)
	for i := every / 2; i < len(c); i += every {
		c[i] ^= 0x5a
	}
	return c
}

// peakRSS is the process's high-water resident set (VmHWM), or the Go
// heap when /proc is unavailable.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				var kb int64
				for _, f := range strings.Fields(line)[1:2] {
					for _, c := range f {
						kb = kb*10 + int64(c-'0')
					}
				}
				return kb << 10
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.Sys)
}

var _ = io.EOF
