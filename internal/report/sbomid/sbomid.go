// Package sbomid holds what the SBOM encoders (CycloneDX, SPDX) derive the
// same way from a report: the firmware's own identity (name, version,
// manufacturer) and a supplier's name and e-mail address.
package sbomid

import (
	"strings"

	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
)

// Firmware is what an image says of itself.
type Firmware struct {
	Name         string
	Version      string
	Manufacturer string
	// Source says where it was read ("/etc/os-release", "uImage header").
	Source string
}

// releaseRank orders the files that name an OS: os-release first.
func releaseRank(p string) int {
	switch p {
	case "/etc/os-release", "/usr/lib/os-release":
		return 0
	case "/etc/openwrt_release":
		return 1
	}
	return 2
}

// Identify returns the firmware's identity from its OS release file (the
// operating-system component read from os-release, openwrt_release or a
// vendor *_release file, whose supplier is the device manufacturer) or,
// without one, from the name in a uImage header ("AcmeCam C1 rootfs
// 1.0.0"). The zero Firmware means the image names itself nowhere.
func Identify(rep *model.Report) Firmware {
	var best *model.Component
	bestRank := 99
	for i := range rep.Components {
		c := &rep.Components[i]
		if c.Type != "operating-system" {
			continue
		}
		for _, e := range c.Evidence {
			if e.Kind == "os-release" && releaseRank(e.Path) < bestRank && c.Name != "" && c.Name != "firmware" {
				best, bestRank = c, releaseRank(e.Path)
			}
		}
	}
	if best != nil {
		src := ""
		for _, e := range best.Evidence {
			if e.Kind == "os-release" && releaseRank(e.Path) == bestRank {
				src = e.Path
				break
			}
		}
		return Firmware{Name: best.Name, Version: best.Version, Manufacturer: SupplierName(best.Supplier), Source: src}
	}
	for _, l := range rep.Layers {
		if l.Format != "uimage" {
			continue
		}
		if m := uimageName.FindStringSubmatch(l.Description); m != nil {
			name, ver := splitVersion(m[1])
			return Firmware{Name: name, Version: ver, Source: "uImage header at " + l.Chain}
		}
	}
	return Firmware{}
}

// uimageName is the image name the uimage unpacker puts in the layer
// description.
var uimageName = lazyre.New(`^uImage "([^"]+)"`)

var trailingVersion = lazyre.New(`^(.*?)[\s_-]+v?(\d+(?:\.\d+)+(?:[-.][0-9A-Za-z]+)*)$`)

// splitVersion splits "AcmeCam C1 rootfs 1.0.0" into name and version.
func splitVersion(s string) (string, string) {
	s = strings.TrimSpace(s)
	if m := trailingVersion.FindStringSubmatch(s); m != nil && m[1] != "" {
		return m[1], m[2]
	}
	return s, ""
}

var contact = lazyre.New(`^\s*(.*?)\s*<([^<>@\s]+@[^<>\s]+)>\s*$`)

// SupplierName is the name part of "Name <email>".
func SupplierName(s string) string {
	n, _ := SupplierContact(s)
	return n
}

// SupplierContact splits a maintainer field ("Name <email>") into name
// and e-mail address.
func SupplierContact(s string) (name, email string) {
	if m := contact.FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	return strings.TrimSpace(s), ""
}

// orgWords mark a supplier that is a group or company, not a person.
var orgWords = lazyre.New(`(?i)\b(team|project|group|maintainers|developers|community|foundation|inc|ltd|llc|gmbh|corp|corporation|company|networks|systems|technologies|labs|org)\b`)

// Organization says whether a supplier name reads as an organisation.
func Organization(name string) bool {
	return orgWords.MatchString(name)
}
