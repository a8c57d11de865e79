package diff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/thingsec/thingsec/internal/model"
)

// ReportError is a file that is a thingsec report but cannot be used.
type ReportError struct {
	Path   string
	Reason string
}

func (e *ReportError) Error() string { return e.Path + ": " + e.Reason }

// sniffBytes is how much of a file is read to tell a report from other
// input: a report's first key is schema_version.
const sniffBytes = 4096

// LoadReport reads path when it is a saved JSON report (thingsec scan
// --format json); ok is false, with no error, when it is something else
// (a firmware image, any other file, a directory) or cannot be read,
// which the caller scans instead (and the scan says what is wrong). It is the one place that reads saved reports: the current major
// version and 1.x (upgraded) are accepted, fields this version does not
// know are ignored and fields it misses stay empty.
func LoadReport(path string) (rep *model.Report, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, nil // not readable: the scan says why
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, false, nil
	}
	br := bufio.NewReaderSize(f, sniffBytes)
	head, _ := br.Peek(sniffBytes)
	if !looksLikeReport(head) {
		return nil, false, nil
	}
	rep, err = readReport(br)
	if err != nil {
		return nil, true, &ReportError{Path: path, Reason: err.Error()}
	}
	return rep, true, nil
}

// looksLikeReport says whether head starts a JSON object whose keys
// include schema_version.
func looksLikeReport(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	return bytes.HasPrefix(head, []byte("{")) && bytes.Contains(head, []byte(`"schema_version"`))
}

// readReport decodes a report of any schema version model.ReadReport
// reads (the current major and 1.x, upgraded), refusing a diff document.
func readReport(r io.Reader) (*model.Report, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("not a readable thingsec report: %v", err)
	}
	if head.Kind == DocumentKind {
		return nil, fmt.Errorf("a diff document, not a scan report")
	}
	return model.DecodeReport(raw)
}
