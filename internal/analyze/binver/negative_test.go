package binver

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaticMultiProduct links OpenSSL's libcrypto and zlib statically
// into one program with the host C compiler, as firmware vendors do, and
// expects both products from the one file.
func TestStaticMultiProduct(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "m.c")
	prog := `#include <openssl/crypto.h>
#include <zlib.h>
#include <stdio.h>
int main(void) { printf("%s %s\n", OpenSSL_version(OPENSSL_VERSION), zlibVersion());
  z_stream s = {0}; deflateInit(&s, 9); deflateEnd(&s); return 0; }
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "m")
	if out, err := exec.Command(cc, "-static", "-s", "-o", bin, src, "-lcrypto", "-lz", "-lpthread").CombinedOutput(); err != nil {
		t.Skipf("no static libcrypto/libz (libssl-dev, zlib1g-dev): %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	banner, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	// the program prints the versions it carries: "OpenSSL 3.0.22 25 Aug 2026 1.2.13"
	f := strings.Fields(string(banner))
	wantSSL, wantZ := f[1], f[len(f)-1]
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range cat.Scan("/usr/bin/m", data) {
		got[m.Rule.Product] = m.Version
	}
	if got["openssl"] != wantSSL || got["zlib"] != strings.TrimSuffix(wantZ, ".dfsg") {
		t.Errorf("static binary: got %v, want openssl %s and zlib %s", got, wantSSL, wantZ)
	}
}

// TestVersionNotYear: where a real binary carries a release date or a
// copyright year next to its version banner, the version wins. The rows
// are real snippets of the fixture table.
func TestVersionNotYear(t *testing.T) {
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{ // rule -> the year-like text beside its banner
		"htop": "(C) 2004-2019", "dosfstools": "(2021-01-31)", "lvm2": "(2022-05-18)",
		"e2fsprogs": "-2023", "smartmontools": " 2022-02-28", "mdadm": " - 2021-12-30",
		"bzip2": "-20", "lua": "Copyright (C) 1994-",
		"openssl": "built on: ", // the release date after the banner, then the build date
	}
	seen := map[string]bool{}
	for _, r := range readTable(t) {
		year, ok := cases[r.rule]
		if !ok || seen[r.rule] {
			continue
		}
		seen[r.rule] = true
		data, err := os.ReadFile(filepath.Join("testdata", "snippets", r.snippet))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), year) {
			t.Errorf("%s: snippet %s lacks the year text %q this test is about", r.rule, r.snippet, year)
			continue
		}
		checkRow(t, cat, r, cat.Scan(r.path, data))
	}
	for rule := range cases {
		if !seen[rule] {
			t.Errorf("no table row for %s", rule)
		}
	}
}

// TestRequirementIsNotAComponent: a library that states which version of
// another product it needs ("GnuTLS 3.3.0 or later is required", from
// libcoap's GnuTLS build) does not contain that version.
func TestRequirementIsNotAComponent(t *testing.T) {
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("\x7fELF\x01\x01\x01\x00gnutls_psk_set_server_credentials_hint\x00\x00GnuTLS 3.3.0 or later is required\n\x00\x00NORMAL:+ECDHE-PSK\x00")
	for _, m := range cat.Scan("/usr/lib/libcoap-3-gnutls.so.3", data) {
		t.Errorf("reported %s %s from a requirement message", m.Rule.Product, m.Version)
	}
}
