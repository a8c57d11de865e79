package binver

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// TestMentionsAreNotComponents: documentation, scripts, man pages and
// configs that name a product and version are not that product.
func TestMentionsAreNotComponents(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mention := "This system runs BusyBox v1.35.0, OpenSSH_9.2p1, dnsmasq-2.90, lighttpd/1.4.69,\n" +
		"nginx/1.22.1, hostapd v2.10, Linux version 6.1.0-50-4kc-malta (x) #1 SMP Debian 6.1.176-1 (2026),\n" +
		"OpenSSL 3.0.20 25 Jan 2025, libcurl/7.88.1, SSH-2.0-dropbear_2022.83 and Lua 5.1.5  Copyright.\n" +
		"Also Apache/2.4.71, unbound 1.17.1, postgres (PostgreSQL) 15.20, X-Powered-By: PHP/8.2.36,\n" +
		"FFmpeg version 5.1.9, GNU Awk 5.2.1, Keepalived v2.2.7, ProFTPD Version 1.3.8 and <!-- GDBus 2.74.6 -->.\n"
	for _, name := range []string{
		"/usr/share/doc/busybox/README", "/usr/share/man/man1/ssh.1", "/etc/init.d/dnsmasq",
		"/www/cgi-bin/status.lua", "/etc/banner", "/usr/share/man/man8/sshd.8.gz", "/sbin/fw-update.sh",
	} {
		data := []byte(mention)
		if filepath.Ext(name) == ".sh" {
			data = append([]byte("#!/bin/sh\n# "), data...)
		}
		if filepath.Ext(name) == ".gz" {
			// a real gzip'd man page, as man-db installs them
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(data)
			zw.Close()
			data = b.Bytes()
		}
		fi := plugin.FileInfo{Path: name, Size: int64(len(data)), Type: filetype.Detect(name, data, int64(len(data))), Head: data}
		if a.FileRequired(&fi) {
			var out plugin.Results
			if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: data}, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Components) > 0 {
				t.Errorf("%s (%s): reported %s %s from a mere mention", name, fi.Type.Type, out.Components[0].Name, out.Components[0].Version)
			}
		}
	}
}

// TestAnalyzerOnSnippet runs the FileAnalyzer end to end on a real
// snippet: component, purl, CPE and evidence.
func TestAnalyzerOnSnippet(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/snippets/dnsmasq_mipsel.bin")
	if err != nil {
		t.Fatal(err)
	}
	fi := plugin.FileInfo{Path: "/usr/sbin/dnsmasq", Size: int64(len(data)), Type: filetype.Result{Type: filetype.ELF}}
	if !a.FileRequired(&fi) {
		t.Fatal("ELF not required")
	}
	var out plugin.Results
	if err := a.Analyze(context.Background(), &plugin.Input{FileInfo: fi, Data: data}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Components) != 1 {
		t.Fatalf("%d components", len(out.Components))
	}
	c := out.Components[0]
	if c.Name != "dnsmasq" || c.Version != "2.90" || c.PURL != "pkg:generic/dnsmasq@2.90" ||
		len(c.CPEs) != 1 || c.CPEs[0] != "cpe:2.3:a:thekelleys:dnsmasq:2.90:*:*:*:*:*:*:*" ||
		c.Evidence[0].Kind != Kind || c.Evidence[0].Match != "dnsmasq-2.90" {
		t.Errorf("got %+v", c)
	}
}

func TestCPE(t *testing.T) {
	for _, tt := range []struct{ part, vp, v, want string }{
		{"a", "openbsd:openssh", "9.2p1", "cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*"},
		{"a", "dropbear_ssh_project:dropbear_ssh", "2022.83", "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2022.83:*:*:*:*:*:*:*"},
		{"o", "linux:linux_kernel", "6.1.176", "cpe:2.3:o:linux:linux_kernel:6.1.176:*:*:*:*:*:*:*"},
		{"a", "haxx:libcurl", "7.88.1+x", `cpe:2.3:a:haxx:libcurl:7.88.1\+x:*:*:*:*:*:*:*`},
		{"a", "", "1", ""},
	} {
		if got := CPE(tt.part, tt.vp, tt.v); got != tt.want {
			t.Errorf("CPE(%s, %s) = %s, want %s", tt.vp, tt.v, got, tt.want)
		}
	}
}

func TestRequiredProducts(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range c.Rules {
		have[r.CPE] = true
	}
	for _, vp := range []string{"thekelleys:dnsmasq", "dropbear_ssh_project:dropbear_ssh", "haxx:curl", "haxx:libcurl", "openssl:openssl", "busybox:busybox", "linux:linux_kernel"} {
		if !have[vp] {
			t.Errorf("no rule with CPE %s", vp)
		}
	}
}

func FuzzScan(f *testing.F) {
	c, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("/bin/busybox", []byte("BusyBox v1.35.0 (Debian)"))
	f.Add("/lib/modules/6.1.0/modules.order", []byte{})
	f.Fuzz(func(t *testing.T, p string, data []byte) {
		for _, m := range c.Scan(p, data) {
			if m.Version == "" {
				t.Fatalf("empty version from %s", m.Rule.ID)
			}
		}
	})
}

// TestPathEvidenceIsWeaker: a version read from a file name says it is a
// weaker hint than a version string read from the file's bytes.
func TestPathEvidenceIsWeaker(t *testing.T) {
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	p := "/usr/lib/x86_64-linux-gnu/libxml2.so.2.9.14"
	ms := cat.ScanPath(p)
	if len(ms) != 1 {
		t.Fatalf("%d matches", len(ms))
	}
	c := ms[0].Component(model.Location{Path: p})
	if c.Version != "2.9.14" || c.Evidence[0].Confidence != PathConfidence || c.Evidence[0].Match != p {
		t.Errorf("path match %+v", c)
	}
	data, err := os.ReadFile("testdata/snippets/dnsmasq_mipsel.bin")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cat.Scan("/usr/sbin/dnsmasq", data) {
		if c := m.Component(model.Location{Path: "/usr/sbin/dnsmasq"}); c.Evidence[0].Confidence != 0 {
			t.Errorf("content match %+v", c)
		}
	}
}
