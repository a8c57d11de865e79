package secrets

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// ScanGitHistory runs the analyzer over the lines each commit of repo
// added (git log -p, oldest changes included), from since (exclusive;
// "" = the whole history) to HEAD. A finding's location is the file
// path, its line in that commit, and the chain "git:<commit>".
func (a *Analyzer) ScanGitHistory(ctx context.Context, repo, since string) ([]model.Finding, error) {
	args := []string{"-C", repo, "log", "-p", "--no-color", "--no-ext-diff", "--no-renames", "-U0", "--format=commit %H"}
	if since != "" {
		args = append(args, since+"..HEAD")
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	var findings []model.Finding
	perr := ParseGitLog(out, func(p GitPatch) {
		findings = append(findings, a.scanPatch(ctx, p)...)
	})
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git log: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return findings, perr
}

// GitPatch is the lines one commit added to one file.
type GitPatch struct {
	Commit string
	Path   string
	Lines  []string
	LineNo []int // line numbers in the new file
}

// ParseGitLog reads "git log -p -U0 --format='commit %H'" output.
func ParseGitLog(r io.Reader, fn func(GitPatch)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var cur GitPatch
	next := 0
	flush := func() {
		if cur.Path != "" && len(cur.Lines) > 0 {
			fn(cur)
		}
		cur = GitPatch{Commit: cur.Commit}
	}
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "commit ") && len(l) >= 47:
			flush()
			cur.Commit = l[7:]
		case strings.HasPrefix(l, "diff --git "):
			flush()
		case strings.HasPrefix(l, "+++ "):
			p := strings.TrimPrefix(l[4:], "b/")
			if l[4:] == "/dev/null" {
				p = ""
			}
			cur.Path = "/" + p
		case strings.HasPrefix(l, "@@ "):
			// @@ -a,b +c,d @@
			if i := strings.Index(l, " +"); i > 0 {
				f := strings.FieldsFunc(l[i+2:], func(r rune) bool { return r == ',' || r == ' ' })
				if len(f) > 0 {
					next, _ = strconv.Atoi(f[0])
				}
			}
		case strings.HasPrefix(l, "+") && cur.Path != "":
			cur.Lines = append(cur.Lines, l[1:])
			cur.LineNo = append(cur.LineNo, next)
			next++
		}
	}
	flush()
	return sc.Err()
}

func (a *Analyzer) scanPatch(ctx context.Context, p GitPatch) []model.Finding {
	data := []byte(strings.Join(p.Lines, "\n") + "\n")
	in := &plugin.Input{
		FileInfo: plugin.FileInfo{Path: p.Path, Size: int64(len(data)), Type: filetype.Result{Type: filetype.Text}},
		Data:     data,
		Loc:      model.Location{Layer: "git", Chain: "git:" + p.Commit, Path: p.Path},
	}
	var out plugin.Results
	a.Analyze(ctx, in, &out)
	for i := range out.Findings {
		if l := out.Findings[i].Location.Line; l >= 1 && l <= len(p.LineNo) {
			out.Findings[i].Location.Line = p.LineNo[l-1]
		}
	}
	return out.Findings
}
