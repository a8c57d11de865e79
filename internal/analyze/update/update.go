// Package update finds how a device updates its firmware and judges the
// path: scripts and programs that download an image and write it to flash
// (mtd write, dd to /dev/mtd*, sysupgrade, flashcp, nandwrite,
// ubiupdatevol, swupdate, RAUC, Mender), whether the download is in
// cleartext (tftp, http://, ftp://), whether a signature is verified
// before the write (openssl dgst -verify, gpg --verify, usign -V,
// signify, fwtool -s, EVP_DigestVerify*, mbedtls_pk_verify, ...) or only
// a checksum from the same channel. It also reads the boot chain's
// settings that decide whether a modified image boots: the U-Boot
// environment (bootdelay without a stop key, verify=n) and the U-Boot
// and kernel configurations (FIT signatures, dm-verity).
package update

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/srctext"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Rule IDs; the rest is their catalog entry in rules/findings/update.yaml.
const (
	RuleCleartext    = "TS-UPD-001"
	RuleNoSignature  = "TS-UPD-002"
	RuleChecksumOnly = "TS-UPD-003"
	RuleMechanism    = "TS-UPD-004"
	RuleAutoboot     = "TS-UPD-005"
	RuleNoFITSig     = "TS-UPD-006"
	RuleNoVerity     = "TS-UPD-007"
)

const (
	maxScript = 1 << 20
	maxBinary = 64 << 20
)

// Analyzer is the update-path FileAnalyzer.
type Analyzer struct {
	cat *catalog.Catalog
}

// New builds the analyzer.
func New() *Analyzer { return &Analyzer{cat: catalog.MustDefault()} }

// Name implements plugin.FileAnalyzer.
func (a *Analyzer) Name() string { return "update" }

// FileRequired implements plugin.FileAnalyzer.
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	if fi.Size == 0 {
		return false
	}
	switch fi.Type.Type {
	case filetype.Script:
		return fi.Size <= maxScript && shellLike(fi.Path, fi.Type.Sub)
	case filetype.Text:
		return fi.Size <= maxScript && (ubootEnvName(fi.Path) || configName(fi.Path) || shellLike(fi.Path, "") && executable(fi))
	case filetype.ELF:
		return fi.Type.Sub != "rel" && !strings.Contains(path.Base(fi.Path), ".so") && fi.Size <= maxBinary
	case filetype.Data:
		return fi.Size <= 1<<20 && ubootEnvName(fi.Path)
	}
	return false
}

func executable(fi *plugin.FileInfo) bool { return fi.Mode&0o111 != 0 }

func shellLike(p, interp string) bool {
	switch interp {
	case "sh", "bash", "ash":
		return true
	case "":
	default:
		return false
	}
	ext := path.Ext(p)
	return ext == ".sh" || ext == "" && (strings.Contains(p, "/bin/") || strings.Contains(p, "/init.d/") || strings.Contains(p, "/upgrade/") || strings.Contains(p, "/hotplug.d/"))
}

func ubootEnvName(p string) bool {
	b := strings.ToLower(path.Base(p))
	return b == "uenv.txt" || b == "u-boot-env.txt" || strings.HasPrefix(b, "u-boot") && (strings.HasSuffix(b, ".env") || strings.Contains(b, "env.bin") || strings.HasSuffix(b, "env.txt")) ||
		b == "uboot-env.bin" || b == "uboot.env" || b == "boot.env" || b == "env.txt" && strings.Contains(p, "boot")
}

func configName(p string) bool {
	b := path.Base(p)
	return b == ".config" || strings.HasPrefix(b, "config-") && strings.Contains(p, "/boot/") || strings.HasSuffix(b, "_defconfig") || b == "defconfig"
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Data == nil {
		out.SkipLarge(a.Name(), in, 0)
		return nil
	}
	switch {
	case in.Type.Type == filetype.ELF:
		a.binary(in, out)
	case ubootEnvName(in.Path):
		a.ubootEnv(in, out)
	case in.Type.Type == filetype.Text && configName(in.Path):
		a.kconfig(in, out)
	default:
		a.script(in, out)
	}
	return nil
}

