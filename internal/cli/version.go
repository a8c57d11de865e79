package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/thingsec/thingsec/internal/buildinfo"
	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/vuln/db"
)

// versionInfo is what `thingsec version --format json` writes.
type versionInfo struct {
	Name         string         `json:"name"`
	Build        buildinfo.Info `json:"build"`
	ReportSchema string         `json:"report_schema"`
	Database     dbVersion      `json:"database"`
}

// dbVersion is the vulnerability database a scan would use now.
type dbVersion struct {
	Path string `json:"path"`
	// Kind is "database" (the file at Path), "sample" (there is none: the
	// embedded sample is used) or "unusable" (Error says why).
	Kind string `json:"kind"`
	// SchemaVersion is the database's schema; thingsec reads WantSchema.
	SchemaVersion int    `json:"schema_version,omitempty"`
	WantSchema    int    `json:"want_schema_version"`
	UpdatedAt     string `json:"updated_at,omitempty"`
	AgeSeconds    int64  `json:"age_seconds,omitempty"`
	Error         string `json:"error,omitempty"`
}

// versionLine is the one line of `thingsec --version` and `thingsec version`.
func versionLine() string {
	b := buildinfo.Read()
	return fmt.Sprintf("thingsec %s (report schema %s, %s, %s)\n", b.Version, model.SchemaVersion, b.GoVersion, b.Platform)
}

func newVersion(g *globals) *cobra.Command {
	var format, dbPath string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of thingsec, of its report schema and of the vulnerability database",
		Example: `  thingsec version
  thingsec --version
  thingsec version --format json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := versionInfo{Name: "thingsec", Build: buildinfo.Read(), ReportSchema: model.SchemaVersion,
				Database: dbState(cmd.Context(), dbPath, time.Now())}
			switch format {
			case "json":
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			case "table":
				d := v.Database
				state := d.Kind
				switch {
				case d.Error != "":
					state += ": " + d.Error
				case d.UpdatedAt != "":
					state += fmt.Sprintf(", schema %d, updated %s (%s ago)", d.SchemaVersion, d.UpdatedAt, time.Duration(d.AgeSeconds)*time.Second)
				}
				_, err := fmt.Fprintf(g.stdout, "%sdatabase %s (%s)\n", versionLine(), d.Path, state)
				return err
			}
			return usageError{fmt.Errorf("--format %q: this command writes [table json]", format)}
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json")
	cmd.Flags().StringVar(&dbPath, "db-path", "", "vulnerability database (default $"+db.EnvPath+" or <user cache dir>/thingsec/vuln.db)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// dbState reads the status of the database at path (resolved as scans do).
func dbState(ctx context.Context, path string, now time.Time) dbVersion {
	v := dbVersion{WantSchema: db.SchemaVersion(), Kind: "database"}
	p, err := db.DefaultPath(path)
	if err != nil {
		v.Kind, v.Error = "unusable", err.Error()
		return v
	}
	v.Path = p
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		v.Kind = "sample"
		return v
	}
	d, err := db.OpenDefault(p)
	if err != nil {
		v.Kind, v.Error = "unusable", err.Error()
		return v
	}
	defer d.Close()
	st, err := d.Status(ctx, 0, now)
	if err != nil {
		v.Kind, v.Error = "unusable", err.Error()
		return v
	}
	v.SchemaVersion, v.UpdatedAt = st.SchemaVersion, st.UpdatedAt
	if t, err := time.Parse(time.RFC3339, st.UpdatedAt); err == nil {
		v.AgeSeconds = int64(now.Sub(t).Seconds())
	}
	return v
}
