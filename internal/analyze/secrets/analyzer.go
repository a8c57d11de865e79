package secrets

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/analyze/secrets/verify"
	"github.com/thingsec/thingsec/internal/analyze/strmatch"
	"github.com/thingsec/thingsec/internal/catalog"
	"github.com/thingsec/thingsec/internal/model"
)

// Options configure the analyzer.
type Options struct {
	// ShowSecrets puts the secret itself in the evidence; off, only a
	// short prefix is kept.
	ShowSecrets bool
	// Extra rules (user packs: --rules DIR, a gitleaks config) run with
	// the embedded ones.
	Extra []*Rule
	// NoEmbedded leaves the embedded rules out (tests, user-only scans).
	NoEmbedded bool
	// MaxSize is the largest file scanned whole (default 64 MiB); larger
	// ones are scanned in overlapping windows.
	MaxSize int64
	// Verify, when set, asks the providers whether the tokens of the
	// rules in verifiers are live (off by default: it sends the tokens
	// to their providers).
	Verify *verify.Verifier
	// GitleaksIgnore are the fingerprints of .gitleaksignore files: the
	// gitleaks configurations' findings they list are dropped.
	GitleaksIgnore GitleaksIgnore
}

// Analyzer is the secrets FileAnalyzer.
type Analyzer struct {
	sc   *Scanner
	gl   []*glConfig // gitleaks configurations, run by their own detector
	opt  Options
	bufs sync.Pool
	now  time.Time // the scan's time: whether a JWT has expired
}

// New builds the analyzer from the embedded rules and opt.Extra.
func New(opt Options) (*Analyzer, error) {
	var all []*Rule
	if !opt.NoEmbedded {
		emb, err := Embedded()
		if err != nil {
			return nil, fmt.Errorf("embedded secret rules: %w", err)
		}
		all = append(all, emb...)
	}
	all = append(all, opt.Extra...)
	if err := Check(all); err != nil {
		return nil, err
	}
	if err := checkCatalog(opt.Extra); err != nil {
		return nil, err
	}
	if opt.MaxSize == 0 {
		opt.MaxSize = 64 << 20
	}
	var own []*Rule
	var gl []*glConfig
	for _, r := range all {
		switch {
		case r.gl == nil:
			own = append(own, r)
		case len(gl) == 0 || gl[len(gl)-1] != r.gl:
			gl = append(gl, r.gl)
		}
	}
	a := &Analyzer{sc: NewScanner(own), gl: gl, opt: opt, now: time.Now().UTC()}
	a.bufs.New = func() any { return &scratch{} }
	return a, nil
}

// checkCatalog rejects a user rule whose id another family's catalog
// entry (or an embedded secret rule) already holds: ids are unique across
// every family.
func checkCatalog(extra []*Rule) error {
	if len(extra) == 0 {
		return nil
	}
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	es := make([]*catalog.Rule, len(extra))
	for i, r := range extra {
		es[i] = r.Entry()
	}
	if _, err := cat.Extend(es); err != nil {
		return fmt.Errorf("user rules: %w", err)
	}
	return nil
}

// Default is New with default options; the embedded rules are checked by
// the package tests, so an error here is a build defect.
func Default() *Analyzer {
	a, err := New(Options{})
	if err != nil {
		panic(err)
	}
	return a
}

type scratch struct{ strs []byte }

// Name implements plugin.FileAnalyzer.
func (a *Analyzer) Name() string { return "secrets" }

// FileRequired implements plugin.FileAnalyzer: every file that is not a
// container (containers are unpacked and their files scanned instead).
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	switch fi.Type.Type {
	case filetype.Compressed, filetype.Archive, filetype.FSImage, filetype.Empty:
		return false
	}
	return fi.Size > 0 // larger than MaxSize: read in windows
}

// IsBinary says whether a file is read through its printable strings.
func IsBinary(t string) bool {
	switch t {
	case filetype.Text, filetype.Script, filetype.PEM:
		return false
	}
	return true
}

