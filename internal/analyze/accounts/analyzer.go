// Package accounts audits the accounts and password files of a device:
// passwd/shadow/group, BusyBox httpd.conf, htpasswd and lighttpd user
// files, mosquitto password files, OpenWrt rpcd/uhttpd UCI, Samba
// smbpasswd, vendor *passwd* files and unsalted hashes in databases. It
// reports empty passwords, extra UID 0 accounts, service accounts with a
// shell, weak hash schemes and passwords found in the default-credential
// list (native crypt implementations: DES, MD5, SHA-256/512, bcrypt).
package accounts

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Rule IDs; titles, help, severity, CWE and standards are their catalog
// entries in rules/findings/credentials.yaml.
const (
	RuleDefaultPassword = "TS-CRED-001"
	RuleEmptyPassword   = "TS-CRED-002"
	RuleWeakHash        = "TS-CRED-003"
	RuleExtraRoot       = "TS-CRED-004"
	RuleServiceShell    = "TS-CRED-005"
	RulePlaintext       = "TS-CRED-006"
	RuleDBHashes        = "TS-CRED-007"
	RuleHashInPasswd    = "TS-CRED-008"
)

// Options configure the analyzer.
type Options struct {
	// ShowSecrets puts cracked and clear-text passwords in the evidence.
	ShowSecrets bool
	// Defaults replaces the embedded default-credential list.
	Defaults *Defaults
	// Budget bounds the cracking work per hash (default
	// DefaultCrackBudget), counted at WorkPerSecond so that results do
	// not depend on the machine's load. A hash whose budget ran out
	// before every candidate was tried is recorded as skipped.
	Budget time.Duration
}

// Analyzer is the accounts FileAnalyzer.
type Analyzer struct {
	opt Options
	cat *catalog.Catalog
	// cracked remembers each (user, hash) tried: the same hash recurs
	// across the layers of an image and the commits of a history, and a
	// slow one costs seconds.
	cracked sync.Map // crackJob.key() -> *crackOnce
	// sem bounds the guesses running at once to the CPUs.
	sem chan struct{}
}

// New builds the analyzer.
func New(opt Options) (*Analyzer, error) {
	if opt.Defaults == nil {
		d, err := EmbeddedDefaults()
		if err != nil {
			return nil, err
		}
		opt.Defaults = d
	}
	if opt.Budget <= 0 {
		opt.Budget = DefaultCrackBudget
	}
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	return &Analyzer{opt: opt, cat: cat, sem: newSem()}, nil
}

// Default is New(Options{}); the embedded list is checked by the tests.
func Default() *Analyzer {
	a, err := New(Options{})
	if err != nil {
		panic(err)
	}
	return a
}

// Name implements plugin.FileAnalyzer.
func (a *Analyzer) Name() string { return "accounts" }

// FileRequired implements plugin.FileAnalyzer.
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	if fi.Size == 0 { // larger than 16 MiB: Analyze records the skip
		return false
	}
	if fi.Type.Type == filetype.SQLite {
		return true
	}
	if fi.Type.Type != filetype.Text && fi.Type.Type != filetype.Script {
		return false
	}
	return Classify(fi.Path) != KindNone
}

// ReadEarly implements plugin.Early: account files are read first, so
// that cracking their hashes runs alongside the rest of the walk.
func (a *Analyzer) ReadEarly(path string) bool { return Classify(path) != KindNone }

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Data == nil || in.Size > 16<<20 {
		out.SkipLarge(a.Name(), in, 16<<20)
		return nil
	}
	if in.Type.Type == filetype.SQLite {
		a.database(in, out)
		return nil
	}
	k := Classify(in.Path)
	entries := Parse(k, in.Data)
	// Each entry's findings are collected on their own, so that the
	// hashes of the whole file can be cracked at once, in parallel, and
	// the findings still come out in the file's order.
	per := make([]plugin.Results, len(entries))
	var jobs []crackJob
	var owner []int
	for i, e := range entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if k == KindPasswd {
			a.passwdChecks(in, e, &per[i])
		}
		if k == KindGroup && e.Hash == "" {
			continue // an empty group password field means "no password", not "empty password"
		}
		if j, ok := a.credential(in, k, e, &per[i]); ok {
			jobs = append(jobs, j)
			owner = append(owner, i)
		}
	}
	for n, r := range a.crackAll(ctx, jobs) {
		a.cracked1(in, entries[owner[n]], jobs[n], r, &per[owner[n]])
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range per {
		out.Merge(&per[i])
	}
	return nil
}

