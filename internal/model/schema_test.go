package model

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite schema/report.schema.json")

const schemaFile = "../../schema/report.schema.json"

// TestSchemaUpToDate keeps the published schema equal to the Go types.
func TestSchemaUpToDate(t *testing.T) {
	got, err := JSONSchema(".")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/model -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run go test ./internal/model -update", schemaFile)
	}
}

func TestFingerprintIgnoresOffsets(t *testing.T) {
	a := Fingerprint("TS-CRED-001", "/etc/shadow", "root")
	if a != Fingerprint("TS-CRED-001", "/etc/shadow", "root") {
		t.Fatal("fingerprint not deterministic")
	}
	for _, other := range []string{
		Fingerprint("TS-CRED-002", "/etc/shadow", "root"),
		Fingerprint("TS-CRED-001", "/etc/passwd", "root"),
		Fingerprint("TS-CRED-001", "/etc/shadow", "admin"),
	} {
		if other == a {
			t.Fatal("fingerprints of different findings collide")
		}
	}
}

// TestFingerprintAcrossReleases: what a release changes in a path (the
// version of a library, of the kernel, of the image) does not change the
// fingerprint; what names another file does.
func TestFingerprintAcrossReleases(t *testing.T) {
	same := [][2]string{
		{"/usr/lib/libgnutls.so.30.34.3", "/usr/lib/libgnutls.so.30.36.0"},
		{"/lib/modules/6.1.0-50-4kc-malta/kernel/x.ko", "/lib/modules/6.1.0-51-4kc-malta/kernel/x.ko"},
		{"/lib/modules/5.10.176/kernel/x.ko", "/lib/modules/6.1.55/kernel/x.ko"},
		{"/acme-hg100-1.0.0.bin", "/acme-hg100-1.1.0.bin"},
		{"/usr/lib/pppd/2.4.9/pppoe.so", "/usr/lib/pppd/2.5.0/pppoe.so"},
		{"/lib/libc-2.36-9.so", "/lib/libc-2.37-1.so"},
	}
	for _, p := range same {
		if Fingerprint("TS-HARD-001", p[0], "") != Fingerprint("TS-HARD-001", p[1], "") {
			t.Errorf("%s and %s: fingerprints differ", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"/usr/sbin/acme-upd", "/usr/sbin/acme-meshd"},
		{"/lib/libz.so.1", "/lib/libz.so.2"},
		{"/etc/init.d/S30firewall", "/etc/init.d/S99debug"},
		{"/usr/lib/libcrypto.so.1.1", "/usr/lib/libssl.so.1.1"},
	}
	for _, p := range differ {
		if Fingerprint("TS-HARD-001", p[0], "") == Fingerprint("TS-HARD-001", p[1], "") {
			t.Errorf("%s and %s: fingerprints are equal", p[0], p[1])
		}
	}
}

func TestSeverityRank(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"critical", 6, true}, {"HIGH", 5, true}, {" medium ", 4, true}, {"low", 3, true}, {"unknown", 2, true}, {"info", 1, true}, {"severe", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		s, ok := ParseSeverity(tt.in)
		if ok != tt.ok || s.Rank() != tt.want {
			t.Errorf("ParseSeverity(%q) = %q,%v rank %d; want rank %d ok %v", tt.in, s, ok, s.Rank(), tt.want, tt.ok)
		}
	}
}
