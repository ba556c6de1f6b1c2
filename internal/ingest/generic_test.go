package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseGenericOwnShape(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Event
	}{
		{
			name: "every field",
			body: `{
				"status":    "trigger",
				"summary":   "Disk full on db-1",
				"severity":  "critical",
				"dedup_key": "disk-db-1",
				"source":    "db-1.example.com",
				"component": "postgres", "group": "storage", "class": "disk",
				"details":   {"free_bytes": 0},
				"links":     [{"href": "https://grafana.example.com/d/disk", "text": "Dashboard"}],
				"timestamp": "2026-05-01T10:00:00+0200",
				"ignored":   [1, 2, 3]
			}`,
			want: Event{
				Action: ActionTrigger, DedupKey: "disk-db-1", Summary: "Disk full on db-1", Source: "db-1.example.com",
				Severity: SeverityCritical, Timestamp: utc(2026, 5, 1, 8, 0, 0, 0),
				Component: "postgres", Group: "storage", Class: "disk",
				Details: map[string]any{"free_bytes": json.Number("0")},
				Links:   []Link{{Href: "https://grafana.example.com/d/disk", Text: "Dashboard"}},
			},
		},
		{
			name: "summary and source only: derived key, default severity",
			body: `{"summary":"Disk full 1","source":"db-1"}`,
			// sha256 of \x0bDisk full 1\x04db-1
			want: Event{Action: ActionTrigger, DedupKey: "23c419b816e95bf5807495864a55a1232f04ad3395324db139b37e0eb08c3b7b",
				Summary: "Disk full 1", Source: "db-1", Severity: SeverityWarning},
		},
		{
			name: "summary only",
			body: `{"summary":"Disk full 1"}`,
			// sha256 of \x0bDisk full 1\x00
			want: Event{Action: ActionTrigger, DedupKey: "8d217ab31e626a559f52f2d0e2f6c0a4b44134ad501ec7f45448539591650689",
				Summary: "Disk full 1", Severity: SeverityWarning},
		},
		{
			name: "resolve by dedup key",
			body: `{"status":"resolved","dedup_key":"disk-db-1"}`,
			want: Event{Action: ActionResolve, DedupKey: "disk-db-1", Severity: SeverityWarning},
		},
		{
			name: "resolve by summary reaches the trigger's derived key",
			body: `{"status":"OK","summary":"Disk full 1","source":"db-1","severity":"page"}`,
			want: Event{Action: ActionResolve, DedupKey: "23c419b816e95bf5807495864a55a1232f04ad3395324db139b37e0eb08c3b7b",
				Summary: "Disk full 1", Source: "db-1", Severity: SeverityCritical},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseGeneric([]byte(tt.body), nil, "warning")
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			wantEvent(t, ev, tt.want)
		})
	}
}

