package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
)

var imageWord = regexp.MustCompile(`(?i)\b(image|images|firmware)\b`)

// TestRewordEveryRule rewords the text of every catalog rule for each
// source place: no word of the image may be left (a rule phrase missing
// from imagePhrases fails here), and for the image itself the text stays.
func TestRewordEveryRule(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.All() {
		for field, s := range map[string]string{"title": r.Title, "summary": r.Summary, "help": r.Help, "remediation": r.Remediation} {
			if got := Image.Reword(s); got != s {
				t.Errorf("%s %s: Image.Reword changed %q to %q", r.ID, field, s, got)
			}
			for _, p := range []Place{Repository, SourceTree} {
				if got := p.Reword(s); imageWord.MatchString(got) {
					t.Errorf("%s %s for %s: %q still names the image", r.ID, field, p, got)
				}
			}
		}
	}
}

func TestRewordPhrases(t *testing.T) {
	for _, tc := range []struct {
		p        Place
		in, want string
	}{
		{Repository, "Unencrypted private key shipped in the image (RSA)", "Unencrypted private key in the repository (RSA)"},
		{SourceTree, "SSH authorized key shipped in the image", "SSH authorized key in the source tree"},
		{Repository, "An encrypted private key ships in the image; its passphrase is usually in the image too", "An encrypted private key is in the repository; its passphrase is usually in the repository too"},
		{Repository, "The image holds the private key of a CA", "The repository holds the private key of a CA"},
		{SourceTree, "it is the same on every device built from this image.", "it is the same on every device built from this source tree."},
		{Repository, "Generate per-device keys; keep them out of the firmware image.", "Generate per-device keys; keep them out of the repository."},
		{Repository, "An image decoder library", "An image decoder library"}, // not the target
		{Image, "shipped in the image", "shipped in the image"},
	} {
		if got := tc.p.Reword(tc.in); got != tc.want {
			t.Errorf("%s.Reword(%q) = %q, want %q", tc.p, tc.in, got, tc.want)
		}
	}
	f := model.Finding{Title: "PKCS#12 key store shipped in the image", Description: "anyone with the image", Remediation: "Remove the secret from the image."}
	Repository.RewordFinding(&f)
	if f.Title != "PKCS#12 key store in the repository" || f.Description != "anyone with the repository" || f.Remediation != "Remove the secret from the repository." {
		t.Fatalf("RewordFinding: %+v", f)
	}
}

func TestPlaceOf(t *testing.T) {
	src := t.TempDir()
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	wt := t.TempDir() // a linked work tree or submodule: .git is a file
	if err := os.WriteFile(filepath.Join(wt, ".git"), []byte("gitdir: /elsewhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind, path string
		want       Place
	}{
		{"file", filepath.Join(repo, "fw.bin"), Image},
		{"directory", src, SourceTree},
		{"directory", repo, Repository},
		{"directory", wt, Repository},
	} {
		if got := PlaceOf(tc.kind, tc.path); got != tc.want {
			t.Errorf("PlaceOf(%s, %s) = %s, want %s", tc.kind, tc.path, got, tc.want)
		}
	}
}