// Patterns of a shell updater.
var (
	flashRe = cmdAt(`mtd\s+(?:-[a-zA-Z]+\s+(?:\S+\s+)?)*write\b|dd\s[^;|&]*\bof=/dev/(?:mtd|mmcblk|ubi|nand|sd[a-z])|flashcp\s|nandwrite\s|ubiupdatevol\s|sysupgrade\s|swupdate\s|rauc\s+install\b|mender\s+(?:-install|install)\b|fwupdate\s`)
	fetchRe = cmdAt(`wget|curl|tftp|ftpget|uclient-fetch|atftp|scp|rsync`)
	urlRe   = lazyre.New(`\b(?:https?|ftp|tftp|ftps|sftp)://[^\s"'<>;|)]+`)
	// cleartext: plain HTTP, FTP or TFTP (a tftp client is TFTP whatever
	// its arguments)
	clearURLRe = lazyre.New(`\b(?:http|ftp|tftp)://`)
	verifyRe   = lazyre.New(`openssl\s+(?:dgst|pkeyutl|rsautl|smime|cms)\b[^;|&]*-verify|\bgpgv?2?\s+[^;|&]*--verify|\bgpgv\b|\busign\s+[^;|&]*-V\b|\bsignify(?:-openbsd)?\s+[^;|&]*-V\b|\bfwtool\s+[^;|&]*-s\b|\bucert\s+[^;|&]*-V\b|\bminisign\s+[^;|&]*-V\b|\bmkimage\s+[^;|&]*-k\s|\bswupdate\s[^;|&]*-k\s|\brauc\s+install\b|\bcosign\s+verify|\bverify_signature\b|\bcheck_signature\b|\bverify_image_sig`)
	sumRe      = lazyre.New(`\b(?:md5sum|sha1sum|sha256sum|sha512sum|cksum|crc32)\b`)
	tftpRe     = lazyre.New(`\b(?:tftp|atftp)\s`)
	assignRe   = lazyre.New(`^\s*(?:local\s+|export\s+|readonly\s+)?([A-Za-z_]\w*)=["']?((?:https?|ftp|tftp)://[^\s"']+)`)
)

type hit struct {
	line int
	text string
	note string // what the line's variables hold
}

func (h hit) String() string {
	s := fmt.Sprintf("line %d: %s", h.line, clip(strings.TrimSpace(h.text), 90))
	if h.note != "" {
		s += " (" + h.note + ")"
	}
	return s
}

// cmdAt anchors a command pattern where a shell command starts.
func cmdAt(words string) *lazyre.Regexp {
	return lazyre.New(`(?m)(?:^|[;&|(` + "`" + `]\s*|\b(?:then|do|else|exec|if|while|until|!)\s+|\)\s*)\s*(?:\S*/)?(?:` + words + `)`)
}

// blankQuotes blanks the contents of quoted strings, so that a message
// that names a command ("usage: tftp ...") is not the command.
func blankQuotes(s string) string {
	b := []byte(s)
	var q byte
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case q != 0 && c == q:
			q = 0
		case q == '"' && c == '$' && i+1 < len(b) && b[i+1] == '(':
			// a command substitution inside double quotes is code
			d := 0
			for ; i < len(b); i++ {
				if b[i] == '(' {
					d++
				} else if b[i] == ')' {
					if d--; d == 0 {
						break
					}
				}
			}
		case q != 0 && c != '$':
			b[i] = ' '
		case q == 0 && (c == '"' || c == '\''):
			q = c
		}
	}
	return string(b)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// script judges a shell script that writes flash.
