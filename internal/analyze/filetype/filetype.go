// Package filetype classifies a file from its name and first bytes. Every
// analyzer keys off this type, so it must be cheap and never read more than
// the head the engine already has.
package filetype

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"path"
	"strings"
	"unicode/utf8"
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

type magic struct {
	off  int
	sig  string
	typ  string
	name string
}

var magics = []magic{
	{0, "\x1f\x8b", Compressed, "gzip"},
	{0, "\xfd7zXZ\x00", Compressed, "xz"},
	{0, "BZh", Compressed, "bzip2"},
	{0, "\x28\xb5\x2f\xfd", Compressed, "zstd"},
	{0, "\x04\x22\x4d\x18", Compressed, "lz4"},
	{0, "\x02\x21\x4c\x18", Compressed, "lz4-legacy"},
	{0, "\x89LZO\x00\r\n\x1a\n", Compressed, "lzop"},
	{0, "PK\x03\x04", Archive, "zip"},
	{0, "!<arch>\n", Archive, "ar"},
	{0, "070701", Archive, "cpio"},
	{0, "070702", Archive, "cpio"},
	{0, "070707", Archive, "cpio"},
	{0, "7z\xbc\xaf\x27\x1c", Archive, "7z"},
	{257, "ustar", Archive, "tar"},
	{0, "hsqs", FSImage, "squashfs"},
	{0, "sqsh", FSImage, "squashfs"},
	{0, "UBI#", FSImage, "ubi"},
	{0, "\x31\x18\x10\x06", FSImage, "ubifs"},
	{0, "\x85\x19", FSImage, "jffs2"},
	{0, "\x19\x85", FSImage, "jffs2"},
	{0, "\x45\x3d\xcd\x28", FSImage, "cramfs"},
	{0, "\x28\xcd\x3d\x45", FSImage, "cramfs"},
	{0, "-rom1fs-", FSImage, "romfs"},
	{0, "\x3a\xff\x26\xed", FSImage, "android-sparse"},
	{0x438, "\x53\xef", FSImage, "ext"},
	{0x8001, "CD001", FSImage, "iso9660"},
	{0, "\x27\x05\x19\x56", Firmware, "uimage"},
	{0, "HDR0", Firmware, "trx"},
	{0, "\xd0\x0d\xfe\xed", Firmware, "fdt"},
	{0, "SQLite format 3\x00", SQLite, "sqlite"},
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
	for _, m := range magics {
		if len(head) >= m.off+len(m.sig) && string(head[m.off:m.off+len(m.sig)]) == m.sig {
			if m.typ == FSImage && m.name == "ext" && len(head) < 0x43a {
				continue
			}
			return Result{Type: m.typ, Sub: m.name}
		}
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
