package openvex

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// FuzzEncode: any report with vulnerabilities that reads gives a document
// valid against the OpenVEX schema, whatever its analyses say.
func FuzzEncode(f *testing.F) {
	rich, err := json.Marshal(reporttest.RichVEX())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rich)
	f.Add([]byte(`{"schema_version":"2.0.0","started_at":"2026-01-01T00:00:00Z","vulnerabilities":[{"id":"x","component":"c"},{"id":"x","component":"c"},` +
		`{"id":"y","analysis":{"state":"not_affected","justification":"nope"}},{"id":"z","url":"not a url","analysis":{"state":"weird"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := model.DecodeReport(b)
		if err != nil || len(rep.Vulnerabilities) == 0 {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, rep); err != nil {
			t.Fatal(err)
		}
		if err := check(buf.Bytes()); err != nil {
			t.Fatalf("%v\n%s", err, buf.Bytes())
		}
	})
}
