package secrets_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets"
	"github.com/thingsec/thingsec/internal/analyze/secrets/verify"
	"github.com/thingsec/thingsec/internal/engine"
)

// TestVerifyFindings: with Verify set, findings of verifiable rules carry
// the provider's answer (a local server imitates GitHub and Stripe);
// without it, and for other rules, none.
func TestVerifyFindings(t *testing.T) {
	const live = "ghp_OBkDUntnDnrGaghCTyvRyzNX7iwymXjwSixg"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/user" && r.Header.Get("Authorization") == "Bearer "+live:
			w.Write([]byte(`{"login":"x"}`))
		case r.URL.Path == "/user", r.URL.Path == "/v1/balance":
			http.Error(w, "{}", http.StatusUnauthorized)
		default:
			http.Error(w, "", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	text := "GITHUB_TOKEN=" + live + "\nOLD_TOKEN=ghp_8clhX8KD5hSObDSh9ghrIXoVKppBFNP7Irv1\n" +
		"local STRIPE_SECRET_KEY = \"sk_live_qxfrrJQ8kpTl0j3MtAAB67lj\"\nslack_webhook = https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx\n"
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	scan := func(v *verify.Verifier) map[string]*bool {
		sa, err := secrets.New(secrets.Options{Verify: v, ShowSecrets: true})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := engine.Scan(context.Background(), engine.Config{Target: dir, Workers: 1, Files: []plugin.FileAnalyzer{sa}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*bool{}
		for _, f := range rep.Findings {
			out[f.Evidence] = f.Verified
		}
		return out
	}
	v := verify.New()
	v.Gap = 0
	v.Base = map[string]string{"github": srv.URL, "stripe": srv.URL}
	got := scan(v)
	want := map[string]string{live: "true", "ghp_8clhX8": "false", "sk_live_": "false", "hooks.slack.com": "unchecked"}
	for ev, verified := range got {
		for k, w := range want {
			if !strings.Contains(ev, k) {
				continue
			}
			g := "unchecked"
			if verified != nil {
				g = map[bool]string{true: "true", false: "false"}[*verified]
			}
			if g != w {
				t.Errorf("%s: verified %s, want %s", ev, g, w)
			}
			delete(want, k)
		}
	}
	if len(want) > 0 {
		t.Errorf("no finding for %v in %v", want, got)
	}
	for ev, verified := range scan(nil) {
		if verified != nil {
			t.Errorf("%s verified without Verify", ev)
		}
	}
}
