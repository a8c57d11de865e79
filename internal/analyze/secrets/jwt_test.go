package secrets

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// TestJWTDecoded: a JWT finding says what the token's header and claims
// say (never checking the signature), with the expiry date whenever it
// says the token has expired, and an unsigned token is raised to high.
func TestJWTDecoded(t *testing.T) {
	const (
		// {"alg":"none","typ":"JWT"}.{"iss":"https://auth.example.net","sub":"device-0042","aud":"mqtt","exp":1614556800}
		unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5uZXQiLCJzdWIiOiJkZXZpY2UtMDA0MiIsImF1ZCI6Im1xdHQiLCJleHAiOjE2MTQ1NTY4MDB9."
		// {"alg":"RS256","kid":"k1"}.{"iss":"acme-iot","aud":["api","mqtt"],"exp":32503680000}
		signed = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJhY21lLWlvdCIsImF1ZCI6WyJhcGkiLCJtcXR0Il0sImV4cCI6MzI1MDM2ODAwMDB9.Zk3Lq0uX9vT2rA7sP1mN8cB5yD4eF6gH"
		// {"alg":"HS256"}.{"sub":"device"}
		noExp = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXZpY2UifQ.xROQKgLy3EBfm07_YUKBOQL1RU5q8p_bwpN3RZ0yfsl"
		// a header that is not JSON: reported, not described
		garbled = "eyJhbGciOiJIUzI1Ni.eyJzdWIiOiJkZXZpY2UifQ.xROQKgLy3EBfm07_YUKBOQL1RU5q8p_bwpN3RZ0yfsl"
	)
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		tok, want string
		sev       model.Severity
	}{
		{unsigned, "[alg none (unsigned), iss https://auth.example.net, sub device-0042, aud mqtt, exp 2021-03-01 (expired)]", model.High},
		{signed, "[alg RS256, iss acme-iot, aud api,mqtt, exp 3000-01-01]", model.Medium},
		{noExp, "[alg HS256, sub device, no exp (never expires)]", model.Medium},
		{garbled, "", model.Medium},
	} {
		text := []byte("AUTH_TOKEN=" + c.tok + "\n")
		in := &plugin.Input{
			FileInfo: plugin.FileInfo{Path: "/etc/app.env", Size: int64(len(text)), Type: filetype.Result{Type: filetype.Text}},
			Data:     text, R: bytes.NewReader(text), Loc: model.Location{Path: "/etc/app.env"},
		}
		var out plugin.Results
		if err := a.Analyze(context.Background(), in, &out); err != nil {
			t.Fatal(err)
		}
		var f *model.Finding
		for i := range out.Findings {
			if out.Findings[i].RuleID == jwtRule {
				f = &out.Findings[i]
			}
		}
		if f == nil {
			t.Errorf("%.30s...: no JWT finding in %+v", c.tok, out.Findings)
			continue
		}
		switch {
		case c.want == "" && strings.Contains(f.Evidence, "["):
			t.Errorf("%.30s...: evidence %q describes a token that does not decode", c.tok, f.Evidence)
		case c.want != "" && !strings.HasSuffix(f.Evidence, c.want):
			t.Errorf("%.30s...: evidence %q, want it to end with %q", c.tok, f.Evidence, c.want)
		}
		if f.Severity != c.sev {
			t.Errorf("%.30s...: severity %s, want %s", c.tok, f.Severity, c.sev)
		}
		if strings.Contains(f.Evidence, c.tok) {
			t.Errorf("evidence %q holds the token", f.Evidence)
		}
	}
}