func (a *Analyzer) script(in *plugin.Input, out *plugin.Results) {
	if !flashRe.Match(in.Data) {
		return
	}
	lines := srctext.Live(in.Data, srctext.Shell)
	urls := map[string]string{} // variable -> URL it is set to
	var flash, fetch, clear, verify, sums []hit
	for _, l := range lines {
		t := l.Text
		if m := assignRe.FindStringSubmatch(t); m != nil {
			urls[m[1]] = m[2]
		}
		code := blankQuotes(t)
		if flashRe.MatchString(code) {
			flash = append(flash, hit{l.N, t, ""})
		}
		if verifyRe.MatchString(code) {
			verify = append(verify, hit{l.N, t, ""})
		}
		if sumRe.MatchString(code) {
			sums = append(sums, hit{l.N, t, ""})
		}
		if !fetchRe.MatchString(code) {
			continue
		}
		h := hit{l.N, t, ""}
		fetch = append(fetch, h)
		switch {
		case tftpRe.MatchString(code) && !strings.Contains(t, "://"):
			clear = append(clear, h)
		case clearURLRe.MatchString(t):
			clear = append(clear, h)
		default:
			for v, u := range urls {
				if clearURLRe.MatchString(u) && regexp.MustCompile(`\$\{?`+regexp.QuoteMeta(v)+`\b`).MatchString(t) {
					clear = append(clear, hit{l.N, t, v + "=" + u})
					break
				}
			}
		}
	}
	if len(flash) == 0 {
		return
	}
	base := path.Base(in.Path)
	a.add(in, out, model.Finding{RuleID: RuleMechanism,
		Title:    fmt.Sprintf("Firmware update path: %s writes flash", base),
		Evidence: mechanism(fetch, flash, verify, sums)}, flash[0].line, "mechanism")
	if len(fetch) == 0 {
		return // writes what it is given: the caller decides where it comes from
	}
	if len(clear) > 0 {
		ev := fmt.Sprintf("downloads in cleartext at %s; writes flash at %s", joinHits(clear), flash[0])
		a.add(in, out, model.Finding{RuleID: RuleCleartext,
			Title:    fmt.Sprintf("%s downloads firmware in cleartext and flashes it", base),
			Evidence: ev}, clear[0].line, "cleartext")
	}
	if len(verify) > 0 {
		return
	}
	if len(sums) > 0 {
		a.add(in, out, model.Finding{RuleID: RuleChecksumOnly,
			Title:    fmt.Sprintf("%s checks the downloaded image only with a checksum", base),
			Evidence: fmt.Sprintf("checksum at %s; no signature verification before %s", joinHits(sums), flash[0])}, flash[0].line, "checksum")
		return
	}
	a.add(in, out, model.Finding{RuleID: RuleNoSignature,
		Title:    fmt.Sprintf("%s flashes a downloaded image without verifying a signature", base),
		Evidence: fmt.Sprintf("downloads at %s; writes flash at %s; no signature or checksum check", joinHits(fetch), flash[0])}, flash[0].line, "nosig")
}

func joinHits(hs []hit) string {
	var s []string
	for i, h := range hs {
		if i == 3 {
			s = append(s, fmt.Sprintf("and %d more", len(hs)-3))
			break
		}
		s = append(s, h.String())
	}
	return strings.Join(s, "; ")
}

func mechanism(fetch, flash, verify, sums []hit) string {
	var parts []string
	if len(fetch) > 0 {
		parts = append(parts, "downloads: "+tools(fetch, fetchRe))
	}
	parts = append(parts, "writes: "+tools(flash, flashRe))
	switch {
	case len(verify) > 0:
		parts = append(parts, "verifies: "+tools(verify, verifyRe))
	case len(sums) > 0:
		parts = append(parts, "checks: "+tools(sums, sumRe)+" (no signature)")
	default:
		parts = append(parts, "checks: none")
	}
	return strings.Join(parts, "; ")
}

func tools(hs []hit, re *lazyre.Regexp) string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hs {
		m := strings.Join(strings.Fields(strings.TrimLeft(re.FindString(blankQuotes(h.text)), ";&|(`) \t")), " ")
		m = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(m, "then "), "do "))
		if len(m) > 40 {
			m = m[:40]
		}
		k := fmt.Sprintf("%s (line %d)", m, h.line)
		if !seen[m] {
			seen[m] = true
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}

func (a *Analyzer) add(in *plugin.Input, out *plugin.Results, f model.Finding, line int, key string) {
	f.Evidence = srctext.RedactURLs(f.Evidence)
	f.Location = in.Loc
	f.Location.Line = line
	f.Fingerprint = model.Fingerprint(f.RuleID, in.Path, key)
	r, ok := a.cat.Lookup(f.RuleID)
	if !ok {
		panic("update: no catalog entry for " + f.RuleID)
	}
	srctext.Adjust(&f, in.Path, r.Severity)
	if err := a.cat.Fill(&f); err != nil {
		panic(err)
	}
	out.Findings = append(out.Findings, f)
}

