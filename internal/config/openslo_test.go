package config

import (
	"encoding/json"
	"testing"
)

// TestOpenSLOTextTravelsWithTheBundle: each OpenSLO document's text, from
// its first line to the next document marker, goes into the bundle with
// its file and line, and survives the JSON that `vigil apply` sends.
func TestOpenSLOTextTravelsWithTheBundle(t *testing.T) {
	const file = `services:
  - {id: checkout, owner: shop}
---
# the SLO
apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  description: |
    two lines
    of text
--- # next
apiVersion: openslo/v1
kind: DataSource
metadata: {name: b}
...
`
	l := LoadBytes("x.yaml", []byte(file))
	want := []OpenSLODocument{
		{File: "x.yaml", Line: 5, YAML: "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  description: |\n    two lines\n    of text\n"},
		{File: "x.yaml", Line: 13, YAML: "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: b}\n"},
	}
	got := l.Bundle.OpenSLO
	if len(got) != len(want) {
		t.Fatalf("OpenSLO = %+v, want %d documents", got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("document %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	data, err := json.Marshal(l.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	var back Bundle
	if err := json.Unmarshal(data, &back); err != nil || len(back.OpenSLO) != 2 || back.OpenSLO[1] != want[1] {
		t.Errorf("after JSON: %+v, %v", back.OpenSLO, err)
	}
	// "openslo" is not a YAML key of the configuration.
	if l := LoadBytes("y.yaml", []byte("openslo: []\n")); len(l.Problems) != 1 {
		t.Errorf("problems = %v, want openslo refused as an unknown field", l.Problems)
	}
}