var serviceAccounts = map[string]bool{
	"daemon": true, "bin": true, "sys": true, "sync": false, "games": true, "man": true, "lp": true, "mail": true, "news": true,
	"uucp": true, "proxy": true, "www-data": true, "www": true, "backup": true, "list": true, "irc": true, "gnats": true, "nobody": true,
	"ftp": true, "sshd": true, "dnsmasq": true, "snmp": true, "network": true, "mysql": true, "postgres": true, "messagebus": true,
	"systemd-network": true, "systemd-resolve": true, "avahi": true, "ntp": true, "http": true, "httpd": true, "mosquitto": true,
	"tftp": true, "dhcp": true, "logger": true, "syslog": true, "_apt": true, "nogroup": true,
}

var noLoginShell = lazyre.New(`(?:nologin|/false|/sync|/shutdown|/halt|^$)`)

func (a *Analyzer) passwdChecks(in *plugin.Input, e Entry, out *plugin.Results) {
	if e.UID == "0" {
		if e.User != "root" {
			out.Findings = append(out.Findings, a.finding(in, e, model.Finding{RuleID: RuleExtraRoot,
				Title:    fmt.Sprintf("Account %q has UID 0 (a second root account)", e.User),
				Evidence: fmt.Sprintf("%s: uid 0", e.User)}, e.User))
		}
	}
	if serviceAccounts[e.User] && !noLoginShell.MatchString(e.Shell) {
		out.Findings = append(out.Findings, a.finding(in, e, model.Finding{RuleID: RuleServiceShell,
			Title:    fmt.Sprintf("Service account %q has a login shell", e.User),
			Evidence: fmt.Sprintf("%s: shell %s", e.User, e.Shell)}, e.User))
	}
	if e.Hash != "x" && e.Hash != "" && !e.Locked {
		out.Findings = append(out.Findings, a.finding(in, e, model.Finding{RuleID: RuleHashInPasswd,
			Title:    fmt.Sprintf("Password hash of %q stored in world-readable %s", e.User, path.Base(in.Path)),
			Evidence: fmt.Sprintf("%s:%s", e.User, redactHash(e.Hash))}, e.User))
	}
}

// credential runs the password checks on one entry and returns the
// hash to crack, if any.
func (a *Analyzer) credential(in *plugin.Input, k Kind, e Entry, out *plugin.Results) (crackJob, bool) {
	if e.Locked {
		return crackJob{}, false
	}
	if e.Hash == "" {
		if k == KindPasswd || k == KindShadow || k == KindHtpasswd {
			out.Findings = append(out.Findings, a.finding(in, e, model.Finding{RuleID: RuleEmptyPassword,
				Title:    fmt.Sprintf("Account %q has an empty password", e.User),
				Evidence: fmt.Sprintf("%s: empty password field", e.User)}, e.User))
		}
		return crackJob{}, false
	}
	if e.Plain {
		a.plaintext(in, k, e, out)
		return crackJob{}, false
	}
	hash, mosq := e.Hash, k == KindMosquitto
	var scheme Scheme
	var verify func(pw string) bool
	switch {
	case strings.HasPrefix(hash, "LM:"):
		scheme, hash = SchemeLM, hash[3:]
		verify = func(pw string) bool { return LMHash(pw) == hash }
	case strings.HasPrefix(hash, "NT:"):
		scheme, hash = SchemeNT, hash[3:]
		verify = func(pw string) bool { return NTHash(pw) == hash }
	default:
		scheme = Identify(hash, mosq)
		verify = func(pw string) bool { m, _ := Verify(hash, pw, mosq); return m }
	}
	if scheme == SchemeUnknown {
		return crackJob{}, false
	}
	if scheme.Weak {
		out.Findings = append(out.Findings, a.finding(in, e, model.Finding{RuleID: RuleWeakHash,
			Title:    fmt.Sprintf("Password of %q is stored with a weak hash scheme (%s)", e.User, scheme.Name),
			Evidence: fmt.Sprintf("%s:%s (%s)", e.User, redactHash(hash), scheme.Name)}, e.User+"/"+scheme.Name))
	}
	if scheme.Cost == 0 || rounds(scheme, hash) == 0 {
		// a scheme (GOST yescrypt) or parameters (a yescrypt hash past
		// its memory or work bound) that are not computed: said, not
		// dropped
		out.Skip("accounts", in, fmt.Sprintf("password hash of %q (%s) not checked against the default credentials: scheme or cost parameters not supported", e.User, scheme.Name))
		return crackJob{}, false
	}
	return crackJob{user: e.User, scheme: scheme, hash: hash, verify: verify}, true
}

