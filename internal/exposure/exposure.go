// Package exposure decides how each component of a report can be reached
// from the network, from the services the target's init systems start,
// and turns that, with CISA KEV and FIRST EPSS, into the priority of each
// vulnerability and finding. It runs on the finished report (an
// engine.Enricher after vulnerability matching) and reads nothing but the
// report, so it gives the same answer on a saved report.
package exposure

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// Exposure levels (model.Exposure.Level).
const (
	Network = "network"
	Local   = "local"
	Unknown = "unknown"
)

// Enricher sets components' exposure and the priority of vulnerabilities
// and findings (engine.Enricher).
type Enricher struct{}

// Name implements engine.Enricher.
func (Enricher) Name() string { return "exposure" }

// Enrich implements engine.Enricher.
func (Enricher) Enrich(ctx context.Context, rep *model.Report) error {
	Apply(rep)
	return ctx.Err()
}

// Apply computes every component's exposure and then the priorities. It
// replaces what an earlier run set, so it can be applied again to a
// saved report.
func Apply(rep *model.Report) {
	Components(rep)
	Prioritize(rep)
}

// maxChain bounds how many libraries deep a DT_NEEDED chain is followed
// from the program a service runs.
const maxChain = 8

// use is how one service reaches a component.
type use struct {
	level   string
	service string
	reason  string
}

// Components sets Component.Exposure from the report's services. A report
// without services (a bare SBOM, a source tree without init files, a
// scan by an older version) says nothing about exposure: every component
// is left without one.
func Components(rep *model.Report) {
	for i := range rep.Components {
		rep.Components[i].Exposure = nil
	}
	if len(rep.Services) == 0 {
		return
	}
	ix := newIndex(rep)
	uses := make([][]use, len(rep.Components))
	var netSvcs []use
	for i := range rep.Services {
		s := &rep.Services[i]
		u := classify(s, ix)
		if u.level == Network {
			netSvcs = append(netSvcs, u)
		}
		direct := ix.componentsOf(s)
		for _, ci := range direct {
			uses[ci] = append(uses[ci], u)
		}
		// libraries the program loads, transitively: the DT_NEEDED
		// entries of its file, then its components' dependencies
		ix.loadedELF(ix.programFiles(s), func(ci int, chain string) {
			lu := u
			lu.reason = "loaded by " + u.service + " (" + chain + "), which " + u.reason
			uses[ci] = append(uses[ci], lu)
		})
		ix.loaded(direct, func(ci int, by string) {
			lu := u
			lu.reason = loadedBy(by) + ", which " + u.reason
			uses[ci] = append(uses[ci], lu)
		})
		if u.level == Network {
			for _, ci := range ix.served(s) {
				cu := u
				cu.reason = "run by " + s.Name + " (CGI), which " + u.reason
				uses[ci] = append(uses[ci], cu)
			}
		}
	}
	for i := range rep.Components {
		c := &rep.Components[i]
		if isKernel(c) && len(netSvcs) > 0 {
			c.Exposure = kernelExposure(netSvcs)
			continue
		}
		c.Exposure = decide(uses[i])
	}
}

// decide is the exposure of a component from the services that use it:
// the most exposed use wins; its reason is the first in service order.
func decide(us []use) *model.Exposure {
	if len(us) == 0 {
		return &model.Exposure{Level: Local, Reason: "no service runs or loads it"}
	}
	best := Local
	for _, u := range us {
		if rank(u.level) > rank(best) {
			best = u.level
		}
	}
	e := &model.Exposure{Level: best}
	for _, u := range us {
		if u.level != best {
			continue
		}
		if e.Reason == "" {
			e.Reason = u.reason
		}
		if best == Network && !slices.Contains(e.Services, u.service) {
			e.Services = append(e.Services, u.service)
		}
	}
	sort.Strings(e.Services)
	return e
}

func rank(level string) int {
	switch level {
	case Network:
		return 2
	case Unknown:
		return 1
	}
	return 0
}

// kernelExposure: the kernel's network stack parses every packet that
// reaches a listening socket, so the kernel is as exposed as the most
// exposed service.
func kernelExposure(net []use) *model.Exposure {
	e := &model.Exposure{Level: Network}
	var names []string
	for _, u := range net {
		if !slices.Contains(e.Services, u.service) {
			e.Services = append(e.Services, u.service)
			names = append(names, u.service)
		}
	}
	sort.Strings(e.Services)
	e.Reason = fmt.Sprintf("kernel: its network stack carries the traffic of %s, which %s", net[0].service, net[0].reason)
	if len(names) > 1 {
		e.Reason += fmt.Sprintf(" (and %d more network services)", len(names)-1)
	}
	return e
}

// isKernel reports whether c is the Linux kernel.
func isKernel(c *model.Component) bool {
	for _, cpe := range c.CPEs {
		if strings.Contains(cpe, ":linux:linux_kernel:") {
			return true
		}
	}
	if c.Type != "operating-system" {
		return false
	}
	switch strings.ToLower(c.Name) {
	case "linux", "kernel", "linux-kernel", "linux_kernel":
		return true
	}
	return strings.HasPrefix(c.Name, "linux-image")
}

// startedBy is where the service is started, file:line, for a reason.
func startedBy(s *model.Service) string {
	w := s.Location.Path
	if w == "" {
		return s.StartedBy
	}
	if s.Location.Line > 0 {
		w += fmt.Sprintf(":%d", s.Location.Line)
	}
	return w
}

// loadedBy words a library chain "libhogweed < dnsmasq": "loaded by
// dnsmasq (through libhogweed)".
func loadedBy(chain string) string {
	parts := strings.Split(chain, " < ")
	s := "loaded by " + parts[len(parts)-1]
	if len(parts) > 1 {
		mid := parts[:len(parts)-1]
		slices.Reverse(mid)
		s += " (through " + strings.Join(mid, ", ") + ")"
	}
	return s
}
