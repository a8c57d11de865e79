package db

import "github.com/thingsec/thingsec/internal/vuln/record"

// Sources of advisories in the vulns table.
const (
	SourceNVD = record.SourceNVD
	SourceOSV = record.SourceOSV
)

// The stored record types; see package record.
type (
	Vuln     = record.Vuln
	Detail   = record.Detail
	Config   = record.Config
	Node     = record.Node
	CPEMatch = record.CPEMatch
	Affected = record.Affected
	Range    = record.Range
	Event    = record.Event
	KEV      = record.KEV
	EPSS     = record.EPSS
	Source   = record.Source
)
