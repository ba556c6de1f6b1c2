package ingest

import (
	"encoding/json"
	"maps"
	"testing"
)

func TestLabels(t *testing.T) {
	am := Event{Details: map[string]any{"labels": map[string]any{"alertname": "Lag", "team": "pay"}, "annotations": map[string]any{"summary": "s"}}}
	pd := Event{Summary: "sum", Details: map[string]any{"service": "fraud", "shard": json.Number("7"), "ok": true, "ratio": 0.5, "nested": map[string]any{"a": "b"}, "nil": nil, "list": []any{"x"}}}
	gen := Event{Summary: "disk full", Severity: SeverityCritical, DedupKey: "k", Component: "db", Details: map[string]any{"summary": "hidden by the field", "region": "eu-1"}}
	cases := []struct {
		name string
		from LabelSource
		ev   Event
		want map[string]string
	}{
		{"alertmanager labels only", AlertLabels, am, map[string]string{"alertname": "Lag", "team": "pay"}},
		{"alertmanager without labels", AlertLabels, Event{}, map[string]string{}},
		{"pagerduty custom details, scalars only", CustomDetails, pd, map[string]string{"service": "fraud", "shard": "7", "ok": "true", "ratio": "0.5"}},
		{"generic fields over details", GenericLabels, gen, map[string]string{"summary": "disk full", "severity": "critical", "dedup_key": "k", "component": "db", "region": "eu-1"}},
	}
	for _, c := range cases {
		got := Labels(c.from, &c.ev)
		if !maps.Equal(got, c.want) {
			t.Errorf("%s: Labels = %v, want %v", c.name, got, c.want)
		}
		for _, name := range []string{"alertname", "team", "service", "shard", "ok", "ratio", "nested", "nil", "list", "summary", "severity", "region", "component", "nope", "annotations"} {
			v, ok := Label(c.from, &c.ev, name)
			if w, wok := c.want[name]; v != w || ok != wok {
				t.Errorf("%s: Label(%q) = %q %v, want %q %v", c.name, name, v, ok, w, wok)
			}
		}
	}
}
