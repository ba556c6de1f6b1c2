package config

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func FuzzLoad(f *testing.F) {
	full, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(full),
		base,
		"users: [{id: a, time_zone: UTC}]\n---\napiVersion: openslo/v1\n",
		"users:\n  - &u {id: a, time_zone: UTC}\n  - <<: *u\n    id: b\n",
		"a: &x [*x]\n",
		billionLaughs(3),
		"teams: [{id: t, kind: irt, covers: [s]}]\nservices: [{id: s, owner: t, depends_on: [{service: s, kind: hard}]}]\n",
		"org: {freezes: [{id: f, every: \"mon-fri 22:00-06:00\"}]}\n",
		"- [",
		"? [a]\n: b\n",
		"\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := LoadBytes("f.yaml", data)
		if l == nil {
			t.Fatal("LoadBytes returned nil")
		}
		for _, p := range l.Problems {
			if p.File != "f.yaml" || p.Message == "" || p.Line < 0 || p.Column < 0 {
				t.Errorf("malformed problem %#v", p)
			}
		}
		if !slices.IsSortedFunc(l.Problems, func(a, b Problem) int { return a.Line - b.Line }) {
			t.Errorf("problems not sorted by line: %v", l.Problems)
		}
		// Loading is deterministic: the same input, the same report.
		again := LoadBytes("f.yaml", data)
		if !slices.Equal(l.Problems, again.Problems) {
			t.Errorf("two loads differ:\n%v\n%v", l.Problems, again.Problems)
		}
		// A bundle that loads cleanly also validates cleanly on its own.
		if len(l.Problems) == 0 {
			if ps := Validate(&l.Bundle); len(ps) > 0 {
				t.Errorf("Load found no problem but Validate found %v", ps)
			}
		}
		for _, p := range l.Problems {
			if strings.Contains(p.Message, "\n") {
				t.Errorf("problem message spans lines: %q", p.Message)
			}
		}
	})
}
