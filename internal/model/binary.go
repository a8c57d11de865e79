package model

import "math"

// Binary is the hardening record of one ELF file (executable, shared
// object, kernel module) or of a Linux kernel found in the target. The
// mitigation verdicts follow checksec's definitions, so they can be
// compared with its output line by line.
type Binary struct {
	Layer string `json:"layer"`
	Path  string `json:"path"`
	// Kind is executable, shared-library, kernel-module, relocatable,
	// kernel or kernel-config.
	Kind string `json:"kind"`
	// Arch is the inventory's label ("mips-le-32"); Machine the ELF
	// e_machine name; ABI the OS/ABI and the arch flags that matter
	// ("sysv o32", "sysv eabi5 hard-float", "sysv lp64d").
	Arch        string `json:"arch,omitempty"`
	Machine     string `json:"machine,omitempty"`
	Bits        int    `json:"bits,omitempty"`
	Endian      string `json:"endian,omitempty"` // little, big
	ABI         string `json:"abi,omitempty"`
	Interpreter string `json:"interpreter,omitempty"`
	Static      bool   `json:"static,omitempty"`
	Stripped    bool   `json:"stripped"`
	BuildID     string `json:"build_id,omitempty"`
	// Toolchain is "go" for Go binaries (their runtime has its own
	// rules for stacks and relocations), empty otherwise.
	Toolchain string `json:"toolchain,omitempty"`
	Setuid    bool   `json:"setuid,omitempty"`

	// NX: a PT_GNU_STACK header without R+W+X (checksec's rule).
	NX bool `json:"nx"`
	// ExecStack: no PT_GNU_STACK, or one with PF_X (the kernel's rule).
	ExecStack bool `json:"exec_stack,omitempty"`
	// PIE is yes, no (ET_EXEC), dso (a shared object) or rel (ET_REL).
	PIE string `json:"pie"`
	// RELRO is none, partial or full.
	RELRO  string `json:"relro"`
	Canary bool   `json:"canary"`
	// Fortify: some *_chk function is used; Fortified counts the
	// checked libc functions used, Fortifiable the checked and the
	// unchecked ones.
	Fortify     bool `json:"fortify"`
	Fortified   int  `json:"fortified"`
	Fortifiable int  `json:"fortifiable"`
	TextRel     bool `json:"textrel,omitempty"`
	CFI         bool `json:"cfi,omitempty"`
	SafeStack   bool `json:"safestack,omitempty"`
	// RPath and RunPath are the DT_RPATH / DT_RUNPATH search lists;
	// WritablePaths the entries of either that an unprivileged user can
	// usually write (relative, empty, /tmp, ...).
	RPath         []string `json:"rpath,omitempty"`
	RunPath       []string `json:"runpath,omitempty"`
	WritablePaths []string `json:"writable_paths,omitempty"`
	// Needed are the DT_NEEDED entries: the sonames of the shared
	// libraries the dynamic loader loads with it ("libssl.so.3").
	Needed []string `json:"needed,omitempty"`
	// SymbolSource says where the symbols came from when the section
	// headers are gone: "dynamic-segment". checksec sees no symbols then.
	SymbolSource string `json:"symbol_source,omitempty"`

	// Dangerous lists the unsafe libc functions the binary imports
	// (strcpy, sprintf, gets, system, popen, exec*, the scanf family),
	// with how many relocations reference each.
	Dangerous []DangerousCall `json:"dangerous,omitempty"`
	// Network lists the socket functions it imports (socket, bind,
	// listen, accept, connect, recvfrom, ...); Listens is true when one
	// of them accepts connections or datagrams, RunsCommands when it
	// imports system or popen.
	Network      []string `json:"network,omitempty"`
	Listens      bool     `json:"listens,omitempty"`
	RunsCommands bool     `json:"runs_commands,omitempty"`

	// Missing lists the mitigations that the binary's architecture and
	// toolchain support but it lacks: nx, pie, relro, full-relro,
	// canary, fortify.
	Missing []string `json:"missing,omitempty"`

	Kernel *Kernel `json:"kernel,omitempty"`
}

// DangerousCall is one unsafe function a binary imports.
type DangerousCall struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Kernel holds what is known of a Linux kernel image or configuration.
type Kernel struct {
	Version string `json:"version,omitempty"`
	Banner  string `json:"banner,omitempty"`
	// Config is true when a kernel configuration was read (IKCFG in the
	// image, or a config file); Options then holds the hardening options
	// it sets: "y", "m", "n" (listed as not set) or absent (the
	// architecture does not offer it).
	Config  bool              `json:"config"`
	Options map[string]string `json:"options,omitempty"`
}

// HardeningSummary is the image-level view of binary hardening.
type HardeningSummary struct {
	Executables     int `json:"executables"`
	SharedLibraries int `json:"shared_libraries"`
	KernelModules   int `json:"kernel_modules"`
	// Mitigations has one entry per mitigation, in a fixed order: nx,
	// pie, relro (any), full-relro, canary, fortify.
	Mitigations []MitigationStat `json:"mitigations"`
	// ShellAndNetwork counts the binaries that accept network input and
	// import system or popen.
	ShellAndNetwork int `json:"shell_and_network"`
}

// MitigationStat is how many of the binaries a mitigation applies to
// have it.
type MitigationStat struct {
	Name    string  `json:"name"`
	Have    int     `json:"have"`
	Of      int     `json:"of"`
	Percent float64 `json:"percent"`
}

// SummarizeHardening computes the image-level view of bs. Executables and
// shared libraries count; kernel modules and kernels do not. PIE applies
// to executables only. It returns nil when there is no binary.
func SummarizeHardening(bs []Binary) *HardeningSummary {
	s := &HardeningSummary{}
	type acc struct{ have, of int }
	names := []string{"nx", "pie", "relro", "full-relro", "canary", "fortify"}
	counts := make([]acc, len(names))
	add := func(i int, ok bool) {
		counts[i].of++
		if ok {
			counts[i].have++
		}
	}
	for _, b := range bs {
		switch b.Kind {
		case "executable":
			s.Executables++
			add(1, b.PIE == "yes")
		case "shared-library":
			s.SharedLibraries++
		case "kernel-module":
			s.KernelModules++
			continue
		default:
			continue
		}
		add(0, b.NX)
		add(2, b.RELRO != "none")
		add(3, b.RELRO == "full")
		add(4, b.Canary)
		add(5, b.Fortify)
		if b.Listens && b.RunsCommands {
			s.ShellAndNetwork++
		}
	}
	if s.Executables+s.SharedLibraries+s.KernelModules == 0 {
		return nil
	}
	for i, n := range names {
		m := MitigationStat{Name: n, Have: counts[i].have, Of: counts[i].of}
		if m.Of > 0 {
			m.Percent = math.Round(1000*float64(m.Have)/float64(m.Of)) / 10
		}
		s.Mitigations = append(s.Mitigations, m)
	}
	return s
}
