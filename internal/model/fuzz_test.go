package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeReport: any input is read or refused with an error, never a
// panic or a hang (layer parent cycles included), and what is read can be
// written again.
func FuzzDecodeReport(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema_version":"1.0","layers":[{"id":"L0","parent":"L1"},{"id":"L1","parent":"L0"}],"findings":[{"location":{"layer":"L1"}}],` +
		`"vulnerabilities":[{"id":"GHSA-x","matched_by":"osv Go x version","published":"2022-04-03T21:15:08.207","kev":{"date_added":"2022-04-25"}}]}`))
	f.Add([]byte(`{"schema_version":"2.1.0","vulnerabilities":[{"matched_by":{"method":"purl"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := DecodeReport(b)
		if err != nil {
			return
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("read but cannot be written: %v", err)
		}
	})
}
