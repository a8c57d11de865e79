package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Redact keeps a short prefix of a secret, enough to recognise its kind
// ("AKIA****", "xoxb****"), and hides the rest.
func Redact(s string) string {
	keep := 4
	switch {
	case len(s) < 8:
		keep = 0
	case len(s) < 16:
		keep = 2
	}
	return s[:keep] + "****"
}

// SecretKey is the fingerprint key of a secret: a hash, so the report
// never holds the secret and the fingerprint survives moved lines.
func SecretKey(secret []byte) string {
	h := sha256.Sum256(secret)
	return hex.EncodeToString(h[:16])
}

// evidence is the matched text with the secret replaced (or kept with
// show), cut to a readable length and to one line.
func evidence(match, secret string, show bool) string {
	if !show {
		match = strings.Replace(match, secret, Redact(secret), 1)
	}
	match = strings.TrimSpace(strings.ReplaceAll(match, "\n", " "))
	if len(match) > 160 {
		match = match[:157] + "..."
	}
	return match
}
