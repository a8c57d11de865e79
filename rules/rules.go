// Package rules embeds thingsec's rule packs (YAML): secret patterns,
// component fingerprints and default-credential lists. Each analyzer loads
// its own sub-directory; users add packs with --rules DIR.
package rules

import "embed"

// FS holds the embedded rule packs.
//
//go:embed secrets components credentials
var FS embed.FS
