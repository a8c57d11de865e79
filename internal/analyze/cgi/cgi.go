// Package cgi finds OS command injection in the web CGI a device ships:
// shell, Lua (including LuCI controllers) and PHP scripts under cgi-bin/
// and the web roots, where request data (QUERY_STRING, the POST body,
// form variables, LuCI formvalue, PHP superglobals) flows through
// assignments into a command a shell runs, and C binaries under cgi-bin/
// whose strings and imports show a request read and a command built with
// printf. The flow in a script is tracked within the file, statement by
// statement; constants do not carry taint and sanitizers (tonumber,
// shellquote, escapeshellarg, whitelist checks) stop it. The evidence
// spells out the path from the request to the sink.
package cgi

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/srctext"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Rule IDs; the rest is their catalog entry in rules/findings/cgi.yaml.
const (
	RuleCommand  = "TS-CGI-001"
	RuleArgument = "TS-CGI-002"
	RuleBinary   = "TS-CGI-003"
)

// maxScript is the largest script analysed; CGI scripts are small.
const maxScript = 1 << 20

// Analyzer is the CGI FileAnalyzer.
type Analyzer struct {
	cat *catalog.Catalog
}

// New builds the analyzer.
func New() *Analyzer { return &Analyzer{cat: catalog.MustDefault()} }

// Name implements plugin.FileAnalyzer.
func (a *Analyzer) Name() string { return "cgi" }

// webPath says whether p is where a web server runs or loads code: a
// cgi-bin directory, a web root or LuCI's controllers, on a device or in
// a source tree's overlay (files/www/...).
func webPath(p string) bool {
	return strings.Contains(p, "/cgi-bin/") || strings.HasPrefix(p, "/www/") || strings.Contains(p, "/www/") ||
		strings.Contains(p, "/luci/controller/") || strings.Contains(p, "/htdocs/") || strings.Contains(p, "/webroot/") ||
		strings.HasSuffix(p, ".cgi")
}

// FileRequired implements plugin.FileAnalyzer.
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	if fi.Size == 0 || !webPath(fi.Path) {
		return false
	}
	switch fi.Type.Type {
	case filetype.ELF:
		return strings.Contains(fi.Path, "/cgi-bin/") || strings.HasSuffix(fi.Path, ".cgi")
	case filetype.Script, filetype.Text:
		return language(fi.Path, fi.Type.Sub, fi.Head) != ""
	}
	return false
}

// language is the taint language of a script: "lua", "php", "sh" or "".
func language(p, interp string, head []byte) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".lua":
		return "lua"
	case ".php", ".php5", ".phtml":
		return "php"
	case ".sh":
		return "sh"
	case ".js", ".css", ".html", ".htm", ".json", ".txt", ".xml", ".svg":
		return ""
	}
	switch {
	case interp == "lua":
		return "lua"
	case interp == "sh" || interp == "haserl" || interp == "bash":
		return "sh"
	case strings.HasPrefix(interp, "php"):
		return "php"
	case bytes.Contains(head, []byte("<?php")):
		return "php"
	}
	return ""
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Type.Type == filetype.ELF {
		a.binary(in, out)
		return nil
	}
	if in.Data == nil || in.Size > maxScript {
		out.SkipLarge(a.Name(), in, maxScript)
		return nil
	}
	lang := language(in.Path, in.Type.Sub, in.Head)
	data := in.Data
	if lang == "sh" && bytes.HasPrefix(data, []byte("#!")) && bytes.Contains(data[:min(len(data), 64)], []byte("haserl")) {
		data = haserlShell(data)
	}
	seen := map[string]bool{}
	for _, fl := range Analyze(lang, data) {
		sink := fl.Steps[len(fl.Steps)-1]
		rule := RuleCommand
		title := fmt.Sprintf("Request data (%s) reaches %s in %s", fl.Source, fl.Sink, path.Base(in.Path))
		if fl.Kind == "argument" {
			rule = RuleArgument
			title = fmt.Sprintf("Request data (%s) expanded unquoted in a %s command in %s", fl.Source, fl.Sink, path.Base(in.Path))
		}
		key := rule + "\x00" + strings.Join(strings.Fields(sink.Text), " ")
		if seen[key] {
			continue
		}
		seen[key] = true
		f := model.Finding{
			RuleID:      rule,
			Title:       title,
			Location:    in.Loc,
			Evidence:    fl.Trace(),
			Fingerprint: model.Fingerprint(rule, in.Path, key),
		}
		f.Location.Line = sink.Line
		a.fill(&f, in.Path)
		out.Findings = append(out.Findings, f)
	}
	return nil
}

