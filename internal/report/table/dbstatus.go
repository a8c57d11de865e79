package table

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/thingsec/thingsec/internal/vuln/db"
)

// DBStatus writes "thingsec db status": the database, its record counts,
// then one line per source with its age at now.
func DBStatus(w io.Writer, st *db.Status, now time.Time) error {
	p := &printer{w: w}
	c := st.Counts
	if st.Kind == "sample" {
		p.f("database   the embedded sample (schema %d)\n", st.SchemaVersion)
	} else {
		p.f("database   %s (schema %d)\n", st.Path, st.SchemaVersion)
	}
	if st.Note != "" {
		p.f("note       %s\n", st.Note)
	}
	p.f("records    %d NVD CVEs (%d CPE index entries), %d OSV advisories (%d packages), %d KEV, %d EPSS\n",
		c.NVD, c.Configs, c.OSV, c.OSVPackages, c.KEV, c.EPSS)
	if st.Stale != "" {
		p.f("warning    %s\n", st.Stale)
	}
	p.f("\n")
	if p.err != nil {
		return p.err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tRECORDS\tUPDATED\tAGE")
	for _, s := range st.Sources {
		age := "?"
		if t, err := time.Parse(time.RFC3339, s.UpdatedAt); err == nil {
			age = now.Sub(t).Round(time.Hour).String()
			if d := now.Sub(t); d >= 48*time.Hour {
				age = fmt.Sprintf("%dd", int(d.Hours()/24))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", s.Name, s.Kind, s.Records, s.UpdatedAt, age)
	}
	return tw.Flush()
}
