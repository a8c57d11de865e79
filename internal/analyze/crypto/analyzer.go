// Package crypto finds private keys and certificates in text and inside
// binaries (PEM, carved DER, PKCS#12, OpenSSH, dropbear, PGP), SSH host
// keys and authorized_keys entries, and judges them: unencrypted or weak
// keys, expired, long-lived or SHA-1/MD5-signed certificates, and, after
// the walk, private keys whose certificate is in the image (a CA key
// shipped on the device is critical).
package crypto

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"path"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// Rule IDs; titles, help, severity, CWE and standards are their catalog
// entries in rules/findings/keys.yaml.
const (
	RulePrivateKey     = "TS-KEY-001"
	RuleSSHHostKey     = "TS-KEY-002"
	RuleEncryptedKey   = "TS-KEY-003"
	RuleWeakKey        = "TS-KEY-004"
	RulePKCS12Open     = "TS-KEY-005"
	RulePKCS12         = "TS-KEY-006"
	RulePGPKey         = "TS-KEY-007"
	RuleAuthorizedKey  = "TS-KEY-008"
	RuleCertExpired    = "TS-KEY-010"
	RuleCertNotYet     = "TS-KEY-011"
	RuleCertLongLived  = "TS-KEY-012"
	RuleCertWeakSig    = "TS-KEY-013"
	RuleCertWeakKey    = "TS-KEY-014"
	RuleCAKeyShipped   = "TS-KEY-020"
	RuleCertKeyShipped = "TS-KEY-021"
)

// Options configure the analyzer.
type Options struct {
	// Now is the time certificates are judged at (default time.Now).
	Now func() time.Time
	// MaxSize is the largest file searched whole (default 64 MiB); larger
	// ones are searched in overlapping windows.
	MaxSize int64
}

// Analyzer is both the per-file key/certificate analyzer and the
// whole-tree key-to-certificate matcher.
type Analyzer struct {
	opt Options
	cat *catalog.Catalog
}

// New builds the analyzer.
func New(opt Options) *Analyzer {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxSize == 0 {
		opt.MaxSize = 64 << 20
	}
	return &Analyzer{opt: opt, cat: catalog.MustDefault()}
}

// Name implements plugin.FileAnalyzer and plugin.TreeAnalyzer.
func (a *Analyzer) Name() string { return "crypto" }

// FileRequired implements plugin.FileAnalyzer.
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	if fi.Size == 0 { // larger than MaxSize: Analyze records the skip
		return false
	}
	switch fi.Type.Type {
	case filetype.Compressed, filetype.Archive, filetype.FSImage, filetype.Empty:
		return false
	}
	return true
}

func isAuthorizedKeys(p string) bool {
	b := path.Base(p)
	return strings.HasPrefix(b, "authorized_keys")
}

func isSSHHostKey(p string) bool {
	b := path.Base(p)
	return strings.HasPrefix(b, "ssh_host_") && strings.HasSuffix(b, "_key") || strings.HasPrefix(b, "dropbear_") && strings.Contains(b, "host_key")
}

// Scan finds the keys and certificates of one file.
func Scan(p string, data []byte, ft filetype.Result) []Item { return scan(p, data, ft, nil) }

// scan is Scan parsing only the PEM certificates wantCert accepts (nil:
// all): the pairing after the walk needs the few that hold a key found.
func scan(p string, data []byte, ft filetype.Result, wantCert func(der []byte) bool) []Item {
	var items []Item
	if isAuthorizedKeys(p) {
		return authorizedKeys(data)
	}
	binary := ft.Type != filetype.Text && ft.Type != filetype.Script && ft.Type != filetype.PEM
	if binary && (strings.HasPrefix(path.Base(p), "dropbear") || bytes.HasPrefix(data, []byte{0, 0, 0})) {
		if it, ok := parseDropbear(data); ok {
			return []Item{it}
		}
	}
	if binary && isPKCS12(data) {
		if it, ok := parsePKCS12(data); ok {
			return []Item{it}
		}
	}
	if binary && (ft.Type == filetype.DER || derLen(data) == len(data)) {
		if it, ok := parseDER(data); ok {
			return []Item{it}
		}
	}
	// One pass finds every literal and DER candidate; each is then
	// handled in the order of the separate searches it replaces.
	carve := binary && ft.Type != filetype.DER
	m := search(data, carve)
	// OpenPGP armor is not PEM (a checksum line follows the data).
	for _, i := range m.begins {
		if bytes.HasPrefix(data[i:], []byte(pgpBegin)) {
			items = append(items, Item{Kind: "pgp", Format: "OpenPGP armored", KeyType: "OpenPGP", Offset: int64(i),
				Line: bytes.Count(data[:i], []byte{'\n'}) + 1, Raw: data[i:min(len(data), i+400)]})
			break
		}
	}
	// PEM blocks anywhere (text, scripts, C sources, strings of binaries).
	off := 0
	for _, start := range m.begins {
		if start < off {
			continue // inside the block decoded before
		}
		blk, rest := pem.Decode(data[start:])
		if blk == nil {
			off = start + len(pemBegin)
			continue
		}
		end := len(data) - len(rest)
		if it, ok := parsePEM(blk, data[start:end], wantCert); ok {
			it.Offset = int64(start)
			it.Line = bytes.Count(data[:start], []byte{'\n'}) + 1
			items = append(items, it)
		}
		off = end
	}
	if i := m.putty; i >= 0 {
		it := Item{Kind: "key", Format: "PuTTY", KeyType: "unknown", Offset: int64(i), Raw: data[i:min(len(data), i+200)]}
		it.Line = bytes.Count(data[:i], []byte{'\n'}) + 1
		it.Encrypted = !bytes.Contains(data, []byte("Encryption: none"))
		items = append(items, it)
	}
	if carve {
		items = carveDER(data, m.ders, items)
	}
	return items
}

