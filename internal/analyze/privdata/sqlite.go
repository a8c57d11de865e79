package privdata

import (
	"fmt"

	"github.com/thingsec/thingsec/internal/analyze/plugin"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/sqlitefile"
)

// maxRows bounds the rows read per table: enough to judge a column.
const maxRows = 20000

func (a *Analyzer) sqlite(in *plugin.Input, out *plugin.Results) {
	db, err := sqlitefile.Open(in.Data)
	if err != nil {
		out.Problems = append(out.Problems, model.Problem{Layer: in.Layer, Path: in.Path, Stage: "analyze", Kind: "corrupt", Message: err.Error()})
		return
	}
	tables, err := db.Tables()
	if err != nil {
		out.Problems = append(out.Problems, model.Problem{Layer: in.Layer, Path: in.Path, Stage: "analyze", Kind: "corrupt", Message: "schema: " + err.Error()})
	}
	for _, t := range tables {
		if t.WithoutRowID || len(t.Columns) == 0 {
			continue
		}
		g := newGroup(t.Name)
		fields := make([]field, 0, len(t.Columns))
		err := db.Rows(t, func(_ int64, vals []sqlitefile.Value) bool {
			fields = fields[:0]
			for i, c := range t.Columns {
				if i < len(vals) && (vals[i].Kind == sqlitefile.Text || vals[i].Kind == sqlitefile.Integer) {
					fields = append(fields, field{c, vals[i].String()})
				} else if i < len(vals) && vals[i].Kind == sqlitefile.Float {
					fields = append(fields, field{c, fmt.Sprint(vals[i].Float)})
				}
			}
			g.record(fields)
			return g.records < maxRows
		})
		if err != nil {
			out.Problems = append(out.Problems, model.Problem{Layer: in.Layer, Path: in.Path, Stage: "analyze", Kind: "corrupt", Message: fmt.Sprintf("table %s: %v", t.Name, err)})
		}
		a.report(in, out, g, RulePIIDatabase, RulePlainDB, "SQLite table "+t.Name, "row")
	}
}
