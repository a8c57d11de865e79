// Package gitsrc reads a git repository's history (every line each
// commit added) and its staged changes as analyzer input: each file's
// added lines are one input, offered to every file analyzer that wants
// it, as a directory scan offers its files.
package gitsrc

// A repository's history and staged changes are read through the git
// command (git log -p, git diff --cached), not a Go implementation of
// git: git is on every machine that has a repository to scan (a
// developer's, a CI runner's, a pre-commit hook's), it reads every
// repository git can (packs, SHA-256 object format, partial clones,
// linked work trees, alternates, replace refs, grafts) exactly as the
// user's git sees it, and a Go git library would be a large dependency
// that follows git's formats from behind. The parser below reads only the
// stable parts of the patch output, with prefixes, colour, rename
// detection, quoting and external diff tools fixed by flags so that no
// user configuration changes what it reads.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// ErrNoGit is returned when the git command is not installed.
var ErrNoGit = errors.New("the git command is not installed or not on PATH")

// GitScan says which changes of a repository ScanGit reads.
type GitScan struct {
	Repo string
	// Refs are the branches (any revisions) whose history is read; none
	// means every ref (git log --all).
	Refs []string
	// Since leaves out the commits reachable from this revision: only
	// what came after it is read.
	Since string
	// Staged reads the changes staged for the next commit (git diff
	// --cached) instead of the history.
	Staged bool
}

// patchFlags fix every setting of the user's configuration that would
// change the patch text.
var patchFlags = []string{"-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/"}

// commitMark starts a commit's header line in git log output (a NUL
// cannot start a patch line).
const commitMark = "\x00commit "

// Scan runs the file analyzers over the lines that commits added
// (history) or that the index adds (staged). A history finding is located by the
// commit that first introduced it (author, date, file, line in that
// commit's file) and reported once however many commits carry it; one
// that no scanned branch holds any more says so (Commit.HistoryOnly). A
// staged finding's line is its line in the staged file.
func Scan(ctx context.Context, gs GitScan, files []plugin.FileAnalyzer) (*Result, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, ErrNoGit
	}
	var args []string
	if gs.Staged {
		args = append([]string{"diff", "--cached"}, patchFlags...)
	} else {
		args = append([]string{"log", "--reverse", "--format=%x00commit %H%x00%an%x00%ae%x00%aI"}, patchFlags...)
		if len(gs.Refs) == 0 {
			args = append(args, "--all")
		}
		args = append(args, "--end-of-options")
		args = append(args, gs.Refs...)
		if gs.Since != "" {
			args = append(args, "^"+gs.Since)
		}
		args = append(args, "--")
	}
	res := &Result{}
	seen := map[string]bool{}
	err := runGit(ctx, gs.Repo, args, func(out io.Reader) error {
		return ParseGitPatch(out, func(p GitPatch) {
			r := scanPatch(ctx, files, p)
			for _, f := range r.Findings {
				if !seen[f.Fingerprint] {
					seen[f.Fingerprint] = true
					res.Findings = append(res.Findings, f)
				}
			}
			// what an analyzer left out or failed on, once per file and
			// reason, at the first commit it happened in
			for _, sk := range r.Skipped {
				if k := "skip\x00" + sk.Analyzer + sk.Path + "\x00" + sk.Reason; !seen[k] {
					seen[k] = true
					if p.Commit != nil {
						sk.Reason = "commit " + shortID(p.Commit.ID) + ": " + sk.Reason
					}
					res.Skipped = append(res.Skipped, sk)
				}
			}
			for _, pr := range r.Problems {
				if k := "problem\x00" + pr.Path + "\x00" + pr.Message; !seen[k] {
					seen[k] = true
					res.Problems = append(res.Problems, pr)
				}
			}
		})
	})
	if err != nil || gs.Staged || len(res.Findings) == 0 {
		return res, err
	}
	return res, markHistoryOnly(ctx, gs, files, res.Findings)
}

// Result is what Scan found: each finding once, and what the analyzers
// could not fully analyse (Skipped) or failed on (Problems).
type Result struct {
	Findings []model.Finding
	Skipped  []model.Skip
	Problems []model.Problem
}

func shortID(id string) string { return id[:min(len(id), 12)] }

