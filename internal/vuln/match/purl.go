package match

import (
	"fmt"
	"net/url"
	"strings"
)

// purl is the part of a package URL the matcher needs.
type purl struct {
	Type, Namespace, Name, Version string
	Qualifiers                     map[string]string
}

// parsePURL reads "pkg:type/namespace/name@version?qualifiers#subpath".
func parsePURL(s string) (purl, error) {
	var p purl
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return p, fmt.Errorf("purl %q: no pkg: scheme", s)
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, q, _ := strings.Cut(rest, "?")
	p.Qualifiers = map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			v, _ = url.PathUnescape(v)
			p.Qualifiers[strings.ToLower(k)] = v
		}
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		p.Version, _ = url.PathUnescape(rest[i+1:])
		rest = rest[:i]
	}
	typ, path, ok := strings.Cut(strings.Trim(rest, "/"), "/")
	if !ok || path == "" {
		return p, fmt.Errorf("purl %q: no name", s)
	}
	p.Type = strings.ToLower(typ)
	segs := strings.Split(path, "/")
	for i, sg := range segs {
		segs[i], _ = url.PathUnescape(sg)
	}
	p.Name = segs[len(segs)-1]
	p.Namespace = strings.Join(segs[:len(segs)-1], "/")
	return p, nil
}

// debianReleases maps Debian code names to the release numbers OSV uses.
var debianReleases = map[string]string{
	"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14",
}

// osvPackage maps a purl to the OSV ecosystem base, package name and, when
// the purl says which distribution release, the full ecosystem.
func osvPackage(p purl) (base, name, release string, ok bool) {
	switch p.Type {
	case "golang":
		name = p.Name
		if p.Namespace != "" {
			name = p.Namespace + "/" + p.Name
		}
		return "go", name, "", true
	case "deb":
		base = "debian"
		if strings.EqualFold(p.Namespace, "ubuntu") {
			base = "ubuntu"
		}
		d := strings.ToLower(p.Qualifiers["distro"])
		d = strings.TrimPrefix(strings.TrimPrefix(d, "debian-"), "ubuntu-")
		if r, ok := debianReleases[d]; ok {
			d = r
		}
		if base == "debian" {
			d, _, _ = strings.Cut(d, ".") // "12.4" -> "12"
		}
		if d != "" {
			release = map[string]string{"debian": "Debian:", "ubuntu": "Ubuntu:"}[base] + d
		}
		return base, p.Name, release, true
	case "apk":
		d := strings.TrimPrefix(strings.ToLower(p.Qualifiers["distro"]), "alpine-")
		if parts := strings.Split(d, "."); len(parts) >= 2 {
			release = "Alpine:v" + parts[0] + "." + parts[1]
		}
		return "alpine", p.Name, release, true
	case "pypi":
		return "pypi", strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(p.Name)), "", true
	case "npm":
		if p.Namespace != "" {
			return "npm", p.Namespace + "/" + p.Name, "", true
		}
		return "npm", p.Name, "", true
	case "cargo":
		return "crates.io", p.Name, "", true
	case "gem":
		return "rubygems", p.Name, "", true
	case "maven":
		return "maven", p.Namespace + ":" + p.Name, "", true
	case "nuget":
		return "nuget", p.Name, "", true
	case "composer":
		return "packagist", p.Namespace + "/" + p.Name, "", true
	case "hex":
		return "hex", p.Name, "", true
	case "pub":
		return "pub", p.Name, "", true
	}
	return "", "", "", false
}
