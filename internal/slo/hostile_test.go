package slo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-oncall/vigil/internal/config"
)

// documents splits YAML text into documents as the config loader keeps
// them, without the loader's own limits, so that ParseDocuments' bounds
// are what is tested.
func documents(data []byte) ([]config.Document, bool) {
	var docs []config.Document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; i < 100; i++ {
		var n yaml.Node
		var err error
		func() {
			defer func() {
				if recover() != nil {
					err = errors.New("yaml parser panicked")
				}
			}()
			err = dec.Decode(&n)
		}()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return docs, false
		}
		if len(n.Content) > 0 {
			docs = append(docs, config.Document{File: "fuzz.yaml", Line: n.Content[0].Line, Node: n.Content[0]})
		}
	}
	return docs, true
}

func TestParseHostileInput(t *testing.T) {
	deep := strings.Repeat("{a: ", 200) + "1" + strings.Repeat("}", 200)
	laughs := "x0: &a0 [q, q, q, q, q, q, q, q, q, q]\n"
	for i := 1; i < 9; i++ {
		laughs += fmt.Sprintf("x%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	tests := []struct {
		name string
		yaml string
		want string // part of the one problem's message
	}{
		{"deeply nested source spec", strings.Replace(checkoutSLO, "{type: vigil-push}}\n        total", "{type: vigil-push, spec: "+deep+"}}\n        total", 1), "too large or too deeply nested"},
		{"alias expansion", "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: checkout}\nspec:\n" + indent(laughs), "too large or too deeply nested"},
		{"complex mapping key", "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: checkout}\nspec: {? [a, b] : c}\n", "a mapping key must be a plain value"},
		{"infinite target", sloWith("target: 0.999", "target: .inf").s(), ".inf is not a finite number"},
		{"apiVersion not a string", "apiVersion: {v: 1}\nkind: SLO\n", `unsupported apiVersion ""`},
		{"huge query", "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\nspec: {type: Prometheus, connectionDetails: {url: \"http://p:9090\"}}\n---\n" +
			sloWith("good:  {metricSource: {type: vigil-push}}", "good:  {metricSource: {metricSourceRef: prom, spec: {query: '"+strings.Repeat("x", 20000)+"{{.window}}'}}}").
				replace("total: {metricSource: {type: vigil-push}}", "total: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(increase(all[{{.window}}]))'}}}").trim().s(), "the query is longer than 16384 bytes"},
		{"data source URL not http", "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\nspec: {type: Prometheus, connectionDetails: [{url: \"file:///etc/passwd\"}]}\n", `invalid URL "file:///etc/passwd"`},
		{"a list where a mapping belongs", sloWith("spec:\n  service", "spec: []\nx:\n  service").s(), "expected a mapping, got array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, ok := documents([]byte(strings.TrimPrefix(tc.yaml, "\n")))
			if !ok || len(docs) == 0 {
				t.Fatal("test YAML does not parse")
			}
			slos, problems := ParseDocuments(docs, isService)
			if len(slos) != 0 || len(problems) != 1 || !strings.Contains(problems[0].Message, tc.want) {
				t.Errorf("got %d SLOs and problems %v; want one problem with %q", len(slos), problems, tc.want)
			}
		})
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

func (y yamlText) s() string { return string(y) }

func TestParseAnchorsAndUnquotedTimestamps(t *testing.T) {
	// A merge key brings shared fields in; an unquoted start time stays the
	// text the SDK reads, not a YAML timestamp.
	slos := mustParse(t, `
apiVersion: openslo/v1
kind: SLI
metadata: {name: req}
spec:
  ratioMetric:
    counter: true
    good: &push {metricSource: {type: vigil-push}}
    total: *push
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: monthly}
spec:
  <<: {service: checkout, budgetingMethod: Occurrences}
  indicatorRef: req
  timeWindow: [{duration: 1M, isRolling: false, calendar: {startTime: 2026-01-01 00:00:00, timeZone: UTC}}]
  objectives: [{target: 0.99}]
`)
	if len(slos) != 1 || slos[0].Service != "checkout" || slos[0].Window.Start.Year() != 2026 {
		t.Errorf("got %+v", slos)
	}
}

func FuzzParseDocuments(f *testing.F) {
	f.Add([]byte(checkoutSLO))
	f.Add([]byte(strings.TrimPrefix(checkoutSLO, "\n") + "---\n" + "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: x}\nspec: {thresholdMetric: {metricSource: {type: vigil-push}}}\n"))
	f.Add([]byte("apiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p}\nspec: {conditions: [{conditionRef: c}], notificationTargets: [{targetRef: t}]}\n"))
	f.Add([]byte("apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\nspec: {type: Prometheus, connectionDetails: [{url: \"http://p:9090\"}]}\n"))
	f.Add([]byte("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec: {timeWindow: [{duration: 1Q, isRolling: false, calendar: {startTime: \"2026-01-01 00:00:00\", timeZone: UTC}}]}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		docs, _ := documents(data)
		slos, problems := ParseDocuments(docs, isService)
		for _, p := range problems {
			if p.File != "fuzz.yaml" || p.Message == "" {
				t.Fatalf("problem without a file or message: %+v", p)
			}
		}
		for _, s := range slos {
			if !(s.Objective > 0 && s.Objective < 1) || s.Window.Duration <= 0 || !isService(s.Service) {
				t.Fatalf("invalid SLO accepted: %+v", s)
			}
		}
	})
}
