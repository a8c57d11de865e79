package privdata

import (
	"os"
	"testing"
)

// FuzzSniffers: no input makes the CSV, JSON, XML, log or SQLite readers
// panic, and no finding ever quotes the input.
func FuzzSniffers(f *testing.F) {
	for _, s := range []string{
		"mac,email\n00:11:22:33:44:55,a@example.com\n00:11:22:33:44:56,b@example.com\n",
		`[{"email":"a@example.com","phone":"+1 202 555 0144"},{"email":"b@example.com","phone":"+44 20 7946 0018"}]`,
		`<a><b e="a@example.com"/><b e="b@example.com"/></a>`,
		"lat=48.85837 lon=2.29448\n",
		`{"x":{"a":{"lat":1.12345,"lon":2.12345},"b":{"lat":1.12346,"lon":2.12346}}}`,
	} {
		f.Add(s, uint8(0))
	}
	if b, err := os.ReadFile("testdata/portal.db"); err == nil {
		f.Add(string(b), uint8(4))
	}
	paths := []string{"/d/x.csv", "/d/x.json", "/d/x.xml", "/var/log/x.log", "/d/x.db", "/d/x.tsv"}
	f.Fuzz(func(t *testing.T, data string, which uint8) {
		out := analyze(t, paths[int(which)%len(paths)], []byte(data))
		for _, fd := range out.Findings {
			if fd.RuleID == "" || fd.Category == "" {
				t.Fatalf("unfilled finding %+v", fd)
			}
		}
	})
}