// Patterns of a compiled updater.
var (
	binFlashRe = lazyre.New(`\bmtd\s+(?:-[a-zA-Z]+\s+)*write\s|\bof=/dev/mtd|\bflashcp\s|\bnandwrite\s|\bsysupgrade\s|\bubiupdatevol\s|/dev/mtd%|/dev/mtd\d`)
	// a download: a string that is a URL (or a URL format), or a
	// download command line; URLs inside prose (licences, help) are not
	binFetchRe  = lazyre.New(`^\s*(?:https?|ftp|tftp)://(?:[A-Za-z0-9.-]+|%s)|(?:^|[;&|]\s*)(?:\S*/)?(?:wget|curl|tftp|uclient-fetch)\s+-`)
	binTFTPRe   = lazyre.New(`\btftp\s+-`)
	binVerifyRe = lazyre.New(`openssl\s+dgst\b.*-verify|gpgv?\s.*--verify|usign\s.*-V|signify\s.*-V|fwtool\s.*-s`)
	verifyFuncs = []string{"EVP_DigestVerifyFinal", "EVP_DigestVerify", "EVP_VerifyFinal", "EVP_PKEY_verify", "RSA_verify", "RSA_public_decrypt", "ECDSA_verify", "ECDSA_do_verify",
		"mbedtls_pk_verify", "mbedtls_rsa_pkcs1_verify", "mbedtls_ecdsa_read_signature", "wc_SignatureVerify", "wc_RsaSSL_Verify", "ed25519_verify", "crypto_sign_open",
		"crypto_sign_verify_detached", "gpgme_op_verify", "br_rsa_pkcs1_vrfy_get_default"}
	fetchFuncs = []string{"curl_easy_perform", "curl_multi_perform", "uclient_new", "http_get", "ghttp_process", "httpc_get"}
	sumFuncs   = []string{"MD5_Init", "MD5", "EVP_md5", "mbedtls_md5", "mbedtls_md5_ret", "SHA256_Init", "mbedtls_sha256", "crc32"}
)

// binary judges a program from its strings and imports: it must hold a
// flash-write command and a download (a URL or a download library).
func (a *Analyzer) binary(in *plugin.Input, out *plugin.Results) {
	d := in.Data
	if !bytes.Contains(d, []byte("mtd")) && !bytes.Contains(d, []byte("sysupgrade")) && !bytes.Contains(d, []byte("flashcp")) && !bytes.Contains(d, []byte("nandwrite")) && !bytes.Contains(d, []byte("ubiupdatevol")) {
		return
	}
	var flash, fetch, clear, verify, sums []string
	for _, s := range srctext.Strings(d, 6) {
		t := s.S
		if len(t) > 300 {
			continue
		}
		if binFlashRe.MatchString(t) {
			flash = append(flash, t)
		}
		if binFetchRe.MatchString(t) {
			fetch = append(fetch, t)
			if m := urlRe.FindString(t); m != "" && clearURLRe.MatchString(m) && !skipHost(m) || binTFTPRe.MatchString(t) {
				clear = append(clear, t)
			}
		}
		if binVerifyRe.MatchString(t) {
			verify = append(verify, t)
		}
		if sumRe.MatchString(t) {
			sums = append(sums, t)
		}
	}
	if len(flash) == 0 {
		return
	}
	imports := srctext.Imports(bytes.NewReader(d))
	for _, fn := range fetchFuncs {
		if imports[fn] {
			fetch = append(fetch, fn+"()")
		}
	}
	for _, fn := range verifyFuncs {
		if imports[fn] {
			verify = append(verify, fn+"()")
		}
	}
	for _, fn := range sumFuncs {
		if imports[fn] {
			sums = append(sums, fn+"()")
		}
	}
	if len(fetch) == 0 {
		return
	}
	base := path.Base(in.Path)
	checks := "none"
	switch {
	case len(verify) > 0:
		checks = quote(verify)
	case len(sums) > 0:
		checks = quote(sums) + " (no signature)"
	}
	a.add(in, out, model.Finding{RuleID: RuleMechanism, Title: fmt.Sprintf("Firmware update path: program %s downloads and writes flash", base),
		Evidence: fmt.Sprintf("downloads: %s; writes: %s; checks: %s", quote(fetch), quote(flash), checks)}, 0, "mechanism")
	if len(clear) > 0 {
		a.add(in, out, model.Finding{RuleID: RuleCleartext, Title: fmt.Sprintf("%s downloads firmware in cleartext and flashes it", base),
			Evidence: fmt.Sprintf("strings: %s; %s", quote(clear), quote(flash))}, 0, "cleartext")
	}
	if len(verify) > 0 {
		return
	}
	if len(sums) > 0 {
		a.add(in, out, model.Finding{RuleID: RuleChecksumOnly, Title: fmt.Sprintf("%s checks downloaded firmware only with a checksum before flashing", base),
			Evidence: fmt.Sprintf("strings: %s, %s, %s; no signature verification (no verify import or command)", quote(fetch), quote(sums), quote(flash))}, 0, "checksum")
		return
	}
	a.add(in, out, model.Finding{RuleID: RuleNoSignature, Title: fmt.Sprintf("%s flashes downloaded firmware without verifying a signature", base),
		Evidence: fmt.Sprintf("strings: %s, %s; no signature or checksum check", quote(fetch), quote(flash))}, 0, "nosig")
}

