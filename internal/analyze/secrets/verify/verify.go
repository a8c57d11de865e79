// Package verify asks a provider's API whether a found token is live
// (thingsec secrets --verify, off by default): GitHub, GitLab, Slack,
// Stripe, SendGrid and AWS (STS GetCallerIdentity, which needs the key ID
// found with the secret). Each check is one read-only request that the
// provider documents for the purpose; answers are cached per token and
// requests are spaced out so a tree full of copies of one token costs one
// request.
package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Result is a provider's answer.
type Result int

const (
	Unknown Result = iota // not checked, or no clear answer (network error, 5xx, rate limited)
	Valid                 // the provider accepted the token
	Invalid               // the provider refused it
)

// Providers the verifier knows, with the public API each is checked
// against (Base overrides them).
var defaultBase = map[string]string{
	"github":   "https://api.github.com",
	"gitlab":   "https://gitlab.com",
	"slack":    "https://slack.com",
	"stripe":   "https://api.stripe.com",
	"sendgrid": "https://api.sendgrid.com",
	"aws":      "https://sts.amazonaws.com",
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	Client *http.Client      // with its timeout (New: 10 s)
	Base   map[string]string // provider -> base URL; absent: the public API
	Gap    time.Duration     // least time between two requests (New: 200 ms)

	mu    sync.Mutex
	next  time.Time
	cache sync.Map // provider \x00 token -> Result
	now   func() time.Time
}

// New returns a verifier with a 10 s timeout and at most five requests a
// second.
func New() *Verifier {
	return &Verifier{Client: &http.Client{Timeout: 10 * time.Second}, Gap: 200 * time.Millisecond}
}

// Knows says whether provider can be checked.
func Knows(provider string) bool { _, ok := defaultBase[provider]; return ok }

// Check asks provider about token; partner is the other half of a pair
// (the AWS access key ID of a secret key), else "".
func (v *Verifier) Check(ctx context.Context, provider, token, partner string) Result {
	if !Knows(provider) || token == "" || provider == "aws" && partner == "" {
		return Unknown
	}
	key := provider + "\x00" + token + "\x00" + partner
	if r, ok := v.cache.Load(key); ok {
		return r.(Result)
	}
	if err := v.wait(ctx); err != nil {
		return Unknown
	}
	req, err := v.request(ctx, provider, token, partner)
	if err != nil {
		return Unknown
	}
	resp, err := v.Client.Do(req)
	if err != nil {
		return Unknown // not cached: a later copy may get through
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	r := answer(provider, resp.StatusCode, body)
	v.cache.Store(key, r)
	return r
}

// wait spaces requests Gap apart.
func (v *Verifier) wait(ctx context.Context) error {
	now := time.Now
	if v.now != nil {
		now = v.now
	}
	v.mu.Lock()
	t := now()
	at := v.next
	if at.Before(t) {
		at = t
	}
	v.next = at.Add(v.Gap)
	v.mu.Unlock()
	if d := at.Sub(t); d > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	return nil
}

func (v *Verifier) base(provider string) string {
	if b, ok := v.Base[provider]; ok {
		return strings.TrimSuffix(b, "/")
	}
	return defaultBase[provider]
}

// request builds the provider's documented identity or read-only call.
func (v *Verifier) request(ctx context.Context, provider, token, partner string) (*http.Request, error) {
	b := v.base(provider)
	var req *http.Request
	var err error
	switch provider {
	case "github": // the authenticated user
		req, err = http.NewRequestWithContext(ctx, "GET", b+"/user", nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Accept", "application/vnd.github+json")
		}
	case "gitlab": // the token's own record
		req, err = http.NewRequestWithContext(ctx, "GET", b+"/api/v4/personal_access_tokens/self", nil)
		if err == nil {
			req.Header.Set("PRIVATE-TOKEN", token)
		}
	case "slack": // auth.test
		req, err = http.NewRequestWithContext(ctx, "POST", b+"/api/auth.test", nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	case "stripe": // the account balance (read-only)
		req, err = http.NewRequestWithContext(ctx, "GET", b+"/v1/balance", nil)
		if err == nil {
			req.SetBasicAuth(token, "")
		}
	case "sendgrid": // the key's scopes
		req, err = http.NewRequestWithContext(ctx, "GET", b+"/v3/scopes", nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	case "aws": // STS GetCallerIdentity, signed with Signature Version 4
		req, err = stsRequest(ctx, b, partner, token, time.Now().UTC())
	}
	if req != nil {
		req.Header.Set("User-Agent", "thingsec-verify")
	}
	return req, err
}

// answer reads a provider's reply: 2xx is valid (for Slack, "ok": true),
// 401 and 403 are refusals, anything else says nothing.
func answer(provider string, status int, body []byte) Result {
	if provider == "slack" && status == http.StatusOK {
		var r struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &r) != nil {
			return Unknown
		}
		switch {
		case r.OK:
			return Valid
		case r.Error == "invalid_auth" || r.Error == "account_inactive" || r.Error == "token_revoked" || r.Error == "token_expired" || r.Error == "not_authed":
			return Invalid
		}
		return Unknown
	}
	switch {
	case status >= 200 && status < 300:
		return Valid
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return Invalid
	}
	return Unknown
}

const stsBody = "Action=GetCallerIdentity&Version=2011-06-15"

// stsRequest signs GetCallerIdentity for us-east-1 (the global STS
// endpoint) with an access key pair.
func stsRequest(ctx context.Context, base, keyID, secret string, t time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/", strings.NewReader(stsBody))
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(base)
	host := u.Host
	const ctype = "application/x-www-form-urlencoded; charset=utf-8"
	amzDate := t.Format("20060102T150405Z")
	day := t.Format("20060102")
	scope := day + "/us-east-1/sts/aws4_request"
	canonical := strings.Join([]string{"POST", "/", "",
		"content-type:" + ctype, "host:" + host, "x-amz-date:" + amzDate, "",
		"content-type;host;x-amz-date", sha256Hex(stsBody)}, "\n")
	toSign := strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)}, "\n")
	k := hmacSHA256([]byte("AWS4"+secret), day)
	for _, s := range []string{"us-east-1", "sts", "aws4_request"} {
		k = hmacSHA256(k, s)
	}
	sig := hex.EncodeToString(hmacSHA256(k, toSign))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+keyID+"/"+scope+", SignedHeaders=content-type;host;x-amz-date, Signature="+sig)
	return req, nil
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