// StringPacks implements strmatch.Packer: the rules' keywords join the
// file's shared keyword pass.
func (a *Analyzer) StringPacks() []*strmatch.Pack { return []*strmatch.Pack{a.sc.Pack()} }

// Analyze implements plugin.FileAnalyzer. A file larger than MaxSize, or
// too large for the engine to hold, is read in overlapping windows: no
// file is skipped for its size.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Data == nil || in.Size > a.opt.MaxSize {
		// a secret seen in an earlier window is reported there only, as
		// a file read whole reports each secret once
		seen := map[string]bool{}
		return plugin.Windows(ctx, in.R, in.Size, windowStep, windowOverlap, func(w *plugin.Window) error {
			var part plugin.Results
			a.scan(ctx, in, w.Data, nil, w, &part)
			for _, f := range part.Findings {
				if !seen[f.Fingerprint] {
					seen[f.Fingerprint] = true
					out.Findings = append(out.Findings, f)
				}
			}
			return nil
		})
	}
	a.scan(ctx, in, in.Data, in.Keywords, nil, out)
	return nil
}

// Windows of large files: each owns windowStep bytes and sees
// windowOverlap bytes either side, far more than a rule reads around a
// keyword (window) or the longest secret. Variables for the tests.
var (
	windowStep    = 16 << 20
	windowOverlap = 64 << 10
)

// scan reports the hits in data. w is nil for a whole file; for a window,
// only hits starting in its owned part are reported, at file offsets and
// lines.
func (a *Analyzer) scan(ctx context.Context, in *plugin.Input, data []byte, kwf *strmatch.File, w *plugin.Window, out *plugin.Results) {
	var base int64
	lines := 0
	own := func(int) bool { return true }
	if w != nil {
		base, lines = w.Base, w.Lines
		own = func(pos int) bool { return pos >= w.Own[0] && pos < w.Own[1] }
	}
	binary := IsBinary(in.Type.Type)
	if len(a.gl) > 0 {
		a.scanGitleaks(in, data, binary, base, lines, own, out)
	}
	if binary && !a.sc.RawBinary(in.Path) {
		// A rule without keywords for this path, or a keyword no
		// strings line can hold: build the strings view.
		s := a.bufs.Get().(*scratch)
		defer a.bufs.Put(s)
		var segs []segment
		s.strs, segs = Strings(data, s.strs)
		for _, h := range a.sc.Scan(s.strs, in.Path) {
			if off := fileOffset(segs, h.SStart); own(int(off)) {
				out.Findings = append(out.Findings, a.finding(ctx, in, s.strs, h, base+off))
			}
		}
		return
	}
	kw := strmatch.Find(kwf, a.sc.Pack(), data)
	if binary {
		for _, h := range a.sc.ScanBinary(data, in.Path, kw) {
			if own(h.SStart) {
				out.Findings = append(out.Findings, a.finding(ctx, in, data, h, base+int64(h.SStart)))
			}
		}
		return
	}
	for _, h := range a.sc.ScanHits(data, in.Path, kw) {
		if own(h.Start) {
			h.Line += lines
			out.Findings = append(out.Findings, a.finding(ctx, in, data, h, -1))
		}
	}
}

// finding reports h; offset >= 0 locates a binary's hit, else its line.
func (a *Analyzer) finding(ctx context.Context, in *plugin.Input, text []byte, h Hit, offset int64) model.Finding {
	r := h.Rule
	secret := h.Secret(text)
	loc := in.Loc
	if offset >= 0 {
		loc.Offset = offset
	} else {
		loc.Line = h.Line
	}
	e := r.Entry()
	f := model.Finding{
		Verified:    a.verify(ctx, r.ID, text, secret),
		RuleID:      r.ID,
		Title:       r.Title,
		Severity:    r.sev,
		Category:    r.Category,
		CWE:         r.CWE,
		Standards:   r.Standards,
		Location:    loc,
		Evidence:    evidence(string(text[h.Start:h.End]), string(secret), a.opt.ShowSecrets || r.Category == "backdoor-key"),
		Description: e.Help,
		Remediation: e.Remediation,
		Fingerprint: model.Fingerprint(r.ID, in.Path, SecretKey(secret)),
	}
	if r.ID == jwtRule {
		jwtFinding(&f, string(secret), a.now)
	}
	return f
}

