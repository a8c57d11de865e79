package binver

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
)

// TestDocumentsAreNotComponents: documents, man pages, scripts and
// message catalogs that name a product and a version give no component.
// The files are real (Debian man pages, NEWS files, README, gettext
// catalog) or small hand-written ones of the same kind (a build README, a
// shell script echoing banners, a Latin-1 changelog, which the file typer
// calls data). Each row says which rules the bytes would satisfy if they
// were fingerprinted as a binary, so the row proves the gate, not a rule
// that happens not to match. Compressed files are given to the analyzer
// as the engine does: the .gz itself and its decompressed stream.
func TestDocumentsAreNotComponents(t *testing.T) {
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	a := NewWith(cat)
	cases := []struct {
		file, path string
		raw        string // rule ids the raw bytes match, sorted
	}{
		{"README", "/usr/share/doc/app/README", "busybox nginx wolfssl"},
		{"probe.sh", "/usr/bin/probe.sh", "busybox dropbear"},
		{"changelog.latin1", "/usr/share/doc/app/changelog", "busybox nginx wolfssl"},
		{"gawk-README", "/usr/share/doc/gawk/README", "gawk"},
		{"dosfstools-NEWS.gz", "/usr/share/doc/dosfstools/NEWS.gz", "dosfstools"},
		{"libarchive-NEWS.gz", "/usr/share/doc/libarchive-tools/NEWS.gz", "libarchive"},
		{"u-boot-tools-config.gz", "/usr/share/doc/u-boot-tools/config.gz", "u-boot"},
		{"gopher_types_help.html.gz", "/usr/share/doc/lynx-common/gopher_types_help.html.gz", "linux-banner"},
		{"uuid_clear.3.gz", "/usr/share/man/man3/uuid_clear.3.gz", "util-linux-bin"},
		{"busybox.1.gz", "/usr/share/man/man1/busybox.1.gz", ""},
		{"openssl-cmds.1ssl.gz", "/usr/share/man/man1/openssl-cmds.1ssl.gz", ""},
		{"openssl-version.1ssl.gz", "/usr/share/man/man1/openssl-version.1ssl.gz", ""},
		{"procps-ng.zh_CN.mo", "/usr/share/locale/zh_CN/LC_MESSAGES/procps-ng.mo", "procps-ng"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "negative", c.file))
			if err != nil {
				t.Fatal(err)
			}
			inputs := map[string][]byte{c.path: data}
			if strings.HasSuffix(c.file, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				plain, err := io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
				inputs[strings.TrimSuffix(c.path, ".gz")] = plain
				data = plain
			}
			var raw []string
			for _, m := range cat.Scan(c.path, data) {
				raw = append(raw, m.Rule.ID)
			}
			sort.Strings(raw)
			if got := strings.Join(raw, " "); got != c.raw {
				t.Errorf("as raw bytes the file matches %q, want %q", got, c.raw)
			}
			for p, b := range inputs {
				head := b[:min(len(b), filetype.HeadSize)]
				fi := plugin.FileInfo{Path: p, Size: int64(len(b)), Type: filetype.Detect(p, head, int64(len(b))), Head: head}
				if !a.FileRequired(&fi) {
					continue
				}
				var out plugin.Results
				if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: b, R: bytes.NewReader(b)}, &out); err != nil {
					t.Fatal(err)
				}
				for _, comp := range out.Components {
					t.Errorf("%s (type %s): component %s %s", p, fi.Type.Type, comp.Name, comp.Version)
				}
			}
		})
	}
}

// countingReader serves a file of size bytes: head, then zeros, with tail
// at its end; it counts the bytes read.
type countingReader struct {
	head, tail []byte
	size, read int64
	calls      int
}

func (r *countingReader) ReadAt(p []byte, off int64) (int, error) {
	r.calls++
	n := 0
	for ; n < len(p) && off+int64(n) < r.size; n++ {
		o := off + int64(n)
		switch {
		case o < int64(len(r.head)):
			p[n] = r.head[o]
		case o >= r.size-int64(len(r.tail)):
			p[n] = r.tail[o-(r.size-int64(len(r.tail)))]
		default:
			p[n] = 0
		}
	}
	r.read += int64(n)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestHugeBinaryPrefix: a binary too large to be held in memory is
// fingerprinted from its first megabytes, read once; a banner beyond them
// is not looked for.
func TestHugeBinaryPrefix(t *testing.T) {
	snippet, err := os.ReadFile(filepath.Join("testdata", "snippets", "busybox_amd64.bin"))
	if err != nil {
		t.Fatal(err)
	}
	zlib := []byte("\x00deflate 1.2.13 Copyright 1995-2022 Jean-loup Gailly and Mark Adler \x00")
	whole := 0
	for _, m := range mustDefault(t).Scan("/bin/busybox", append(append([]byte{}, snippet...), zlib...)) {
		if m.Rule.ID == "zlib" || m.Rule.ID == "busybox" {
			whole++
		}
	}
	if whole != 2 {
		t.Fatal("the banners are not found in a small file")
	}
	r := &countingReader{head: snippet, tail: zlib, size: 80 << 20}
	head := snippet[:min(len(snippet), filetype.HeadSize)]
	in := &plugin.Input{FileInfo: plugin.FileInfo{Path: "/bin/busybox", Size: r.size, Type: filetype.Result{Type: filetype.ELF}, Head: head}, R: r}
	a := NewWith(mustDefault(t))
	if !a.FileRequired(&in.FileInfo) {
		t.Fatal("huge ELF not required")
	}
	var out plugin.Results
	if err := a.Analyze(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range out.Components {
		got = append(got, c.Name+" "+c.Version)
	}
	if strings.Join(got, ",") != "busybox 1.35.0" {
		t.Errorf("components %v, want busybox 1.35.0 only (zlib lies beyond the prefix)", got)
	}
	if len(out.Skipped) != 1 || !strings.Contains(out.Skipped[0].Reason, "first 16777216 bytes") {
		t.Errorf("skips %+v, want one saying what was read", out.Skipped)
	}
	if r.read != hugePrefix || r.calls != 1 {
		t.Errorf("read %d bytes in %d calls, want the %d-byte prefix once", r.read, r.calls, hugePrefix)
	}
}

func mustDefault(t *testing.T) *Catalog {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
