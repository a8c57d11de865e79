package model

// Suppression is the accepted-risk entry that keeps a finding or a
// vulnerability out of the gate. The item stays in the report.
type Suppression struct {
	Reason string `json:"reason"`
	Author string `json:"author"`
	// Expires is the last day (YYYY-MM-DD) the entry holds; absent when
	// it does not expire.
	Expires string `json:"expires,omitempty"`
	// Source is where the entry is: the suppression file and line.
	Source string `json:"source"`
}

// Analysis is what a VEX statement says about a vulnerability in this
// product.
type Analysis struct {
	// State is the OpenVEX status: not_affected, affected, fixed or
	// under_investigation (CycloneDX states are mapped to these).
	State string `json:"state"`
	// Justification says why the product is not affected, as the
	// document words it (an OpenVEX or CycloneDX justification).
	Justification string `json:"justification,omitempty"`
	// Detail is the statement's impact statement, action statement or
	// CycloneDX detail.
	Detail string `json:"detail,omitempty"`
	// Source is the VEX document the statement is in.
	Source string `json:"source"`
}
