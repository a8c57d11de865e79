package html

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/thingsec/thingsec/internal/model"
	"github.com/thingsec/thingsec/internal/report/reporttest"
)

// FuzzEncode: any report that reads renders, and whatever its text holds
// the page loads and runs nothing from outside.
func FuzzEncode(f *testing.F) {
	rich, err := json.Marshal(reporttest.RichVEX())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rich)
	f.Add([]byte(`{"schema_version":"2.0.0","layers":[{"id":"L0","parent":"L1"},{"id":"L1","parent":"L0"},{"id":"L2","parent":"L2"}],` +
		`"findings":[{"severity":"<img src=x>","category":"</style><script src=//x>","evidence":"<link href=//x>"}],` +
		`"vulnerabilities":[{"id":"x","url":"javascript:alert(1)","component":"\"><script>","analysis":{"state":"</script>"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := model.DecodeReport(b)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, rep); err != nil {
			t.Fatal(err)
		}
		if bad := external(buf.Bytes()); len(bad) > 0 {
			t.Fatalf("%v", bad)
		}
	})
}

// Layer parent cycles and self-parents still list every layer once.
func TestLayerTreeCycles(t *testing.T) {
	roots := layerTree([]model.Layer{{ID: "L0", Parent: "L1"}, {ID: "L1", Parent: "L0"}, {ID: "L2", Parent: "L2"}, {ID: "L3", Parent: "L9"}, {ID: "L4", Parent: "L3"}})
	seen := map[string]int{}
	var walk func([]*layerNode)
	walk = func(ns []*layerNode) {
		for _, n := range ns {
			seen[n.L.ID]++
			walk(n.Children)
		}
	}
	walk(roots)
	for _, id := range []string{"L0", "L1", "L2", "L3", "L4"} {
		if seen[id] != 1 {
			t.Errorf("layer %s shown %d times", id, seen[id])
		}
	}
}
