package model

import (
	"strings"
	"time"
)

// timeLayouts are the forms the vulnerability sources write: RFC 3339
// (OSV, EPSS API), NVD's timestamps without a zone (UTC by NVD's
// definition), a zone without colon, and bare dates (CISA KEV, EPSS).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700", // "+0000", as in EPSS file headers
	"2006-01-02",
}

// ParseTime reads a date or time of a vulnerability source and returns it
// in UTC to the second, the one form every time of the report has. A
// bare date is midnight UTC. The zero time (Go's vulnerability database
// writes 0001-01-01T00:00:00Z for "not known") and anything unreadable
// are reported as not ok.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC().Truncate(time.Second)
			return t, !t.IsZero() && t.Year() > 1
		}
	}
	return time.Time{}, false
}

// ReportTime is t as the report writes it: UTC, to the second.
func ReportTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
