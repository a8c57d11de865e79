package inventory

import (
	"path"
	"strings"

	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// debianLicences reads the machine-readable copyright file
// (/usr/share/doc/<package>/copyright, DEP-5) of every dpkg component
// from the layer of its database: the licence is the AND of the distinct
// License: names of its Files paragraphs.
func (b *build) debianLicences() {
	if b.t == nil {
		return
	}
	have := map[string]bool{}
	links := map[string]string{} // /usr/share/doc/<pkg> -> the directory it links to
	for _, f := range b.files {
		if !strings.HasPrefix(f.Path, "/usr/share/doc/") {
			continue
		}
		if path.Base(f.Path) == "copyright" && f.Type != "symlink" && f.Type != "dir" {
			have[f.Layer+":"+f.Path] = true
		}
		if f.Type == "symlink" && path.Dir(f.Path) == "/usr/share/doc" {
			tgt := f.LinkTarget
			if !strings.HasPrefix(tgt, "/") {
				tgt = path.Join("/usr/share/doc", tgt)
			}
			links[f.Layer+":"+f.Path] = path.Clean(tgt)
		}
	}
	for _, c := range b.comps {
		if dbOf(c) != "deb" || len(c.Locations) == 0 {
			continue
		}
		layer := c.Locations[0].Layer
		p := "/usr/share/doc/" + c.Name + "/copyright"
		// Debian lets a package's doc directory be a link to that of
		// another package of the same source.
		rp := p
		if tgt, ok := links[layer+":/usr/share/doc/"+c.Name]; ok {
			rp = tgt + "/copyright"
		}
		if !have[layer+":"+rp] {
			c.License = license.Unknown("the dpkg database has no licence field and the image has no " + p)
			continue
		}
		data, err := b.t.ReadFile(layer, rp, 4<<20)
		if err != nil {
			c.License = license.Unknown(p + " could not be read: " + err.Error())
			continue
		}
		names, dep5 := Dep5Licences(data)
		switch {
		case !dep5:
			c.License = license.Unknown(p + " is not in the machine-readable (DEP-5) format")
		case len(names) == 0:
			c.License = license.Unknown(p + " names no licence")
		default:
			c.License = license.Declared(Dep5Expression(names), rp)
		}
	}
}

// Dep5Expression joins the licences of a package's files: all apply.
func Dep5Expression(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return "(" + strings.Join(names, ") AND (") + ")"
}

// Dep5Licences returns the distinct licence names of the Files paragraphs
// of a DEP-5 copyright file, in order, and whether the file is DEP-5.
func Dep5Licences(data []byte) ([]string, bool) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	first, _, _ := strings.Cut(text, "\n")
	if !strings.HasPrefix(strings.ToLower(first), "format:") {
		return nil, false
	}
	var out []string
	seen := map[string]bool{}
	for _, para := range strings.Split(text, "\n\n") {
		files, lic := false, ""
		for _, line := range strings.Split(para, "\n") {
			if line == "" || line[0] == ' ' || line[0] == '\t' {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "files":
				files = true
			case "license":
				lic = strings.TrimSpace(v)
			}
		}
		if files && lic != "" && !seen[lic] {
			seen[lic] = true
			out = append(out, lic)
		}
	}
	return out, true
}

// hashFiles records the SHA-256 of every file that identified a
// component (its evidence paths, in the layers it was found in).
func (b *build) hashFiles() {
	byPath := map[string]string{}
	for _, f := range b.files {
		if f.SHA256 != "" {
			byPath[f.Layer+":"+f.Path] = f.SHA256
		}
	}
	for _, c := range b.comps {
		seen := map[string]bool{}
		for _, e := range c.Evidence {
			for _, l := range c.Locations {
				if l.Path != e.Path {
					continue
				}
				sum, ok := byPath[l.Layer+":"+l.Path]
				if !ok || seen[l.Layer+":"+l.Path] {
					continue
				}
				seen[l.Layer+":"+l.Path] = true
				c.Hashes = append(c.Hashes, model.Hash{Algorithm: "SHA-256", Value: sum, Path: l.Path})
			}
		}
	}
}

// settleLicences makes every component say something of its licence: an
// analyzer that could not gives NOASSERTION with the reason.
func (b *build) settleLicences() {
	for _, c := range b.comps {
		if c.License != nil {
			continue
		}
		kinds := make([]string, 0, len(c.Evidence))
		for _, e := range c.Evidence {
			kinds = append(kinds, e.Kind)
		}
		c.License = license.Unknown("no licence is recorded where the component was found (" + strings.Join(kinds, ", ") + ")")
	}
}

// provenance is the licence, supplier and hash step of Build.
func (b *build) provenance() {
	b.debianLicences()
	b.hashFiles()
	b.settleLicences()
}
