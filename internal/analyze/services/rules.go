package services

import (
	"fmt"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Rule IDs (rules/findings/services.yaml).
const (
	RuleTelnet        = "TS-SVC-001"
	RuleRServices     = "TS-SVC-002"
	RuleFTP           = "TS-SVC-003"
	RuleTFTP          = "TS-SVC-004"
	RuleTelnetNoLogin = "TS-SVC-005"
	RuleShellListener = "TS-SVC-006"
	RuleSerialShell   = "TS-SVC-007"
	RuleDebug         = "TS-SVC-008"
	RuleDropbearBlank = "TS-SVC-009"
	RuleRoot          = "TS-SVC-010"
)

var ruleIDs = []string{RuleTelnet, RuleRServices, RuleFTP, RuleTFTP, RuleTelnetNoLogin, RuleShellListener, RuleSerialShell, RuleDebug, RuleDropbearBlank, RuleRoot}

type rule = catalog.Rule

func loadRules() (map[string]*rule, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	m := map[string]*rule{}
	for _, id := range ruleIDs {
		r, ok := cat.Lookup(id)
		if !ok {
			return nil, fmt.Errorf("rule %s missing from the catalog", id)
		}
		m[id] = r
	}
	return m, nil
}

// serialTTY says whether a console is a serial line (or the kernel
// console, which on a device is one) rather than a virtual terminal.
var virtualTTY = lazyre.New(`^(tty[0-9]+|pts/.*|vc/.*)$`)

func serialTTY(c string) bool { return c != "" && !virtualTTY.MatchString(c) }

// findings runs the service rules on one service.
func (a *Analyzer) findings(s *svc) []model.Finding {
	var out []model.Finding
	add := func(id string, sev model.Severity, title, evidence, key string) {
		r := a.rules[id]
		if sev == "" {
			sev = r.Severity
		}
		if title == "" {
			title = r.Title
		}
		if s.backup {
			sev = lower(sev)
			title += " (backup copy " + path.Base(s.file) + ")"
		}
		loc := s.Location
		out = append(out, model.Finding{
			RuleID: r.ID, Title: title, Severity: sev, Category: r.Category, CWE: r.CWE, Standards: r.Standards,
			Location: loc, Evidence: evidence, Description: r.Summary, Remediation: r.Remediation,
			Fingerprint: model.Fingerprint(r.ID, loc.Path, key),
		})
	}
	e := s.dev.daemons.lookup(s.Name)
	role := ""
	if e != nil {
		role = e.Role
	}
	cmdline := strings.TrimSpace(s.Name + " " + strings.Join(s.Args, " "))
	how := describeStart(s)
	switch role {
	case "cleartext-login":
		if s.facts.login != "" && isShell(s.facts.login) {
			add(RuleTelnetNoLogin, "", fmt.Sprintf("Telnet server gives a shell without login (%s -l %s)", s.Name, s.facts.login), cmdline+how, s.Name)
		} else {
			add(RuleTelnet, "", fmt.Sprintf("Telnet server enabled (%s%s)", s.Name, portSuffix(s)), cmdline+how, s.Name)
		}
	case "r-service":
		add(RuleRServices, "", fmt.Sprintf("Berkeley r-service enabled (%s%s)", s.Name, portSuffix(s)), cmdline+how, s.Name)
	case "ftp":
		add(RuleFTP, "", fmt.Sprintf("FTP server enabled (%s%s)", s.Name, portSuffix(s)), cmdline+how, s.Name)
	case "tftp":
		sev := model.Severity("")
		title := fmt.Sprintf("TFTP server enabled (%s%s)", s.Name, portSuffix(s))
		if tftpUpload(s.Args) {
			sev = model.High
			title = fmt.Sprintf("TFTP server enabled with uploads (%s -c)", s.Name)
		}
		if s.User == "root" {
			title += " running as root"
		}
		add(RuleTFTP, sev, title, cmdline+how, s.Name)
	case "debug":
		add(RuleDebug, "", fmt.Sprintf("Debug service started at boot (%s%s)", s.Name, portSuffix(s)), cmdline+how, s.Name)
	}
	if sh := shellListener(s.Name, s.Args); sh != "" && len(listenerOf(s.Name, s.Args)) > 0 {
		add(RuleShellListener, "", fmt.Sprintf("Shell offered to the network without authentication (%s%s -> %s)", s.Name, portSuffix(s), sh), cmdline+how, s.Name+"\x00"+sh)
	}
	if s.Console != "" && s.noLog != "" && serialTTY(s.Console) {
		add(RuleSerialShell, "", fmt.Sprintf("Shell without login on serial console %s", s.Console), strings.TrimSpace(s.tabLine())+how+": runs "+s.noLog+" without a login", s.Console)
	}
	if s.Name == "dropbear" && hasFlag(s.Args, 'B') {
		add(RuleDropbearBlank, "", "Dropbear SSH server accepts blank passwords (-B)", cmdline+how, s.Name)
	}
	if e != nil && e.Drop == "option" && s.User == "root" || (e != nil && e.Drop == "option" && s.User == "" && s.StartedBy == "systemd" && s.facts.user == "") {
		add(RuleRoot, "", fmt.Sprintf("%s runs as root although it can drop its privileges", s.Name), cmdline+how, s.Name)
	}
	return out
}

func (s *svc) tabLine() string {
	if s.tab == nil {
		return strings.Join(append([]string{s.Name}, s.Args...), " ")
	}
	return s.tab.id + ":" + s.tab.runlevels + ":" + s.tab.action + ":" + s.tab.process
}

func describeStart(s *svc) string {
	w := " (started by " + s.StartedBy
	if s.User != "" {
		w += " as " + s.User
	}
	return w + ")"
}

func portSuffix(s *svc) string {
	if s.Port > 0 {
		return fmt.Sprintf(", %s/%d", s.Protocol, s.Port)
	}
	return ""
}

// tftpUpload: tftpd-hpa -c / --create, BusyBox tftpd without -r
// (read-only) is writable too but only -c is certain.
func tftpUpload(args []string) bool {
	for _, a := range args {
		if a == "--create" || len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a[1:], 'c') {
			return true
		}
	}
	return false
}

func lower(s model.Severity) model.Severity {
	switch s {
	case model.Critical:
		return model.High
	case model.High:
		return model.Medium
	case model.Medium:
		return model.Low
	default:
		return model.Info
	}
}
