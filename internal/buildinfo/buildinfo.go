// Package buildinfo says which build of thingsec is running: the version
// a release stamps with -ldflags, else what the Go toolchain recorded in
// the binary (the module version, and the VCS revision, commit time and
// modified flag of a build from a checkout).
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// version is the release override:
//
//	go build -ldflags "-X github.com/thingsec/thingsec/internal/buildinfo.version=v1.2.3" ./cmd/thingsec
var version = ""

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// Read returns the build information of the running binary.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(version, bi)
}

// Version is Read().Version: what a report's tool.version says.
func Version() string { return Read().Version }

// fromBuildInfo decides the version: the -ldflags override, else the
// module version the toolchain stamped (a tag, or a pseudo-version such
// as v0.0.0-20261205093613-0015e19abcde+dirty for a checkout), else
// "devel" with the revision when it is known.
func fromBuildInfo(override string, bi *debug.BuildInfo) Info {
	in := Info{Version: override, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		if in.Version == "" {
			in.Version = "devel"
		}
		return in
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	if in.Version != "" {
		return in
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		in.Version = v
		return in
	}
	in.Version = "devel"
	if in.Revision != "" {
		in.Version += "+" + short(in.Revision)
		if in.Modified {
			in.Version += ".dirty"
		}
	}
	return in
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
