package catalog

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRenderers(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	all := c.All()
	var js bytes.Buffer
	if err := WriteJSON(&js, all); err != nil {
		t.Fatal(err)
	}
	var back struct{ Rules []*Rule }
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rules) != len(all) {
		t.Fatalf("json has %d rules, catalog %d", len(back.Rules), len(all))
	}
	for i, r := range back.Rules {
		want := *all[i]
		want.Examples = Examples{}
		if !reflect.DeepEqual(*r, want) {
			t.Fatalf("json rule %d:\n got %+v\nwant %+v", i, *r, want)
		}
	}
	var md, tbl bytes.Buffer
	if err := WriteMarkdown(&md, all); err != nil {
		t.Fatal(err)
	}
	if err := WriteTable(&tbl, all); err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if !strings.Contains(md.String(), "\n## "+r.ID+"\n") || !strings.Contains(md.String(), r.Help) {
			t.Errorf("markdown lacks the section of %s", r.ID)
		}
		if !strings.Contains(tbl.String(), "\n"+r.ID+" ") {
			t.Errorf("table lacks %s", r.ID)
		}
	}
	if got := mdCell("a|b\nc"); got != `a\|b c` {
		t.Errorf("mdCell: %q", got)
	}
}
