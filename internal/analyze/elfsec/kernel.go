package elfsec

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/thingsec/thingsec/internal/analyze/filetype"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

const (
	minKernel = 256 << 10 // smallest file searched for a kernel banner
	maxKernel = 256 << 20 // largest one read when not in memory
	maxConfig = 4 << 20   // decompressed IKCFG bound
)

// bannerRe matches the kernel's "Linux version" banner: version, builder
// and compiler in parentheses, then the build number.
var bannerRe = lazyre.New(`Linux version (\d+\.\d+(?:\.\d+)?[^ \x00\n]*) \([^\x00\n]{1,400}?\) #[^\x00\n]{0,120}`)

// configHeaderRe is the comment Kconfig writes at the top of a .config.
var configHeaderRe = lazyre.New(`(?m)^# Linux/\S+ (\d+\.\d+\.\d+\S*) Kernel Configuration`)

// Hardening options read from a kernel configuration. Each entry is the
// option's current name and the older names it had.
var kernelOptions = [][]string{
	{"STACKPROTECTOR", "CC_STACKPROTECTOR"},
	{"STACKPROTECTOR_STRONG", "CC_STACKPROTECTOR_STRONG"},
	{"STRICT_KERNEL_RWX", "DEBUG_RODATA"},
	{"STRICT_MODULE_RWX", "DEBUG_SET_MODULE_RONX"},
	{"RANDOMIZE_BASE"},
	{"MODULE_SIG"},
	{"MODULE_SIG_FORCE"},
	{"HARDENED_USERCOPY"},
	{"FORTIFY_SOURCE"},
	{"SECURITY_DMESG_RESTRICT"},
}

// requiredKernel are the options whose absence is a finding.
var requiredKernel = []string{"STACKPROTECTOR", "STRICT_KERNEL_RWX", "RANDOMIZE_BASE", "MODULE_SIG"}

// looksKernelConfig recognises a Kconfig .config from its first lines.
func looksKernelConfig(head []byte) bool {
	return bytes.Contains(head, []byte(" Kernel Configuration\n")) && bytes.Contains(head, []byte("\nCONFIG_"))
}

// kernel looks for a kernel banner and an embedded configuration (IKCFG)
// in a data file, or reads a configuration file.
func (a *Analyzer) kernel(ctx context.Context, in *plugin.Input, out *plugin.Results) error {
	if in.Data == nil && in.Size <= maxKernel && !mayHoldKernel(ctx, in.R, in.Size) {
		// a file too large to be held is read whole only when it
		// has a banner or is a configuration: most are not kernels
		return nil
	}
	data := readAll(in, maxKernel)
	if data == nil {
		return nil
	}
	a.kernelBytes(data, in.Loc, out)
	return nil
}

// bannerText starts the kernel's banner.
var bannerText = []byte("Linux version ")

// mayHoldKernel says whether kernelBytes could find anything in the file:
// a configuration by its first lines, or the banner anywhere. It reads
// the file in windows, so that a large file with neither is not held.
func mayHoldKernel(ctx context.Context, r io.ReaderAt, size int64) bool {
	head := make([]byte, min(size, 4096))
	n, _ := r.ReadAt(head, 0)
	if looksKernelConfig(head[:n]) {
		return true
	}
	found := errors.New("found")
	err := plugin.Windows(ctx, r, size, 1<<20, len(bannerText), func(w *plugin.Window) error {
		if bytes.Contains(w.Data, bannerText) {
			return found
		}
		return nil
	})
	// a read error: let readAll see what it can, as before
	return err != nil
}

// kernelBytes reads a kernel image or configuration held in data.
func (a *Analyzer) kernelBytes(data []byte, loc model.Location, out *plugin.Results) {
	var k model.Kernel
	kind := "kernel"
	if looksKernelConfig(data[:min(len(data), 4096)]) {
		kind = "kernel-config"
		k.Config = true
		k.Options = parseConfig(data)
		if m := configHeaderRe.FindSubmatch(data[:min(len(data), 4096)]); m != nil {
			k.Version = string(m[1])
		}
	} else {
		i := bytes.Index(data, bannerText)
		if i < 0 {
			return
		}
		m := bannerRe.Find(data[i:min(len(data), i+600)])
		if m == nil {
			return
		}
		k.Banner = strings.TrimSpace(string(m))
		k.Version = string(bannerRe.FindSubmatch(m)[1])
		cfg, err := ikconfig(data)
		if err != nil {
			out.Problems = append(out.Problems, model.Problem{Layer: loc.Layer, Path: loc.Path, Stage: "analyze", Kind: "corrupt", Message: "elfsec: embedded kernel config: " + err.Error()})
		}
		if cfg != nil {
			k.Config = true
			k.Options = parseConfig(cfg)
		}
	}
	b := model.Binary{Layer: loc.Layer, Path: loc.Path, Kind: kind, Kernel: &k}
	var off []string
	for _, o := range requiredKernel {
		if k.Options[o] == "n" {
			off = append(off, "CONFIG_"+o)
		}
	}
	if len(off) > 0 {
		b.Missing = off
		r := a.rules[RuleKernel]
		ev := fmt.Sprintf("kernel %s: %s not set", orUnknown(k.Version), strings.Join(off, ", "))
		out.Findings = append(out.Findings, finding(r, r.Severity, loc, ev, ""))
	}
	out.Binaries = append(out.Binaries, b)
}

