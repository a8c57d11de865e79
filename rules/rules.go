// Package rules embeds thingsec's rule packs (YAML): secret patterns,
// component fingerprints, default-credential lists and finding rules. Each analyzer loads
// its own sub-directory; users add packs with --rules DIR.
package rules

import "embed"

// FS holds the embedded rule packs.
//
//go:embed secrets components credentials findings
var FS embed.FS
