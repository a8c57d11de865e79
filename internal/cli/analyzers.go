package cli

import (
	"github.com/thingsec/thingsec/internal/analyze/elfsec"
	"github.com/thingsec/thingsec/internal/analyze/plugin"
)

// DefaultFileAnalyzers is the explicit list of per-file analyzers a scan
// runs, in order: the component identifiers. The secret, account and key
// analyzers are added by secretAnalyzers, which takes the user's rule
// packs.
func DefaultFileAnalyzers() []plugin.FileAnalyzer {
	return append(ComponentFileAnalyzers(), elfsec.MustNew())
}

// DefaultTreeAnalyzers is the explicit list of whole-tree analyzers. The
// inventory comes first: it deduplicates the components the others read.
func DefaultTreeAnalyzers() []plugin.TreeAnalyzer {
	return append(ComponentTreeAnalyzers(), elfsec.MustNewKernelTree())
}