// cracked1 reports the outcome of cracking one entry's hash: a finding
// when a default password matched, a skip when the budget ran out first.
func (a *Analyzer) cracked1(in *plugin.Input, e Entry, j crackJob, r crackResult, out *plugin.Results) {
	switch {
	case r.ok:
		ev := fmt.Sprintf("%s:%s is a known default password", e.User, redactHash(j.hash))
		if a.opt.ShowSecrets {
			ev = fmt.Sprintf("%s:%s password %q is a known default", e.User, redactHash(j.hash), r.pw)
		}
		out.Findings = append(out.Findings, a.finding(in, e, model.Finding{RuleID: RuleDefaultPassword,
			Title:    fmt.Sprintf("Password of %q is a known default (cracked %s)", e.User, j.scheme.Name),
			Evidence: ev}, e.User))
	case r.tried < r.total:
		out.Skip("accounts", in, fmt.Sprintf("password hash of %q (%s) not cracked within the --crack-budget of %v: %d of %d default candidates tried", e.User, j.scheme.Name, a.opt.Budget, r.tried, r.total))
	}
}

// rounds reads the iteration count of a SHA-crypt or bcrypt hash.
func rounds(scheme Scheme, h string) int {
	switch scheme {
	case SchemeSHA256, SchemeSHA512:
		_, r, _ := cryptSalt(h, h[:3], 16)
		if r > 0 {
			return max(1000, r)
		}
		return 5000
	case SchemeBcrypt:
		var c int
		if len(h) > 6 {
			fmt.Sscanf(h[4:6], "%d", &c)
		}
		return (1 << min(c, 31)) * 30
	case SchemeYescrypt:
		return yescryptCost(h)
	case SchemeMosq7:
		var it int
		fmt.Sscanf(strings.TrimPrefix(h, "$7$"), "%d", &it)
		return max(it, 1) * 2
	}
	return scheme.Cost
}

func (a *Analyzer) plaintext(in *plugin.Input, k Kind, e Entry, out *plugin.Results) {
	known := false
	for _, pw := range a.opt.Defaults.Candidates(e.User, 1<<30) {
		if pw == e.Hash {
			known = true
			break
		}
	}
	// The catalog's severity is high; a password from the default list
	// is critical.
	var sev model.Severity
	title := fmt.Sprintf("Clear-text password for %q in %s", e.User, path.Base(in.Path))
	if known {
		sev, title = model.Critical, fmt.Sprintf("Hard-coded default password for %q in %s", e.User, path.Base(in.Path))
	}
	ev := fmt.Sprintf("%s:%s", e.User, redactPlain(e.Hash))
	if a.opt.ShowSecrets {
		ev = fmt.Sprintf("%s:%s", e.User, e.Hash)
	}
	if known {
		ev += " (a known default password)"
	}
	out.Findings = append(out.Findings, a.finding(in, e, model.Finding{RuleID: RulePlaintext, Title: title, Severity: sev, Evidence: ev,
		Description: fmt.Sprintf("The %s file stores the password in clear text; it is the same on every device built from this image.", k)}, e.User))
}

// finding locates f at e's line, fingerprints it with key and fills the
// rest from the rule's catalog entry (rules/findings/credentials.yaml).
func (a *Analyzer) finding(in *plugin.Input, e Entry, f model.Finding, key string) model.Finding {
	f.Location = in.Loc
	f.Location.Line = e.Line
	f.Fingerprint = model.Fingerprint(f.RuleID, in.Path, key)
	a.fill(&f)
	return f
}

// fill completes f from the catalog; every rule id used here has an entry
// (TestCatalogExamples runs them all).
func (a *Analyzer) fill(f *model.Finding) {
	if err := a.cat.Fill(f); err != nil {
		panic(err)
	}
}

// redactHash keeps the scheme prefix and a few salt characters.
func redactHash(h string) string {
	keep := 4
	if strings.HasPrefix(h, "$") {
		if i := strings.LastIndexByte(h, '$'); i > 0 {
			keep = min(i+1, len(h))
			keep = min(keep, 12)
		}
	}
	if len(h) <= keep {
		return "****"
	}
	return h[:keep] + "****"
}

func redactPlain(p string) string {
	if len(p) < 8 {
		return "****"
	}
	return p[:2] + "****"
}
