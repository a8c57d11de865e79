package reporttest

import (
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// Previous is the report of the release before Rich's, so that the diff
// from Previous to Rich has a change of every kind the encoders of a
// diff show: busybox and libopenssl3 upgraded, a component removed, the
// default password new, a secret fixed, a finding whose severity
// changed, a vulnerability introduced and one fixed, busybox's stack
// canary lost and acme-agent's NX gained, files added, removed and changed.
func Previous() *model.Report {
	rep := Rich()
	rep.Tool.Version = "v1.2.0"
	rep.Target.Name = "acme-cam-1.0.bin"
	rep.Target.SHA256 = strings.Repeat("4", 64)
	rep.Notes = nil
	const oldBusybox = "pkg:opkg/busybox@1.34.1-1?arch=mipsel_24kc"
	const oldOpenssl = "pkg:opkg/libopenssl3@3.0.5-1?arch=mipsel_24kc"
	const zlib = "pkg:opkg/zlib@1.2.11-3?arch=mipsel_24kc"
	rep.Components[0].Ref, rep.Components[0].PURL, rep.Components[0].Version = oldBusybox, oldBusybox, "1.34.1"
	rep.Components[1].Ref, rep.Components[1].PURL, rep.Components[1].Version = oldOpenssl, oldOpenssl, "3.0.5"
	rep.Components[2].Dependencies = []string{oldOpenssl}
	rep.Components = append(rep.Components, model.Component{Ref: zlib, PURL: zlib, Name: "zlib", Version: "1.2.11", Type: "library",
		Locations: []model.Location{rep.Components[1].Locations[0]}})

	// the default password is new in Rich; a token in the web UI is fixed
	web := rep.Findings[0].Location
	web.Path = "/www/js/main.js"
	web.Line = 14
	rep.Findings[0] = model.Finding{RuleID: "TS-SECRET-031", Title: "GitHub fine-grained personal access token", Severity: model.High, Category: "secret-token",
		CWE: []string{"CWE-798"}, Location: web, Evidence: "ghp_****",
		Fingerprint: model.Fingerprint("TS-SECRET-031", "/www/js/main.js", "ghp_1")}
	// the hardening finding was medium
	rep.Findings[3].Severity = model.Medium
	// busybox had its canary
	rep.Binaries[0].Canary = true
	rep.Binaries[0].Missing = []string{"pie", "full-relro"}
	// acme-agent gained NX
	rep.Binaries[1].NX = false

	// CVE-2022-48174 is introduced; CVE-2021-42386 (busybox 1.34) fixed
	rep.Vulnerabilities[0] = model.Vulnerability{ID: "CVE-2021-42386", Severity: model.High, Summary: "Use-after-free in BusyBox's awk applet.",
		CVSS: []model.CVSS{{Version: "3.1", Score: 7.2, Vector: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", Source: "nvd@nist.gov"}},
		CWE:  []string{"CWE-416"}, Fixed: []string{"1.34.0"},
		Component: oldBusybox, ComponentName: "busybox", InstalledVersion: "1.34.1",
		MatchedBy: model.Match{Method: "cpe", Criterion: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", Constraint: "< 1.35.0"}}
	rep.Vulnerabilities[1].Component, rep.Vulnerabilities[1].InstalledVersion = oldOpenssl, "3.0.5"

	rep.Files[1].SHA256 = strings.Repeat("a", 64) // /etc/shadow changed
	rep.Files[2].Mode = "-rwxr-x---"              // acme-agent's mode changed
	rep.Files = append(rep.Files, model.File{Layer: "L2", Path: "/www/js/main.js", Size: 4096, Mode: "-rw-r--r--", SHA256: strings.Repeat("f", 64), Type: "text"})
	rep.Files = rep.Files[1:] // /bin/busybox is new in Rich
	return rep
}
