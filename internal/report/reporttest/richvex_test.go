package reporttest

import (
	"encoding/json"
	"testing"
)

// The fixture is a valid report of the current schema, so encoders are
// tested on what thingsec can really write.
func TestRichVEXIsValid(t *testing.T) {
	b, err := json.Marshal(RichVEX())
	if err != nil {
		t.Fatal(err)
	}
	Validate(t, b)
}