// runGit runs git in repo and hands its standard output to read.
func runGit(ctx context.Context, repo string, args []string, read func(io.Reader) error) error {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo, "-c", "core.quotePath=true"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git: %w", err)
	}
	rerr := read(out)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git %s: %s", args[0], firstLine(stderr.String(), err))
	}
	return rerr
}

func firstLine(s string, err error) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return err.Error()
	}
	if i := strings.IndexByte(s, '\n'); i > 0 {
		s = s[:i]
	}
	return strings.TrimPrefix(s, "fatal: ")
}

// GitPatch is the lines one commit (or the index) added to one file.
type GitPatch struct {
	Commit *model.Commit // nil for staged changes
	Path   string        // "/dir/file"
	Lines  []string
	LineNo []int // each line's number in the new file
}

// ParseGitPatch reads the patch text of git log -p -U0 (commits headed
// by commitMark lines) or git diff -p -U0, and calls fn with each file's
// added lines.
func ParseGitPatch(r io.Reader, fn func(GitPatch)) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var commit *model.Commit
	var cur GitPatch
	inHunk := false
	next := 0
	flush := func() {
		if cur.Path != "" && len(cur.Lines) > 0 {
			fn(cur)
		}
		cur = GitPatch{Commit: commit}
		inHunk = false
	}
	for {
		b, err := br.ReadBytes('\n')
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				flush()
				return nil
			}
			return err
		}
		l := string(bytes.TrimSuffix(b, []byte{'\n'}))
		switch {
		case strings.HasPrefix(l, commitMark):
			flush()
			f := strings.Split(l[len(commitMark):], "\x00")
			for len(f) < 4 {
				f = append(f, "")
			}
			commit = &model.Commit{ID: f[0], Author: f[1], Email: f[2], Date: f[3]}
			cur.Commit = commit
		case strings.HasPrefix(l, "diff --git "):
			flush()
		case strings.HasPrefix(l, "@@ "):
			// @@ -a,b +c,d @@: c is the first new line of the hunk
			inHunk = true
			if i := strings.Index(l, " +"); i > 0 {
				f := strings.FieldsFunc(l[i+2:], func(r rune) bool { return r == ',' || r == ' ' })
				if len(f) > 0 {
					next, _ = strconv.Atoi(f[0])
				}
			}
		case inHunk:
			if strings.HasPrefix(l, "+") && cur.Path != "" {
				cur.Lines = append(cur.Lines, l[1:])
				cur.LineNo = append(cur.LineNo, next)
				next++
			}
		case strings.HasPrefix(l, "+++ "):
			cur.Path = patchPath(l[4:])
		}
	}
}

// patchPath is the in-repository path of a "+++ " header: "" for
// /dev/null (a deleted file), C-quoted names unquoted, the b/ prefix and
// the tab git adds after names with spaces removed.
func patchPath(s string) string {
	if s == "/dev/null" {
		return ""
	}
	s = strings.TrimSuffix(s, "\t")
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
	}
	return "/" + strings.TrimPrefix(s, "b/")
}

// scanPatch analyses the added lines of p as one file and puts each
// finding at its line in the new file.
func scanPatch(ctx context.Context, files []plugin.FileAnalyzer, p GitPatch) *plugin.Results {
	data := []byte(strings.Join(p.Lines, "\n") + "\n")
	loc := model.Location{Layer: "git", Chain: "staged", Path: p.Path}
	if p.Commit != nil {
		c := *p.Commit
		loc.Chain, loc.Commit = "git:"+c.ID, &c
	}
	out := analyze(ctx, files, p.Path, data, loc)
	for i := range out.Findings {
		if l := out.Findings[i].Location.Line; l >= 1 && l <= len(p.LineNo) {
			out.Findings[i].Location.Line = p.LineNo[l-1]
		}
	}
	return out
}