// haserlShell keeps the shell code of a haserl page (<% ... %>) and
// blanks the HTML, line by line so that line numbers hold.
func haserlShell(data []byte) []byte {
	out := make([]byte, 0, len(data))
	in := false
	for i := 0; i < len(data); i++ {
		switch {
		case !in && bytes.HasPrefix(data[i:], []byte("<%")):
			in = true
			i++
			if i+1 < len(data) && data[i+1] == '=' { // <%= expr %>: echoed, not run
				in = false
			}
			out = append(out, ' ', ' ')
		case in && bytes.HasPrefix(data[i:], []byte("%>")):
			in = false
			i++
			out = append(out, ';', '\n')
		case data[i] == '\n':
			out = append(out, '\n')
		case in:
			out = append(out, data[i])
		}
	}
	return out
}

var (
	cgiEnvRe  = lazyre.New(`^(?:QUERY_STRING|REQUEST_METHOD|CONTENT_LENGTH|HTTP_COOKIE|REQUEST_URI)$`)
	cmdFmtRe  = lazyre.New(`^(?:/\S+/)?(?:ping6?|traceroute6?|nslookup|arping|ifconfig|iptables|route|wget|curl|tftp|nvram|sh|echo|cat|rm|cp|mv|kill|killall|reboot|mtd|flash|telnetd|ntpclient|date|tar|tcpdump|dig|host|iwconfig|iwpriv|brctl|logger|uci|insmod|ip)\s[^%]*%s|[;|&>` + "`" + `].*%s|%s.*[;|&>]|\$\(.*%s`)
	execFuncs = []string{"system", "popen", "execl", "execlp", "execle", "execv", "execvp", "execve", "__system", "doSystemCmd", "twsystem", "CsteSystem", "bstartSystem"}
)

// binary judges a CGI program from its strings and imports: it reads a
// request, imports a function that runs commands and holds a printf
// format that builds a command around a %s. It cannot see the data flow,
// so the finding is of lower confidence than a script's.
func (a *Analyzer) binary(in *plugin.Input, out *plugin.Results) {
	if in.Data == nil {
		out.SkipLarge(a.Name(), in, 0)
		return
	}
	imports := srctext.Imports(bytes.NewReader(in.Data))
	var runs []string
	for _, fn := range execFuncs {
		if imports[fn] {
			runs = append(runs, fn)
		}
	}
	if len(runs) == 0 {
		return
	}
	var env, cmds []string
	for _, s := range srctext.Strings(in.Data, 4) {
		t := strings.TrimSpace(s.S)
		switch {
		case cgiEnvRe.MatchString(t):
			env = append(env, t)
		case strings.Contains(t, "%s") && len(t) < 200 && cmdFmtRe.MatchString(t):
			cmds = append(cmds, t)
		}
	}
	if len(env) == 0 || len(cmds) == 0 {
		return
	}
	f := model.Finding{
		RuleID:   RuleBinary,
		Title:    fmt.Sprintf("CGI program %s builds shell commands with %s from a request", path.Base(in.Path), strings.Join(runs, "/")),
		Location: in.Loc,
		Evidence: fmt.Sprintf("imports %s; reads %s; command formats %s", strings.Join(runs, ", "), strings.Join(uniq(env), ", "), quoteList(uniq(cmds), 4)),
		// the same program in the next release: key on what it runs
		Fingerprint: model.Fingerprint(RuleBinary, in.Path, strings.Join(runs, ",")),
	}
	a.fill(&f, in.Path)
	out.Findings = append(out.Findings, f)
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

func quoteList(ss []string, n int) string {
	var q []string
	for i, s := range ss {
		if i == n {
			q = append(q, fmt.Sprintf("and %d more", len(ss)-n))
			break
		}
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, ", ")
}

func (a *Analyzer) fill(f *model.Finding, p string) {
	r, ok := a.cat.Lookup(f.RuleID)
	if !ok {
		panic("cgi: no catalog entry for " + f.RuleID)
	}
	srctext.Adjust(f, p, r.Severity)
	if err := a.cat.Fill(f); err != nil {
		panic(err)
	}
}
