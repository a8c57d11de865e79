package model

import (
	"net/url"
	"strings"
)

// AdvisoryURL is the primary web page of an advisory ID: NVD's detail
// page for a CVE, GitHub's advisory page for a GHSA, and osv.dev's page,
// which knows every OSV ID (GO-, PYSEC-, RUSTSEC-, DSA-, ...), otherwise.
func AdvisoryURL(id string) string {
	switch {
	case id == "":
		return ""
	case strings.HasPrefix(id, "CVE-"):
		return "https://nvd.nist.gov/vuln/detail/" + url.PathEscape(id)
	case strings.HasPrefix(id, "GHSA-"):
		return "https://github.com/advisories/" + url.PathEscape(id)
	}
	return "https://osv.dev/vulnerability/" + url.PathEscape(id)
}
