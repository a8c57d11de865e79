// Package transport finds how a device talks to the network without
// protection: TLS certificate or SSH host key verification turned off
// (curl -k, wget --no-check-certificate, verify_tls: false, tls_insecure,
// SSL_VERIFY_NONE and CURLOPT_SSL_VERIFYPEER=0 in programs, Go's
// ssh.InsecureIgnoreHostKey, StrictHostKeyChecking no), and endpoints in
// cleartext (http://, ftp://, mqtt://, ws://, telnet://, tcp://...:1883)
// in configurations, scripts, web code and programs. XML namespaces,
// schema and documentation URLs, loopback targets and https:// are not
// endpoints in cleartext; private addresses are reported as information.
package transport

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/srctext"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Rule IDs; the rest is their catalog entries in rules/findings/tls.yaml
// and rules/findings/net.yaml.
const (
	RuleInsecureCommand = "TS-TLS-001"
	RuleInsecureSetting = "TS-TLS-002"
	RuleInsecureBinary  = "TS-TLS-003"
	RuleHostKey         = "TS-TLS-004"
	RuleCleartextText   = "TS-NET-001"
	RuleCleartextBinary = "TS-NET-002"
)

const (
	maxText   = 4 << 20
	maxBinary = 64 << 20
)

// Analyzer is the transport FileAnalyzer.
type Analyzer struct {
	cat *catalog.Catalog
}

// New builds the analyzer.
func New() *Analyzer { return &Analyzer{cat: catalog.MustDefault()} }

// Name implements plugin.FileAnalyzer.
func (a *Analyzer) Name() string { return "transport" }

// FileRequired implements plugin.FileAnalyzer.
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	if fi.Size == 0 {
		return false
	}
	switch fi.Type.Type {
	case filetype.ELF:
		return fi.Size <= maxBinary && fi.Type.Sub != "rel"
	case filetype.Script, filetype.Text:
		return fi.Size <= maxText && textWanted(fi.Path)
	}
	return false
}

// textWanted: configuration, scripts and web code, not documentation,
// licences, package metadata or certificates.
func textWanted(p string) bool {
	for _, skip := range []string{"/usr/share/doc/", "/usr/share/man/", "/usr/share/info/", "/usr/share/common-licenses/", "/usr/share/licenses/",
		"/usr/lib/opkg/", "/var/lib/dpkg/", "/var/lib/opkg/", "/usr/share/mime/", "/usr/share/zoneinfo/", "/etc/ssl/", "/usr/share/ca-certificates/",
		"/usr/include/", "/usr/share/locale/", "/usr/share/perl", "/usr/lib/python3/dist-packages/", "/node_modules/"} {
		if strings.Contains(p, skip) {
			return false
		}
	}
	base := strings.ToLower(path.Base(p))
	switch {
	case strings.HasPrefix(base, "license"), strings.HasPrefix(base, "copying"), strings.HasPrefix(base, "readme"), strings.HasPrefix(base, "changelog"),
		strings.HasPrefix(base, "notice"), strings.HasPrefix(base, "authors"):
		return false
	}
	switch path.Ext(base) {
	case ".md", ".txt", ".rst", ".pem", ".crt", ".html", ".htm", ".xml", ".svg", ".css", ".map", ".po", ".h", ".c":
		return strings.HasSuffix(base, ".html") && (strings.Contains(p, "/www/") || strings.Contains(p, "/htdocs/"))
	}
	return true
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Data == nil {
		out.SkipLarge(a.Name(), in, 0)
		return nil
	}
	if in.Type.Type == filetype.ELF {
		a.binary(in, out)
		return nil
	}
	a.text(in, out)
	return nil
}

