package slo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/config"
)

// bundleSLO is the contract's example as one stored document.
var bundleSLO = strings.TrimPrefix(checkoutSLO, "\n")

func TestParseBundle(t *testing.T) {
	isService := func(id string) bool { return id == "checkout" }
	cases := []struct {
		name      string
		docs      []config.OpenSLODocument
		wantSLOs  int
		wantProb  string // a problem's text, "" for none
		wantPlace string // file:line of the problem
	}{
		{"valid", []config.OpenSLODocument{{File: "slos.yaml", Line: 3, YAML: bundleSLO}}, 1, "", ""},
		{"lines count from the document's place in its file",
			[]config.OpenSLODocument{{File: "slos.yaml", Line: 10, YAML: strings.Replace(bundleSLO, "service: checkout", "service: nope", 1)}},
			0, `unknown service "nope"`, "slos.yaml:14"},
		{"trailing document marker ignored", []config.OpenSLODocument{{File: "a.yaml", Line: 1, YAML: bundleSLO + "---\nkind: junk\n"}}, 1, "", ""},
		{"invalid YAML", []config.OpenSLODocument{{File: "a.yaml", Line: 7, YAML: "apiVersion: [\n"}}, 0, "invalid YAML", "a.yaml:7"},
		{"empty", []config.OpenSLODocument{{File: "a.yaml", Line: 2, YAML: "# nothing\n"}}, 0, "is a mapping", "a.yaml:2"},
		{"a list", []config.OpenSLODocument{{File: "a.yaml", Line: 2, YAML: "- a\n- b\n"}}, 0, "is a mapping", "a.yaml:2"},
		{"oversized", []config.OpenSLODocument{{File: "a.yaml", Line: 1, YAML: bundleSLO + "#" + strings.Repeat("x", MaxDocumentSize)}}, 0, "larger than", "a.yaml:1"},
		{"too many", make([]config.OpenSLODocument, MaxDocuments+1), 0, "more than the", ""},
		{"alias bomb", []config.OpenSLODocument{{File: "a.yaml", Line: 1, YAML: "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\napiVersion: openslo/v1\nkind: SLO\n"}}, 0, "", "a.yaml:"},
		{"deep nesting", []config.OpenSLODocument{{File: "a.yaml", Line: 1, YAML: "apiVersion: openslo/v1\nkind: SLO\nspec: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"}}, 0, "", "a.yaml:"},
		{"zero line taken as 1", []config.OpenSLODocument{{YAML: "- x\n"}}, 0, "is a mapping", ":1"},
	}
	for _, c := range cases {
		slos, problems := ParseBundle(c.docs, isService)
		if len(slos) != c.wantSLOs {
			t.Errorf("%s: %d SLOs, want %d (problems %v)", c.name, len(slos), c.wantSLOs, problems)
		}
		if c.wantProb == "" && c.wantPlace == "" {
			if len(problems) > 0 {
				t.Errorf("%s: problems %v, want none", c.name, problems)
			}
			continue
		}
		found := false
		for _, p := range problems {
			at := fmt.Sprintf("%s:%d", p.File, p.Line)
			if strings.Contains(p.Message, c.wantProb) && strings.HasPrefix(at, strings.TrimSuffix(c.wantPlace, ":")) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: problems %v, want %q at %s", c.name, problems, c.wantProb, c.wantPlace)
		}
	}
}

func TestIdentify(t *testing.T) {
	cases := []struct{ text, kind, name string }{
		{bundleSLO, "SLO", "checkout-availability"},
		{"kind: DataSource\nmetadata:\n  name: prom\n", "DataSource", "prom"},
		{"kind: SLO\n", "SLO", ""},
		{"- a\n", "", ""},
		{"a: [\n", "", ""},
		{"", "", ""},
		{strings.Repeat("x", MaxDocumentSize+1), "", ""},
	}
	for _, c := range cases {
		kind, name := Identify(c.text)
		if kind != c.kind || name != c.name {
			t.Errorf("Identify(%.30q) = %q, %q; want %q, %q", c.text, kind, name, c.kind, c.name)
		}
	}
}

func FuzzParseBundle(f *testing.F) {
	f.Add(bundleSLO, 1)
	f.Add("apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: p}\nspec: {type: Prometheus, connectionDetails: [{url: 'http://x'}]}\n", 5)
	f.Add("a: &a [*a]\n", 0)
	f.Add("--- |\n  x\n", -3)
	f.Fuzz(func(t *testing.T, text string, line int) {
		docs := []config.OpenSLODocument{{File: "f.yaml", Line: line, YAML: text}}
		_, problems := ParseBundle(docs, func(string) bool { return true })
		for _, p := range problems {
			if p.Line < 0 {
				t.Fatalf("problem before the file's start: %v", p)
			}
		}
		Identify(text)
	})
}
