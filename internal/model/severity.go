package model

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/thingsec/thingsec/internal/lazyre"
)

// Severity of a finding or vulnerability.
type Severity string

// Severities, most severe first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	// Unknown is the severity of a vulnerability whose advisory has no
	// score in any source: it is a known vulnerability, so it ranks above
	// info, but nothing says it is more than low, so it ranks below low
	// (a gate at low or above does not fail on it; one at unknown does).
	// Findings never have it, and vulnerabilities never have info.
	Unknown Severity = "unknown"
	Info    Severity = "info"
)

// Severities lists all severities, most severe first.
var Severities = []Severity{Critical, High, Medium, Low, Unknown, Info}

// Rank orders severities: critical is 6, low 3, unknown 2, info 1, and a
// name that is no severity 0.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return len(Severities) - i
		}
	}
	return 0
}

// ParseSeverity accepts a severity name in any case.
func ParseSeverity(s string) (Severity, bool) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	return v, v.Rank() > 0
}

// Fingerprint makes the stable identity of a finding from its rule, its
// in-filesystem path (FingerprintPath) and a rule-specific key (a user
// name, a key hash, a normalised config line). Offsets, line numbers,
// layer ids and file hashes never go in.
func Fingerprint(ruleID, path, key string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(FingerprintPath(path)))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// versionRun is a dotted version with optional revision parts: "1.2.3",
// "30.34.3", "6.1.0-50", "2.36-9".
var versionRun = lazyre.New(`[0-9]+(?:\.[0-9]+)+(?:[-_+~][0-9]+)*`)

// FingerprintPath is the path as a fingerprint sees it: every dotted
// version in it becomes "#", so that a release which upgrades a library
// (libgnutls.so.30.34.3), the kernel (/lib/modules/6.1.0-50-4kc/) or
// renames a versioned target file (fw-1.0.0.bin) keeps the fingerprints
// of the findings in it.
func FingerprintPath(p string) string {
	return versionRun.ReplaceAllString(p, "#")
}
