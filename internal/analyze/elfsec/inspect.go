package elfsec

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Facts is what Inspect reads from one ELF file.
type Facts struct {
	Type    elf.Type
	Machine elf.Machine
	Class   elf.Class
	Order   binary.ByteOrder
	OSABI   elf.OSABI
	Flags   uint32

	Interp  string
	Needed  []string
	SOName  string
	RPath   []string
	RunPath []string

	HasRELRO     bool // PT_GNU_RELRO
	HasGNUStack  bool
	StackFlags   elf.ProgFlag
	BindNow      bool // DT_BIND_NOW or DF_BIND_NOW: what checksec looks for
	Flags1Now    bool // DF_1_NOW
	Flags1PIE    bool // DF_1_PIE
	HasDebug     bool // DT_DEBUG: checksec's PIE test
	HasDynamic   bool
	TextRel      bool
	HasSymtab    bool // .symtab: not stripped
	HasSections  bool
	ModInfo      bool // .modinfo: a kernel module
	BuildID      string
	GoNote       bool   // a Go binary: its build-ID note or sections
	SymbolSource string // "sections", "dynamic-segment" or ""
	Static       bool   // an executable without interpreter and DT_NEEDED
	Truncated    bool   // segments or section headers reach past the end

	// Symbols are the names of .dynsym and .symtab (what readelf -s
	// prints); Dynamic those of .dynsym alone (readelf --dyn-syms), with
	// the st_other of each.
	Symbols []string
	Dynamic []Sym
	// Refs counts the relocations that reference each dynamic symbol.
	Refs map[string]int
}

// Sym is one dynamic symbol.
type Sym struct {
	Name    string // without version
	Other   byte
	Defined bool
	Func    bool
}

// Bounds on what a hostile file can make us read.
const (
	maxDynamic = 1 << 20  // bytes of PT_DYNAMIC
	maxNotes   = 64 << 10 // bytes of one PT_NOTE
	maxStrings = 4 << 20  // bytes of DT_STRTAB read for paths and names
	maxSyms    = 1 << 20  // symbols read from the dynamic segment
)

// recoverPanics turns a panic of debug/elf on hostile input into an
// error; the fuzz target switches it off to see them.
var recoverPanics = true

// errNotELF is returned for input without the ELF magic.
var errNotELF = errors.New("not an ELF file")

// Inspect reads the facts of an ELF file. It never executes anything and
// bounds every read; a malformed file gives an error, never a panic.
func Inspect(r io.ReaderAt, size int64) (fx *Facts, err error) {
	defer func() {
		if !recoverPanics {
			return
		}
		if p := recover(); p != nil {
			fx, err = nil, fmt.Errorf("malformed ELF: %v", p)
		}
	}()
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil || string(magic[:]) != elf.ELFMAG {
		return nil, errNotELF
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("malformed ELF: %w", err)
	}
	fx = &Facts{Type: f.Type, Machine: f.Machine, Class: f.Class, Order: f.ByteOrder, OSABI: f.OSABI}
	fx.Flags = readFlags(r, f)
	fx.Truncated = truncated(r, f, size)
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_GNU_RELRO:
			fx.HasRELRO = true
		case elf.PT_GNU_STACK:
			fx.HasGNUStack = true
			fx.StackFlags = p.Flags
		case elf.PT_INTERP:
			b := readAt(r, int64(p.Off), min(p.Filesz, 4096), size)
			fx.Interp = string(bytes.TrimRight(b, "\x00"))
		case elf.PT_NOTE:
			fx.notes(readAt(r, int64(p.Off), min(p.Filesz, maxNotes), size))
		}
	}
	for _, s := range f.Sections {
		switch {
		case s.Type == elf.SHT_SYMTAB:
			fx.HasSymtab = true
		case s.Name == ".modinfo":
			fx.ModInfo = true
		case s.Name == ".go.buildinfo" || s.Name == ".gopclntab" || s.Name == ".note.go.buildid":
			fx.GoNote = true
		case s.Type == elf.SHT_NOTE && fx.BuildID == "" && !fx.GoNote && f.Type == elf.ET_REL:
			// relocatable files have no PT_NOTE; read the sections
			fx.notes(readAt(r, int64(s.Offset), min(s.Size, maxNotes), size))
		}
	}
	fx.HasSections = len(f.Sections) > 0
	dyn := fx.dynamic(r, f, size)
	fx.symbols(r, f, dyn, size)
	return fx, nil
}

