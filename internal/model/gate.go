package model

// Gate is the outcome of one gate a command applied to its report (a
// --fail-on flag, a policy rule, --fail-on-incomplete, the secrets
// command's gate): its name, what it checks, and why it failed (empty
// when it passed). Gates are not part of the report; encoders that show
// them (JUnit, the table's verdict) get them beside it.
type Gate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Failure     string `json:"failure,omitempty"`
}
