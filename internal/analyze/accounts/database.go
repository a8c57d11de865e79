package accounts

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

var passWords = lazyre.New(`(?i)pass(?:word|wd)?(?:_?(?:md5|sha1?|hash))?`)

// hexRuns returns the runs of at least 32 lower-case (or upper-case) hex
// digits.
func hexRuns(b []byte) []string {
	var out []string
	for _, lowerCase := range []bool{true, false} {
		start := -1
		for i := 0; i <= len(b); i++ {
			isHex := false
			if i < len(b) {
				c := b[i]
				isHex = c >= '0' && c <= '9' || lowerCase && c >= 'a' && c <= 'f' || !lowerCase && c >= 'A' && c <= 'F'
			}
			if isHex {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && i-start >= 32 {
				out = append(out, string(b[start:i]))
			}
			start = -1
		}
	}
	return out
}

// database looks for unsalted MD5 / SHA-1 password hashes in a database
// whose schema names a password column. SQLite stores text columns
// back to back, so the hashes show as hex runs in the file.
func (a *Analyzer) database(in *plugin.Input, out *plugin.Results) {
	if !passWords.Match(in.Data) {
		return
	}
	md5s, sha1s := map[string]string{}, map[string]string{}
	for _, p := range a.allPasswords() {
		m := md5.Sum([]byte(p))
		md5s[hex.EncodeToString(m[:])] = p
		s := sha1.Sum([]byte(p))
		sha1s[hex.EncodeToString(s[:])] = p
	}
	seen := map[string]bool{}
	var hashes []string
	cracked := map[string]string{}
	// Text columns are stored back to back, so a hash may touch hex-like
	// neighbours (a phone number, "admin"): every 32- and 40-character
	// window of a long hex run is looked up.
	for _, run := range hexRuns(in.Data) {
		found := false
		for _, n := range []int{32, 40} {
			for i := 0; i+n <= len(run); i++ {
				h := strings.ToLower(run[i : i+n])
				tbl := md5s
				if n == 40 {
					tbl = sha1s
				}
				if p, ok := tbl[h]; ok && !seen[h] {
					seen[h], found = true, true
					hashes = append(hashes, h)
					cracked[h] = p
				}
			}
		}
		if !found && (len(run) == 32 || len(run) == 40) && !allSame(run) {
			h := strings.ToLower(run)
			if !seen[h] {
				seen[h] = true
				hashes = append(hashes, h)
			}
		}
	}
	// Without a single cracked hash, hex runs may be anything (UUIDs,
	// checksums): report only when the schema names a hash column.
	if len(cracked) == 0 && !bytes.Contains(bytes.ToLower(in.Data), []byte("md5")) && !bytes.Contains(bytes.ToLower(in.Data), []byte("sha1")) {
		return
	}
	if len(hashes) == 0 {
		return
	}
	sort.Strings(hashes)
	var ev []string
	for _, h := range hashes {
		if p, ok := cracked[h]; ok {
			if a.opt.ShowSecrets {
				ev = append(ev, fmt.Sprintf("%s****=%q", h[:4], p))
			} else {
				ev = append(ev, h[:4]+"**** (known default)")
			}
		}
	}
	var sev model.Severity // the catalog's (high), critical when defaults cracked
	title := fmt.Sprintf("Unsalted MD5/SHA-1 password hashes in a database (%d hashes)", len(hashes))
	if len(cracked) > 0 {
		sev = model.Critical
		title = fmt.Sprintf("Unsalted password hashes in a database, %d of %d are known default passwords", len(cracked), len(hashes))
	}
	evs := fmt.Sprintf("%d unsalted hex hashes", len(hashes))
	if len(ev) > 0 {
		evs += "; cracked: " + strings.Join(ev, ", ")
	}
	f := model.Finding{
		RuleID: RuleDBHashes, Title: title, Severity: sev, Location: in.Loc, Evidence: evs,
		Fingerprint: model.Fingerprint(RuleDBHashes, in.Path, "db-hashes"),
	}
	a.fill(&f)
	out.Findings = append(out.Findings, f)
}

func allSame(h string) bool { return strings.Count(h, h[:1]) == len(h) }

func (a *Analyzer) allPasswords() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range a.opt.Defaults.Passwords {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range a.opt.Defaults.Pairs {
		for _, s := range []string{p[0], p[1]} {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
