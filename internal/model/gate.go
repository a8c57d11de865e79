package model

// Gate is the outcome of one gate of a run (a --fail-on flag, a policy
// rule): it passed when Failure is empty.
type Gate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Failure     string `json:"failure,omitempty"`
}