// Text patterns.
var (
	// a command that turns certificate checks off
	insecureCmdRe = lazyre.New(`\bcurl\b[^|;&\n]*\s(?:-k|--insecure|-[a-zA-Z]*k[a-zA-Z]*)(?:\s|$|["'])|\b(?:wget|uclient-fetch)\b[^|;&\n]*\s--no-check-certificate\b|\bopenssl\s+s_client\b[^|;&\n]*-verify_return_error\s+0`)
	// settings and code that turn certificate checks off
	insecureSettingRe = lazyre.New(`(?i)\b(?:verify_tls|tls_verify|ssl_verify|verify_ssl|sslverify|ssl_verify_peer|verify_peer|verify_certificate|check_certificate|check_cert|tls_check_cert|insecure[_-]skip[_-]tls[_-]verify|verifycert|ssl_check_cert)["']?\s*[:=]\s*["']?(?:false|no|off|0|none)\b|\btls_insecure\s+(?:true|yes|1)\b|\btls-verify\s*=\s*(?:false|no|0)\b|(?-i:\bverify\s*=\s*False\b)|\brejectUnauthorized["']?\s*:\s*false\b|\bNODE_TLS_REJECT_UNAUTHORIZED["']?\s*[=:]\s*["']?0|(?-i:\bInsecureSkipVerify\s*:\s*true\b)|(?-i:CURLOPT_SSL_VERIFY(?:PEER|HOST)\s*,\s*(?:0|false|FALSE)\b)|(?-i:SSL_CTX_set_verify\s*\([^,]+,\s*SSL_VERIFY_NONE)|(?-i:\bverify\s*=\s*["']none["'])|(?-i:\bssl\._create_unverified_context\b)|(?-i:\bCERT_NONE\b)`)
	// SSH without host key verification
	hostKeyRe = lazyre.New(`(?i)\bStrictHostKeyChecking\s*[= ]\s*["']?no\b|\bUserKnownHostsFile\s*[= ]\s*["']?/dev/null\b|(?-i:\bdbclient\b[^|;&\n]*\s-y\s*-?y\b)|(?-i:\bssh\.InsecureIgnoreHostKey\s*\()|(?-i:\bAutoAddPolicy\s*\()`)

	endpointRe   = lazyre.New(`\b(http|ftp|mqtt|ws|telnet|tftp|tcp)://([^\s"'<>\\)\]{},;|` + "`" + `]+)`)
	sensitiveRe  = lazyre.New(`(?i)passw|passwd|token|secret|api[_-]?key|auth|login|account|credential|telemetry|upload|update|upgrade|firmware|\bapi\b|_api\b|cloud|report|stat|register|activate|license|payment|billing|email|e-mail`)
	docContextRe = lazyre.New(`(?i)xmlns|<!DOCTYPE|schemaLocation|SYSTEM\s+"|@context|\bhref=|\bsee\s+(?:<?https?|ftp)://|documentation|bug reports?|report bugs|bug track|homepage|licen[cs]e|\bL<|latest (?:sources|version)|available (?:from|at)`)
	// binURLRe: in a program, an endpoint is a string that is the URL (a
	// default, a format) or a value after a key or in a command line;
	// a URL inside prose is a reference
	binURLRe = lazyre.New(`^\s*["'<(]?(?:http|ftp|mqtt|ws|telnet|tftp|tcp)://|[=]\s*["']?(?:http|ftp|mqtt|ws|telnet|tftp|tcp)://|\b(?:wget|curl|tftp|uclient-fetch|mosquitto_pub|mosquitto_sub)\s[^\n]*://`)
)

