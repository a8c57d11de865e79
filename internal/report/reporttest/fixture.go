package reporttest

import (
	"strings"
	"time"

	"github.com/thingsec/thingsec/internal/model"
)

// Rich is a fixed report that exercises every field an encoder may write:
// a firmware image with nested layers (uImage, a squashfs root file system
// inside it, a JFFS2 partition), findings of every category (secret tokens
// with redacted evidence, default credentials, private keys, certificates,
// binary hardening raised above its rule's default, an info finding, a
// finding of a user rule pack outside the catalog, one on the image
// itself at an offset), vulnerabilities with several CVSS scores, KEV and
// EPSS, one without any score, components with CPEs, evidence and several
// locations, hardening records, problems and skipped content. Encoders'
// golden files are made from it, so a change here changes them all.
func Rich() *model.Report {
	const (
		root  = "acme-cam.bin"
		chain = "acme-cam.bin > uimage@0x0:/rootfs > squashfs@0x0"
		jffs2 = "acme-cam.bin > jffs2@0xc0000"
	)
	rootfs := func(p string, line int) model.Location {
		return model.Location{Layer: "L2", Chain: chain, Path: p, Line: line}
	}
	cfg := func(p string, line int) model.Location {
		return model.Location{Layer: "L3", Chain: jffs2, Path: p, Line: line}
	}
	sha := func(c string) string { return strings.Repeat(c, 64) }
	busybox := "pkg:opkg/busybox@1.35.0-1?arch=mipsel_24kc"
	openssl := "pkg:opkg/libopenssl3@3.0.7-1?arch=mipsel_24kc"
	agent := "pkg:golang/github.com/acme/agent@v1.4.2"
	return &model.Report{
		SchemaVersion: model.SchemaVersion,
		Tool:          model.Tool{Name: "thingsec", Version: "v1.2.3"},
		Target:        model.Target{Name: root, Kind: "file", Size: 851968, SHA256: sha("5")},
		StartedAt:     time.Date(2026, 3, 10, 8, 30, 15, 0, time.UTC),
		Durations: []model.StageDuration{
			{Stage: "unpack", Seconds: 1.25},
			{Stage: "walk", Seconds: 2.5},
			{Stage: "enrich", Seconds: 0.5},
		},
		Layers: []model.Layer{
			{ID: "L0", Format: "file", Chain: root, Size: 851968, Extracted: true, Files: 1, Bytes: 851968},
			{ID: "L1", Parent: "L0", Source: "/" + root, Format: "uimage", Offset: 0, Size: 786432, Description: "uImage multi-file, MIPS Linux", Chain: "acme-cam.bin > uimage@0x0", Extracted: true, Depth: 1, Files: 2, Bytes: 786368},
			{ID: "L2", Parent: "L1", Source: "/rootfs", Format: "squashfs", Offset: 0, Size: 655360, Description: "squashfs 4.0, xz", Chain: chain, Extracted: true, Depth: 2, Files: 6, Bytes: 1900544},
			{ID: "L3", Parent: "L0", Source: "/" + root, Format: "jffs2", Offset: 0xc0000, Size: 65536, Chain: jffs2, Extracted: true, Depth: 1, Files: 2, Bytes: 4096},
		},
		Files: []model.File{
			{Layer: "L2", Path: "/bin/busybox", Size: 612345, Mode: "-rwsr-xr-x", SHA256: sha("b"), Type: "elf", Arch: "mips-le-32"},
			{Layer: "L2", Path: "/etc/shadow", Size: 120, Mode: "-rw-------", SHA256: sha("c"), Type: "text"},
			{Layer: "L2", Path: "/usr/sbin/acme-agent", Size: 2048000, Mode: "-rwxr-xr-x", SHA256: sha("d"), Type: "elf", Arch: "mips-le-32"},
			{Layer: "L3", Path: "/config/cloud.env", Size: 200, Mode: "-rw-r--r--", SHA256: sha("e"), Type: "text"},
		},
		Components: []model.Component{
			{Ref: busybox, Name: "busybox", Version: "1.35.0", Type: "application", PURL: busybox,
				CPEs:      []string{"cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*"},
				Locations: []model.Location{rootfs("/usr/lib/opkg/status", 0), rootfs("/bin/busybox", 0)},
				Evidence: []model.Evidence{
					{Kind: "package-db", Path: "/usr/lib/opkg/status", Match: "Package: busybox Version: 1.35.0-1"},
					{Kind: "binary-fingerprint", Path: "/bin/busybox", Match: "BusyBox v1.35.0"},
				}},
			{Ref: openssl, Name: "libopenssl3", Version: "3.0.7", Type: "library", PURL: openssl,
				CPEs:      []string{"cpe:2.3:a:openssl:openssl:3.0.7:*:*:*:*:*:*:*"},
				Locations: []model.Location{rootfs("/usr/lib/opkg/status", 0)},
				Evidence:  []model.Evidence{{Kind: "package-db", Path: "/usr/lib/opkg/status", Match: "Package: libopenssl3 Version: 3.0.7-1"}}},
			{Ref: agent, Name: "github.com/acme/agent", Version: "v1.4.2", Type: "application", PURL: agent,
				Locations:    []model.Location{rootfs("/usr/sbin/acme-agent", 0)},
				Evidence:     []model.Evidence{{Kind: "buildinfo", Path: "/usr/sbin/acme-agent", Match: "mod github.com/acme/agent v1.4.2"}},
				Dependencies: []string{openssl}},
		},
		Services: []model.Service{
			{Name: "telnetd", Protocol: "tcp", Port: 23, Binary: "/bin/busybox", StartedBy: "/etc/init.d/rcS", Location: rootfs("/etc/init.d/rcS", 4)},
		},
		Findings: []model.Finding{
			{RuleID: "TS-CRED-001", Title: "Password is a known default", Severity: model.Critical, Category: "credential",
				CWE: []string{"CWE-1392", "CWE-798"}, Standards: []string{"etsi-en-303-645@2.1.1:5.1-1"},
				Location: rootfs("/etc/shadow", 1), Evidence: "root:$1$x7Qm2Lp0$**** is a known default password",
				Description: "The account's password is in a list of default passwords.", Remediation: "Remove default passwords.",
				Fingerprint: model.Fingerprint("TS-CRED-001", "/etc/shadow", "root")},
			{RuleID: "TS-KEY-020", Title: "Private key of a CA certificate shipped in the image", Severity: model.Critical, Category: "private-key",
				CWE: []string{"CWE-321"}, Location: rootfs("/etc/ssl/private/device.key", 0),
				Evidence:    "PKCS#8 PEM RSA 1024 bits, unencrypted, public key SHA-256 780388c02e2a4359",
				Fingerprint: model.Fingerprint("TS-KEY-020", "/etc/ssl/private/device.key", "780388c02e2a4359")},
			{RuleID: "TS-SECRET-001", Title: "AWS access key ID", Severity: model.High, Category: "secret-token",
				CWE: []string{"CWE-798"}, Location: cfg("/config/cloud.env", 2), Evidence: "AWS_ACCESS_KEY_ID=AKIA****",
				Fingerprint: model.Fingerprint("TS-SECRET-001", "/config/cloud.env", "5d41402abc4b2a76")},
			{RuleID: "TS-HARD-001", Title: "Binary built without exploit mitigations", Severity: model.High, Category: "binary-hardening",
				CWE: []string{"CWE-693"}, Location: rootfs("/bin/busybox", 0),
				Evidence:    "set-user-ID; no canary, no PIE, partial RELRO",
				Fingerprint: model.Fingerprint("TS-HARD-001", "/bin/busybox", "canary,pie,full-relro")},
			{RuleID: "ACME-TOKEN", Title: "Acme device token", Severity: model.Medium, Category: "secret-token",
				CWE: []string{"CWE-798"}, Location: cfg("/config/cloud.env", 5), Evidence: "ACME_TOKEN=acm_****",
				Description: "An Acme cloud token (from a user rule pack).",
				Fingerprint: model.Fingerprint("ACME-TOKEN", "/config/cloud.env", "acm_1")},
			{RuleID: "TS-KEY-010", Title: "Expired certificate", Severity: model.Medium, Category: "weak-crypto/cert",
				CWE: []string{"CWE-298"}, Location: rootfs("/etc/ssl/certs/cloud.pem", 0),
				Evidence:    `subject "CN=cloud.acme.example", expired 2024-01-01`,
				Fingerprint: model.Fingerprint("TS-KEY-010", "/etc/ssl/certs/cloud.pem", "cafe")},
			{RuleID: "TS-SECRET-002", Title: "AWS secret access key", Severity: model.Low, Category: "secret-token",
				CWE: []string{"CWE-798"}, Location: model.Location{Layer: "L0", Chain: root, Path: "/" + root, Offset: 0xbff00},
				Evidence:    "aws_secret_access_key = wJal****",
				Fingerprint: model.Fingerprint("TS-SECRET-002", "/"+root, "9f86d081884c7d65")},
			{RuleID: "TS-KEY-021", Title: "Private key of a certificate shipped in the image", Severity: model.Info, Category: "private-key",
				CWE: []string{"CWE-321"}, Location: rootfs("/etc/ssl/private/web.key", 0), Evidence: "EC P-256, unencrypted",
				Fingerprint: model.Fingerprint("TS-KEY-021", "/etc/ssl/private/web.key", "beef")},
		},
		Binaries: []model.Binary{
			{Layer: "L2", Path: "/bin/busybox", Kind: "executable", Arch: "mips-le-32", Machine: "MIPS", Bits: 32, Endian: "little", ABI: "sysv o32",
				Interpreter: "/lib/ld-musl-mipsel-sf.so.1", Stripped: true, Setuid: true, NX: false, ExecStack: true, PIE: "no", RELRO: "partial",
				Dangerous: []model.DangerousCall{{Name: "strcpy", Count: 12}, {Name: "system", Count: 2}}, Network: []string{"socket", "bind", "accept"},
				Listens: true, RunsCommands: true, Missing: []string{"canary", "pie", "full-relro"}},
			{Layer: "L2", Path: "/usr/sbin/acme-agent", Kind: "executable", Arch: "mips-le-32", Machine: "MIPS", Bits: 32, Endian: "little", Static: true,
				Toolchain: "go", BuildID: "ab12", NX: true, PIE: "no", RELRO: "none", Fortify: false},
		},
		Vulnerabilities: []model.Vulnerability{
			{ID: "CVE-2022-48174", Severity: model.Critical, Summary: "Stack overflow in ash.c of BusyBox before 1.35 leads to arbitrary code execution.",
				CVSS: []model.CVSS{
					{Version: "3.1", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Source: "nvd@nist.gov"},
					{Version: "2.0", Score: 7.5, Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", Source: "nvd@nist.gov"},
				},
				CWE: []string{"CWE-787"}, Published: rfc3339("2023-08-22T19:16:31Z"), Fixed: []string{"1.36.0"},
				KEV:       &model.KEV{DateAdded: rfc3339("2024-05-01T00:00:00Z"), DueDate: rfc3339("2024-05-22T00:00:00Z"), Ransomware: "Unknown"},
				EPSS:      &model.EPSS{Score: 0.01234, Percentile: 0.845, Date: rfc3339("2026-03-09T00:00:00Z")},
				Component: busybox, ComponentName: "busybox", InstalledVersion: "1.35.0", URL: "https://nvd.nist.gov/vuln/detail/CVE-2022-48174",
				MatchedBy:  model.Match{Method: "cpe", Criterion: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", Constraint: "<= 1.36.1"},
				References: []string{"https://bugs.busybox.net/show_bug.cgi?id=15216"}},
			{ID: "CVE-2023-0286", Aliases: []string{"GHSA-x4qr-2fvf-3mr5"}, Severity: model.High, Summary: "X.400 address type confusion in X.509 GeneralName.",
				CVSS: []model.CVSS{{Version: "3.1", Score: 7.4, Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H", Source: "nvd@nist.gov"}},
				CWE:  []string{"CWE-843"}, Fixed: []string{"3.0.8"}, Component: openssl, ComponentName: "libopenssl3", InstalledVersion: "3.0.7", URL: "https://nvd.nist.gov/vuln/detail/CVE-2023-0286",
				MatchedBy: model.Match{Method: "purl", Criterion: "pkg:opkg/libopenssl3", Constraint: "< 3.0.8"},
				EPSS:      &model.EPSS{Score: 0.0042, Percentile: 0.71},
				Published: rfc3339("2023-02-08T20:15:24Z")},
			{ID: "GO-2024-0001", Severity: model.Medium, Summary: "Request smuggling in the agent's HTTP parser.",
				Component: agent, ComponentName: "github.com/acme/agent", InstalledVersion: "v1.4.2", URL: "https://osv.dev/vulnerability/GO-2024-0001",
				MatchedBy: model.Match{Method: "osv", Criterion: "GO-2024-0001"}},
		},
		Problems: []model.Problem{
			{Layer: "L1", Path: "/kernel", Stage: "unpack", Kind: "unsupported", Message: "lzma-compressed kernel with an unknown filter"},
		},
		Skipped: []model.Skip{
			{Analyzer: "secrets", Layer: "L2", Path: "/usr/share/firmware.blob", Size: 40 << 20, Reason: "unclaimed region over 16 MiB"},
		},
		VersionUnknown: []string{"component:acme_tool"},
		Notes:          []string{"vulnerabilities matched against the embedded sample database"},
		Summary: model.Summary{Layers: 4, Files: 4, Bytes: 2662889, FileTypes: map[string]int{"elf": 2, "text": 2}, Components: 3,
			Findings: map[string]int{"critical": 2, "high": 2, "medium": 2, "low": 1, "info": 1}, Vulnerabilities: 3, Problems: 1,
			SkippedFiles: map[string]int{"secrets": 1}},
	}
}

// rfc3339 parses an RFC 3339 time of the fixture.
func rfc3339(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
