// Package rules embeds thingsec's rule packs (YAML): secret patterns,
// component fingerprints, default-credential lists, configuration rules
// (config/*.yaml: catalog entries with their checks), and the catalog
// entries of every other rule family (findings/<area>.yaml). Each analyzer
// loads its own sub-directory; internal/catalog reads findings and
// secrets; users add packs with --rules DIR.
package rules

import "embed"

// FS holds the embedded rule packs.
//
//go:embed secrets components credentials findings services config
var FS embed.FS
