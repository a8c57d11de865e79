package diff

import (
	"cmp"
	"slices"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// Hardening is the per-binary delta of exploit mitigations, for binaries
// present on both sides (by layer key and path). A binary that both
// gained and lost something is in both lists.
type Hardening struct {
	Regressions  []HardeningChange `json:"regressions"`
	Improvements []HardeningChange `json:"improvements"`
}

// HardeningChange names the mitigations one binary lost or gained:
// nx, pie, relro, full-relro, canary, fortify, cfi, safestack,
// no-textrel, no-exec-stack, and for a kernel CONFIG_* options.
type HardeningChange struct {
	Layer  string   `json:"layer"`
	Path   string   `json:"path"`
	Kind   string   `json:"kind"`
	Lost   []string `json:"lost,omitempty"`
	Gained []string `json:"gained,omitempty"`
	// Old and New are the verdicts, as checksec would print them.
	Old string `json:"old"`
	New string `json:"new"`
}

// mitigations lists the mitigations b has, of those its kind can have.
func mitigations(b *model.Binary) map[string]bool {
	m := map[string]bool{}
	if b.Kernel != nil {
		for k, v := range b.Kernel.Options {
			m["CONFIG_"+k] = v == "y" || v == "m"
		}
		return m
	}
	m["nx"] = b.NX
	m["no-exec-stack"] = !b.ExecStack
	if b.Kind == "executable" && (b.PIE == "yes" || b.PIE == "no") {
		m["pie"] = b.PIE == "yes"
	}
	m["relro"] = b.RELRO == "partial" || b.RELRO == "full"
	m["full-relro"] = b.RELRO == "full"
	m["canary"] = b.Canary
	m["fortify"] = b.Fortify
	m["cfi"] = b.CFI
	m["safestack"] = b.SafeStack
	m["no-textrel"] = !b.TextRel
	return m
}

// verdict is a short checksec-like line for b.
func verdict(b *model.Binary) string {
	if b.Kernel != nil {
		var off []string
		for k, v := range b.Kernel.Options {
			if v == "n" {
				off = append(off, "CONFIG_"+k)
			}
		}
		slices.Sort(off)
		if len(off) == 0 {
			return "kernel " + b.Kernel.Version
		}
		return "kernel " + b.Kernel.Version + ": not set " + strings.Join(off, ", ")
	}
	relro := map[string]string{"full": "Full RELRO", "partial": "Partial RELRO"}[b.RELRO]
	if relro == "" {
		relro = "No RELRO"
	}
	parts := []string{relro, yesNo(b.Canary, "Canary found", "No Canary found"), yesNo(b.NX, "NX enabled", "NX disabled")}
	switch b.PIE {
	case "yes":
		parts = append(parts, "PIE enabled")
	case "no":
		parts = append(parts, "No PIE")
	case "dso":
		parts = append(parts, "DSO")
	}
	parts = append(parts, yesNo(b.Fortify, "FORTIFY Yes", "FORTIFY No"))
	return strings.Join(parts, ", ")
}

func yesNo(b bool, y, n string) string {
	if b {
		return y
	}
	return n
}

func compareHardening(old, new *model.Report, ko, kn map[string]string) Hardening {
	var out Hardening
	_, _ = pairUp(old.Binaries, new.Binaries,
		func(b *model.Binary) string { return ko[b.Layer] + "\x00" + b.Path + "\x00" + kindClass(b) },
		func(b *model.Binary) string { return kn[b.Layer] + "\x00" + b.Path + "\x00" + kindClass(b) },
		noOrder[model.Binary], noOrder[model.Binary], func(o, n *model.Binary) {
			mo, mn := mitigations(o), mitigations(n)
			var lost, gained []string
			for k, had := range mo {
				has, ok := mn[k]
				switch {
				case !ok:
				case had && !has:
					lost = append(lost, k)
				case !had && has:
					gained = append(gained, k)
				}
			}
			if len(lost)+len(gained) == 0 {
				return
			}
			slices.Sort(lost)
			slices.Sort(gained)
			c := HardeningChange{Layer: kn[n.Layer], Path: n.Path, Kind: n.Kind, Lost: lost, Gained: gained, Old: verdict(o), New: verdict(n)}
			if len(lost) > 0 {
				out.Regressions = append(out.Regressions, c)
			}
			if len(gained) > 0 {
				out.Improvements = append(out.Improvements, c)
			}
		})
	order := func(a, b HardeningChange) int {
		return cmp.Or(cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Path, b.Path))
	}
	slices.SortFunc(out.Regressions, order)
	slices.SortFunc(out.Improvements, order)
	return out
}

// kindClass keeps kernels apart from ELF files at the same path.
func kindClass(b *model.Binary) string {
	if b.Kernel != nil {
		return "kernel"
	}
	return "elf"
}

// Services is the delta of the services the target starts, matched by
// name, protocol and port.
type Services struct {
	Added   []model.Service `json:"added"`
	Removed []model.Service `json:"removed"`
	Changed []ServiceChange `json:"changed"`
}

// ServiceChange is a service on both sides started differently.
type ServiceChange struct {
	Changes []string      `json:"changes"`
	Old     model.Service `json:"old"`
	New     model.Service `json:"new"`
}

func compareServices(old, new []model.Service) Services {
	var out Services
	key := func(s *model.Service) string { return s.Name + "\x00" + s.Protocol }
	byPort := func(a, b *model.Service) int { return cmp.Compare(a.Port, b.Port) }
	gone, added := pairUp(old, new, key, key, byPort, byPort, func(o, n *model.Service) {
		var c []string
		if o.Port != n.Port {
			c = append(c, "port")
		}
		if o.Binary != n.Binary {
			c = append(c, "binary")
		}
		if o.StartedBy != n.StartedBy {
			c = append(c, "started_by")
		}
		if o.Location.Path != n.Location.Path {
			c = append(c, "path")
		}
		if len(c) > 0 {
			out.Changed = append(out.Changed, ServiceChange{Changes: c, Old: *o, New: *n})
		}
	})
	out.Removed, out.Added = deref(gone), deref(added)
	order := func(a, b model.Service) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.Port, b.Port))
	}
	slices.SortFunc(out.Added, order)
	slices.SortFunc(out.Removed, order)
	slices.SortFunc(out.Changed, func(a, b ServiceChange) int { return order(a.New, b.New) })
	return out
}
