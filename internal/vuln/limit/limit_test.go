package limit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRecordBound(t *testing.T) {
	small := `{"a":"` + strings.Repeat("x", 1000) + `"}`
	big := `{"a":"` + strings.Repeat("y", 3*slack) + `"}`
	lr := NewReader(strings.NewReader(small + big + small))
	dec := json.NewDecoder(lr)
	var v map[string]string
	lr.Allow(dec.InputOffset(), 2000)
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("small record: %v", err)
	}
	lr.Allow(dec.InputOffset(), 2000)
	err := dec.Decode(&v)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big record: %v, want ErrTooLarge", err)
	}
	if lr.n > int64(len(small))+2000+2*slack {
		t.Errorf("read %d bytes past the bound", lr.n)
	}
}