// text finds the settings and endpoints of a configuration, script or web
// file, line by line, comments skipped.
func (a *Analyzer) text(in *plugin.Input, out *plugin.Results) {
	d := in.Data
	want := bytes.Contains(d, []byte("://"))
	for _, k := range []string{"curl", "check-cert", "erify", "VERIFY", "nsecure", "StrictHostKeyChecking", "KnownHosts", "dbclient", "reject", "REJECT", "CERT_NONE", "AutoAddPolicy", "unverified"} {
		want = want || bytes.Contains(d, []byte(k))
	}
	if !want {
		return
	}
	lines := srctext.Live(d, srctext.LangOf(in.Path, in.Type.Sub))
	seen := map[string]bool{}
	prev := ""
	for _, l := range lines {
		t := l.Text
		if m := insecureCmdRe.FindString(t); m != "" {
			a.add(in, out, seen, model.Finding{RuleID: RuleInsecureCommand, Title: fmt.Sprintf("%s turns off TLS certificate verification in %s", firstWord(m), path.Base(in.Path)),
				Evidence: clip(strings.TrimSpace(l.Raw), 160)}, l.N, norm(m))
		}
		if m := insecureSettingRe.FindString(t); m != "" {
			a.add(in, out, seen, model.Finding{RuleID: RuleInsecureSetting, Title: fmt.Sprintf("TLS certificate verification turned off in %s (%s)", path.Base(in.Path), clip(strings.TrimSpace(m), 50)),
				Evidence: clip(strings.TrimSpace(l.Raw), 160)}, l.N, norm(m))
		}
		if m := hostKeyRe.FindString(t); m != "" {
			a.add(in, out, seen, model.Finding{RuleID: RuleHostKey, Title: fmt.Sprintf("SSH host key verification turned off in %s (%s)", path.Base(in.Path), clip(strings.TrimSpace(m), 50)),
				Evidence: clip(strings.TrimSpace(l.Raw), 160)}, l.N, norm(m))
		}
		if strings.Contains(t, "://") {
			for _, e := range endpoints(t) {
				sev := model.Severity("")
				switch {
				case e.private:
					sev = model.Info
				case sensitiveRe.MatchString(t) || sensitiveRe.MatchString(prev):
					sev = model.Medium
				}
				a.add(in, out, seen, model.Finding{RuleID: RuleCleartextText, Severity: sev,
					Title:    fmt.Sprintf("Cleartext %s endpoint %s in %s", strings.ToUpper(e.scheme), e.host, path.Base(in.Path)),
					Evidence: clip(strings.TrimSpace(l.Raw), 160)}, l.N, e.url)
			}
		}
		prev = t
	}
}

type endpoint struct {
	scheme, host, url string
	private           bool
}

// endpoints lists the cleartext endpoints of s that name a host.
func endpoints(s string) []endpoint {
	if docContextRe.MatchString(s) {
		return nil
	}
	var out []endpoint
	for _, m := range endpointRe.FindAllStringSubmatch(s, -1) {
		scheme, rest := m[1], m[2]
		host := rest
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if i := strings.LastIndexByte(host, '@'); i >= 0 {
			host = host[i+1:]
		}
		port := ""
		if strings.HasPrefix(host, "[") {
			if i := strings.IndexByte(host, ']'); i > 0 {
				host, port = host[1:i], strings.TrimPrefix(host[i+1:], ":")
			}
		} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host, port = host[:i], host[i+1:]
		}
		if scheme == "tcp" && port != "1883" && port != "8883" && port != "23" {
			continue // tcp:// is a cleartext protocol only for MQTT's and telnet's ports
		}
		if scheme == "tcp" && port == "8883" {
			continue
		}
		ok, private := hostOK(host)
		if !ok || docURL(host, rest) {
			continue
		}
		out = append(out, endpoint{scheme: scheme, host: host, url: scheme + "://" + rest, private: private})
	}
	return out
}

var hostLabelRe = lazyre.New(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)

