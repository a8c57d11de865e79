// Package cyclonedx writes a report's components as a CycloneDX 1.6 JSON
// SBOM, through the official cyclonedx-go library.
package cyclonedx

import (
	"fmt"
	"io"
	"sort"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/sbomid"
)

// namespace makes serial numbers deterministic: the same report always
// gives the same urn:uuid.
var namespace = uuid.MustParse("5b0c7bf4-3f36-4c55-9d8a-8a2f3e9d6a11")

// BOM converts a report to a CycloneDX document.
func BOM(rep *model.Report) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	key := rep.Target.Name + "\x00" + rep.Target.SHA256 + "\x00" + rep.StartedAt.UTC().Format(time.RFC3339)
	bom.SerialNumber = "urn:uuid:" + uuid.NewSHA1(namespace, []byte(key)).String()
	target := &cdx.Component{
		BOMRef: "target:" + rep.Target.Name,
		Type:   cdx.ComponentTypeFirmware,
		Name:   rep.Target.Name,
	}
	if rep.Target.Kind == "directory" {
		target.Type = cdx.ComponentTypeFile
	}
	if rep.Target.SHA256 != "" {
		target.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: rep.Target.SHA256}}
	}
	// The firmware's own name, version and manufacturer, when the image
	// says them; the scanned file's name stays a property.
	if fw := sbomid.Identify(rep); fw.Name != "" {
		target.Name, target.Version = fw.Name, fw.Version
		if fw.Manufacturer != "" {
			target.Manufacturer = &cdx.OrganizationalEntity{Name: fw.Manufacturer}
			target.Supplier = &cdx.OrganizationalEntity{Name: fw.Manufacturer}
		}
		target.Properties = &[]cdx.Property{
			{Name: "thingsec:target", Value: rep.Target.Name},
			{Name: "thingsec:identified-from", Value: fw.Source},
		}
	}
	tools := []cdx.Component{{Type: cdx.ComponentTypeApplication, Name: rep.Tool.Name, Version: rep.Tool.Version}}
	bom.Metadata = &cdx.Metadata{
		Tools:     &cdx.ToolsChoice{Components: &tools},
		Component: target,
	}
	if !rep.StartedAt.IsZero() {
		bom.Metadata.Timestamp = rep.StartedAt.UTC().Format(time.RFC3339)
	}

	comps := make([]cdx.Component, 0, len(rep.Components))
	var deps []cdx.Dependency
	var top []string
	for _, c := range rep.Components {
		comps = append(comps, component(c))
		if len(c.Dependencies) > 0 {
			d := append([]string(nil), c.Dependencies...)
			deps = append(deps, cdx.Dependency{Ref: c.Ref, Dependencies: &d})
		} else {
			deps = append(deps, cdx.Dependency{Ref: c.Ref})
		}
		top = append(top, c.Ref)
	}
	sort.Strings(top)
	deps = append([]cdx.Dependency{{Ref: target.BOMRef, Dependencies: &top}}, deps...)
	bom.Components = &comps
	bom.Dependencies = &deps
	bom.Vulnerabilities = vulnerabilities(rep)
	return bom
}

