package catalog

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// The renderers below are self-contained: each writes a rule list in one
// format and needs nothing else from the package.

// WriteTable writes one line per rule: id, severity, category, title.
func WriteTable(w io.Writer, rs []*Rule) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tCATEGORY\tTITLE")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Category, r.Title)
	}
	return tw.Flush()
}

// WriteJSON writes {"rules": [...]}, every catalog field but the examples.
func WriteJSON(w io.Writer, rs []*Rule) error {
	if rs == nil {
		rs = []*Rule{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Rules []*Rule `json:"rules"`
	}{rs})
}

// WriteMarkdown writes an index table and one section per rule.
func WriteMarkdown(w io.Writer, rs []*Rule) error {
	var b strings.Builder
	b.WriteString("# thingsec rules\n\n| ID | Severity | Category | Title |\n|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, mdCell(r.Category), mdCell(r.Title))
	}
	for _, r := range rs {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** (%s, %s)\n\n%s\n\n%s\n\n**Remediation:** %s\n\n", r.ID, r.Title, r.Severity, r.Category, r.Summary, r.Help, r.Remediation)
		fmt.Fprintf(&b, "- CWE: %s\n", strings.Join(r.CWE, ", "))
		if len(r.Standards) > 0 {
			fmt.Fprintf(&b, "- Standards: %s\n", strings.Join(r.Standards, ", "))
		}
		if len(r.Tags) > 0 {
			fmt.Fprintf(&b, "- Tags: %s\n", strings.Join(r.Tags, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCell keeps a value inside one markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
