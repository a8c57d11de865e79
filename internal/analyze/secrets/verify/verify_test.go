package verify

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	liveToken = "live-token-1"
	awsKeyID  = "AKIAJPJOMKEFOIUC5LGT"
	awsSecret = "qK7fCOokPyQnP8o4FG5B5EGnwAp+cz2jlPR9+Rrx"
)

// fakeProviders imitates the providers' endpoints: liveToken (and the AWS
// pair, whose signature it checks) is accepted, anything else refused the
// way each provider refuses.
func fakeProviders(t *testing.T, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	bearer := func(r *http.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if bearer(r) != liveToken {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"login":"octocat"}`)
	})
	mux.HandleFunc("GET /api/v4/personal_access_tokens/self", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("PRIVATE-TOKEN") != liveToken {
			http.Error(w, `{"message":"401 Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"id":1,"active":true}`)
	})
	mux.HandleFunc("POST /api/auth.test", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if bearer(r) != liveToken { // Slack answers 200 with ok:false
			io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		io.WriteString(w, `{"ok":true,"team":"x"}`)
	})
	mux.HandleFunc("GET /v1/balance", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if u, _, _ := r.BasicAuth(); u != liveToken {
			http.Error(w, `{"error":{"type":"invalid_request_error"}}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"object":"balance"}`)
	})
	mux.HandleFunc("GET /v3/scopes", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if bearer(r) != liveToken {
			http.Error(w, `{"errors":[{"message":"authorization required"}]}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"scopes":["mail.send"]}`)
	})
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if string(body) != stsBody {
			http.Error(w, "bad action", http.StatusBadRequest)
			return
		}
		// Re-sign with the known pair at the request's date: only a
		// request signed with awsSecret for awsKeyID matches.
		date, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		want, _ := stsRequest(context.Background(), "http://"+r.Host, awsKeyID, awsSecret, date)
		if !hmac.Equal([]byte(r.Header.Get("Authorization")), []byte(want.Header.Get("Authorization"))) {
			http.Error(w, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>", http.StatusForbidden)
			return
		}
		io.WriteString(w, "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>")
	})
	mux.HandleFunc("GET /down/user", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func testVerifier(srv *httptest.Server) *Verifier {
	v := New()
	v.Gap = time.Millisecond
	v.Base = map[string]string{}
	for p := range defaultBase {
		v.Base[p] = srv.URL
	}
	return v
}

func TestCheck(t *testing.T) {
	var calls atomic.Int32
	srv := fakeProviders(t, &calls)
	v := testVerifier(srv)
	ctx := context.Background()
	for _, tc := range []struct {
		provider, token, partner string
		want                     Result
	}{
		{"github", liveToken, "", Valid},
		{"github", "revoked", "", Invalid},
		{"gitlab", liveToken, "", Valid},
		{"gitlab", "revoked", "", Invalid},
		{"slack", liveToken, "", Valid},
		{"slack", "revoked", "", Invalid},
		{"stripe", liveToken, "", Valid},
		{"stripe", "revoked", "", Invalid},
		{"sendgrid", liveToken, "", Valid},
		{"sendgrid", "revoked", "", Invalid},
		{"aws", awsSecret, awsKeyID, Valid},
		{"aws", "wrongsecretwrongsecretwrongsecretwrongsec", awsKeyID, Invalid},
		{"aws", awsSecret, "", Unknown}, // no key ID: not checked
		{"twilio", liveToken, "", Unknown},
	} {
		if got := v.Check(ctx, tc.provider, tc.token, tc.partner); got != tc.want {
			t.Errorf("%s %q: %v, want %v", tc.provider, tc.token, got, tc.want)
		}
	}
	// A server error says nothing.
	v.Base["github"] = srv.URL + "/down"
	if got := v.Check(ctx, "github", "another", ""); got != Unknown {
		t.Errorf("503: %v, want Unknown", got)
	}
}

// TestCache: copies of one token cost one request.
func TestCache(t *testing.T) {
	var calls atomic.Int32
	v := testVerifier(fakeProviders(t, &calls))
	for range 5 {
		v.Check(context.Background(), "github", liveToken, "")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d requests for one token, want 1", n)
	}
}

// TestRateLimit: requests are spaced Gap apart (checked on a fake clock,
// tests never time real work).
func TestRateLimit(t *testing.T) {
	v := &Verifier{Gap: time.Second}
	at := time.Unix(1000, 0)
	v.now = func() time.Time { return at }
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a wait that would block returns the context's error
	if err := v.wait(ctx); err != nil {
		t.Fatalf("first request waited: %v", err)
	}
	if err := v.wait(ctx); err == nil {
		t.Fatalf("second request within the gap did not wait")
	}
	if want := at.Add(2 * time.Second); !v.next.Equal(want) {
		t.Errorf("next slot %v, want %v", v.next, want)
	}
}

// TestTimeout: a provider that does not answer is Unknown after the
// client's timeout.
func TestTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	v := New()
	v.Client.Timeout = 50 * time.Millisecond
	v.Base = map[string]string{"github": srv.URL}
	if got := v.Check(context.Background(), "github", liveToken, ""); got != Unknown {
		t.Errorf("%v, want Unknown", got)
	}
}

// TestSigV4 checks the signing against the worked example of AWS's
// Signature Version 4 documentation (its published key derivation).
func TestSigV4(t *testing.T) {
	k := hmacSHA256([]byte("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "20120215")
	for _, s := range []string{"us-east-1", "iam", "aws4_request"} {
		k = hmacSHA256(k, s)
	}
	if got, want := hex.EncodeToString(k), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"; got != want {
		t.Errorf("signing key %s, want %s", got, want)
	}
}
