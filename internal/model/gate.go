package model

// Gate is the outcome of one gate a command applied to its report
// (--fail-on-incomplete, the secrets command's "no secret" gate): its
// name, what it checks, and why it failed (empty when it passed). Gates
// are not part of the report; encoders that show them (JUnit) get them
// beside it.
type Gate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Failure     string `json:"failure,omitempty"`
}
