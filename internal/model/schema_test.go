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
