package exposure

import (
	"path"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// index is what Components looks up in the report.
type index struct {
	rep *model.Report
	// files by "layer:path", and the layers each path is in.
	files  map[string]*model.File
	layers map[string][]string
	// at are the components with a location at "layer:path".
	at    map[string][]int
	byRef map[string]int
	// listens are the ELF files ("layer:path") that import accept,
	// recvfrom...
	listens map[string]bool
	// shlib are the components that ship a shared object: the ones a
	// program can load through DT_NEEDED.
	shlib []bool
	// needed are the DT_NEEDED sonames of each ELF file ("layer:path");
	// base are the files by "layer:base name", to find a soname's file.
	needed map[string][]string
	base   map[string][]string
}

func newIndex(rep *model.Report) *index {
	ix := &index{rep: rep, files: map[string]*model.File{}, layers: map[string][]string{},
		at: map[string][]int{}, byRef: map[string]int{}, listens: map[string]bool{}, shlib: make([]bool, len(rep.Components)),
		needed: map[string][]string{}, base: map[string][]string{}}
	for i := range rep.Files {
		f := &rep.Files[i]
		ix.files[f.Layer+":"+f.Path] = f
		ix.layers[f.Path] = append(ix.layers[f.Path], f.Layer)
		b := f.Layer + ":" + path.Base(f.Path)
		ix.base[b] = append(ix.base[b], f.Path)
	}
	sharedObj := map[string]bool{}
	for _, b := range rep.Binaries {
		if len(b.Needed) > 0 {
			ix.needed[b.Layer+":"+b.Path] = b.Needed
		}
		if b.Listens {
			ix.listens[b.Layer+":"+b.Path] = true
		}
		if b.Kind == "shared-library" {
			sharedObj[b.Layer+":"+b.Path] = true
		}
	}
	for i := range rep.Components {
		c := &rep.Components[i]
		ix.byRef[c.Ref] = i
		for _, l := range c.Locations {
			k := l.Layer + ":" + l.Path
			ix.at[k] = append(ix.at[k], i)
			if sharedObj[k] || (ix.isType(k, "elf") && strings.Contains(path.Base(l.Path), ".so")) {
				ix.shlib[i] = true
			}
		}
	}
	return ix
}

func (ix *index) isType(k, typ string) bool {
	f := ix.files[k]
	return f != nil && f.Type == typ
}

// resolve follows symbolic links from p in layer, as the kernel would
// when it executes p; it returns every path on the way.
func (ix *index) resolve(layer, p string) []string {
	out := []string{p}
	for range 16 {
		f := ix.files[layer+":"+p]
		if f == nil || f.Type != "symlink" || f.LinkTarget == "" {
			break
		}
		t := f.LinkTarget
		if !strings.HasPrefix(t, "/") {
			t = path.Join(path.Dir(p), t)
		}
		p = path.Clean(t)
		out = append(out, p)
	}
	return out
}

// componentsOf are the components whose file the service executes: the
// one the service names, and every one with a location at its binary.
func (ix *index) componentsOf(s *model.Service) []int {
	var out []int
	add := func(i int) {
		for _, j := range out {
			if j == i {
				return
			}
		}
		out = append(out, i)
	}
	if i, ok := ix.byRef[s.Component]; ok && s.Component != "" {
		add(i)
	}
	for _, k := range ix.programFiles(s) {
		for _, i := range ix.at[k] {
			add(i)
		}
	}
	return out
}

// programFiles are the files ("layer:path") the kernel goes through to
// execute the service's program: its path and the symlinks' targets.
func (ix *index) programFiles(s *model.Service) []string {
	bin := s.Binary
	if bin != "" && !strings.HasPrefix(bin, "/") {
		// a bare program name: where the default PATH finds it
		for _, d := range pathDirs {
			if len(ix.layers[d+bin]) > 0 {
				bin = d + bin
				break
			}
		}
	}
	if bin == "" {
		return nil
	}
	layers := ix.layers[bin]
	if s.Location.Layer != "" && ix.files[s.Location.Layer+":"+bin] != nil {
		layers = []string{s.Location.Layer}
	}
	var out []string
	for _, layer := range layers {
		for _, p := range ix.resolve(layer, bin) {
			out = append(out, layer+":"+p)
		}
	}
	return out
}

// programListens reports whether the program imports the functions that
// accept connections or datagrams.
func (ix *index) programListens(s *model.Service) bool {
	for _, k := range ix.programFiles(s) {
		if ix.listens[k] {
			return true
		}
	}
	return false
}

// pathDirs is the PATH of BusyBox init and most rc scripts, in order.
var pathDirs = []string{"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"}

// loaded calls fn for every component a program of the components from
// loads through a chain of shared-library dependencies, at most maxChain
// deep. Component.Dependencies holds the DT_NEEDED links of the binaries
// (the inventory reads them) and a package's declared dependencies; only
// dependencies that ship a shared object are followed, so a package that
// merely depends on a shell or a data package does not pass exposure on.
func (ix *index) loaded(from []int, fn func(ci int, by string)) {
	seen := map[int]bool{}
	for _, i := range from {
		seen[i] = true
	}
	type step struct {
		ci int
		by string
	}
	var q []step
	for _, i := range from {
		q = append(q, step{i, ""})
	}
	for depth := 0; depth < maxChain && len(q) > 0; depth++ {
		var next []step
		for _, st := range q {
			for _, ref := range ix.rep.Components[st.ci].Dependencies {
				j, ok := ix.byRef[ref]
				if !ok || seen[j] || !ix.shlib[j] {
					continue
				}
				seen[j] = true
				// the chain from the program: "libgnutls < libldap < curl"
				by := ix.rep.Components[st.ci].Name
				if st.by != "" {
					by += " < " + st.by
				}
				fn(j, by)
				next = append(next, step{j, by})
			}
		}
		q = next
	}
}

// loadedELF calls fn for every component with a shared library the
// program files load through DT_NEEDED, directly or through the
// libraries' own DT_NEEDED, at most maxChain deep. This finds the
// libraries of a program no component was identified for (a vendor
// daemon loading OpenSSL), which Component.Dependencies cannot.
func (ix *index) loadedELF(program []string, fn func(ci int, chain string)) {
	type step struct{ key, chain string }
	seen := map[string]bool{}
	var q []step
	for _, k := range program {
		seen[k] = true
		q = append(q, step{k, ""})
	}
	done := map[int]bool{}
	for depth := 0; depth < maxChain && len(q) > 0; depth++ {
		var next []step
		for _, st := range q {
			layer, _, _ := strings.Cut(st.key, ":")
			for _, so := range ix.needed[st.key] {
				files := ix.resolveLib(layer, so)
				if len(files) == 0 || seen[layer+":"+files[len(files)-1]] {
					continue
				}
				chain := so
				if st.chain != "" {
					chain = st.chain + ", " + so
				}
				for _, p := range files {
					k := layer + ":" + p
					seen[k] = true
					for _, ci := range ix.at[k] {
						if !done[ci] {
							done[ci] = true
							fn(ci, chain)
						}
					}
				}
				next = append(next, step{layer + ":" + files[len(files)-1], chain})
			}
		}
		q = next
	}
}

// libDirs are where the dynamic loader looks first.
var libDirs = []string{"/lib/", "/usr/lib/", "/lib32/", "/usr/lib32/", "/lib64/", "/usr/lib64/"}

// resolveLib finds the file a soname names in layer, preferring the
// loader's directories, and returns it with the symlinks' targets.
func (ix *index) resolveLib(layer, so string) []string {
	best, rank := "", len(libDirs)+1
	for _, p := range ix.base[layer+":"+so] {
		r := len(libDirs)
		for i, d := range libDirs {
			if strings.HasPrefix(p, d) {
				r = i
				break
			}
		}
		if r < rank || (r == rank && p < best) {
			best, rank = p, r
		}
	}
	if best == "" {
		return nil
	}
	return ix.resolve(layer, best)
}

// webServers take their document root from -h (BusyBox httpd, uhttpd)
// or -d (thttpd, mini_httpd).
var webServers = map[string]string{"httpd": "-h", "uhttpd": "-h", "thttpd": "-d", "mini_httpd": "-d"}

// served are the components with a program under the CGI directory of a
// web server's document root: the server runs them for each request.
func (ix *index) served(s *model.Service) []int {
	flag, ok := webServers[s.Name]
	if !ok {
		return nil
	}
	root := "/www" // the BusyBox and OpenWrt convention
	for i, a := range s.Args {
		if a == flag && i+1 < len(s.Args) {
			root = path.Clean(s.Args[i+1])
		} else if v, ok := strings.CutPrefix(a, flag); ok && v != "" && strings.HasPrefix(v, "/") {
			root = path.Clean(v)
		}
	}
	if !strings.HasPrefix(root, "/") {
		return nil
	}
	var out []int
	seen := map[int]bool{}
	for k, cs := range ix.at {
		layer, p, _ := strings.Cut(k, ":")
		if !strings.HasPrefix(p, root+"/") || !isCGI(p[len(root):]) {
			continue
		}
		if !ix.isType(layer+":"+p, "elf") && !ix.isType(layer+":"+p, "script") {
			continue
		}
		for _, i := range cs {
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return out
}

// isCGI: a program the server executes rather than serves (under
// cgi-bin, or named *.cgi).
func isCGI(rel string) bool {
	return strings.HasPrefix(rel, "/cgi-bin/") || strings.HasSuffix(rel, ".cgi")
}
