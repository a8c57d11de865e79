package report

import (
	"encoding/json"
	"io"

	"github.com/thingsec/thingsec/internal/model"
)

// JSON writes the report as indented JSON, the canonical form that every
// other command can read back.
func JSON(w io.Writer, rep *model.Report) error {
	return writeJSON(w, rep)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ReadJSON reads a report written by JSON, of this schema version or an
// earlier one (model.ReadReport upgrades it).
func ReadJSON(r io.Reader) (*model.Report, error) {
	return model.ReadReport(r)
}