func quote(ss []string) string {
	seen := map[string]bool{}
	var q []string
	for _, s := range ss {
		if seen[s] {
			continue
		}
		seen[s] = true
		if len(q) == 4 {
			q = append(q, "...")
			break
		}
		if strings.HasSuffix(s, "()") {
			q = append(q, s)
		} else {
			q = append(q, fmt.Sprintf("'%s'", clip(s, 80)))
		}
	}
	return strings.Join(q, ", ")
}

// skipHost: loopback targets are not a network download.
func skipHost(u string) bool {
	return strings.Contains(u, "://localhost") || strings.Contains(u, "://127.")
}

// ubootEnv reads a U-Boot environment: a text file of name=value lines
// or a binary blob (CRC32, an optional flag byte, NUL-separated pairs).
func (a *Analyzer) ubootEnv(in *plugin.Input, out *plugin.Results) {
	env := map[string]string{}
	lines := map[string]int{}
	text := in.Type.Type == filetype.Text
	if text {
		for _, l := range srctext.Live(in.Data, srctext.Shell) {
			if k, v, ok := strings.Cut(strings.TrimSpace(l.Text), "="); ok {
				env[k], lines[k] = v, l.N
			}
		}
	} else {
		d := in.Data
		start := 4
		if len(d) > 5 && (d[4] == 0 || d[4] == 1) && d[5] != 0 { // redundant environment: a flag byte
			start = 5
		}
		if start >= len(d) {
			return
		}
		for _, kv := range bytes.Split(d[start:], []byte{0}) {
			if len(kv) == 0 {
				break
			}
			if k, v, ok := strings.Cut(string(kv), "="); ok {
				env[k] = v
			}
		}
	}
	if _, ok := env["bootcmd"]; !ok {
		return
	}
	var why []string
	line := 0
	if d, ok := env["bootdelay"]; ok && d != "0" && d != "-2" {
		_, keyed := env["bootstopkey"]
		_, sha := env["bootstopkeysha256"]
		_, keyed2 := env["bootdelaykey"]
		if !keyed && !sha && !keyed2 {
			why = append(why, "bootdelay="+d+" without bootstopkey (any key on the console stops autoboot)")
			line = lines["bootdelay"]
		}
	}
	if v, ok := env["verify"]; ok && (v == "n" || v == "no" || v == "0") {
		why = append(why, "verify="+v+" (image checksums are not checked)")
		if line == 0 {
			line = lines["verify"]
		}
	}
	if len(why) == 0 {
		return
	}
	a.add(in, out, model.Finding{RuleID: RuleAutoboot, Evidence: strings.Join(why, "; ")}, line, "env")
}

// kconfig reads a U-Boot or kernel configuration.
func (a *Analyzer) kconfig(in *plugin.Input, out *plugin.Results) {
	d := in.Data
	if !bytes.Contains(d, []byte("\nCONFIG_")) && !bytes.HasPrefix(d, []byte("CONFIG_")) {
		return
	}
	set := func(name string) bool {
		return bytes.Contains(d, []byte("\n"+name+"=y")) || bytes.HasPrefix(d, []byte(name+"=y"))
	}
	uboot := bytes.Contains(d, []byte("U-Boot")) || set("CONFIG_CMD_BOOTM") || bytes.Contains(d, []byte("\nCONFIG_SYS_TEXT_BASE=")) || bytes.Contains(d, []byte("\nCONFIG_TEXT_BASE="))
	kernel := bytes.Contains(d, []byte("Linux/")) && bytes.Contains(d, []byte("Kernel Configuration")) || set("CONFIG_MODULES") && set("CONFIG_BLOCK")
	switch {
	case uboot && !kernel:
		if !set("CONFIG_FIT_SIGNATURE") {
			ev := "CONFIG_FIT_SIGNATURE is not set"
			if set("CONFIG_FIT") {
				ev += " (FIT images are booted unsigned)"
			}
			if !set("CONFIG_AUTOBOOT_KEYED") && bytes.Contains(d, []byte("\nCONFIG_BOOTDELAY=")) && !bytes.Contains(d, []byte("\nCONFIG_BOOTDELAY=0")) && !bytes.Contains(d, []byte("\nCONFIG_BOOTDELAY=-2")) {
				ev += "; CONFIG_BOOTDELAY > 0 without CONFIG_AUTOBOOT_KEYED"
			}
			a.add(in, out, model.Finding{RuleID: RuleNoFITSig, Evidence: ev}, 0, "fit")
		}
	case kernel:
		if !set("CONFIG_DM_VERITY") {
			a.add(in, out, model.Finding{RuleID: RuleNoVerity, Evidence: "CONFIG_DM_VERITY is not set"}, 0, "verity")
		}
	}
}
