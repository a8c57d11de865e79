package elfsec

import (
	"debug/elf"
	"strings"
)

// The mitigation verdicts. They follow the definitions of checksec
// (Debian's checksec 2.6.0, which reads readelf -W output), so that a
// report can be checked against it binary by binary; where thingsec sees
// more than checksec does, the difference is named at the field.

// RELRO: none without PT_GNU_RELRO; full when the loader binds every
// symbol at start (DT_BIND_NOW, DF_BIND_NOW, or DF_1_NOW, which checksec
// does not read but ld.so honours the same way); partial otherwise.
func (fx *Facts) RELRO() string {
	switch {
	case !fx.HasRELRO:
		return "none"
	case fx.BindNow || fx.Flags1Now:
		return "full"
	}
	return "partial"
}

// NX: a PT_GNU_STACK whose flags are not all of R, W and X. checksec
// greps readelf's "RWE", so a stack header marked executable but not
// writable counts as NX there; ExecStack is the kernel's view.
func (fx *Facts) NX() bool {
	return fx.HasGNUStack && fx.StackFlags&(elf.PF_R|elf.PF_W|elf.PF_X) != elf.PF_R|elf.PF_W|elf.PF_X
}

// ExecStack: the loader maps the stack executable (no PT_GNU_STACK, or
// one with PF_X).
func (fx *Facts) ExecStack() bool {
	return !fx.HasGNUStack || fx.StackFlags&elf.PF_X != 0
}

// PIE: "no" for ET_EXEC; for ET_DYN "yes" when it has DT_DEBUG (the
// dynamic tag only executables get, checksec's test) or DF_1_PIE, "dso"
// otherwise; "rel" for ET_REL.
func (fx *Facts) PIE() string {
	switch fx.Type {
	case elf.ET_EXEC:
		return "no"
	case elf.ET_DYN:
		if fx.HasDebug || fx.Flags1PIE {
			return "yes"
		}
		return "dso"
	case elf.ET_REL:
		return "rel"
	}
	return "not-elf"
}

// canaryMarkers are the symbols a stack-protected object refers to:
// glibc, musl and uClibc all use __stack_chk_fail and __stack_chk_guard
// (i386 and PowerPC PIC code calls __stack_chk_fail_local, which
// matches as a prefix); Intel's compiler uses __intel_security_cookie.
var canaryMarkers = []string{"__stack_chk_fail", "__stack_chk_guard", "__intel_security_cookie"}

// Canary: some symbol names the stack protector's runtime.
func (fx *Facts) Canary() bool {
	for _, s := range fx.Symbols {
		for _, m := range canaryMarkers {
			if strings.Contains(s, m) {
				return true
			}
		}
	}
	return false
}

// Fortify counts the FORTIFY_SOURCE functions of the dynamic symbol
// table: checked are the libc *_chk functions it names, fortifiable the
// checked ones plus the unchecked functions that have a *_chk variant.
// Names are compared without leading underscores, as checksec does; a
// symbol with target-specific st_other bits (MIPS PLT, AArch64 variant
// PCS, PowerPC local entry) is skipped, because readelf prints those
// bits in the column checksec takes the name from.
func (fx *Facts) Fortify() (fortified bool, checked, fortifiable int) {
	for _, s := range fx.Dynamic {
		if s.Other&^3 != 0 {
			continue
		}
		n := strings.TrimLeft(s.Name, "_")
		if n == "" {
			continue
		}
		if strings.HasSuffix(n, "_chk") {
			fortified = true
		}
		if chkFuncs[n] {
			checked++
		}
		if plainFuncs[n] {
			fortifiable++
		}
	}
	return fortified, checked, checked + fortifiable
}

// libcChk lists the functions glibc (2.36) exports in a *_chk variant, as
// the part after "__" and before "_chk": FORTIFY_SOURCE redirects calls
// of these to the checked variant when the size of the destination is
// known at compile time.
var libcChk = []string{
	"asprintf", "confstr", "dprintf", "explicit_bzero", "fdelt", "fgets", "fgets_unlocked",
	"fgetws", "fgetws_unlocked", "fprintf", "fread", "fread_unlocked", "fwprintf", "getcwd",
	"getdomainname", "getgroups", "gethostname", "getlogin_r", "gets", "getwd", "longjmp",
	"mbsnrtowcs", "mbsrtowcs", "mbstowcs", "memcpy", "memmove", "mempcpy", "memset",
	"obstack_printf", "obstack_vprintf", "poll", "ppoll", "pread64", "pread", "printf",
	"ptsname_r", "read", "readlink", "readlinkat", "realpath", "recv", "recvfrom", "snprintf",
	"sprintf", "stpcpy", "stpncpy", "strcat", "strcpy", "strncat", "strncpy", "swprintf",
	"syslog", "ttyname_r", "vasprintf", "vdprintf", "vfprintf", "vfwprintf", "vprintf",
	"vsnprintf", "vsprintf", "vswprintf", "vsyslog", "vwprintf", "wcpcpy", "wcpncpy", "wcrtomb",
	"wcscat", "wcscpy", "wcsncat", "wcsncpy", "wcsnrtombs", "wcsrtombs", "wcstombs", "wctomb",
	"wmemcpy", "wmemmove", "wmempcpy", "wmemset", "wprintf",
}

var chkFuncs, plainFuncs = func() (map[string]bool, map[string]bool) {
	c, p := map[string]bool{}, map[string]bool{}
	for _, f := range libcChk {
		c[f+"_chk"] = true
		p[f] = true
	}
	return c, p
}()

// CFI: clang's control-flow integrity renames each checked function f to
// f.cfi and keeps f as the jump-table entry.
func (fx *Facts) CFI() bool {
	names := map[string]bool{}
	for _, s := range fx.Symbols {
		names[s] = true
	}
	for _, s := range fx.Symbols {
		if b, ok := strings.CutSuffix(s, ".cfi"); ok && b != "" && names[b] {
			return true
		}
	}
	return false
}

// SafeStack: clang's SafeStack runtime is linked in.
func (fx *Facts) SafeStack() bool {
	for _, s := range fx.Symbols {
		if s == "__safestack_init" {
			return true
		}
	}
	return false
}
