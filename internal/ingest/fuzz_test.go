package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkString fails on a string the store or a client could choke on.
func checkString(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s is not valid UTF-8: %q", what, s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		t.Fatalf("%s holds a NUL: %q", what, s)
	}
}

// checkValue walks decoded details.
func checkValue(t *testing.T, what string, v any, depth int) {
	t.Helper()
	if depth > MaxDetailsDepth {
		t.Fatalf("%s nested deeper than %d", what, MaxDetailsDepth)
	}
	switch v := v.(type) {
	case string:
		checkString(t, what, v)
	case map[string]any:
		for k, child := range v {
			checkString(t, what+" key", k)
			checkValue(t, what, child, depth+1)
		}
	case []any:
		for _, child := range v {
			checkValue(t, what, child, depth+1)
		}
	case json.Number, bool, nil:
	default:
		t.Fatalf("%s holds a %T", what, v)
	}
}

// checkEvent asserts what every successfully parsed event promises.
func checkEvent(t *testing.T, ev Event) {
	t.Helper()
	switch ev.Action {
	case ActionTrigger, ActionAcknowledge, ActionResolve:
	default:
		t.Fatalf("unknown action %q", ev.Action)
	}
	switch ev.Severity {
	case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo:
	case "":
		if ev.Action == ActionTrigger {
			t.Fatal("trigger without a severity")
		}
	default:
		t.Fatalf("unknown severity %q", ev.Severity)
	}
	if ev.DedupKey == "" || utf8.RuneCountInString(ev.DedupKey) > MaxDedupKeyLen {
		t.Fatalf("dedup key %q: want 1 to %d characters", ev.DedupKey, MaxDedupKeyLen)
	}
	if ev.Action == ActionTrigger && ev.Summary == "" {
		t.Fatal("trigger without a summary")
	}
	if utf8.RuneCountInString(ev.Summary) > MaxSummaryLen {
		t.Fatalf("summary of %d characters", utf8.RuneCountInString(ev.Summary))
	}
	if !ev.Timestamp.IsZero() && ev.Timestamp.Location().String() != "UTC" {
		t.Fatalf("timestamp %v not in UTC", ev.Timestamp)
	}
	for what, s := range map[string]string{
		"dedup key": ev.DedupKey, "summary": ev.Summary, "source": ev.Source, "component": ev.Component,
		"group": ev.Group, "class": ev.Class, "client": ev.Client, "client url": ev.ClientURL,
		"fingerprint": ev.Fingerprint, "group key": ev.GroupKey,
	} {
		checkString(t, what, s)
	}
	for _, l := range ev.Links {
		if l.Href == "" {
			t.Fatal("link without href")
		}
		checkString(t, "link href", l.Href)
		checkString(t, "link text", l.Text)
	}
	for _, img := range ev.Images {
		if img.Src == "" {
			t.Fatal("image without src")
		}
		checkString(t, "image src", img.Src)
	}
	if ev.Details != nil {
		checkValue(t, "details", ev.Details, 0)
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Fatalf("event does not marshal: %v", err)
	}
}

// checkError asserts what every failure promises: ErrTooLarge, or a
// ValidationError of well-formed, bounded problems.
func checkError(t *testing.T, body []byte, err error) {
	t.Helper()
	if errors.Is(err, ErrTooLarge) {
		if len(body) <= MaxBodyBytes {
			t.Fatalf("ErrTooLarge for %d bytes", len(body))
		}
		return
	}
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v (%T) is neither ErrTooLarge nor a ValidationError", err, err)
	}
	if len(verr.Errors) == 0 || len(verr.Errors) > maxProblems+1 {
		t.Fatalf("%d problems listed", len(verr.Errors))
	}
	for _, e := range verr.Errors {
		checkString(t, "problem", e)
		if !strings.Contains(e, ": ") {
			t.Fatalf("problem %q is not \"field: problem\"", e)
		}
	}
}