// analyze offers a file of the repository to every analyzer that wants
// it, as the engine offers a directory's files; an analyzer's error is a
// problem of the result, and the other analyzers still run.
func analyze(ctx context.Context, files []plugin.FileAnalyzer, path string, data []byte, loc model.Location) *plugin.Results {
	head := data[:min(len(data), filetype.HeadSize)]
	size := int64(len(data))
	fi := plugin.FileInfo{Layer: loc.Layer, Path: path, Mode: 0o644, Size: size, Type: filetype.Detect(path, head, size), Head: head}
	out := &plugin.Results{}
	for _, a := range files {
		if !a.FileRequired(&fi) {
			continue
		}
		in := &plugin.Input{FileInfo: fi, Data: data, R: bytes.NewReader(data), Loc: loc}
		if err := a.Analyze(ctx, in, out); err != nil {
			out.Problems = append(out.Problems, model.Problem{Layer: loc.Layer, Path: path, Stage: "analyze", Kind: "analyzer", Message: fmt.Sprintf("%s: %v", a.Name(), err)})
		}
	}
	return out
}

// markHistoryOnly marks the findings that no scanned branch tip holds
// any more: the tips (gs.Refs, or every local branch and HEAD) are read
// with git cat-file, and a finding is still there when the tip's file
// gives a finding of the same fingerprint (fingerprints depend on the
// rule, the path and the secret, not on lines or commits).
func markHistoryOnly(ctx context.Context, gs GitScan, files []plugin.FileAnalyzer, fs []model.Finding) error {
	tips, err := gitTips(ctx, gs)
	if err != nil {
		return err
	}
	var paths []string
	want := map[string]bool{}
	for _, f := range fs {
		if !want[f.Location.Path] {
			want[f.Location.Path] = true
			paths = append(paths, f.Location.Path)
		}
	}
	var spec strings.Builder
	for _, t := range tips {
		for _, p := range paths {
			fmt.Fprintf(&spec, "%s:%s\n", t, strings.TrimPrefix(p, "/"))
		}
	}
	present := map[string]bool{}
	cmd := exec.CommandContext(ctx, "git", "-C", gs.Repo, "cat-file", "--batch")
	cmd.Stdin = strings.NewReader(spec.String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git: %w", err)
	}
	br := bufio.NewReader(out)
	for _, t := range tips {
		for _, p := range paths {
			data, err := readBatchObject(br)
			if err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				return fmt.Errorf("git cat-file %s:%s: %w", t, p, err)
			}
			for _, f := range analyze(ctx, files, p, data, model.Location{Layer: "git", Path: p}).Findings {
				present[f.Fingerprint] = true
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	for i := range fs {
		if c := fs[i].Location.Commit; c != nil && !present[fs[i].Fingerprint] {
			c.HistoryOnly = true
			fs[i].Title += " (only in the history)"
			fs[i].Description = "Only in the history: no scanned branch holds it any more, but every clone of the repository still does; revoke it, since removing it from the history does not unpublish it. " + fs[i].Description
		}
	}
	return nil
}

// readBatchObject reads one answer of git cat-file --batch: the object's
// content, or nil for a missing one (a file the tip does not have) or
// one that is not a blob.
func readBatchObject(br *bufio.Reader) ([]byte, error) {
	head, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	f := strings.Fields(head)
	if len(f) != 3 {
		return nil, nil // "<spec> missing", "<spec> ambiguous"
	}
	n, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("bad object header %q", head)
	}
	data := make([]byte, n+1) // the content and its trailing newline
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, err
	}
	if f[1] != "blob" {
		return nil, nil
	}
	return data[:n], nil
}

// gitTips are the commits whose trees count as the repository now: the
// given refs, or every local branch and HEAD.
func gitTips(ctx context.Context, gs GitScan) ([]string, error) {
	var tips []string
	add := func(r io.Reader) error {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			// a range's excluded end (^rev) is no tip
			if t := strings.TrimSpace(sc.Text()); t != "" && !strings.HasPrefix(t, "^") {
				tips = append(tips, t)
			}
		}
		return sc.Err()
	}
	if len(gs.Refs) > 0 {
		return tips, runGit(ctx, gs.Repo, append([]string{"rev-parse", "--revs-only", "--end-of-options"}, gs.Refs...), add)
	}
	if err := runGit(ctx, gs.Repo, []string{"for-each-ref", "--format=%(objectname)", "refs/heads"}, add); err != nil {
		return nil, err
	}
	// HEAD too (detached); it fails only when there is no commit yet
	_ = runGit(ctx, gs.Repo, []string{"rev-parse", "-q", "--verify", "HEAD"}, add)
	return tips, nil
}
