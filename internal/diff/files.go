package diff

import (
	"cmp"
	"slices"

	"github.com/thingsec/thingsec/internal/model"
)

// Files is the file inventory's delta, by layer key and path.
type Files struct {
	Added   []FileRef    `json:"added"`
	Removed []FileRef    `json:"removed"`
	Changed []FileChange `json:"changed"`
}

// FileRef is one file.
type FileRef struct {
	Layer  string `json:"layer"` // the layer key (LayerKeys)
	Path   string `json:"path"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
}

// FileChange is a file on both sides whose content, mode, owner, type or
// link target differ. Changes lists which of content, mode, owner, type
// and link differ.
type FileChange struct {
	Layer         string   `json:"layer"`
	Path          string   `json:"path"`
	Changes       []string `json:"changes"`
	OldSize       int64    `json:"old_size"`
	NewSize       int64    `json:"new_size"`
	OldSHA256     string   `json:"old_sha256,omitempty"`
	NewSHA256     string   `json:"new_sha256,omitempty"`
	OldMode       string   `json:"old_mode,omitempty"`
	NewMode       string   `json:"new_mode,omitempty"`
	OldLinkTarget string   `json:"old_link_target,omitempty"`
	NewLinkTarget string   `json:"new_link_target,omitempty"`
}

func compareFiles(old, new *model.Report, ko, kn map[string]string) Files {
	var out Files
	keep := func(r *model.Report) []model.File {
		target := targetFiles(r)
		var fs []model.File
		for _, f := range r.Files {
			if !target(&f) {
				fs = append(fs, f)
			}
		}
		return fs
	}
	ref := func(f *model.File, keys map[string]string) FileRef {
		return FileRef{Layer: keys[f.Layer], Path: f.Path, Type: f.Type, Size: f.Size, SHA256: f.SHA256}
	}
	gone, added := pairUp(keep(old), keep(new),
		func(f *model.File) string { return ko[f.Layer] + "\x00" + f.Path },
		func(f *model.File) string { return kn[f.Layer] + "\x00" + f.Path },
		noOrder[model.File], noOrder[model.File],
		func(o, n *model.File) {
			if c := fileChanges(o, n); len(c) > 0 {
				out.Changed = append(out.Changed, FileChange{Layer: ko[o.Layer], Path: o.Path, Changes: c,
					OldSize: o.Size, NewSize: n.Size, OldSHA256: o.SHA256, NewSHA256: n.SHA256,
					OldMode: o.Mode, NewMode: n.Mode, OldLinkTarget: o.LinkTarget, NewLinkTarget: n.LinkTarget})
			}
		})
	for _, f := range gone {
		out.Removed = append(out.Removed, ref(f, ko))
	}
	for _, f := range added {
		out.Added = append(out.Added, ref(f, kn))
	}
	byPath := func(a, b FileRef) int { return cmp.Or(cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Path, b.Path)) }
	slices.SortFunc(out.Added, byPath)
	slices.SortFunc(out.Removed, byPath)
	slices.SortFunc(out.Changed, func(a, b FileChange) int { return cmp.Or(cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Path, b.Path)) })
	return out
}

// fileChanges lists what differs between two versions of a file.
// Timestamps are not in the inventory, so a rebuild with new dates is no
// change.
func fileChanges(o, n *model.File) []string {
	var c []string
	if o.SHA256 != n.SHA256 || o.Size != n.Size {
		c = append(c, "content")
	}
	if o.Mode != n.Mode {
		c = append(c, "mode")
	}
	if o.UID != n.UID || o.GID != n.GID {
		c = append(c, "owner")
	}
	if o.Type != n.Type {
		c = append(c, "type")
	}
	if o.LinkTarget != n.LinkTarget {
		c = append(c, "link")
	}
	return c
}