func authorizedKeys(data []byte) []Item {
	var items []Item
	for n, line := range bytes.Split(data, []byte{'\n'}) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		pk, comment, _, _, err := ssh.ParseAuthorizedKey(t)
		if err != nil {
			continue
		}
		it := Item{Kind: "authorized-key", Format: "authorized_keys", KeyType: pk.Type(), Line: n + 1, Comment: comment, Raw: pk.Marshal()}
		it.PubHash = ssh.FingerprintSHA256(pk)
		items = append(items, it)
	}
	return items
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if strings.HasSuffix(in.Path, ".pub") && !isAuthorizedKeys(in.Path) {
		return nil
	}
	if in.Data == nil || in.Size > a.opt.MaxSize {
		if isAuthorizedKeys(in.Path) {
			out.SkipLarge(a.Name(), in, a.opt.MaxSize)
			return nil
		}
		// too large to hold: PEM blocks, armored keys and DER structures
		// are searched in overlapping windows, so none is skipped
		return plugin.Windows(ctx, in.R, in.Size, windowStep, windowOverlap, func(w *plugin.Window) error {
			var items []Item
			for _, it := range Scan(in.Path, w.Data, in.Type) {
				if int(it.Offset) < w.Own[0] || int(it.Offset) >= w.Own[1] {
					continue
				}
				it.Offset += w.Base
				if it.Line > 0 {
					it.Line += w.Lines
				}
				items = append(items, it)
			}
			a.reportAll(in, items, out)
			return nil
		})
	}
	a.reportAll(in, Scan(in.Path, in.Data, in.Type), out)
	return nil
}

// Windows of files too large to hold: each owns windowStep bytes and sees
// windowOverlap bytes of context either side, more than any PEM key.
const (
	windowStep    = 16 << 20
	windowOverlap = 256 << 10
)

// reportAll reports items; more than three certificates in one file, or a
// trust-store path, make it a CA bundle.
func (a *Analyzer) reportAll(in *plugin.Input, items []Item, out *plugin.Results) {
	certs := 0
	for _, it := range items {
		if it.Kind == "cert" {
			certs++
		}
	}
	bundle := certs > 3 || trustStore(in.Path)
	for _, it := range items {
		a.report(in, it, bundle, out)
	}
}

// trustStore names the places public CA bundles live.
func trustStore(p string) bool {
	b := path.Base(p)
	switch b {
	case "ca-certificates.crt", "ca-bundle.crt", "ca-bundle.pem", "cacert.pem", "tls-ca-bundle.pem", "cert.pem", "ca-root-nss.crt":
		return true
	}
	if strings.Contains(p, "/ca-certificates/") || strings.Contains(p, "/mozilla/") {
		return true
	}
	return strings.HasPrefix(p, "/etc/ssl/certs/") || strings.HasPrefix(p, "/usr/share/ca-certificates/") || strings.HasPrefix(p, "/etc/pki/ca-trust/") ||
		strings.HasPrefix(p, "/usr/local/share/ca-certificates/") || strings.HasPrefix(p, "/etc/ca-certificates/")
}

func keyKey(it Item) string {
	if it.PubHash != "" {
		return it.PubHash
	}
	s := sha256.Sum256(it.Raw)
	return hex.EncodeToString(s[:16])
}