func TestParseGenericStatusWords(t *testing.T) {
	tests := map[string]Action{
		"trigger": ActionTrigger, "triggered": ActionTrigger, "firing": ActionTrigger, "alerting": ActionTrigger,
		"alert": ActionTrigger, "open": ActionTrigger, "PROBLEM": ActionTrigger,
		"acknowledge": ActionAcknowledge, "acknowledged": ActionAcknowledge, "Ack": ActionAcknowledge,
		"resolve": ActionResolve, "resolved": ActionResolve, "ok": ActionResolve, " closed ": ActionResolve,
		"recovered": ActionResolve, "RECOVERY": ActionResolve,
	}
	for word, want := range tests {
		t.Run(word, func(t *testing.T) {
			ev, err := ParseGeneric([]byte(`{"status":"`+word+`","summary":"s","dedup_key":"k"}`), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if ev.Action != want {
				t.Errorf("action = %q, want %q", ev.Action, want)
			}
		})
	}
}

func TestParseGenericOwnShapeInvalid(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"not JSON", `summary=disk full`, []string{"body"}},
		{"an array", `[{"summary":"s"}]`, []string{"body"}},
		{"empty object", `{}`, []string{"summary"}},
		{"unknown status", `{"status":"pending","summary":"s"}`, []string{"status"}},
		{"unknown severity", `{"summary":"s","severity":"sev1"}`, []string{"severity"}},
		{"summary over 1024 characters", `{"summary":"` + strings.Repeat("s", 1025) + `"}`, []string{"summary"}},
		{"dedup_key over 255 characters", `{"summary":"s","dedup_key":"` + strings.Repeat("k", 256) + `"}`, []string{"dedup_key"}},
		{"resolve with neither key nor summary", `{"status":"resolve"}`, []string{"dedup_key"}},
		{"wrong types", `{"status":1,"summary":2,"source":[],"component":{},"group":true,"class":1.5,"severity":0,"dedup_key":9,"timestamp":5,"details":"x","links":{}}`,
			[]string{"status", "summary", "source", "component", "group", "class", "severity", "dedup_key", "timestamp", "details", "links"}},
		{"bad timestamp", `{"summary":"s","timestamp":"5 minutes ago"}`, []string{"timestamp"}},
		{"details 33 levels deep", `{"summary":"s","details":` + nested(33) + `}`, []string{"details"}},
		{"link without href", `{"summary":"s","links":[{"text":"t"}]}`, []string{"links[0].href"}},
		{"invalid UTF-8", `{"summary":"` + "\xed\xa0\x80" + `"}`, []string{"summary"}},
		{"NUL in details", `{"summary":"s","details":{"k":["\u0000"]}}`, []string{"details.k[0]"}},
		{"nested 65 levels", `{"summary":"s","x":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `}`, []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGeneric([]byte(tt.body), nil, "")
			wantFields(t, err, tt.fields...)
		})
	}
	big := `{"summary":"s","details":{"x":"` + strings.Repeat("x", 600<<10) + `"}}`
	if _, err := ParseGeneric([]byte(big), nil, ""); !errors.Is(err, ErrTooLarge) {
		t.Errorf("600 KB body: error = %v, want ErrTooLarge", err)
	}
	if _, err := ParseGeneric([]byte(big), map[string]string{"summary": "/summary"}, ""); !errors.Is(err, ErrTooLarge) {
		t.Errorf("600 KB mapped body: error = %v, want ErrTooLarge", err)
	}
}

// uptimePayload is a monitoring tool's own webhook, read through a mapping.
const uptimePayload = `{
	"state": "OK",
	"alert": {
		"id": 4711,
		"title": "Checkout latency p99 above 2s",
		"level": "crit",
		"fired_at": 1714557600.25,
		"url": "https://uptime.example.com/alerts/4711",
		"labels": {"app/name": "checkout", "m~n": "x"},
		"tags": ["prod", "eu"]
	}
}`

var uptimeMapping = map[string]string{
	"summary":   "/alert/title",
	"dedup_key": "/alert/id",
	"severity":  "/alert/level",
	"status":    "/state",
	"timestamp": "/alert/fired_at",
	"links":     "/alert/url",
	"source":    "/alert/labels/app~1name",
	"class":     "/alert/labels/m~0n",
	"component": "/alert/tags/1",
}

func TestParseGenericMapped(t *testing.T) {
	ev, err := ParseGeneric([]byte(uptimePayload), uptimeMapping, "info")
	if err != nil {
		t.Fatal(err)
	}
	wantEvent(t, ev, Event{
		Action:    ActionResolve,
		DedupKey:  "4711",
		Summary:   "Checkout latency p99 above 2s",
		Source:    "checkout",
		Severity:  SeverityCritical,
		Timestamp: utc(2024, 5, 1, 10, 0, 0, 250000000),
		Component: "eu",
		Class:     "x",
		Details: map[string]any{
			"state": "OK",
			"alert": map[string]any{
				"id":       json.Number("4711"),
				"title":    "Checkout latency p99 above 2s",
				"level":    "crit",
				"fired_at": json.Number("1714557600.25"),
				"url":      "https://uptime.example.com/alerts/4711",
				"labels":   map[string]any{"app/name": "checkout", "m~n": "x"},
				"tags":     []any{"prod", "eu"},
			},
		},
		Links: []Link{{Href: "https://uptime.example.com/alerts/4711"}},
	})
}

func TestParseGenericMappedLenient(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		mapping map[string]string
		want    Event
	}{
		{
			name:    "unmapped status triggers, unknown severity word gives the default, booleans read as strings",
			body:    `{"t":"Backup failed","sev":"P1","id":true}`,
			mapping: map[string]string{"summary": "/t", "severity": "/sev", "dedup_key": "/id"},
			want: Event{Action: ActionTrigger, DedupKey: "true", Summary: "Backup failed", Severity: SeverityInfo,
				Details: map[string]any{"t": "Backup failed", "sev": "P1", "id": true}},
		},
		{
			name:    "long summary cut, details and links from pointers, ISO timestamp",
			body:    `{"msg":"` + strings.Repeat("m", 1100) + `","ctx":{"a":1},"urls":["https://a.example.com",{"href":"https://b.example.com","text":"B"}],"at":"2026-05-01T10:00:00+0000"}`,
			mapping: map[string]string{"summary": "/msg", "details": "/ctx", "links": "/urls", "timestamp": "/at", "dedup_key": "/nope"},
			want: Event{Action: ActionTrigger, Summary: strings.Repeat("m", 1023) + "…",
				// sha256 of \x82\x08 (1026 as a uvarint), the cut summary, \x00
				DedupKey: "3c6ed5e2c70761758db0915fee64c62ca6d04fa29ac66ff255677850b2cdcd91",
				Severity: SeverityInfo, Timestamp: utc(2026, 5, 1, 10, 0, 0, 0),
				Details: map[string]any{"a": json.Number("1")},
				Links:   []Link{{Href: "https://a.example.com"}, {Href: "https://b.example.com", Text: "B"}}},
		},
		{
			name:    "an array payload, pointer into it, no details",
			body:    `[{"title":"Queue stuck","status":"firing"}]`,
			mapping: map[string]string{"summary": "/0/title", "status": "/0/status", "dedup_key": "/0/title"},
			want:    Event{Action: ActionTrigger, DedupKey: "Queue stuck", Summary: "Queue stuck", Severity: SeverityInfo},
		},
		{
			name:    "a payload nested deeper than details allow keeps no details",
			body:    `{"title":"t","deep":` + nested(40) + `}`,
			mapping: map[string]string{"summary": "/title", "dedup_key": "/title"},
			want:    Event{Action: ActionTrigger, DedupKey: "t", Summary: "t", Severity: SeverityInfo},
		},
		{
			name:    "empty pointer: the whole document",
			body:    `"Heartbeat missed"`,
			mapping: map[string]string{"summary": "", "dedup_key": ""},
			want:    Event{Action: ActionTrigger, DedupKey: "Heartbeat missed", Summary: "Heartbeat missed", Severity: SeverityInfo},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseGeneric([]byte(tt.body), tt.mapping, "info")
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			wantEvent(t, ev, tt.want)
		})
	}
}

func TestParseGenericMappedInvalid(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		mapping map[string]string
		want    []string
	}{
		{"summary not found", `{"alert":{}}`, map[string]string{"summary": "/alert/title"},
			[]string{`summary: required (at "/alert/title")`}},
		{"status not mapped, summary an object", `{"alert":{"title":{}}}`, map[string]string{"summary": "/alert/title"},
			[]string{`summary: must be a string (at "/alert/title")`}},
		{"unknown status", `{"s":"degraded","t":"x"}`, map[string]string{"summary": "/t", "status": "/s"},
			[]string{`status: must be trigger, acknowledge or resolve (at "/s")`}},
		{"resolve without key or summary", `{"s":"ok"}`, map[string]string{"status": "/s"},
			[]string{`dedup_key: required for acknowledge and resolve without a summary (not mapped)`}},
		{"details a string", `{"t":"x","d":"text"}`, map[string]string{"summary": "/t", "details": "/d"},
			[]string{"details: must be an object"}},
		{"links a number", `{"t":"x","l":1}`, map[string]string{"summary": "/t", "links": "/l"},
			[]string{"links: must be an array"}},
		{"timestamp out of range", `{"t":"x","at":-1}`, map[string]string{"summary": "/t", "timestamp": "/at"},
			[]string{`timestamp: not a time in seconds since 1970 (at "/at")`}},
		{"timestamp an object", `{"t":"x","at":{}}`, map[string]string{"summary": "/t", "timestamp": "/at"},
			[]string{`timestamp: must be a string (at "/at")`}},
		{"dedup key too long", `{"t":"x","id":"` + strings.Repeat("k", 256) + `"}`, map[string]string{"summary": "/t", "dedup_key": "/id"},
			[]string{`dedup_key: longer than 255 characters (at "/id")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGeneric([]byte(tt.body), tt.mapping, "")
			checkProblems(t, err, tt.want)
		})
	}
}

func TestValidateMapping(t *testing.T) {
	tests := []struct {
		mapping map[string]string
		ok      bool
	}{
		{nil, true},
		{map[string]string{}, true},
		{uptimeMapping, true},
		{map[string]string{"details": "", "links": "/a/0/~0~1"}, true},
		{map[string]string{"title": "/alert/title"}, false},
		{map[string]string{"summary": "alert/title"}, false},
		{map[string]string{"summary": "/alert~2title"}, false},
		{map[string]string{"summary": "/alert/title~"}, false},
	}
	for _, tt := range tests {
		err := ValidateMapping(tt.mapping)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateMapping(%v) = %v, want ok %v", tt.mapping, err, tt.ok)
		}
		// A bad mapping is a configuration fault, not the sender's.
		_, err = ParseGeneric([]byte(`{"summary":"s"}`), tt.mapping, "")
		var verr *ValidationError
		if !tt.ok && (err == nil || errors.As(err, &verr)) {
			t.Errorf("ParseGeneric with mapping %v: error = %v, want a plain error", tt.mapping, err)
		}
	}
}
