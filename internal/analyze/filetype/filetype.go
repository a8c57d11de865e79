// Package filetype classifies a file from its name and first bytes. Every
// analyzer keys off this type, so it must be cheap and never read more than
// the head the engine already has.
package filetype

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/thingsec/thingsec/internal/unpack"
	"github.com/thingsec/thingsec/internal/unpack/format"
)

// Types reported in the inventory.
const (
	ELF        = "elf"
	Script     = "script"
	PEM        = "pem"
	DER        = "der"
	SQLite     = "sqlite"
	Text       = "text"
	Archive    = "archive"
	Compressed = "compressed"
	FSImage    = "filesystem"
	Firmware   = "firmware"
	Data       = "data"
	Empty      = "empty"
)

// Result is a file's type and, for ELF and scripts, a refinement.
type Result struct {
	Type string
	// Arch is "mips-le-32", "arm-le-32", "x86_64-le-64", ... for ELF.
	Arch string
	// Sub refines the type: the script interpreter ("sh", "lua"), the ELF
	// kind ("exec", "dyn", "rel"), the archive/compression format.
	Sub string
}

// HeadSize is how many leading bytes Detect wants.
const HeadSize = 4096

// kindType is the inventory type of each kind of unpack format; text
// encodings (Intel HEX, S-records) stay text.
var kindType = map[format.Kind]string{
	format.FileSystem: FSImage,
	format.Archive:    Archive,
	format.Container:  Firmware,
	format.Stream:     Compressed,
}

// formats are the unpack registry's formats, whose signatures and
// Identify are the one place that knows the magics.
var formats = unpack.Registry()

// sqliteMagic is the one file format here that is not unpacked.
const sqliteMagic = "SQLite format 3\x00"

// byMagic returns the first registered format with a signature in head
// that its Identify accepts. Identify sees only the head, with the real
// size: when it needs bytes beyond the head, a signature of at least four
// bytes is taken on its own.
func byMagic(head []byte, size int64) (format.Format, bool) {
	r := bytes.NewReader(head)
	for _, f := range formats {
		if _, ok := kindType[f.Kind()]; !ok {
			continue
		}
		for _, sig := range f.Signatures() {
			end := sig.Offset + int64(len(sig.Magic))
			if end > int64(len(head)) || !bytes.Equal(head[sig.Offset:end], sig.Magic) {
				continue
			}
			_, err := f.Identify(r, size)
			if err == nil || (!errors.Is(err, format.ErrNotMatch) && len(sig.Magic) >= 4) {
				return f, true
			}
		}
	}
	return nil, false
}

// Detect classifies a file from its name and head (its first HeadSize
// bytes, or all of it when smaller). size is the full size.
func Detect(name string, head []byte, size int64) Result {
	if size == 0 {
		return Result{Type: Empty}
	}
	if bytes.HasPrefix(head, []byte("\x7fELF")) {
		return elfType(head)
	}
	if bytes.HasPrefix(head, []byte(sqliteMagic)) {
		return Result{Type: SQLite, Sub: "sqlite"}
	}
	if f, ok := byMagic(head, size); ok {
		return Result{Type: kindType[f.Kind()], Sub: f.Name()}
	}
	if bytes.HasPrefix(head, []byte("#!")) {
		return Result{Type: Script, Sub: interpreter(head)}
	}
	if bytes.Contains(head[:min(len(head), 64)], []byte("-----BEGIN ")) {
		return Result{Type: PEM}
	}
	if isDER(head, size) {
		return Result{Type: DER}
	}
	if looksText(head) {
		switch strings.ToLower(path.Ext(name)) {
		case ".sh", ".lua", ".py", ".pl", ".php", ".js", ".cgi", ".tcl", ".rb":
			return Result{Type: Script, Sub: strings.TrimPrefix(path.Ext(name), ".")}
		}
		if bytes.Contains(head, []byte("-----BEGIN ")) {
			return Result{Type: PEM}
		}
		return Result{Type: Text}
	}
	return Result{Type: Data}
}

func interpreter(head []byte) string {
	line := head[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(string(line))
	if len(f) == 0 {
		return ""
	}
	prog := path.Base(f[0])
	if prog == "env" && len(f) > 1 {
		prog = path.Base(f[1])
	}
	switch {
	case strings.HasSuffix(prog, "sh"):
		return "sh"
	case strings.HasPrefix(prog, "lua"):
		return "lua"
	case strings.HasPrefix(prog, "python"):
		return "python"
	case strings.HasPrefix(prog, "perl"):
		return "perl"
	}
	return prog
}

// isDER recognises a DER SEQUENCE whose length matches the file: the form
// of carved certificates and keys.
func isDER(head []byte, size int64) bool {
	if len(head) < 4 || head[0] != 0x30 {
		return false
	}
	var l int64
	switch {
	case head[1] < 0x80:
		l = int64(head[1]) + 2
	case head[1] == 0x81:
		l = int64(head[2]) + 3
	case head[1] == 0x82:
		l = int64(binary.BigEndian.Uint16(head[2:4])) + 4
	default:
		return false
	}
	return l == size && size > 64
}

// looksText: valid UTF-8 (allowing a cut rune at the end) with few control
// characters.
func looksText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	ctrl := 0
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			if len(b)-i < 4 {
				break
			}
			return false
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' && r != '\f' && r != '\v' && r != 0x1b {
			ctrl++
		}
		i += n
	}
	return ctrl*100 <= len(b)
}

// elfType reads the ELF identification and header fields by hand: the
// section headers sit at the end of the file, beyond the head.
func elfType(head []byte) Result {
	res := Result{Type: ELF}
	if len(head) < 20 {
		return res
	}
	is64 := head[4] == byte(elf.ELFCLASS64)
	le := head[5] == byte(elf.ELFDATA2LSB)
	var bo binary.ByteOrder = binary.BigEndian
	if le {
		bo = binary.LittleEndian
	}
	res.Arch = archName(elf.Machine(bo.Uint16(head[18:20])), le, is64)
	switch elf.Type(bo.Uint16(head[16:18])) {
	case elf.ET_EXEC:
		res.Sub = "exec"
	case elf.ET_DYN:
		res.Sub = "dyn"
	case elf.ET_REL:
		res.Sub = "rel"
	case elf.ET_CORE:
		res.Sub = "core"
	}
	return res
}

// archName is the inventory's architecture label.
func archName(m elf.Machine, le, is64 bool) string {
	var a string
	switch m {
	case elf.EM_MIPS:
		a = "mips"
	case elf.EM_ARM:
		a = "arm"
	case elf.EM_AARCH64:
		a = "aarch64"
	case elf.EM_386:
		a = "x86"
	case elf.EM_X86_64:
		a = "x86_64"
	case elf.EM_PPC:
		a = "ppc"
	case elf.EM_PPC64:
		a = "ppc64"
	case elf.EM_RISCV:
		a = "riscv"
	case elf.EM_SH:
		a = "sh"
	case elf.EM_XTENSA:
		a = "xtensa"
	default:
		a = strings.ToLower(strings.TrimPrefix(m.String(), "EM_"))
	}
	e := "be"
	if le {
		e = "le"
	}
	bits := "32"
	if is64 {
		bits = "64"
	}
	return a + "-" + e + "-" + bits
}
