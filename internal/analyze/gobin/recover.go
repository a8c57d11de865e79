package gobin

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/license"
	"github.com/thingsec/thingsec/internal/model"
)

// Evidence kinds of a Go binary whose build info blob is gone or damaged.
const (
	// KindModInfo: the module list text found by its sentinels outside
	// the build info blob; as exact as the blob itself.
	KindModInfo = "go-modinfo"
	// KindPclntab: module paths (and versions, when the file table
	// records module-cache paths) read from the function and file tables
	// the runtime needs for stack traces, which stripping keeps.
	KindPclntab = "go-pclntab"
)

// Confidences of the recovered evidence (see model.Evidence.Confidence).
const (
	confModInfo     = 0.9  // the linker's own list, found without its header
	confFilePath    = 0.8  // module@version in a source path
	confSymbolsOnly = 0.3  // a package path from function names: module boundary guessed, no version
	confGoVersion   = 0.85 // runtime.buildVersion found through its string header
)

// maxPclntab bounds what is read of a pclntab (the largest Go programs
// have ~100 MiB ones).
const maxPclntab = 256 << 20

// modinfo sentinels: the linker brackets the module list text with them
// (cmd/go/internal/modload), so it can be found without the blob header.
var (
	modinfoStart = []byte{0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6}
	modinfoEnd   = []byte{0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2}
)

// Recovered is what could be read of a Go binary without its build info.
type Recovered struct {
	GoVersion string // "go1.22.1", from runtime.buildVersion or a toolchain module path
	// Info is the module list found by its sentinels; nil when absent.
	Info *debug.BuildInfo
	// Modules are from the pclntab: versioned ones from module-cache
	// source paths, unversioned ones guessed from package paths.
	Modules []Module
}

// Module is one module the pclntab shows.
type Module struct {
	Path, Version string
}

// Recover reads what is left of a Go ELF binary's build information; ok
// is false when the file is not a Go binary (no pclntab).
func Recover(f *elf.File, data []byte) (rec Recovered, ok bool) {
	tab, order, ptr := findPclntab(f, data)
	if tab == nil {
		return rec, false
	}
	funcs, files, ok := pclnTables(tab, order)
	if !ok {
		return rec, false
	}
	rec.Info = findModInfo(data)
	rec.Modules, rec.GoVersion = modulesFromTables(funcs, files)
	if v := buildVersion(f, data, order, ptr); v != "" {
		rec.GoVersion = v
	}
	return rec, true
}

// pclntab magics: Go 1.16-1.17, 1.18-1.19, 1.20 and later. The 1.2-1.15
// table has no function-name block and is not read.
var pclnMagics = []uint32{0xfffffffa, 0xfffffff0, 0xfffffff1}

func validHeader(b []byte, order binary.ByteOrder) (ptr int, ok bool) {
	if len(b) < 8 {
		return 0, false
	}
	m := order.Uint32(b)
	known := false
	for _, k := range pclnMagics {
		known = known || m == k
	}
	if !known || b[4] != 0 || b[5] != 0 || (b[6] != 1 && b[6] != 2 && b[6] != 4) || (b[7] != 4 && b[7] != 8) {
		return 0, false
	}
	return int(b[7]), true
}

// findPclntab returns the pclntab: its section, else (section headers
// stripped or renamed) the first valid header found by its magic.
func findPclntab(f *elf.File, data []byte) ([]byte, binary.ByteOrder, int) {
	order := f.ByteOrder
	if s := f.Section(".gopclntab"); s != nil && s.Type != elf.SHT_NOBITS && s.Size <= maxPclntab {
		if b, err := s.Data(); err == nil {
			if ptr, ok := validHeader(b, order); ok {
				return b, order, ptr
			}
		}
	}
	var magic [4]byte
	for _, m := range pclnMagics {
		order.PutUint32(magic[:], m)
		for off := 0; ; {
			i := bytes.Index(data[off:], magic[:])
			if i < 0 {
				break
			}
			off += i
			if ptr, ok := validHeader(data[off:], order); ok {
				if _, _, ok := pclnTables(data[off:], order); ok {
					return data[off:min(len(data), off+maxPclntab)], order, ptr
				}
			}
			off++
		}
	}
	return nil, nil, 0
}

// pclnTables returns the function-name and file-name blocks of a Go 1.16+
// pclntab, each a run of NUL-terminated strings.
func pclnTables(tab []byte, order binary.ByteOrder) (funcs, files []byte, ok bool) {
	ptr, ok := validHeader(tab, order)
	if !ok {
		return nil, nil, false
	}
	word := func(i int) uint64 {
		o := 8 + i*ptr
		if o+ptr > len(tab) {
			return ^uint64(0)
		}
		if ptr == 4 {
			return uint64(order.Uint32(tab[o:]))
		}
		return order.Uint64(tab[o:])
	}
	// Words after the header: nfunc, nfiles, [textStart (1.18+)],
	// funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset.
	i := 2
	if order.Uint32(tab) != 0xfffffffa {
		i = 3
	}
	fn, cu, ft, pc := word(i), word(i+1), word(i+2), word(i+3)
	n := uint64(len(tab))
	if !(fn < cu && cu <= ft && ft < pc && pc <= n) {
		return nil, nil, false
	}
	return tab[fn:cu], tab[ft:pc], true
}

