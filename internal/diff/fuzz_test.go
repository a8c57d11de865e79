package diff

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

// FuzzCompare: a saved report is input like any other; whatever two of
// them hold (layer cycles, repeated ids, missing parents, empty
// fingerprints), reading and comparing them neither panics nor hangs,
// and a report compared with itself shows no change.
func FuzzCompare(f *testing.F) {
	f.Add([]byte(`{"schema_version":"1.0.0","layers":[{"id":"L0"},{"id":"L1","parent":"L0","format":"squashfs"},{"id":"L0","parent":"L1"}],
		"files":[{"layer":"L1","path":"/a","sha256":"1"}],"findings":[{"fingerprint":"x","location":{"layer":"L1","path":"/a"}}]}`),
		[]byte(`{"schema_version":"1.2.0","layers":[{"id":"L1","parent":"L1"}],"components":[{"ref":"pkg:","purl":"pkg:@/@?#","name":"a"}]}`))
	f.Add([]byte(`{"schema_version":"1.0.0","components":[{"ref":"pkg:deb/x@1:2-3","purl":"pkg:deb/x@1:2-3"},{"ref":"pkg:deb/x@%zz","purl":"pkg:deb/x@%zz"}],
		"vulnerabilities":[{"id":"CVE-1","component":"nope"}],"binaries":[{"layer":"","path":"/k","kernel":{"options":{"X":"y"}}}]}`),
		[]byte(`{"schema_version":"1.0.0","components":[{"ref":"pkg:deb/x@1:2-4","purl":"pkg:deb/x@1:2-4"}],"services":[{"name":"s"},{"name":"s"}]}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ra, err := readReport(bytes.NewReader(a))
		if err != nil {
			return
		}
		rb, err := readReport(bytes.NewReader(b))
		if err != nil {
			return
		}
		d := Compare(ra, rb)
		if _, err := json.Marshal(d); err != nil {
			t.Fatal(err)
		}
		self := Compare(ra, ra)
		if s := self.Summary; s.FindingsNew+s.FindingsFixed+s.FindingsChanged+s.ComponentsAdded+s.ComponentsRemoved+s.ComponentsUpgraded+
			s.ComponentsDowngraded+s.ComponentsChanged+s.FilesAdded+s.FilesRemoved+s.FilesChanged+s.LayersAdded+s.LayersRemoved+
			s.HardeningRegressions+s.HardeningImprovements+s.VulnerabilitiesIntroduced+s.VulnerabilitiesFixed != 0 {
			t.Fatalf("a report differs from itself: %+v", s)
		}
		_ = NewAtOrAbove(d, model.Info).Reason()
	})
}