// hostOK says whether host is a real, non-loopback host name or address,
// and whether it is a private one.
func hostOK(host string) (ok, private bool) {
	if host == "" || strings.ContainsAny(host, "%$*{}") {
		return false, false // a format or a variable: no host known
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.IsLoopback() || ip.IsUnspecified() {
			return false, false
		}
		return true, ip.IsPrivate() || ip.IsLinkLocalUnicast()
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".lan") || !strings.Contains(h, ".") {
		return false, false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if !hostLabelRe.MatchString(l) {
			return false, false
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") != "" {
		return false, false
	}
	if labels[0] == "www" && len(labels) < 3 {
		return false, false // "www.css": a fragment of text, not a host
	}
	return true, false
}

// docHosts serve specifications, schemas, licences and project pages:
// their URLs are names and references, not endpoints the device uses.
var docHosts = []string{"w3.org", "xmlsoap.org", "upnp.org", "purl.org", "ietf.org", "rfc-editor.org", "openssl.org", "gnu.org", "fsf.org", "opensource.org",
	"creativecommons.org", "apache.org", "debian.org", "freedesktop.org", "xml.org", "oasis-open.org", "dublincore.org", "adobe.com", "microsoft.com/schemas",
	"openmobilealliance.org", "wapforum.org", "dlna.org", "trustedcomputinggroup.org", "wi-fi.org", "schema.org", "json-schema.org", "mozilla.org", "kernel.org",
	"busybox.net", "sourceforge.net", "github.com", "gitlab.com", "python.org", "perl.org", "php.net", "lua.org", "sqlite.org", "curl.se", "haxx.se", "openwrt.org/docs", "netfilter.org", "net-snmp.org", "miniupnp.free.fr", "thekelleys.org.uk"}

func docURL(host, rest string) bool {
	h := strings.ToLower(host)
	r := strings.ToLower(rest)
	for _, d := range docHosts {
		dh, dp, _ := strings.Cut(d, "/")
		if (h == dh || strings.HasSuffix(h, "."+dh)) && (dp == "" || strings.Contains(r, "/"+dp)) {
			return true
		}
	}
	if strings.HasPrefix(h, "schemas.") || strings.HasPrefix(h, "ns.") {
		return true
	}
	for _, ext := range []string{".dtd", ".xsd", ".rdf", "/ns#", "/ns/"} {
		if strings.Contains(r, ext) {
			return true
		}
	}
	return false
}

func (a *Analyzer) add(in *plugin.Input, out *plugin.Results, seen map[string]bool, f model.Finding, line int, key string) {
	if seen[f.RuleID+"\x00"+key] {
		return
	}
	seen[f.RuleID+"\x00"+key] = true
	f.Evidence = srctext.RedactURLs(f.Evidence)
	f.Location = in.Loc
	f.Location.Line = line
	f.Fingerprint = model.Fingerprint(f.RuleID, in.Path, key)
	r, ok := a.cat.Lookup(f.RuleID)
	if !ok {
		panic("transport: no catalog entry for " + f.RuleID)
	}
	srctext.Adjust(&f, in.Path, r.Severity)
	if err := a.cat.Fill(&f); err != nil {
		panic(err)
	}
	out.Findings = append(out.Findings, f)
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return path.Base(f[0])
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Binary patterns: strings a program carries when it turns checks off.
var (
	binCurlRe    = lazyre.New(`CURLOPT_SSL_VERIFY(?:PEER|HOST)\s*(?:=|,|:)?\s*(?:0|false|FALSE|0L)\b`)
	binNoneRe    = lazyre.New(`\bSSL_VERIFY_NONE\b|MBEDTLS_SSL_VERIFY_NONE|WOLFSSL_VERIFY_NONE`)
	binCmdRe     = insecureCmdRe
	verifySetter = []string{"curl_easy_setopt", "SSL_CTX_set_verify", "SSL_set_verify", "mbedtls_ssl_conf_authmode", "wolfSSL_CTX_set_verify", "gnutls_certificate_set_verify_flags"}
)

// binary reads a program's strings and imports.
func (a *Analyzer) binary(in *plugin.Input, out *plugin.Results) {
	d := in.Data
	seen := map[string]bool{}
	base := path.Base(in.Path)
	var imports map[string]bool
	importsOf := func() map[string]bool {
		if imports == nil {
			imports = srctext.Imports(bytes.NewReader(d))
			if imports == nil {
				imports = map[string]bool{}
			}
		}
		return imports
	}
	// TLS verification off: a setting in a log or error string next to
	// an import that can turn it off, or a command line a program runs
	var tlsEv []string
	for _, needle := range []string{"CURLOPT_SSL_VERIFY", "VERIFY_NONE"} {
		for _, s := range srctext.StringsWith(d, needle) {
			if binCurlRe.MatchString(s.S) || binNoneRe.MatchString(s.S) {
				tlsEv = append(tlsEv, clip(strings.TrimSpace(s.S), 100))
			}
		}
	}
	if len(tlsEv) > 0 {
		var setters []string
		for _, fn := range verifySetter {
			if importsOf()[fn] {
				setters = append(setters, fn)
			}
		}
		if len(setters) > 0 {
			a.add(in, out, seen, model.Finding{RuleID: RuleInsecureBinary, Title: fmt.Sprintf("%s turns off TLS certificate verification", base),
				Evidence: fmt.Sprintf("strings: %s; imports %s", quoteList(tlsEv), strings.Join(setters, ", "))}, 0, "setting")
		}
	}
	for _, needle := range []string{"curl ", "wget ", "uclient-fetch "} {
		for _, s := range srctext.StringsWith(d, needle) {
			if m := binCmdRe.FindString(s.S); m != "" {
				a.add(in, out, seen, model.Finding{RuleID: RuleInsecureBinary, Title: fmt.Sprintf("%s runs %s without TLS certificate verification", base, firstWord(m)),
					Evidence: "strings: " + quoteList([]string{clip(strings.TrimSpace(s.S), 120)})}, 0, "command "+firstWord(m))
			}
		}
	}
	// SSH host key verification off: Go's x/crypto/ssh callback that
	// accepts every key, kept by the linker only when it is used
	if bytes.Contains(d, []byte("InsecureIgnoreHostKey")) && bytes.Contains(d, []byte("golang.org/x/crypto/ssh")) {
		var syms []string
		for _, s := range srctext.StringsWith(d, "InsecureIgnoreHostKey") {
			syms = append(syms, goSymbol(s.S, int(0)))
		}
		ev := "Go function " + strings.Join(uniq(syms), ", ")
		if eps := binaryEndpoints(d, ":22"); len(eps) > 0 {
			ev += "; strings " + quoteList(eps)
		}
		a.add(in, out, seen, model.Finding{RuleID: RuleHostKey, Title: fmt.Sprintf("%s accepts any SSH host key (ssh.InsecureIgnoreHostKey)", base), Evidence: ev}, 0, "go-insecureignorehostkey")
	}
	for _, s := range srctext.StringsWith(d, "StrictHostKeyChecking") {
		if hostKeyRe.MatchString(s.S) {
			a.add(in, out, seen, model.Finding{RuleID: RuleHostKey, Title: fmt.Sprintf("%s runs ssh without host key verification", base),
				Evidence: "strings: " + quoteList([]string{clip(strings.TrimSpace(s.S), 120)})}, 0, "strict")
		}
	}
	// cleartext endpoints with a host name
	for _, s := range srctext.StringsWith(d, "://") {
		if docContextRe.MatchString(s.S) || !binURLRe.MatchString(s.S) {
			continue
		}
		for _, e := range endpoints(s.S) {
			if e.private {
				continue
			}
			a.add(in, out, seen, model.Finding{RuleID: RuleCleartextBinary, Title: fmt.Sprintf("Cleartext %s endpoint %s in %s", strings.ToUpper(e.scheme), e.host, base),
				Evidence: "strings: " + quoteList([]string{clip(strings.TrimSpace(s.S), 120)})}, 0, e.url)
		}
	}
}

var goSymRe = lazyre.New(`[A-Za-z0-9_./*()-]*InsecureIgnoreHostKey[A-Za-z0-9_.]*`)

// goSymbol cuts the function name that holds InsecureIgnoreHostKey out
// of the (packed) string around it.
func goSymbol(s string, _ int) string {
	if m := goSymRe.FindString(s); m != "" {
		return m
	}
	return "InsecureIgnoreHostKey"
}

// hostPortRe: Go packs its strings without separators, so the port ends
// at the first non-digit.
var hostPortRe = lazyre.New(`\b([a-z0-9][a-z0-9.-]*\.[a-z]{2,}:(?:22\d\d|22))(?:[^0-9]|$)`)

// binaryEndpoints lists host:port strings of SSH-like ports in a binary.
func binaryEndpoints(d []byte, needle string) []string {
	var out []string
	for _, s := range srctext.StringsWith(d, needle) {
		for _, sm := range hostPortRe.FindAllStringSubmatch(s.S, 3) {
			m := sm[1]
			if ok, _ := hostOK(m[:strings.LastIndexByte(m, ':')]); ok && !docURL(m, m) {
				out = append(out, m)
			}
		}
	}
	return uniq(out)
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func quoteList(ss []string) string {
	var q []string
	for i, s := range uniq(ss) {
		if i == 3 {
			q = append(q, "...")
			break
		}
		q = append(q, "'"+s+"'")
	}
	return strings.Join(q, ", ")
}
