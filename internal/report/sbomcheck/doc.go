// Package sbomcheck holds the end-to-end tests of the SBOM outputs: real
// images scanned, encoded as SPDX 2.3 and CycloneDX 1.6, and checked
// against the official schemas and the rules every component keeps.
package sbomcheck
