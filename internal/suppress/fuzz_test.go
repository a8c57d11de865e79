package suppress

import (
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("suppressions:\n  - rule: TS-KEY-014\n    path: etc/**\n    reason: r\n    author: a\n    expires: 2026-06-30\n"))
	f.Add([]byte("suppressions:\n  - vulnerability: CVE-1\n    component: pkg:opkg/busybox\n    reason: r\n    author: a\n"))
	f.Add([]byte("suppressions: [{path: '[', reason: r, author: a}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.yaml", data)
		if err != nil {
			return
		}
		rep := report()
		_, _ = file.Apply(rep, time.Now())
		for _, fd := range rep.Findings {
			if fd.Suppressed != nil && (fd.Suppressed.Reason == "" || fd.Suppressed.Author == "") {
				t.Fatalf("suppressed without reason or author: %+v", fd.Suppressed)
			}
		}
	})
}
