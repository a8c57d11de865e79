package diff

import (
	"cmp"
	"slices"

	"github.com/thingsec/thingsec/internal/model"
)

// Findings is the delta of findings, matched by fingerprint.
type Findings struct {
	New     []Finding       `json:"new"`
	Fixed   []Finding       `json:"fixed"`
	Changed []FindingChange `json:"changed"`
	// Unchanged lists the findings present on both sides as they were.
	Unchanged []FindingRef `json:"unchanged"`
}

// Finding is a finding with the key of the layer it is in.
type Finding struct {
	LayerKey string `json:"layer_key"`
	model.Finding
}

// FindingRef names a finding briefly.
type FindingRef struct {
	Fingerprint string         `json:"fingerprint"`
	RuleID      string         `json:"rule_id"`
	Severity    model.Severity `json:"severity"`
	LayerKey    string         `json:"layer_key"`
	Path        string         `json:"path"`
}

// FindingChange is a finding on both sides (same fingerprint) whose
// severity, title, category or evidence differ. A move to another line
// or offset is not a change.
type FindingChange struct {
	Fingerprint string        `json:"fingerprint"`
	Changes     []string      `json:"changes"`
	Old         model.Finding `json:"old"`
	New         model.Finding `json:"new"`
}

func compareFindings(old, new *model.Report, ko, kn map[string]string) Findings {
	var out Findings
	order := func(keys map[string]string) func(a, b *model.Finding) int {
		return func(a, b *model.Finding) int {
			return cmp.Or(cmp.Compare(keys[a.Location.Layer], keys[b.Location.Layer]), cmp.Compare(a.Location.Path, b.Location.Path),
				cmp.Compare(a.Location.Line, b.Location.Line), cmp.Compare(a.Location.Offset, b.Location.Offset))
		}
	}
	both := func(o, n *model.Finding) {
		if c := findingChanges(o, n); len(c) > 0 {
			out.Changed = append(out.Changed, FindingChange{Fingerprint: o.Fingerprint, Changes: c, Old: *o, New: *n})
			return
		}
		out.Unchanged = append(out.Unchanged, FindingRef{Fingerprint: n.Fingerprint, RuleID: n.RuleID, Severity: n.Severity, LayerKey: kn[n.Location.Layer], Path: n.Location.Path})
	}
	// A fingerprint names the finding, not the layer: the same finding
	// in two layers (A/B root file systems) has one fingerprint. Pair in
	// the same layer first, then across layers (a layer that moved).
	inLayer := func(keys map[string]string) func(f *model.Finding) string {
		return func(f *model.Finding) string { return f.Fingerprint + "\x00" + keys[f.Location.Layer] }
	}
	gone, added := pairUp(old.Findings, new.Findings, inLayer(ko), inLayer(kn), order(ko), order(kn), both)
	fp := func(f *model.Finding) string { return f.Fingerprint }
	gone, added = pairUp(deref(gone), deref(added), fp, fp, order(ko), order(kn), both)
	for _, f := range gone {
		out.Fixed = append(out.Fixed, Finding{LayerKey: ko[f.Location.Layer], Finding: *f})
	}
	for _, f := range added {
		out.New = append(out.New, Finding{LayerKey: kn[f.Location.Layer], Finding: *f})
	}
	bySev := func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.LayerKey, b.LayerKey), cmp.Compare(a.Location.Path, b.Location.Path), cmp.Compare(a.Fingerprint, b.Fingerprint))
	}
	slices.SortFunc(out.New, bySev)
	slices.SortFunc(out.Fixed, bySev)
	slices.SortFunc(out.Changed, func(a, b FindingChange) int {
		return cmp.Or(cmp.Compare(b.New.Severity.Rank(), a.New.Severity.Rank()), cmp.Compare(a.New.RuleID, b.New.RuleID),
			cmp.Compare(a.New.Location.Path, b.New.Location.Path), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	slices.SortFunc(out.Unchanged, func(a, b FindingRef) int {
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.LayerKey, b.LayerKey), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	return out
}

// findingChanges lists what differs in a finding the fingerprint says is
// the same. The location's layer id, chain, line and offset are not
// compared: they move with the build, the finding does not.
func findingChanges(o, n *model.Finding) []string {
	var c []string
	if o.Severity != n.Severity {
		c = append(c, "severity")
	}
	if o.Title != n.Title {
		c = append(c, "title")
	}
	if o.Category != n.Category {
		c = append(c, "category")
	}
	if o.Evidence != n.Evidence {
		c = append(c, "evidence")
	}
	if o.Location.Path != n.Location.Path {
		c = append(c, "path")
	}
	return c
}
