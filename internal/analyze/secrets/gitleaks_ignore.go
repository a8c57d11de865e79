package secrets

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// GitleaksIgnore is the set of finding fingerprints of .gitleaksignore
// files: "file:rule-id:start-line" (a directory scan's findings; the
// four-part "commit:file:rule-id:start-line" form names commits, which no
// file scan has). A finding of a gitleaks configuration whose fingerprint
// is listed is dropped, as gitleaks drops it.
type GitleaksIgnore map[string]bool

// LoadGitleaksIgnore reads .gitleaksignore files into one set.
func LoadGitleaksIgnore(files ...string) (GitleaksIgnore, error) {
	ig := GitleaksIgnore{}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			ig.add(sc.Text())
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return ig, nil
}

// add takes one line: blank lines and # comments are skipped; the file
// part's backslashes become slashes, as gitleaks normalises them.
func (ig GitleaksIgnore) add(line string) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return
	}
	p := strings.Split(line, ":")
	switch len(p) {
	case 3:
		p[0] = strings.ReplaceAll(p[0], `\`, "/")
	case 4:
		p[1] = strings.ReplaceAll(p[1], `\`, "/")
	}
	ig[strings.Join(p, ":")] = true
}

// ignored says whether the finding of rule at path (as gitleaks names it:
// relative to the scanned directory) and line is listed.
func (ig GitleaksIgnore) ignored(path, rule string, line int) bool {
	if len(ig) == 0 {
		return false
	}
	return ig[path+":"+rule+":"+strconv.Itoa(line)]
}
