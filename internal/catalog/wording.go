package catalog

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/thingsec/thingsec/internal/model"
)

// Place is what a scan's target is, as finding text names it. Rule text
// is written once, for a firmware image ("shipped in the image", "anyone
// with the image"); Reword turns it into the words of another place, so
// that no rule is written twice.
type Place string

// Places.
const (
	Image      Place = "image"       // a file target: firmware, an archive, a disk image
	Repository Place = "repository"  // a directory that is a git work tree, or its history
	SourceTree Place = "source tree" // any other directory
)

// PlaceOf is the place of a target of kind ("file" or "directory", as in
// model.Target) at path.
func PlaceOf(kind, path string) Place {
	if kind != "directory" {
		return Image
	}
	if _, err := os.Lstat(filepath.Join(path, ".git")); err == nil {
		return Repository
	}
	return SourceTree
}

// imagePhrases are the phrases of rule text that name the image, longest
// first, and what each becomes for another place (%s: the place's noun).
// A catalog test rewords every rule and fails on any "image" or
// "firmware" left, so a new phrase in a rule must be added here.
var imagePhrases = []struct{ from, to string }{
	{"shipped in the image", "in the %s"},
	{"ships in the image", "is in the %s"},
	{"in the firmware image", "in the %s"},
	{"out of the firmware image", "out of the %s"},
	{"in the firmware", "in the %s"},
	{"from this image", "from this %s"},
	{"this image", "this %s"},
	{"The image", "The %s"},
	{"the image", "the %s"},
}

// Reword returns rule text s in the words of place p; for Image it is s.
func (p Place) Reword(s string) string {
	if p == Image || p == "" || !strings.Contains(strings.ToLower(s), "image") && !strings.Contains(s, "firmware") {
		return s
	}
	pairs := make([]string, 0, 2*len(imagePhrases))
	for _, ph := range imagePhrases {
		pairs = append(pairs, ph.from, strings.ReplaceAll(ph.to, "%s", string(p)))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// RewordFinding rewords the text fields of f (title, description,
// remediation) for place p.
func (p Place) RewordFinding(f *model.Finding) {
	f.Title = p.Reword(f.Title)
	f.Description = p.Reword(f.Description)
	f.Remediation = p.Reword(f.Remediation)
}