// modinfo finds the module list text between its sentinels.
func findModInfo(data []byte) *debug.BuildInfo {
	for off := 0; ; {
		i := bytes.Index(data[off:], modinfoStart)
		if i < 0 {
			return nil
		}
		off += i + len(modinfoStart)
		j := bytes.Index(data[off:min(len(data), off+16<<20)], modinfoEnd)
		if j < 0 {
			return nil
		}
		if bi, err := debug.ParseBuildInfo(string(data[off : off+j])); err == nil && (bi.Path != "" || len(bi.Deps) > 0) {
			return bi
		}
	}
}

// modCachePath matches module@version in a source file path, as recorded
// with -trimpath ("github.com/x/y@v1.2.3/f.go") or from the module cache
// ("/root/go/pkg/mod/github.com/x/y@v1.2.3/f.go").
var modCachePath = lazyre.New(`^(?:.*/pkg/mod/)?([^@]+)@(v\d+\.\d+\.\d+[^/@]*)/`)

// toolchainVersion: a toolchain the go command downloaded lives in the
// module cache as golang.org/toolchain@v0.0.1-go1.22.1.linux-amd64.
var toolchainVersion = lazyre.New(`^v0\.0\.1-(go\d+\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)\.`)

// modulesFromTables lists the modules the file table names with versions,
// then the packages of the function table no versioned module covers,
// cut to a guessed module path.
func modulesFromTables(funcs, files []byte) (mods []Module, goVersion string) {
	versioned := map[string]string{}
	for _, p := range bytes.Split(files, []byte{0}) {
		m := modCachePath.FindSubmatch(p)
		if m == nil {
			continue
		}
		path, ver := unescapeModPath(string(m[1])), string(m[2])
		if path == "golang.org/toolchain" {
			if t := toolchainVersion.FindStringSubmatch(ver); t != nil {
				goVersion = t[1]
			}
			continue
		}
		if path == "" || strings.HasPrefix(path, "/") {
			continue
		}
		versioned[path] = ver
	}
	for p, v := range versioned {
		mods = append(mods, Module{p, v})
	}
	guessed := map[string]bool{}
	for _, n := range bytes.Split(funcs, []byte{0}) {
		pkg := packageOf(string(n))
		if pkg == "" || covered(versioned, pkg) {
			continue
		}
		if m := guessModule(pkg); m != "" {
			guessed[m] = true
		}
	}
	for p := range guessed {
		mods = append(mods, Module{Path: p})
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods, goVersion
}

// unescapeModPath undoes the module cache's case encoding ("!x" is "X").
func unescapeModPath(p string) string {
	if !strings.Contains(p, "!") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '!' && i+1 < len(p) && p[i+1] >= 'a' && p[i+1] <= 'z' {
			b.WriteByte(p[i+1] - 'a' + 'A')
			i++
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// packageOf returns the import path of a function symbol's package when it
// is outside the standard library ("github.com/x/y.(*T).M" gives
// "github.com/x/y"), else "".
func packageOf(sym string) string {
	if i := strings.IndexByte(sym, '['); i >= 0 { // generic instantiation
		sym = sym[:i]
	}
	slash := strings.LastIndexByte(sym, '/')
	if slash < 0 {
		return "" // a package without a path element: stdlib or main
	}
	dot := strings.IndexByte(sym[slash:], '.')
	if dot < 0 {
		return ""
	}
	// The linker writes the dots of a path's last element as %2e
	// ("gopkg.in/yaml%2ev2.Unmarshal").
	pkg := strings.ReplaceAll(sym[:slash+dot], "%2e", ".")
	first, _, _ := strings.Cut(pkg, "/")
	// Standard library (and its vendored golang.org/x copies) has no dot
	// in its first element; linker-made symbols start "type:", "go:".
	if !strings.Contains(first, ".") || strings.ContainsAny(first, ":*() ") {
		return ""
	}
	return pkg
}

func covered(mods map[string]string, pkg string) bool {
	for p := pkg; ; {
		if _, ok := mods[p]; ok {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// hostDepth is how many path elements name a repository on hosts whose
// layout is fixed.
var hostDepth = map[string]int{
	"github.com": 3, "gitlab.com": 3, "bitbucket.org": 3, "gitee.com": 3, "codeberg.org": 3,
	"golang.org": 3, // golang.org/x/<repo>
}

var majorSuffix = lazyre.New(`^v\d+$`)

// guessModule cuts a package path to its likely module path: host/owner/
// repo on forges, host/name elsewhere, a /vN major suffix kept. It is a
// guess, which is why such modules carry a low confidence.
func guessModule(pkg string) string {
	el := strings.Split(pkg, "/")
	n := 2
	if d, ok := hostDepth[el[0]]; ok {
		n = d
	}
	if el[0] == "gopkg.in" { // gopkg.in/yaml.v3, gopkg.in/user/pkg.v1
		for i := 1; i < len(el); i++ {
			if strings.Contains(el[i], ".v") {
				n = i + 1
				break
			}
		}
	}
	if len(el) < n {
		return ""
	}
	if len(el) > n && majorSuffix.MatchString(el[n]) {
		n++
	}
	return strings.Join(el[:n], "/")
}

var goVersionText = lazyre.New(`go1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?`)

// buildVersion finds runtime.buildVersion: a "go1.x.y" string whose
// address is held, with its length, by a string header in the binary's
// writable data. Requiring the header keeps a "go1.21" that is merely
// text in the program from counting.
func buildVersion(f *elf.File, data []byte, order binary.ByteOrder, ptr int) string {
	cands := map[uint64]string{} // address -> text
	for _, loc := range goVersionText.FindAllIndex(data, 64) {
		if loc[1] < len(data) && isVersionByte(data[loc[1]]) {
			continue
		}
		if a, ok := fileToAddr(f, uint64(loc[0])); ok {
			cands[a] = string(data[loc[0]:loc[1]])
		}
	}
	if len(cands) == 0 {
		return ""
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Flags&elf.PF_W == 0 || p.Off+p.Filesz > uint64(len(data)) {
			continue
		}
		seg := data[p.Off : p.Off+p.Filesz]
		for o := 0; o+2*ptr <= len(seg); o += ptr {
			text, ok := cands[readWord(seg[o:], order, ptr)]
			if n := readWord(seg[o+ptr:], order, ptr); ok && n >= uint64(len(text)) && n <= 64 {
				return text
			}
		}
	}
	return ""
}

func isVersionByte(b byte) bool { return b >= '0' && b <= '9' || b == '.' }

func readWord(b []byte, order binary.ByteOrder, ptr int) uint64 {
	if ptr == 4 {
		return uint64(order.Uint32(b))
	}
	return order.Uint64(b)
}

func fileToAddr(f *elf.File, off uint64) (uint64, bool) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && off >= p.Off && off < p.Off+p.Filesz {
			return p.Vaddr + off - p.Off, true
		}
	}
	return 0, false
}

// RecoveredComponents turns a recovery into components: the module list
// when its text survived, else the pclntab's modules with their weaker
// evidence; and the toolchain as "stdlib" when its version was found.
func RecoveredComponents(rec Recovered, loc model.Location) []model.Component {
	if rec.Info != nil {
		if rec.Info.GoVersion == "" {
			rec.Info.GoVersion = rec.GoVersion
		}
		out := fromBuildInfo(rec.Info, loc, KindModInfo, confModInfo)
		if rec.Info.GoVersion == "" {
			return out
		}
		// The toolchain came from buildVersion, not the list.
		for i := range out {
			if out[i].Name == "stdlib" {
				out[i].Evidence[0].Confidence = confGoVersion
			}
		}
		return out
	}
	lic := func() *model.License {
		return license.Unknown("a Go binary's tables record no licence")
	}
	var out []model.Component
	for _, m := range rec.Modules {
		c := model.Component{
			Name: m.Path, Version: m.Version, Type: "library", PURL: goPURL(m.Path, m.Version),
			Locations: []model.Location{loc}, License: lic(),
		}
		if m.Version != "" {
			c.Evidence = []model.Evidence{{Kind: KindPclntab, Path: loc.Path, Match: "source path " + m.Path + "@" + m.Version, Confidence: confFilePath}}
		} else {
			c.Evidence = []model.Evidence{{Kind: KindPclntab, Path: loc.Path, Match: "function names in package path " + m.Path + " (module path guessed, no version)", Confidence: confSymbolsOnly}}
		}
		out = append(out, c)
	}
	if rec.GoVersion != "" {
		out = append(out, stdlib(rec.GoVersion, loc, model.Evidence{Kind: KindPclntab, Path: loc.Path, Match: "runtime.buildVersion " + rec.GoVersion, Confidence: confGoVersion}))
	}
	return out
}

func stdlib(goVersion string, loc model.Location, ev model.Evidence) model.Component {
	gv, _, _ := strings.Cut(goVersion, " ") // "go1.22.1 X:boringcrypto"
	// The toolchain "go1.22.1" is the module version "v1.22.1" in the
	// component and its purl alike.
	mv := "v" + strings.TrimPrefix(gv, "go")
	return model.Component{
		Name: "stdlib", Version: mv, Type: "library",
		PURL:      packageurl.NewPackageURL("golang", "", "stdlib", mv, nil, "").ToString(),
		CPEs:      []string{"cpe:2.3:a:golang:go:" + strings.TrimPrefix(gv, "go") + ":*:*:*:*:*:*:*"},
		Locations: []model.Location{loc}, Evidence: []model.Evidence{ev},
		License: license.Unknown("Go build info records no licence (the Go toolchain is BSD-3-Clause, but a binary may be built with a modified one)"),
	}
}