// truncated: a loaded segment or the section header table reaches past
// the end of the data.
func truncated(r io.ReaderAt, f *elf.File, size int64) bool {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Off+p.Filesz > uint64(size) {
			return true
		}
	}
	var b [8]byte
	shoff, shnum, shent := uint64(0), uint64(0), uint64(0)
	if f.Class == elf.ELFCLASS64 {
		if _, err := r.ReadAt(b[:8], 0x28); err == nil {
			shoff = f.ByteOrder.Uint64(b[:])
		}
		if _, err := r.ReadAt(b[:4], 0x3a); err == nil {
			shent, shnum = uint64(f.ByteOrder.Uint16(b[:])), uint64(f.ByteOrder.Uint16(b[2:]))
		}
	} else {
		if _, err := r.ReadAt(b[:4], 0x20); err == nil {
			shoff = uint64(f.ByteOrder.Uint32(b[:]))
		}
		if _, err := r.ReadAt(b[:4], 0x2e); err == nil {
			shent, shnum = uint64(f.ByteOrder.Uint16(b[:])), uint64(f.ByteOrder.Uint16(b[2:]))
		}
	}
	return shoff != 0 && shoff+shnum*shent > uint64(size)
}

// readFlags reads e_flags, which debug/elf does not keep.
func readFlags(r io.ReaderAt, f *elf.File) uint32 {
	off := int64(36)
	if f.Class == elf.ELFCLASS64 {
		off = 48
	}
	var b [4]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return 0
	}
	return f.ByteOrder.Uint32(b[:])
}

// readAt reads n bytes at off, or fewer at the end of the file; nothing
// when the range is outside it.
func readAt(r io.ReaderAt, off int64, n uint64, size int64) []byte {
	if off < 0 || off >= size || n == 0 {
		return nil
	}
	n = min(n, uint64(size-off))
	b := make([]byte, n)
	k, _ := r.ReadAt(b, off)
	return b[:k]
}

