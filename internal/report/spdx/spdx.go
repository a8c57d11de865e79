// Package spdx writes a report's components as an SPDX 2.3 JSON document,
// through the official tools-golang library.
package spdx

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/thingsec/thingsec/internal/lazyre"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/sbomid"
)

var namespace = uuid.MustParse("0f3b8f6e-8a5c-4d47-b0a4-6f1f3e9b2c71")

var idUnsafe = lazyre.New(`[^A-Za-z0-9.-]+`)

// Document converts a report to an SPDX 2.3 document.
func Document(rep *model.Report) *spdx.Document {
	key := rep.Target.Name + "\x00" + rep.Target.SHA256 + "\x00" + rep.StartedAt.UTC().Format(time.RFC3339)
	created := rep.StartedAt.UTC()
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      rep.Target.Name,
		DocumentNamespace: "https://thingsec.dev/spdx/" + uuid.NewSHA1(namespace, []byte(key)).String(),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: rep.Tool.Name + "-" + rep.Tool.Version}},
			Created:  created.Format(time.RFC3339),
		},
	}
	rootID := common.ElementID("Target")
	root := &spdx.Package{
		PackageName:             rep.Target.Name,
		PackageSPDXIdentifier:   rootID,
		PackageDownloadLocation: "NOASSERTION",
		PrimaryPackagePurpose:   "FIRMWARE",
	}
	if rep.Target.SHA256 != "" {
		root.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: rep.Target.SHA256}}
	}
	if rep.Target.Kind == "directory" {
		root.PrimaryPackagePurpose = "FILE"
	}
	// The firmware's own name, version and manufacturer, when the image
	// says them; the scanned file stays the package file name.
	if fw := sbomid.Identify(rep); fw.Name != "" {
		root.PackageName = fw.Name
		root.PackageVersion = fw.Version
		root.PackageFileName = rep.Target.Name
		root.PackageComment = "identified from " + fw.Source
		if fw.Manufacturer != "" {
			root.PackageSupplier = &common.Supplier{SupplierType: "Organization", Supplier: fw.Manufacturer}
		}
	}
	doc.Packages = append(doc.Packages, root)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(rootID)), Relationship: "DESCRIBES",
	})

	ids := map[string]common.ElementID{}
	used := map[common.ElementID]bool{rootID: true}
	for _, c := range rep.Components {
		id := common.ElementID("Package-" + strings.Trim(idUnsafe.ReplaceAllString(c.Name+"-"+c.Version, "-"), "-"))
		for n := 2; used[id]; n++ {
			id = common.ElementID(fmt.Sprintf("Package-%s-%d", strings.Trim(idUnsafe.ReplaceAllString(c.Name+"-"+c.Version, "-"), "-"), n))
		}
		used[id] = true
		ids[c.Ref] = id
	}
	refs := map[string]string{} // LicenseRef- id -> how it was stated
	for _, c := range rep.Components {
		id := ids[c.Ref]
		p := &spdx.Package{
			PackageName:             c.Name,
			PackageSPDXIdentifier:   id,
			PackageVersion:          c.Version,
			PackageDownloadLocation: "NOASSERTION",
			PackageLicenseConcluded: "NOASSERTION",
			PackageLicenseDeclared:  "NOASSERTION",
			PackageCopyrightText:    "NOASSERTION",
			PrimaryPackagePurpose:   purpose(c.Type),
			PackageSourceInfo:       sourceInfo(c),
			PackageSupplier:         supplier(c.Supplier),
		}
		if l := c.License; l != nil {
			p.PackageLicenseDeclared = l.Expression
			p.PackageLicenseComments = licenceComment(l)
			for _, r := range licenseRefs.FindAllString(l.Expression, -1) {
				if _, ok := refs[r]; !ok {
					refs[r] = "stated as \"" + l.Declared + "\" in " + l.Source
				}
			}
		}
		seen := map[string]bool{}
		for _, h := range c.Hashes {
			if h.Algorithm == "SHA-256" && !seen[h.Value] {
				seen[h.Value] = true
				p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: common.SHA256, Value: h.Value})
			}
		}
		for _, cpe := range c.CPEs {
			p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{Category: "SECURITY", RefType: "cpe23Type", Locator: cpe})
		}
		if c.PURL != "" {
			p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: c.PURL})
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", string(rootID)), RefB: common.MakeDocElementID("", string(id)), Relationship: "CONTAINS",
		})
		deps := append([]string(nil), c.Dependencies...)
		sort.Strings(deps)
		for _, d := range deps {
			if did, ok := ids[d]; ok {
				doc.Relationships = append(doc.Relationships, &spdx.Relationship{
					RefA: common.MakeDocElementID("", string(id)), RefB: common.MakeDocElementID("", string(did)), Relationship: "DEPENDS_ON",
				})
			}
		}
	}
	names := make([]string, 0, len(refs))
	for r := range refs {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		// A LicenseRef names a licence that is not on the SPDX list; its
		// text was not read, so the extracted text says how it was stated.
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: r,
			LicenseName:       strings.TrimPrefix(r, "LicenseRef-"),
			ExtractedText:     "Licence " + refs[r] + "; the licence text was not read.",
		})
	}
	return doc
}

// licenseRefs finds the LicenseRef- identifiers of an expression.
var licenseRefs = lazyre.New(`LicenseRef-[A-Za-z0-9.-]+`)

// licenceComment says where a declared licence was read, or why there is
// none.
func licenceComment(l *model.License) string {
	if l.Expression == model.NoAssertion {
		return "NOASSERTION: " + l.Reason
	}
	if l.Declared != "" && l.Declared != l.Expression {
		return "declared as \"" + l.Declared + "\" in " + l.Source
	}
	return "declared in " + l.Source
}

// supplier is the SPDX supplier of a maintainer field: "Name <email>"
// becomes "Person: Name (email)", or "Organization: ..." for a team, a
// company or a vendor.
func supplier(s string) *common.Supplier {
	name, email := sbomid.SupplierContact(s)
	if name == "" {
		return nil
	}
	// The agent syntax uses parentheses for the address.
	name = strings.NewReplacer("(", "", ")", "").Replace(name)
	if email != "" {
		name += " (" + email + ")"
	}
	// A maintainer with an address is a person unless the name says team
	// or company; a vendor or manufacturer named alone is an organisation.
	t := "Organization"
	if email != "" && !sbomid.Organization(name) {
		t = "Person"
	}
	return &common.Supplier{SupplierType: t, Supplier: name}
}

func purpose(t string) string {
	switch t {
	case "application":
		return "APPLICATION"
	case "operating-system":
		return "OPERATING_SYSTEM" // the JSON schema's spelling
	case "firmware":
		return "FIRMWARE"
	case "file", "data":
		return "FILE"
	case "framework":
		return "FRAMEWORK"
	}
	return "LIBRARY"
}

// sourceInfo records how the component was identified and where.
func sourceInfo(c model.Component) string {
	var parts []string
	for _, e := range c.Evidence {
		parts = append(parts, e.Kind+" "+e.Path+": "+e.Match)
	}
	for i, l := range c.Locations {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("and %d more locations", len(c.Locations)-i))
			break
		}
		p := l.Path
		if l.Chain != "" {
			p = l.Chain + ":" + l.Path
		}
		parts = append(parts, "found at "+p)
	}
	return strings.Join(parts, "; ")
}

// Encode writes rep as SPDX 2.3 JSON.
func Encode(w io.Writer, rep *model.Report) error {
	if err := spdxjson.Write(Document(rep), w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("spdx: %w", err)
	}
	return nil
}
