// Package elfsec records how every ELF file of a target is hardened (NX,
// PIE, RELRO, stack canary, FORTIFY_SOURCE, RPATH, TEXTREL, CFI,
// SafeStack), which unsafe libc functions it imports, and what a Linux
// kernel's configuration says about kernel hardening. Everything is read
// from the files (debug/elf and our own parsing of the dynamic segment and
// notes); nothing is executed. The verdicts follow checksec's definitions
// so that they can be compared with it binary by binary.
package elfsec

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
)

// Analyzer is the plugin.FileAnalyzer.
type Analyzer struct {
	rules map[string]*Rule
}

// New loads the embedded rule pack.
func New() (*Analyzer, error) {
	rs, err := loadRules()
	if err != nil {
		return nil, err
	}
	return &Analyzer{rules: rs}, nil
}

// Name implements plugin.FileAnalyzer.
func (a *Analyzer) Name() string { return "elfsec" }

// FileRequired wants every ELF file, and the files a kernel or its
// configuration may be in.
func (a *Analyzer) FileRequired(fi *plugin.FileInfo) bool {
	switch fi.Type.Type {
	case filetype.ELF:
		return true
	case filetype.Data, filetype.Firmware:
		return fi.Size >= minKernel
	case filetype.Text:
		return looksKernelConfig(fi.Head)
	}
	return false
}

// Analyze implements plugin.FileAnalyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Type.Type != filetype.ELF {
		return a.kernel(ctx, in, out)
	}
	fx, err := Inspect(in.R, in.Size)
	if err != nil {
		out.Problems = append(out.Problems, model.Problem{Layer: in.Layer, Path: in.Path, Stage: "analyze", Kind: "corrupt", Message: "elfsec: " + err.Error()})
		return nil
	}
	if fx.Type == elf.ET_CORE || fx.Type == elf.ET_NONE {
		return nil
	}
	if fx.Truncated {
		// Verdicts on a cut file would be wrong (the section headers sit
		// at the end). A whole ELF file in which other formats were found
		// reaches here only in pieces; the tree pass reads it whole.
		out.Problems = append(out.Problems, model.Problem{Layer: in.Layer, Path: in.Path, Stage: "analyze", Kind: "corrupt",
			Message: fmt.Sprintf("elfsec: ELF data ends at %d bytes, before its headers and segments do", in.Size)})
		return nil
	}
	b := a.binary(in, fx)
	if b.Kind == "executable" && fx.Static && isKernelImage(in) {
		// an ELF vmlinux is a kernel, not a program
		return a.kernel(ctx, in, out)
	}
	a.findings(in, &b, out)
	out.Binaries = append(out.Binaries, b)
	return nil
}

// binary turns the facts into the report's record.
func (a *Analyzer) binary(in *plugin.Input, fx *Facts) model.Binary {
	b := model.Binary{
		Layer:       in.Layer,
		Path:        in.Path,
		Kind:        fx.Kind(in.Path),
		Arch:        in.Type.Arch,
		Machine:     strings.TrimPrefix(fx.Machine.String(), "EM_"),
		Bits:        32,
		Endian:      "little",
		ABI:         fx.ABI(),
		Interpreter: fx.Interp,
		Stripped:    !fx.HasSymtab,
		BuildID:     fx.BuildID,
		Setuid:      in.Mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 && in.Mode&0o111 != 0,
		NX:          fx.NX(),
		ExecStack:   fx.ExecStack(),
		PIE:         fx.PIE(),
		RELRO:       fx.RELRO(),
		Canary:      fx.Canary(),
		TextRel:     fx.TextRel,
		CFI:         fx.CFI(),
		SafeStack:   fx.SafeStack(),
		RPath:       fx.RPath,
		RunPath:     fx.RunPath,
		Needed:      fx.Needed,
	}
	if fx.Class == elf.ELFCLASS64 {
		b.Bits = 64
	}
	if fx.Order.String() == "BigEndian" {
		b.Endian = "big"
	}
	fx.Static = b.Kind == "executable" && fx.Interp == "" && len(fx.Needed) == 0
	b.Static = fx.Static
	if !fx.GoNote && !fx.HasSections && bytes.Contains(readAll(in, maxKernel), []byte("\xff Go buildinf:")) {
		fx.GoNote = true
	}
	if fx.GoNote {
		b.Toolchain = "go"
	}
	if fx.SymbolSource == "dynamic-segment" {
		b.SymbolSource = fx.SymbolSource
	}
	b.Fortify, b.Fortified, b.Fortifiable = fx.Fortify()
	for _, p := range slices.Concat(fx.RPath, fx.RunPath) {
		if writableDir(p) {
			b.WritablePaths = append(b.WritablePaths, p)
		}
	}
	b.Dangerous, b.Network, b.Listens, b.RunsCommands = fx.Imports()
	b.Missing = missing(&b, fx)
	return b
}

