package engine

import "fmt"

// InputError is a problem with what the user asked to scan (missing,
// unreadable, empty, not a file): the CLI exits with code 2.
type InputError struct {
	Target string
	Reason string
	Err    error
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s: %s", e.Target, e.Reason)
}

func (e *InputError) Unwrap() error { return e.Err }
