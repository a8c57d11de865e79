package update

import (
	"testing"

	"github.com/thingsec/thingsec/internal/analyze/analyzetest"
	"github.com/thingsec/thingsec/internal/model"
)

// analyzeFile runs the analyzer on one file at its in-image path the way
// the engine hands it over; nil findings when the file is not wanted.
func analyzeFile(t *testing.T, a *Analyzer, inPath string, data []byte) []model.Finding {
	t.Helper()
	return analyzetest.File(t, a, inPath, data)
}

// TestCatalogExamples runs every update rule's catalog examples
// (rules/findings/update.yaml) through the analyzer: "match" inputs must
// make the rule fire at their path, "no_match" inputs must not.
func TestCatalogExamples(t *testing.T) {
	analyzetest.CatalogExamples(t, New(), "testdata", "update")
}