func addSeeds(f *testing.F, files []string, bodies ...string) {
	for _, name := range files {
		f.Add(readTestdata(f, name))
	}
	for _, b := range bodies {
		f.Add([]byte(b))
	}
	for _, hostile := range []string{
		"", "null", "[]", "{}", `"x"`, "{", `{"a":1} {}`, "\xff", `{"a":"\u0000"}`, `{"a":"\ud800"}`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100), `{"a":` + nested(40) + `}`,
	} {
		f.Add([]byte(hostile))
	}
}

func FuzzParsePagerDuty(f *testing.F) {
	addSeeds(f, []string{"pagerduty_trigger.json"},
		`{"routing_key":"`+routingKey+`","event_action":"acknowledge","dedup_key":"k"}`,
		`{"routing_key":"`+routingKey+`","event_action":"resolve","dedup_key":"k"}`,
		trigger(okPayload, `"links":[{"href":"h"}],"images":[{"src":"s"}]`),
		trigger(`{"summary":"s","source":"h","severity":"info","timestamp":"2026-05-01T10:00:00+0000","custom_details":{"a":[1,{"b":null}]}}`, ""),
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		key, ev, err := ParsePagerDuty(body, fixedKey)
		if err != nil {
			checkError(t, body, err)
			return
		}
		if utf8.RuneCountInString(key) != RoutingKeyLen {
			t.Fatalf("routing key %q", key)
		}
		checkEvent(t, ev)
	})
}

func FuzzParseChange(f *testing.F) {
	addSeeds(f, []string{"pagerduty_change.json"},
		`{"routing_key":"`+routingKey+`","payload":{"summary":"deploy"}}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		key, ev, err := ParseChange(body)
		if err != nil {
			checkError(t, body, err)
			return
		}
		if utf8.RuneCountInString(key) != RoutingKeyLen {
			t.Fatalf("routing key %q", key)
		}
		if ev.Summary == "" || utf8.RuneCountInString(ev.Summary) > MaxSummaryLen {
			t.Fatalf("summary %q", ev.Summary)
		}
		checkString(t, "summary", ev.Summary)
		checkString(t, "source", ev.Source)
		if ev.Details != nil {
			checkValue(t, "details", ev.Details, 0)
		}
	})
}

// fuzzEvents fuzzes a parser of many events: each parsed event keeps
// checkEvent's promises, and a refusal checkError's.
func fuzzEvents(f *testing.F, parse func(body []byte) ([]Event, error)) {
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := parse(body)
		if err != nil {
			checkError(t, body, err)
			return
		}
		for _, ev := range events {
			checkEvent(t, ev)
		}
	})
}

func FuzzParseAlertmanager(f *testing.F) {
	addSeeds(f, []string{"alertmanager_v4.json", "grafana.json"},
		amBody(`[{"status":"firing","labels":{"alertname":"A","severity":"page"}}]`, ""),
		amBody(`[{"status":"resolved","labels":{},"endsAt":"2026-05-01T10:00:00Z","fingerprint":"f"}]`, `"groupLabels":{"a":"b"}`),
	)
	fuzzEvents(f, func(body []byte) ([]Event, error) { return ParseAlertmanager(body, "warning") })
}

func FuzzParseGrafana(f *testing.F) {
	addSeeds(f, []string{"grafana.json", "alertmanager_v4.json"},
		`{"version":"1","state":"ok","title":"t","alerts":[{"status":"firing","labels":{},"values":{"A":1}}]}`,
	)
	fuzzEvents(f, func(body []byte) ([]Event, error) { return ParseGrafana(body, "") })
}

func FuzzParseGeneric(f *testing.F) {
	addSeeds(f, nil,
		`{"summary":"s","severity":"crit","status":"ok","dedup_key":"k","links":[{"href":"h"}],"timestamp":"2026-05-01T10:00:00Z"}`,
		`{"status":"resolve"}`,
		uptimePayload,
		`{"alert":{"title":5,"id":null,"fired_at":"2026-05-01T10:00:00Z","url":["a",{"href":"b"}]},"state":true}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mapping := range []map[string]string{nil, uptimeMapping} {
			ev, err := ParseGeneric(body, mapping, "")
			if err != nil {
				checkError(t, body, err)
				continue
			}
			checkEvent(t, ev)
		}
	})
}