func component(c model.Component) cdx.Component {
	out := cdx.Component{
		BOMRef:     c.Ref,
		Type:       componentType(c.Type),
		Name:       c.Name,
		Version:    c.Version,
		PackageURL: c.PURL,
	}
	if len(c.CPEs) > 0 {
		out.CPE = c.CPEs[0]
	}
	if name, email := sbomid.SupplierContact(c.Supplier); name != "" {
		out.Supplier = &cdx.OrganizationalEntity{Name: name}
		if email != "" {
			out.Supplier.Contact = &[]cdx.OrganizationalContact{{Email: email}}
		}
	}
	var hashes []cdx.Hash
	seen := map[string]bool{}
	for _, h := range c.Hashes {
		if h.Algorithm == "SHA-256" && !seen[h.Value] {
			seen[h.Value] = true
			hashes = append(hashes, cdx.Hash{Algorithm: cdx.HashAlgoSHA256, Value: h.Value})
		}
	}
	if len(hashes) > 0 {
		out.Hashes = &hashes
	}
	if l := c.License; l != nil && l.Expression != model.NoAssertion {
		out.Licenses = &cdx.Licenses{{Expression: l.Expression}}
	}
	var occ []cdx.EvidenceOccurrence
	for _, l := range c.Locations {
		o := cdx.EvidenceOccurrence{Location: location(l)}
		if l.Line > 0 {
			line := l.Line
			o.Line = &line
		}
		occ = append(occ, o)
	}
	// One identity: every piece of evidence is a method that identified
	// the same field, and the identity is as sure as its surest method.
	var ids []cdx.EvidenceIdentity
	if len(c.Evidence) > 0 {
		var methods []cdx.EvidenceIdentityMethod
		var best float32
		for _, e := range c.Evidence {
			conf := confidence(e)
			best = max(best, *conf)
			tech := technique(e.Kind)
			if e.Kind == "binary-fingerprint" && e.Match == e.Path {
				// a fingerprint whose matched text is the file's path
				// (libxml2.so.2.9.14) named it by its file name
				tech = cdx.EvidenceIdentityTechniqueFilename
			}
			methods = append(methods, cdx.EvidenceIdentityMethod{Technique: tech, Confidence: conf, Value: e.Path + ": " + e.Match})
		}
		ids = append(ids, cdx.EvidenceIdentity{Field: identityField(c), Confidence: &best, Methods: &methods})
	}
	if len(occ) > 0 || len(ids) > 0 {
		out.Evidence = &cdx.Evidence{}
		if len(occ) > 0 {
			out.Evidence.Occurrences = &occ
		}
		if len(ids) > 0 {
			out.Evidence.Identity = &cdx.EvidenceIdentityChoice{Identities: &ids}
		}
	}
	var props []cdx.Property
	for _, cpe := range c.CPEs[min(1, len(c.CPEs)):] {
		props = append(props, cdx.Property{Name: "thingsec:cpe", Value: cpe})
	}
	for _, e := range c.Evidence {
		props = append(props, cdx.Property{Name: "thingsec:evidence:" + e.Kind, Value: e.Path})
	}
	// CycloneDX has no NOASSERTION: a component without licences says
	// why in a property, and a declared one says where it was read.
	if l := c.License; l != nil {
		if l.Expression == model.NoAssertion {
			props = append(props, cdx.Property{Name: "thingsec:license:noassertion", Value: l.Reason})
		} else {
			props = append(props, cdx.Property{Name: "thingsec:license:declared", Value: l.Declared + " (" + l.Source + ")"})
		}
	}
	for _, h := range c.Hashes {
		props = append(props, cdx.Property{Name: "thingsec:sha256:" + h.Path, Value: h.Value})
	}
	if len(props) > 0 {
		out.Properties = &props
	}
	return out
}

func location(l model.Location) string {
	if l.Chain != "" {
		return l.Chain + ":" + l.Path
	}
	return l.Path
}

func componentType(t string) cdx.ComponentType {
	switch t {
	case "application":
		return cdx.ComponentTypeApplication
	case "operating-system":
		return cdx.ComponentTypeOS
	case "firmware":
		return cdx.ComponentTypeFirmware
	case "data":
		return cdx.ComponentTypeData
	case "framework":
		return cdx.ComponentTypeFramework
	case "file":
		return cdx.ComponentTypeFile
	}
	return cdx.ComponentTypeLibrary
}

func identityField(c model.Component) cdx.EvidenceIdentityFieldType {
	if c.PURL != "" {
		return cdx.EvidenceIdentityFieldTypePURL
	}
	return cdx.EvidenceIdentityFieldTypeName
}

func technique(kind string) cdx.EvidenceIdentityTechnique {
	switch kind {
	case "binary-fingerprint", "buildinfo", "cargo-auditable", "go-modinfo", "go-pclntab", "rust-panic-path":
		return cdx.EvidenceIdentityTechniqueBinaryAnalysis
	case "package-db", "manifest", "os-release", "runtime-release":
		return cdx.EvidenceIdentityTechniqueManifestAnalysis
	case "file-name":
		return cdx.EvidenceIdentityTechniqueFilename
	}
	return cdx.EvidenceIdentityTechniqueOther
}

// confidence is the evidence's own confidence when its analyzer set one
// (a weaker hint than its kind usually is), else its kind's.
func confidence(e model.Evidence) *float32 {
	if e.Confidence > 0 {
		v := float32(min(e.Confidence, 1))
		return &v
	}
	v := float32(0.8)
	switch e.Kind {
	case "package-db", "buildinfo", "cargo-auditable":
		v = 1
	case "binary-fingerprint":
		v = 0.7
	case "file-name":
		v = 0.3
	}
	return &v
}

// Encode writes rep as CycloneDX 1.6 JSON.
func Encode(w io.Writer, rep *model.Report) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(BOM(rep), cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	return nil
}