func (fx *Facts) notes(b []byte) {
	bo := fx.Order
	for len(b) >= 12 {
		nsz, dsz, typ := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		na, da := align4(uint64(nsz)), align4(uint64(dsz))
		if na > uint64(len(b)) || na+da > uint64(len(b)) {
			return
		}
		name := string(bytes.TrimRight(b[:nsz], "\x00"))
		desc := b[na : na+uint64(dsz)]
		switch {
		case name == "GNU" && typ == 3: // NT_GNU_BUILD_ID
			fx.BuildID = hex.EncodeToString(desc)
		case name == "Go" && typ == 4: // the Go build ID note
			fx.GoNote = true
		}
		b = b[na+da:]
	}
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

// dynEntry is one entry of the dynamic array.
type dynEntry struct {
	tag elf.DynTag
	val uint64
}

// dynamic reads the dynamic array from PT_DYNAMIC (as readelf -d does),
// or from the .dynamic section when there is no such segment.
func (fx *Facts) dynamic(r io.ReaderAt, f *elf.File, size int64) []dynEntry {
	var raw []byte
	for _, p := range f.Progs {
		if p.Type == elf.PT_DYNAMIC {
			raw = readAt(r, int64(p.Off), min(p.Filesz, maxDynamic), size)
			break
		}
	}
	if raw == nil {
		if s := f.Section(".dynamic"); s != nil && s.Type == elf.SHT_DYNAMIC {
			raw = readAt(r, int64(s.Offset), min(s.Size, maxDynamic), size)
		}
	}
	if raw == nil {
		return nil
	}
	fx.HasDynamic = true
	var ents []dynEntry
	w := 8
	if f.Class == elf.ELFCLASS64 {
		w = 16
	}
	for i := 0; i+w <= len(raw); i += w {
		var e dynEntry
		if w == 16 {
			e = dynEntry{elf.DynTag(f.ByteOrder.Uint64(raw[i:])), f.ByteOrder.Uint64(raw[i+8:])}
		} else {
			e = dynEntry{elf.DynTag(int32(f.ByteOrder.Uint32(raw[i:]))), uint64(f.ByteOrder.Uint32(raw[i+4:]))}
		}
		if e.tag == elf.DT_NULL {
			break
		}
		ents = append(ents, e)
	}
	var strtab uint64
	var strsz uint64
	for _, e := range ents {
		switch e.tag {
		case elf.DT_BIND_NOW:
			fx.BindNow = true
		case elf.DT_FLAGS:
			if elf.DynFlag(e.val)&elf.DF_BIND_NOW != 0 {
				fx.BindNow = true
			}
			if elf.DynFlag(e.val)&elf.DF_TEXTREL != 0 {
				fx.TextRel = true
			}
		case elf.DT_FLAGS_1:
			if elf.DynFlag1(e.val)&elf.DF_1_NOW != 0 {
				fx.Flags1Now = true
			}
			if elf.DynFlag1(e.val)&elf.DF_1_PIE != 0 {
				fx.Flags1PIE = true
			}
		case elf.DT_DEBUG:
			fx.HasDebug = true
		case elf.DT_TEXTREL:
			fx.TextRel = true
		case elf.DT_STRTAB:
			strtab = e.val
		case elf.DT_STRSZ:
			strsz = e.val
		}
	}
	strs := readVaddr(r, f, strtab, min(strsz, maxStrings), size)
	str := func(off uint64) string {
		if off >= uint64(len(strs)) {
			return ""
		}
		s := strs[off:]
		if i := bytes.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return string(s)
	}
	for _, e := range ents {
		switch e.tag {
		case elf.DT_NEEDED:
			fx.Needed = append(fx.Needed, str(e.val))
		case elf.DT_SONAME:
			fx.SOName = str(e.val)
		case elf.DT_RPATH:
			fx.RPath = append(fx.RPath, strings.Split(str(e.val), ":")...)
		case elf.DT_RUNPATH:
			fx.RunPath = append(fx.RunPath, strings.Split(str(e.val), ":")...)
		}
	}
	return ents
}

// readVaddr reads n bytes at virtual address va, through the PT_LOAD
// segment that maps it.
func readVaddr(r io.ReaderAt, f *elf.File, va, n uint64, size int64) []byte {
	if n == 0 {
		return nil
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || va < p.Vaddr || va-p.Vaddr >= p.Filesz {
			continue
		}
		d := va - p.Vaddr
		return readAt(r, int64(p.Off+d), min(n, p.Filesz-d), size)
	}
	return nil
}

// symbols collects symbol names: from the section tables as readelf
// does, or, when the section headers were removed (sstrip), from the
// dynamic segment, which the loader itself uses.
func (fx *Facts) symbols(r io.ReaderAt, f *elf.File, dyn []dynEntry, size int64) {
	fx.Refs = map[string]int{}
	if ds, err := f.DynamicSymbols(); err == nil {
		fx.SymbolSource = "sections"
		for _, s := range ds {
			fx.Dynamic = append(fx.Dynamic, Sym{
				Name:    s.Name,
				Other:   s.Other,
				Defined: s.Section != elf.SHN_UNDEF,
				Func:    elf.ST_TYPE(s.Info) == elf.STT_FUNC || elf.ST_TYPE(s.Info) == elf.STT_GNU_IFUNC,
			})
			fx.Symbols = append(fx.Symbols, s.Name)
		}
		fx.relocRefs(f)
	} else if !fx.HasSections && dyn != nil {
		fx.dynSegmentSymbols(r, f, dyn, size)
	}
	if ss, err := f.Symbols(); err == nil {
		if fx.SymbolSource == "" {
			fx.SymbolSource = "sections"
		}
		for _, s := range ss {
			fx.Symbols = append(fx.Symbols, s.Name)
		}
	}
}

// relocRefs counts, per dynamic symbol, the relocations that name it.
func (fx *Facts) relocRefs(f *elf.File) {
	for _, s := range f.Sections {
		if s.Type != elf.SHT_REL && s.Type != elf.SHT_RELA {
			continue
		}
		if s.Link == 0 || int(s.Link) >= len(f.Sections) || f.Sections[s.Link].Type != elf.SHT_DYNSYM {
			continue
		}
		if s.Size > 64<<20 {
			continue
		}
		b, err := s.Data()
		if err != nil {
			continue
		}
		ent := relEntSize(f.Class, s.Type)
		for i := 0; i+ent <= len(b); i += ent {
			var idx uint64
			if f.Class == elf.ELFCLASS64 {
				info := f.ByteOrder.Uint64(b[i+8:])
				if f.Machine == elf.EM_MIPS && f.ByteOrder == binary.LittleEndian {
					// MIPS64 little endian stores r_sym in the low word
					idx = info & 0xffffffff
				} else {
					idx = info >> 32
				}
			} else {
				idx = uint64(f.ByteOrder.Uint32(b[i+4:]) >> 8)
			}
			// symbol 0 is the null symbol; Dynamic starts at symbol 1
			if idx >= 1 && idx-1 < uint64(len(fx.Dynamic)) {
				fx.Refs[fx.Dynamic[idx-1].Name]++
			}
		}
	}
	// MIPS calls imported functions through the GOT, not relocations:
	// every undefined function has one global GOT entry.
	if f.Machine == elf.EM_MIPS {
		for _, s := range fx.Dynamic {
			if !s.Defined && s.Func && fx.Refs[s.Name] == 0 {
				fx.Refs[s.Name] = 1
			}
		}
	}
}

func relEntSize(c elf.Class, t elf.SectionType) int {
	n := 8
	if c == elf.ELFCLASS64 {
		n = 16
	}
	if t == elf.SHT_RELA {
		n += n / 2
	}
	return n
}

// dynSegmentSymbols reads the dynamic symbol table through DT_SYMTAB,
// DT_STRTAB and the hash table that gives its length.
func (fx *Facts) dynSegmentSymbols(r io.ReaderAt, f *elf.File, dyn []dynEntry, size int64) {
	var symtab, strtab, strsz, hash, gnuHash uint64
	for _, e := range dyn {
		switch e.tag {
		case elf.DT_SYMTAB:
			symtab = e.val
		case elf.DT_STRTAB:
			strtab = e.val
		case elf.DT_STRSZ:
			strsz = e.val
		case elf.DT_HASH:
			hash = e.val
		case elf.DT_GNU_HASH:
			gnuHash = e.val
		}
	}
	if symtab == 0 || strtab == 0 {
		return
	}
	var n uint64
	switch {
	case hash != 0:
		b := readVaddr(r, f, hash, 8, size)
		if len(b) == 8 {
			n = uint64(f.ByteOrder.Uint32(b[4:])) // nchain
		}
	case gnuHash != 0:
		n = gnuHashCount(r, f, gnuHash, size)
	}
	for _, e := range dyn {
		// MIPS keeps the count in its own tag
		if f.Machine == elf.EM_MIPS && e.tag == elf.DT_MIPS_SYMTABNO {
			n = e.val
		}
	}
	ent := uint64(16)
	if f.Class == elf.ELFCLASS64 {
		ent = 24
	}
	// The GNU hash table only covers defined symbols, so it undercounts
	// (a program that defines none has an empty one). Linkers place the
	// string table right after the symbol table: that gap is the count.
	if strtab > symtab && (strtab-symtab)/ent > n {
		n = (strtab - symtab) / ent
	}
	n = min(n, maxSyms)
	syms := readVaddr(r, f, symtab, n*ent, size)
	strs := readVaddr(r, f, strtab, min(strsz, maxStrings), size)
	fx.SymbolSource = "dynamic-segment"
	for i := uint64(1); (i+1)*ent <= uint64(len(syms)); i++ {
		b := syms[i*ent:]
		var name uint32
		var info, other byte
		var shndx uint16
		if f.Class == elf.ELFCLASS64 {
			name, info, other, shndx = f.ByteOrder.Uint32(b), b[4], b[5], f.ByteOrder.Uint16(b[6:])
		} else {
			name, info, other, shndx = f.ByteOrder.Uint32(b), b[12], b[13], f.ByteOrder.Uint16(b[14:])
		}
		if uint64(name) >= uint64(len(strs)) {
			break // past the table
		}
		nm := ""
		if uint64(name) < uint64(len(strs)) {
			s := strs[name:]
			if j := bytes.IndexByte(s, 0); j >= 0 {
				s = s[:j]
			}
			nm = string(s)
		}
		t := elf.ST_TYPE(info)
		fx.Dynamic = append(fx.Dynamic, Sym{Name: nm, Other: other, Defined: shndx != 0, Func: t == elf.STT_FUNC || t == elf.STT_GNU_IFUNC})
		fx.Symbols = append(fx.Symbols, nm)
		if shndx == 0 && nm != "" {
			fx.Refs[nm]++
		}
	}
}

// gnuHashCount finds the number of dynamic symbols from a DT_GNU_HASH
// table: one past the last symbol of the longest chain.
func gnuHashCount(r io.ReaderAt, f *elf.File, va uint64, size int64) uint64 {
	h := readVaddr(r, f, va, 16, size)
	if len(h) < 16 {
		return 0
	}
	bo := f.ByteOrder
	nbucket, symoff, bloom := uint64(bo.Uint32(h)), uint64(bo.Uint32(h[4:])), uint64(bo.Uint32(h[8:]))
	if nbucket == 0 || nbucket > 1<<20 || bloom > 1<<20 {
		return 0
	}
	word := uint64(4)
	if f.Class == elf.ELFCLASS64 {
		word = 8
	}
	bOff := va + 16 + bloom*word
	buckets := readVaddr(r, f, bOff, nbucket*4, size)
	var last uint64
	for i := 0; i+4 <= len(buckets); i += 4 {
		last = max(last, uint64(bo.Uint32(buckets[i:])))
	}
	if last < symoff {
		return symoff
	}
	chains := bOff + nbucket*4
	for n := uint64(0); n < maxSyms; n++ {
		c := readVaddr(r, f, chains+(last-symoff)*4, 4, size)
		if len(c) < 4 {
			return last
		}
		if bo.Uint32(c)&1 != 0 {
			return last + 1
		}
		last++
	}
	return last
}

// sortedUnique sorts and deduplicates.
func sortedUnique(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}