// Kind classifies the ELF file: executable, shared-library,
// kernel-module or relocatable.
func (fx *Facts) Kind(p string) string {
	switch fx.Type {
	case elf.ET_EXEC:
		return "executable"
	case elf.ET_DYN:
		// A shared object that is also runnable (libc.so.6 has an
		// interpreter) stays a library when it has a soname.
		if fx.HasDebug || fx.Flags1PIE || (fx.Interp != "" && fx.SOName == "") {
			return "executable"
		}
		return "shared-library"
	case elf.ET_REL:
		if fx.ModInfo || strings.HasSuffix(p, ".ko") {
			return "kernel-module"
		}
		return "relocatable"
	}
	return "other"
}

// ABI names the OS/ABI and the e_flags that decide which code runs.
func (fx *Facts) ABI() string {
	abi := strings.ToLower(strings.TrimPrefix(fx.OSABI.String(), "ELFOSABI_"))
	if abi == "none" {
		abi = "sysv"
	}
	var parts []string
	switch fx.Machine {
	case elf.EM_ARM:
		if v := fx.Flags >> 24; v != 0 {
			parts = append(parts, fmt.Sprintf("eabi%d", v))
		}
		switch {
		case fx.Flags&0x400 != 0:
			parts = append(parts, "hard-float")
		case fx.Flags&0x200 != 0:
			parts = append(parts, "soft-float")
		}
	case elf.EM_MIPS:
		switch {
		case fx.Class == elf.ELFCLASS64:
			parts = append(parts, "n64")
		case fx.Flags&0x20 != 0: // EF_MIPS_ABI2
			parts = append(parts, "n32")
		default:
			parts = append(parts, "o32")
		}
		if fx.Flags&0x400 != 0 { // EF_MIPS_FP64
			parts = append(parts, "fp64")
		}
	case elf.EM_RISCV:
		base := "lp64"
		if fx.Class == elf.ELFCLASS32 {
			base = "ilp32"
		}
		parts = append(parts, base+[]string{"", "f", "d", "q"}[(fx.Flags>>1)&3])
	case elf.EM_PPC64:
		if v := fx.Flags & 3; v != 0 {
			parts = append(parts, fmt.Sprintf("elfv%d", v))
		}
	}
	return strings.Join(append([]string{abi}, parts...), " ")
}

// Unsafe libc functions: unbounded copies and formatting, reading a line
// without a limit, and running a shell command or another program.
var dangerous = map[string]bool{
	"strcpy": true, "strcat": true, "sprintf": true, "vsprintf": true, "gets": true,
	"scanf": true, "sscanf": true, "fscanf": true, "vscanf": true, "vsscanf": true, "vfscanf": true,
	"system": true, "popen": true,
	"execl": true, "execle": true, "execlp": true, "execv": true, "execve": true, "execvp": true, "execvpe": true,
	"wcscpy": true, "wcscat": true, "stpcpy": true,
}

// Socket functions; the first group accepts input from the network.
var (
	listening = map[string]bool{"bind": true, "listen": true, "accept": true, "accept4": true, "recvfrom": true, "recvmsg": true}
	network   = map[string]bool{"socket": true, "connect": true, "recv": true, "send": true, "sendto": true, "getaddrinfo": true}
)

