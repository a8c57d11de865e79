package cli

import "github.com/thingsec/thingsec/internal/analyze/plugin"

// DefaultFileAnalyzers is the explicit list of per-file analyzers a scan
// runs, in order.
func DefaultFileAnalyzers() []plugin.FileAnalyzer {
	return []plugin.FileAnalyzer{}
}

// DefaultTreeAnalyzers is the explicit list of whole-tree analyzers.
func DefaultTreeAnalyzers() []plugin.TreeAnalyzer {
	return []plugin.TreeAnalyzer{}
}
