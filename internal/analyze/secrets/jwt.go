package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/model"
)

// jwtRule is the JSON Web Token rule: its findings carry the token's
// decoded header and claims. The signature is never checked (that needs
// the issuer's key); the token is only read.
const jwtRule = "TS-SECRET-117"

// jwtInfo is what a token says about itself.
type jwtInfo struct {
	alg, typ, kid string
	iss, sub      string
	aud           []string
	exp, iat      *time.Time
}

// decodeJWT reads the header and payload of a compact JWS
// (base64url(header).base64url(payload).signature); false when either
// part is not base64url JSON of an object.
func decodeJWT(tok string) (jwtInfo, bool) {
	var j jwtInfo
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return j, false
	}
	var hdr struct {
		Alg *string `json:"alg"`
		Typ string  `json:"typ"`
		Kid string  `json:"kid"`
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *float64        `json:"exp"`
		Iat *float64        `json:"iat"`
	}
	if !jwtPart(parts[0], &hdr) || !jwtPart(parts[1], &claims) {
		return j, false
	}
	if hdr.Alg != nil {
		j.alg = *hdr.Alg
	}
	j.typ, j.kid, j.iss, j.sub = hdr.Typ, hdr.Kid, claims.Iss, claims.Sub
	// aud is a string or an array of strings (RFC 7519 4.1.3)
	var one string
	if json.Unmarshal(claims.Aud, &one) == nil && one != "" {
		j.aud = []string{one}
	} else {
		json.Unmarshal(claims.Aud, &j.aud)
	}
	j.exp, j.iat = jwtTime(claims.Exp), jwtTime(claims.Iat)
	return j, true
}

func jwtPart(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return false
	}
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Unmarshal(b, v) == nil
}

// jwtTime is a NumericDate (seconds since the epoch); nil when absent or
// out of range.
func jwtTime(f *float64) *time.Time {
	if f == nil || math.IsNaN(*f) || *f < 0 || *f > 253402300799 { // year 9999
		return nil
	}
	t := time.Unix(int64(*f), 0).UTC()
	return &t
}

// unsigned says whether the token declares no signature ("alg": "none"):
// a service that accepts it lets anyone forge tokens.
func (j jwtInfo) unsigned() bool { return strings.EqualFold(j.alg, "none") }

// describe is the evidence suffix: algorithm, issuer, subject, audience
// and expiry. Whether the token has expired depends on now (the scan's
// time), so the date it expires on is always given with it.
func (j jwtInfo) describe(now time.Time) string {
	var p []string
	add := func(k, v string) {
		if v != "" {
			if len(v) > 64 {
				v = strings.ToValidUTF8(v[:61], "") + "..." // a cut rune is dropped, not kept half
			}
			p = append(p, k+" "+v)
		}
	}
	switch {
	case j.unsigned():
		p = append(p, "alg none (unsigned)")
	case j.alg == "":
		p = append(p, "no alg")
	default:
		add("alg", j.alg)
	}
	add("iss", j.iss)
	add("sub", j.sub)
	add("aud", strings.Join(j.aud, ","))
	switch {
	case j.exp == nil:
		p = append(p, "no exp (never expires)")
	case !j.exp.After(now):
		p = append(p, "exp "+j.exp.Format(time.DateOnly)+" (expired)")
	default:
		p = append(p, "exp "+j.exp.Format(time.DateOnly))
	}
	return strings.Join(p, ", ")
}

// jwtFinding adds what the token says to its finding: the decoded header
// and claims in the evidence, and high severity for an unsigned token.
func jwtFinding(f *model.Finding, tok string, now time.Time) {
	j, ok := decodeJWT(tok)
	if !ok {
		return
	}
	d := j.describe(now)
	f.Evidence = fmt.Sprintf("%s [%s]", f.Evidence, d)
	if j.unsigned() && f.Severity.Rank() < model.High.Rank() {
		f.Severity = model.High
	}
}