// Imports lists the unsafe and the socket functions the binary imports
// (undefined dynamic symbols; a static binary's own symbols when it still
// has them).
func (fx *Facts) Imports() (d []model.DangerousCall, net []string, listens, cmds bool) {
	seen := map[string]bool{}
	for _, s := range fx.Dynamic {
		if s.Defined {
			continue
		}
		n := s.Name
		// glibc redirects the scanf family to C99/C23 conforming versions
		for _, p := range []string{"__isoc99_", "__isoc23_"} {
			n = strings.TrimPrefix(n, p)
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		switch {
		case dangerous[n]:
			d = append(d, model.DangerousCall{Name: n, Count: max(1, fx.Refs[s.Name])})
			if n == "system" || n == "popen" {
				cmds = true
			}
		case listening[n]:
			net = append(net, n)
			listens = true
		case network[n]:
			net = append(net, n)
		}
	}
	slices.SortFunc(d, func(a, b model.DangerousCall) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(net)
	return d, net, listens, cmds
}

// missing lists the mitigations b lacks that its architecture and
// toolchain offer. Only executables and shared libraries are judged;
// libraries only on RELRO, since a library without a canary may simply
// have no function that needs one.
func missing(b *model.Binary, fx *Facts) []string {
	var m []string
	goBin := b.Toolchain == "go"
	switch b.Kind {
	case "executable":
		// The GNU toolchain marks MIPS stacks executable (the FPU
		// emulator needed them), so NX is not a choice there.
		if !b.NX && fx.Machine != elf.EM_MIPS {
			m = append(m, "nx")
		}
		if goBin {
			return m
		}
		// A stripped static binary has no symbols left to tell.
		symbolsKnown := !(b.Static && len(fx.Symbols) == 0)
		if !b.Canary && symbolsKnown {
			m = append(m, "canary")
		}
		if b.PIE == "no" {
			m = append(m, "pie")
		}
		switch b.RELRO {
		case "none":
			m = append(m, "relro")
		case "partial":
			m = append(m, "full-relro")
		}
		if !b.Fortify && b.Fortifiable > 0 {
			m = append(m, "fortify")
		}
	case "shared-library":
		if b.RELRO == "none" && !goBin {
			m = append(m, "relro")
		}
	}
	return m
}

// checksecWords renders the verdicts in checksec's words.
func checksecWords(b *model.Binary) string {
	relro := map[string]string{"none": "No RELRO", "partial": "Partial RELRO", "full": "Full RELRO"}[b.RELRO]
	canary := "No Canary found"
	if b.Canary {
		canary = "Canary found"
	}
	nx := "NX disabled"
	if b.NX {
		nx = "NX enabled"
	}
	pie := map[string]string{"yes": "PIE enabled", "no": "No PIE", "dso": "DSO", "rel": "REL"}[b.PIE]
	fort := "No"
	if b.Fortify {
		fort = "Yes"
	}
	return fmt.Sprintf("%s, %s, %s, %s, FORTIFY %s (%d of %d fortifiable)", relro, canary, nx, pie, fort, b.Fortified, b.Fortifiable)
}

// findings emits one finding per binary for the mitigations it lacks,
// and one for each writable search path and for text relocations.
func (a *Analyzer) findings(in *plugin.Input, b *model.Binary, out *plugin.Results) {
	if len(b.Missing) > 0 {
		sev := exposure(b)
		if !slices.ContainsFunc(b.Missing, func(m string) bool { return m != "full-relro" && m != "fortify" }) {
			sev = model.Low
		}
		ev := fmt.Sprintf("checksec: %s; lacks %s", checksecWords(b), strings.Join(b.Missing, ", "))
		out.Findings = append(out.Findings, finding(a.rules[RuleMitigations], sev, in.Loc, ev, ""))
	}
	if len(b.WritablePaths) > 0 {
		r := a.rules[RuleWritablePath]
		ev := "search path: " + strings.Join(b.WritablePaths, ":")
		out.Findings = append(out.Findings, finding(r, r.Severity, in.Loc, ev, strings.Join(b.WritablePaths, ":")))
	}
	if b.TextRel && (b.Kind == "executable" || b.Kind == "shared-library") {
		r := a.rules[RuleTextRel]
		out.Findings = append(out.Findings, finding(r, r.Severity, in.Loc, "DT_TEXTREL", ""))
	}
}

// exposure rates a binary by its role: set-user-ID programs run with
// privileges the caller lacks; daemons, CGI programs and anything that
// accepts network input face attackers; the rest are local tools.
func exposure(b *model.Binary) model.Severity {
	dir := path.Dir(b.Path)
	switch {
	case b.Setuid:
		return model.High
	case b.Listens, strings.HasSuffix(dir, "/sbin"), strings.Contains(b.Path, "/cgi-bin/"), strings.Contains(dir, "/libexec"):
		return model.Medium
	case b.Kind == "shared-library":
		return model.Low
	}
	return model.Low
}

// writableDir: a search-path entry that an unprivileged user can usually
// write: empty or relative (the current directory), or a scratch
// directory. $ORIGIN is the binary's own directory and is not counted.
func writableDir(p string) bool {
	if p == "" || (!strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "$ORIGIN") && !strings.HasPrefix(p, "${ORIGIN}")) {
		return true
	}
	p = path.Clean(p)
	for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm", "/home", "/run/user", "/var/lock", "/mnt", "/media"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// readAll returns the whole content of the input, reading it through R
// when the engine did not hold it in memory.
func readAll(in *plugin.Input, limit int64) []byte {
	if in.Data != nil {
		return in.Data
	}
	if in.Size > limit {
		return nil
	}
	b := make([]byte, in.Size)
	n, err := in.R.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return b[:n]
	}
	return b[:n]
}

// isKernelImage: an ELF executable that carries the kernel's banner.
func isKernelImage(in *plugin.Input) bool {
	base := path.Base(in.Path)
	if !strings.HasPrefix(base, "vmlinux") {
		return false
	}
	return bytes.Contains(readAll(in, maxKernel), []byte("Linux version "))
}