func (a *Analyzer) report(in *plugin.Input, it Item, bundle bool, out *plugin.Results) {
	loc := in.Loc
	if it.Line > 0 && (in.Type.Type == filetype.Text || in.Type.Type == filetype.PEM || in.Type.Type == filetype.Script) {
		loc.Line = it.Line
	} else {
		loc.Offset = it.Offset
	}
	add := func(rule, title, ev, key string) {
		f := model.Finding{RuleID: rule, Title: title, Location: loc, Evidence: ev, Fingerprint: model.Fingerprint(rule, in.Path, key)}
		a.fill(&f)
		out.Findings = append(out.Findings, f)
	}
	// Certificates and authorized keys have evidence of their own: a CA
	// bundle's certificates are not described only to be dropped.
	var desc string
	switch it.Kind {
	case "key", "pgp", "pkcs12":
		desc = describeItem(it)
	}
	switch it.Kind {
	case "key":
		switch {
		case it.Encrypted:
			add(RuleEncryptedKey, "Passphrase-protected private key shipped in the image ("+it.KeyType+")", desc, keyKey(it))
		case isSSHHostKey(in.Path):
			add(RuleSSHHostKey, "SSH host private key shipped in the image ("+it.KeyType+")", desc, keyKey(it))
		default:
			add(RulePrivateKey, "Unencrypted private key shipped in the image ("+it.KeyType+")", desc, keyKey(it))
		}
		a.weakKey(it, add)
	case "pgp":
		add(RulePGPKey, "OpenPGP private key block shipped in the image", desc, keyKey(it))
	case "pkcs12":
		if it.Unlocked {
			pw := "an empty password"
			if it.Comment != "" {
				pw = "a default password"
			}
			add(RulePKCS12Open, "PKCS#12 key store opens with "+pw, desc, keyKey(it))
			a.weakKey(it, add)
		} else {
			add(RulePKCS12, "PKCS#12 key store shipped in the image", desc, keyKey(it))
		}
	case "authorized-key":
		add(RuleAuthorizedKey, "SSH authorized key shipped in the image ("+it.KeyType+")", fmt.Sprintf("%s %s %s", it.KeyType, it.PubHash, it.Comment), it.PubHash)
	case "cert":
		if !testFixture(in.Path) {
			a.cert(it, bundle, add)
		}
	}
}

type addFn func(rule, title, ev, key string)

// fill completes f from its catalog entry (rules/findings/keys.yaml);
// every rule id used here has one (TestCatalogExamples runs them all).
func (a *Analyzer) fill(f *model.Finding) {
	if err := a.cat.Fill(f); err != nil {
		panic(err)
	}
}

func (a *Analyzer) weakKey(it Item, add addFn) {
	weak := it.KeyType == "RSA" && it.Bits > 0 && it.Bits < 2048 || it.KeyType == "DSA" || strings.HasPrefix(it.KeyType, "EC ") && it.Bits > 0 && it.Bits < 224
	if !weak {
		return
	}
	add(RuleWeakKey, fmt.Sprintf("Weak private key: %s %d bits", it.KeyType, it.Bits), describeItem(it), keyKey(it))
}

// isSelfSigned compares names only: crypto/x509 refuses to verify SHA-1
// signatures, which old self-signed roots use.
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && (len(c.AuthorityKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId))
}

// testFixture recognises test and example trees: their certificates are
// made to be expired, long-lived or weak on purpose.
func testFixture(p string) bool {
	l := strings.ToLower(p)
	for _, s := range []string{"/testdata/", "/test/", "/tests/", "/examples/", "/example/", "_test."} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (a *Analyzer) cert(it Item, bundle bool, add addFn) {
	c := it.Cert
	self := isSelfSigned(c)
	if bundle && (c.IsCA || self) {
		return // a public trust anchor in a CA bundle
	}
	now := a.opt.Now()
	ev := describeItem(it)
	fp := sha256.Sum256(c.Raw)
	key := hex.EncodeToString(fp[:])
	switch {
	case now.After(c.NotAfter):
		add(RuleCertExpired, "Expired certificate (not after "+c.NotAfter.UTC().Format("2006-01-02")+")", ev, key)
	case now.Before(c.NotBefore):
		add(RuleCertNotYet, "Certificate not yet valid (not before "+c.NotBefore.UTC().Format("2006-01-02")+")", ev, key)
	}
	if !c.IsCA && c.NotAfter.Sub(c.NotBefore) > 10*366*24*time.Hour {
		add(RuleCertLongLived, "Certificate valid for more than 10 years", ev, key)
	}
	switch c.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		if !self {
			add(RuleCertWeakSig, "Certificate signed with a weak hash ("+c.SignatureAlgorithm.String()+")", ev, key)
		}
	}
	if it.KeyType == "RSA" && it.Bits < 2048 || it.KeyType == "DSA" {
		add(RuleCertWeakKey, fmt.Sprintf("Certificate with a weak public key (%s %d bits)", it.KeyType, it.Bits), ev, key)
	}
}

func describeItem(it Item) string {
	var b strings.Builder
	if it.Cert != nil {
		c := it.Cert
		fmt.Fprintf(&b, "subject %q, issuer %q, %s, %s %d bits, valid %s to %s",
			c.Subject.String(), c.Issuer.String(), c.SignatureAlgorithm, it.KeyType, it.Bits,
			c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"))
		if c.IsCA {
			b.WriteString(", CA:TRUE")
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%s %s", it.Format, it.KeyType)
	if it.Bits > 0 {
		fmt.Fprintf(&b, " %d bits", it.Bits)
	}
	if it.Encrypted {
		b.WriteString(", encrypted")
	} else {
		b.WriteString(", unencrypted")
	}
	if it.PubHash != "" && it.Kind != "authorized-key" {
		fmt.Fprintf(&b, ", public key SHA-256 %s", it.PubHash[:16])
	}
	return b.String()
}