// scanGitleaks runs the gitleaks configurations over a file: a text as
// gitleaks reads it; a binary, which gitleaks skips or reads raw, through
// its printable strings like our rules.
func (a *Analyzer) scanGitleaks(in *plugin.Input, data []byte, binary bool, base int64, lines int, own func(int) bool, out *plugin.Results) {
	text := data
	var segs []segment
	if binary {
		s := a.bufs.Get().(*scratch)
		defer a.bufs.Put(s)
		s.strs, segs = Strings(data, s.strs)
		text = s.strs
	}
	path := strings.TrimPrefix(in.Path, "/") // as when gitleaks scans the target's root
	for _, c := range a.gl {
		hits := c.detect(text, path)
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
		seen := map[string]bool{}
		for _, h := range hits {
			loc := in.Loc
			switch {
			case h.pathOnly:
				if !own(0) {
					continue // reported with the file's first window
				}
			case binary:
				off := fileOffset(segs, h.sStart)
				if !own(int(off)) {
					continue
				}
				loc.Offset = base + off
			default:
				if !own(h.start) {
					continue
				}
				loc.Line = lines + h.startLine // as gitleaks counts lines
			}
			if a.opt.GitleaksIgnore.ignored(path, h.r.id, loc.Line) {
				continue
			}
			k := h.r.id + "\x00" + h.secret
			if seen[k] {
				continue
			}
			seen[k] = true
			out.Findings = append(out.Findings, a.glFinding(in.Path, loc, h))
		}
	}
}

func (a *Analyzer) glFinding(path string, loc model.Location, h glHit) model.Finding {
	r := h.r.rule
	ev := h.match
	if !h.pathOnly {
		ev = evidence(h.match, h.secret, a.opt.ShowSecrets)
	}
	e := r.Entry()
	return model.Finding{
		RuleID: r.ID, Title: r.Title, Severity: r.sev, Category: r.Category, CWE: r.CWE, Standards: r.Standards,
		Location: loc, Evidence: ev, Description: e.Help, Remediation: e.Remediation,
		Fingerprint: model.Fingerprint(r.ID, path, SecretKey([]byte(h.secret))),
	}
}

// verifiers names the provider that can confirm the tokens of a rule
// (internal/analyze/secrets/verify).
var verifiers = map[string]string{
	"TS-SECRET-002": "aws", // with the access key ID of the same file
	"TS-SECRET-026": "github", "TS-SECRET-027": "github", "TS-SECRET-028": "github",
	"TS-SECRET-029": "github", "TS-SECRET-031": "github", "TS-SECRET-264": "github",
	"TS-SECRET-032": "gitlab",
	"TS-SECRET-051": "slack", "TS-SECRET-052": "slack",
	"TS-SECRET-064": "stripe", "TS-SECRET-065": "stripe", "TS-SECRET-066": "stripe",
	"TS-SECRET-077": "sendgrid",
}

// awsKeyIDRule finds the access key ID an AWS secret key is checked with.
const awsKeyIDRule = "TS-SECRET-001"

// verify asks the provider of rule about secret when --verify is on; nil
// when it is off, the rule has no provider or the answer is unclear.
func (a *Analyzer) verify(ctx context.Context, rule string, text, secret []byte) *bool {
	p, ok := verifiers[rule]
	if a.opt.Verify == nil || !ok {
		return nil
	}
	partner := ""
	if p == "aws" {
		for _, r := range a.sc.rules {
			if r.ID == awsKeyIDRule {
				if hs := r.find(text, 0, len(text), nil); len(hs) > 0 {
					partner = string(hs[0].Secret(text))
				}
			}
		}
	}
	var v bool
	switch a.opt.Verify.Check(ctx, p, string(secret), partner) {
	case verify.Valid:
		v = true
	case verify.Invalid:
		v = false
	default:
		return nil
	}
	return &v
}