// KernelTree finds the kernels and ELF files that the walk showed only in
// pieces: a file in which formats were found (a decompressed kernel
// holds compressed streams, and a carved stream may claim the part with
// the banner; an ELF program may carry an archive) is handed to file
// analyzers only by its unclaimed regions. It reads such files once
// more, whole, when they have no record yet.
type KernelTree struct {
	a *Analyzer
}

// NewKernelTree loads the rule pack.
func NewKernelTree() (*KernelTree, error) {
	a, err := New()
	if err != nil {
		return nil, err
	}
	return &KernelTree{a: a}, nil
}

// Name implements plugin.TreeAnalyzer.
func (kt *KernelTree) Name() string { return "elfsec-kernel" }

// AnalyzeTree implements plugin.TreeAnalyzer.
func (kt *KernelTree) AnalyzeTree(ctx context.Context, t plugin.Tree, rep *model.Report, out *plugin.Results) error {
	seen := map[[2]string]bool{}
	for _, b := range rep.Binaries {
		seen[[2]string{b.Layer, b.Path}] = true
	}
	for _, f := range t.Files() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(f.Unpacked) == 0 || f.Size > maxKernel || seen[[2]string{f.Layer, f.Path}] {
			continue
		}
		loc := model.Location{Layer: f.Layer, Chain: t.Chain(f.Layer), Path: f.Path}
		switch {
		case f.Type == filetype.ELF:
			// an ELF file with an archive or image inside it
			data, err := t.ReadFile(f.Layer, f.Path, maxKernel)
			if err != nil {
				continue
			}
			head := data[:min(len(data), filetype.HeadSize)]
			in := &plugin.Input{
				FileInfo: plugin.FileInfo{Layer: f.Layer, Path: f.Path, Mode: lsMode(f.Mode), UID: f.UID, GID: f.GID, Size: int64(len(data)), Type: filetype.Detect(f.Path, head, int64(len(data))), Head: head},
				Data:     data, R: bytes.NewReader(data), Loc: loc,
			}
			if err := kt.a.Analyze(ctx, in, out); err != nil {
				return err
			}
		case (f.Type == filetype.Data || f.Type == filetype.Firmware) && f.Size >= minKernel:
			if o, ok := t.(plugin.Opener); ok && !treeMayHoldKernel(ctx, o, f.Layer, f.Path) {
				continue
			}
			data, err := t.ReadFile(f.Layer, f.Path, maxKernel)
			if err != nil {
				continue
			}
			kt.a.kernelBytes(data, loc, out)
		}
	}
	return nil
}

// treeMayHoldKernel is mayHoldKernel on a file of the tree (at most
// maxKernel bytes of it, as ReadFile would read).
func treeMayHoldKernel(ctx context.Context, o plugin.Opener, layer, p string) bool {
	f, err := o.OpenFile(layer, p)
	if err != nil {
		return true // ReadFile reports it
	}
	defer f.Close()
	return mayHoldKernel(ctx, f, min(f.Size(), maxKernel))
}

// lsMode turns the inventory's "-rwsr-xr-x" back into the permission
// and set-ID bits.
func lsMode(s string) fs.FileMode {
	var m fs.FileMode
	if len(s) < 10 {
		return m
	}
	for i, c := range s[1:10] {
		if c != '-' && c != 'S' && c != 'T' {
			m |= 1 << (8 - i)
		}
	}
	if s[3] == 's' || s[3] == 'S' {
		m |= fs.ModeSetuid
	}
	if s[6] == 's' || s[6] == 'S' {
		m |= fs.ModeSetgid
	}
	return m
}

func orUnknown(s string) string {
	if s == "" {
		return "(version unknown)"
	}
	return s
}

// ikconfig extracts the configuration that CONFIG_IKCONFIG embeds: a gzip
// stream between the markers IKCFG_ST and IKCFG_ED.
func ikconfig(data []byte) ([]byte, error) {
	i := bytes.Index(data, []byte("IKCFG_ST"))
	if i < 0 {
		return nil, nil
	}
	rest := data[i+8:]
	if j := bytes.Index(rest, []byte("IKCFG_ED")); j >= 0 {
		rest = rest[:j]
	}
	zr, err := gzip.NewReader(bytes.NewReader(rest))
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	b, err := io.ReadAll(io.LimitReader(zr, maxConfig))
	if err != nil && len(b) == 0 {
		return nil, err
	}
	return b, nil
}

// parseConfig reads the hardening options of a .config: "y" or "m" when
// set, "n" when listed as not set; options the file does not mention are
// absent (Kconfig leaves out what the architecture does not offer).
func parseConfig(cfg []byte) map[string]string {
	raw := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(cfg))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, ok := strings.CutPrefix(line, "# CONFIG_"); ok {
			if n, ok := strings.CutSuffix(name, " is not set"); ok {
				raw[n] = "n"
			}
			continue
		}
		if name, ok := strings.CutPrefix(line, "CONFIG_"); ok {
			if n, v, ok := strings.Cut(name, "="); ok {
				raw[n] = strings.Trim(v, `"`)
			}
		}
	}
	opts := map[string]string{}
	for _, names := range kernelOptions {
		for _, n := range names {
			if v, ok := raw[n]; ok {
				opts[names[0]] = v
				break
			}
		}
	}
	// STACKPROTECTOR_STRONG implies the stack protector on kernels that
	// only list the strong variant.
	if opts["STACKPROTECTOR"] == "" && opts["STACKPROTECTOR_STRONG"] == "y" {
		opts["STACKPROTECTOR"] = "y"
	}
	return opts
}
