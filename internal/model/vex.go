package model

// VulnAnalysis is what a VEX statement or a suppression says about a vulnerability.
type VulnAnalysis struct {
	State         string `json:"state"`                   // affected, not_affected, fixed, under_investigation
	Justification string `json:"justification,omitempty"` // OpenVEX justification label
	Detail        string `json:"detail,omitempty"`        // impact or action statement
	Source        string `json:"source,omitempty"`        // the VEX document or suppression file it came from
}
