package squashfs

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/unpack/format/formattest"
)

// lsMode renders a mode the way ls and unsquashfs -ll do.
func lsMode(m fs.FileMode) string {
	t := "-"
	switch {
	case m&fs.ModeDir != 0:
		t = "d"
	case m&fs.ModeSymlink != 0:
		t = "l"
	case m&fs.ModeCharDevice != 0:
		t = "c"
	case m&fs.ModeDevice != 0:
		t = "b"
	case m&fs.ModeNamedPipe != 0:
		t = "p"
	case m&fs.ModeSocket != 0:
		t = "s"
	}
	b := []byte(t + "rwxrwxrwx")
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	special := func(bit fs.FileMode, pos int, c byte) {
		if m&bit != 0 {
			if b[pos] == '-' {
				b[pos] = c - 'a' + 'A'
			} else {
				b[pos] = c
			}
		}
	}
	special(fs.ModeSetuid, 3, 's')
	special(fs.ModeSetgid, 6, 's')
	special(fs.ModeSticky, 9, 't')
	return string(b)
}

var llLine = regexp.MustCompile(`^(\S+) (\d+)/(\d+) +(\d+|\d+, +\d+) \d{4}-\d\d-\d\d \d\d:\d\d squashfs-root(/.*)$`)

// TestAgainstUnsquashfs compares our listing with unsquashfs -lln on the
// images stock unsquashfs reads (v4 little endian, v3 little endian).
func TestAgainstUnsquashfs(t *testing.T) {
	if _, err := exec.LookPath("unsquashfs"); err != nil {
		t.Skip("unsquashfs not installed")
	}
	images, _ := filepath.Glob("testdata/*.sqfs")
	dir := formattest.SharedRoot()
	for _, n := range []string{"gzip.sqfs", "lz4.sqfs", "lzma.sqfs", "lzo.sqfs", "xz.sqfs", "zstd.sqfs", "avm_le.sqfs4", "zlib_le.sqfs3"} {
		p := filepath.Join(dir, "corpus", "formats", "squashfs", n)
		if _, err := os.Stat(p); err == nil {
			images = append(images, p)
		}
	}
	for _, img := range images {
		out, err := exec.Command("unsquashfs", "-lln", img).Output()
		if err != nil {
			t.Errorf("%s: unsquashfs: %v", img, err)
			continue
		}
		var want []string
		for _, l := range strings.Split(string(out), "\n") {
			m := llLine.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			size := m[4]
			switch m[1][0] {
			case '-':
			case 'c', 'b': // "major, minor"
				size = strings.ReplaceAll(size, " ", "")
			default:
				size = ""
			}
			want = append(want, strings.Join([]string{m[1], m[2], m[3], size, m[5]}, " "))
		}
		if len(want) < 2 {
			t.Errorf("%s: unsquashfs listed %d entries", img, len(want))
		}
		data, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := formattest.Extract(t, New(), data)
		var got []string
		for _, p := range s.Paths() {
			f := s.Get(p)
			e := f.Entry
			size := ""
			if f.Hardlink {
				first := s.Get(f.Linkname)
				e.Mode = first.Mode
				size = strconv.Itoa(len(first.Data))
			} else if e.Mode.IsRegular() {
				size = strconv.Itoa(len(f.Data))
			} else if e.Mode&fs.ModeDevice != 0 {
				size = fmt.Sprintf("%d,%d", e.DevMajor, e.DevMinor)
			}
			name := p
			if e.Mode&fs.ModeSymlink != 0 {
				name += " -> " + e.Linkname
			}
			got = append(got, strings.Join([]string{lsMode(e.Mode), strconv.Itoa(e.UID), strconv.Itoa(e.GID), size, name}, " "))
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\ngot:\n%s\nunsquashfs:\n%s", img, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestContentAgainstUnsquashfs compares every fixture, file by file, with
// what unsquashfs extracts (contents, modes incl. setuid, symlinks).
func TestContentAgainstUnsquashfs(t *testing.T) {
	images, _ := filepath.Glob("testdata/*.sqfs")
	for _, img := range images {
		t.Run(filepath.Base(img), func(t *testing.T) {
			abs, _ := filepath.Abs(img)
			ref := formattest.Reference(t, "unsquashfs", "-q", "-n", "-f", "-d", "{}/root", abs)
			s, _ := formattest.Extract(t, New(), formattest.Testdata(t, filepath.Base(img)))
			formattest.CompareTree(t, s, filepath.Join(ref, "root"), formattest.CompareOptions{Perm: true, Special: true})
		})
	}
}
