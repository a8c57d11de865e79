package diff

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/thingsec/thingsec/internal/model"
)

// LayerKeys names every layer of r by its place in the layer tree: the
// formats from the target down, each with the path of the file it was
// found in, e.g. "trx:/part1 > squashfs". Layer ids, offsets and the
// target's own name are left out, since they change between releases;
// siblings of the same format in the same file are numbered in offset
// order ("zstd#2"). The target layer is "".
func LayerKeys(r *model.Report) map[string]string {
	byID := map[string]*model.Layer{}
	children := map[string][]*model.Layer{}
	var roots []*model.Layer
	for i := range r.Layers {
		l := &r.Layers[i]
		byID[l.ID] = l
	}
	for i := range r.Layers {
		l := &r.Layers[i]
		if l.Parent == "" || byID[l.Parent] == nil {
			roots = append(roots, l)
			continue
		}
		children[l.Parent] = append(children[l.Parent], l)
	}
	keys := map[string]string{}
	seen := map[*model.Layer]bool{} // a saved report may have cycles
	var walk func(l *model.Layer, key string)
	walk = func(l *model.Layer, key string) {
		if seen[l] {
			return
		}
		seen[l] = true
		keys[l.ID] = key
		kids := children[l.ID]
		slices.SortStableFunc(kids, func(a, b *model.Layer) int {
			return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Format, b.Format), cmp.Compare(a.Offset, b.Offset))
		})
		n := map[string]int{}
		for _, c := range kids {
			k := c.Format
			if src := sourceOf(r, l, c); src != "" {
				k = src + " > " + c.Format
				if key != "" {
					k = key + ":" + src + " > " + c.Format
				}
			} else if key != "" {
				k = key + " > " + c.Format
			}
			n[k]++
			if n[k] > 1 {
				k += "#" + strconv.Itoa(n[k])
			}
			walk(c, k)
		}
	}
	for i, l := range roots {
		k := ""
		if i > 0 { // a report with several roots: keep them apart
			k = "#" + strconv.Itoa(i+1)
		}
		walk(l, k)
	}
	return keys
}

// sourceOf is the path c was found in inside parent, or "" when that is
// the target file itself (whose name changes from release to release).
func sourceOf(r *model.Report, parent, c *model.Layer) string {
	if parent.Parent == "" && r.Target.Kind != "directory" {
		return ""
	}
	return c.Source
}

// targetFiles returns a test for the target file itself, as the root
// layer of a file target lists it: its name changes between releases and
// the diff's sides already say whether its content did.
func targetFiles(r *model.Report) func(f *model.File) bool {
	roots := map[string]bool{}
	for _, l := range r.Layers {
		if l.Parent == "" {
			roots[l.ID] = true
		}
	}
	file := r.Target.Kind != "directory"
	return func(f *model.File) bool { return file && roots[f.Layer] }
}

// Layers is the layer tree's delta.
type Layers struct {
	Added   []LayerRef    `json:"added"`
	Removed []LayerRef    `json:"removed"`
	Changed []LayerChange `json:"changed"`
}

// LayerRef is one layer, by key.
type LayerRef struct {
	Key    string `json:"key"`
	Format string `json:"format"`
	Size   int64  `json:"size"`
	Files  int    `json:"files"`
}

// LayerChange is a layer present on both sides whose files, size or
// offset differ.
type LayerChange struct {
	Key          string `json:"key"`
	Format       string `json:"format"`
	OldOffset    int64  `json:"old_offset"`
	NewOffset    int64  `json:"new_offset"`
	OldSize      int64  `json:"old_size"`
	NewSize      int64  `json:"new_size"`
	FilesAdded   int    `json:"files_added"`
	FilesRemoved int    `json:"files_removed"`
	FilesChanged int    `json:"files_changed"`
}

func compareLayers(old, new *model.Report, ko, kn map[string]string, files Files) Layers {
	var out Layers
	type counts struct{ added, removed, changed int }
	per := map[string]*counts{}
	at := func(k string) *counts {
		if per[k] == nil {
			per[k] = &counts{}
		}
		return per[k]
	}
	for _, f := range files.Added {
		at(f.Layer).added++
	}
	for _, f := range files.Removed {
		at(f.Layer).removed++
	}
	for _, f := range files.Changed {
		at(f.Layer).changed++
	}
	ref := func(l *model.Layer, keys map[string]string) LayerRef {
		return LayerRef{Key: keys[l.ID], Format: l.Format, Size: l.Size, Files: l.Files}
	}
	gone, added := pairUp(old.Layers, new.Layers,
		func(l *model.Layer) string { return ko[l.ID] },
		func(l *model.Layer) string { return kn[l.ID] },
		noOrder[model.Layer], noOrder[model.Layer],
		func(o, n *model.Layer) {
			if kn[n.ID] == "" && ko[o.ID] == "" {
				return // the targets: compared in the header
			}
			c := at(ko[o.ID])
			if o.Offset == n.Offset && o.Size == n.Size && *c == (counts{}) {
				return
			}
			out.Changed = append(out.Changed, LayerChange{Key: ko[o.ID], Format: n.Format, OldOffset: o.Offset, NewOffset: n.Offset,
				OldSize: o.Size, NewSize: n.Size, FilesAdded: c.added, FilesRemoved: c.removed, FilesChanged: c.changed})
		})
	for _, l := range gone {
		out.Removed = append(out.Removed, ref(l, ko))
	}
	for _, l := range added {
		out.Added = append(out.Added, ref(l, kn))
	}
	slices.SortFunc(out.Added, func(a, b LayerRef) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(out.Removed, func(a, b LayerRef) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(out.Changed, func(a, b LayerChange) int { return cmp.Compare(a.Key, b.Key) })
	return out
}
