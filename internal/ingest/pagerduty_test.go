package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func fixedKey() string { return "generated-1" }

func TestParsePagerDutyValid(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Event
	}{
		{
			name: "full trigger",
			body: string(readTestdata(t, "pagerduty_trigger.json")),
			want: Event{
				Action:    ActionTrigger,
				DedupKey:  "srv01/mysql-replication",
				Summary:   "DISK at 99% on machine prod-datapipe03.example.com",
				Source:    "prod-datapipe03.example.com",
				Severity:  SeverityCritical,
				Timestamp: utc(2015, 7, 17, 8, 42, 58, 315000000),
				Component: "mysql",
				Group:     "prod-datapipe",
				Class:     "disk",
				Details: map[string]any{
					"free space": "1%",
					"ping time":  "1500ms",
					"load avg":   json.Number("0.75"),
					"mounts": []any{
						map[string]any{"path": "/", "used": json.Number("99")},
						nil,
						true,
					},
				},
				Links: []Link{
					{Href: "https://example.com/", Text: "Link text"},
					{Href: "https://runbooks.example.com/disk"},
				},
				Images:    []Image{{Src: "https://chart.example.com/disk.png", Href: "https://example.com/", Alt: "Disk usage"}},
				Client:    "Sample Monitoring Service",
				ClientURL: "https://monitoring.example.com",
			},
		},
		{
			name: "minimal trigger gets a generated dedup key",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger",
				"payload":{"summary":"s","source":"h","severity":"info"}}`,
			want: Event{Action: ActionTrigger, DedupKey: "generated-1", Summary: "s", Source: "h", Severity: SeverityInfo},
		},
		{
			name: "empty dedup key on a trigger counts as none",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"",
				"payload":{"summary":"s","source":"h","severity":"warning"}}`,
			want: Event{Action: ActionTrigger, DedupKey: "generated-1", Summary: "s", Source: "h", Severity: SeverityWarning},
		},
		{
			name: "Alertmanager pagerduty_config trigger",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger",
				"dedup_key":"0c5ddc36b8e3b3b3e4c5f8a1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1",
				"payload":{"summary":"[FIRING:1] HighErrorRate payments-api","source":"Alertmanager",
				"severity":"error","custom_details":{"firing":"Labels:\n - alertname = HighErrorRate\n","num_firing":"1","num_resolved":"0","resolved":""}},
				"client":"Alertmanager","client_url":"http://alertmanager.example.com:9093/#/alerts?receiver=vigil",
				"images":[],"links":[]}`,
			want: Event{
				Action:   ActionTrigger,
				DedupKey: "0c5ddc36b8e3b3b3e4c5f8a1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1",
				Summary:  "[FIRING:1] HighErrorRate payments-api",
				Source:   "Alertmanager",
				Severity: SeverityError,
				Details: map[string]any{
					"firing": "Labels:\n - alertname = HighErrorRate\n", "num_firing": "1", "num_resolved": "0", "resolved": "",
				},
				Client:    "Alertmanager",
				ClientURL: "http://alertmanager.example.com:9093/#/alerts?receiver=vigil",
			},
		},
		{
			name: "summary of exactly 1024 two-byte characters",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"k",
				"payload":{"summary":"` + strings.Repeat("é", 1024) + `","source":"h","severity":"critical"}}`,
			want: Event{Action: ActionTrigger, DedupKey: "k", Summary: strings.Repeat("é", 1024), Source: "h", Severity: SeverityCritical},
		},
		{
			name: "dedup key of exactly 255 characters",
			body: `{"routing_key":"` + routingKey + `","event_action":"acknowledge","dedup_key":"` + strings.Repeat("k", 255) + `"}`,
			want: Event{Action: ActionAcknowledge, DedupKey: strings.Repeat("k", 255)},
		},
		{
			name: "acknowledge",
			body: `{"routing_key":"` + routingKey + `","event_action":"acknowledge","dedup_key":"srv01/mysql-replication"}`,
			want: Event{Action: ActionAcknowledge, DedupKey: "srv01/mysql-replication"},
		},
		{
			name: "resolve ignores its payload, as PagerDuty does",
			body: `{"routing_key":"` + routingKey + `","event_action":"resolve","dedup_key":"srv01/mysql-replication",
				"payload":{"summary":42,"severity":"bogus"},"links":"not read"}`,
			want: Event{Action: ActionResolve, DedupKey: "srv01/mysql-replication"},
		},
		{
			name: "custom_details nested exactly 32 levels",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"k",
				"payload":{"summary":"s","source":"h","severity":"info","custom_details":` + nested(32) + `}}`,
			want: func() Event {
				var d map[string]any
				if err := json.Unmarshal([]byte(nested(32)), &d); err != nil {
					t.Fatal(err)
				}
				return Event{Action: ActionTrigger, DedupKey: "k", Summary: "s", Source: "h", Severity: SeverityInfo, Details: d}
			}(),
		},
		{
			name: "duplicate keys: the last wins",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"a","dedup_key":"b",
				"payload":{"summary":"s","source":"h","severity":"info"}}`,
			want: Event{Action: ActionTrigger, DedupKey: "b", Summary: "s", Source: "h", Severity: SeverityInfo},
		},
		{
			name: "an escaped backslash before u0000 is no NUL",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"k",
				"payload":{"summary":"C:\\u0000","source":"h","severity":"info"}}`,
			want: Event{Action: ActionTrigger, DedupKey: "k", Summary: `C:\u0000`, Source: "h", Severity: SeverityInfo},
		},
		{
			name: "nulls read as absent",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":null,"client":null,"links":null,
				"payload":{"summary":"s","source":"h","severity":"info","timestamp":null,"custom_details":null}}`,
			want: Event{Action: ActionTrigger, DedupKey: "generated-1", Summary: "s", Source: "h", Severity: SeverityInfo},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ev, err := ParsePagerDuty([]byte(tt.body), fixedKey)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if key != routingKey {
				t.Errorf("routing key = %q, want %q", key, routingKey)
			}
			wantEvent(t, ev, tt.want)
		})
	}
}

func TestParsePagerDutyTimestamps(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-05-01T10:00:00Z", utc(2026, 5, 1, 10, 0, 0, 0)},
		{"2026-05-01T10:00:00+00:00", utc(2026, 5, 1, 10, 0, 0, 0)},
		{"2026-05-01T10:00:00+0000", utc(2026, 5, 1, 10, 0, 0, 0)},
		{"2026-05-01T10:00:00+00", utc(2026, 5, 1, 10, 0, 0, 0)},
		{"2026-05-01T10:00:00.5Z", utc(2026, 5, 1, 10, 0, 0, 500000000)},
		{"2015-07-17T08:42:58.315+0000", utc(2015, 7, 17, 8, 42, 58, 315000000)},
		{"2026-05-01T10:00:00.123456+0530", utc(2026, 5, 1, 4, 30, 0, 123456000)},
		{"2026-05-01T01:00:00-07:00", utc(2026, 5, 1, 8, 0, 0, 0)},
		{"2026-05-01T10:00:00", utc(2026, 5, 1, 10, 0, 0, 0)},
		{"2026-05-01 10:00:00Z", utc(2026, 5, 1, 10, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			body := `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"k",
				"payload":{"summary":"s","source":"h","severity":"info","timestamp":"` + tt.in + `"}}`
			_, ev, err := ParsePagerDuty([]byte(body), fixedKey)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !ev.Timestamp.Equal(tt.want) || ev.Timestamp.Location() != time.UTC {
				t.Errorf("timestamp = %v, want %v", ev.Timestamp, tt.want)
			}
		})
	}
	for _, bad := range []string{"yesterday", "2026-05-01", "1714557600", "2026-13-01T00:00:00Z", "2026-05-01T10:00Z", "2026-05-01T10:00:00+5"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			body := `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"k",
				"payload":{"summary":"s","source":"h","severity":"info","timestamp":"` + bad + `"}}`
			_, _, err := ParsePagerDuty([]byte(body), fixedKey)
			wantFields(t, err, "payload.timestamp")
		})
	}
}

// trigger builds a PagerDuty trigger around a payload and extra top-level
// fields.
func trigger(payload, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"k","payload":` + payload + extra + `}`
}

const okPayload = `{"summary":"s","source":"h","severity":"info"}`

func TestParsePagerDutyInvalid(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"empty body", "", []string{"body"}},
		{"white space", " \n\t", []string{"body"}},
		{"not JSON", "routing_key=abc", []string{"body"}},
		{"truncated JSON", `{"routing_key":"` + routingKey, []string{"body"}},
		{"JSON array", `[{"routing_key":"` + routingKey + `"}]`, []string{"body"}},
		{"JSON string", `"trigger"`, []string{"body"}},
		{"JSON null", `null`, []string{"body"}},
		{"trailing data", trigger(okPayload, "") + ` {}`, []string{"body"}},
		{"empty object", `{}`, []string{"routing_key", "event_action"}},
		{"routing key too short", `{"routing_key":"abc","event_action":"acknowledge","dedup_key":"k"}`, []string{"routing_key"}},
		{"routing key a number", `{"routing_key":12345678901234567890123456789012,"event_action":"acknowledge","dedup_key":"k"}`, []string{"routing_key"}},
		{"routing key empty", `{"routing_key":"","event_action":"acknowledge","dedup_key":"k"}`, []string{"routing_key"}},
		{"unknown event_action", `{"routing_key":"` + routingKey + `","event_action":"create","dedup_key":"k"}`, []string{"event_action"}},
		{"event_action in capitals", `{"routing_key":"` + routingKey + `","event_action":"TRIGGER","dedup_key":"k"}`, []string{"event_action"}},
		{"event_action an array", `{"routing_key":"` + routingKey + `","event_action":["trigger"]}`, []string{"event_action"}},
		{"trigger without payload", `{"routing_key":"` + routingKey + `","event_action":"trigger"}`, []string{"payload"}},
		{"payload an array", trigger(`[]`, ""), []string{"payload"}},
		{"payload a string", trigger(`"disk full"`, ""), []string{"payload"}},
		{"empty payload", trigger(`{}`, ""), []string{"payload.summary", "payload.source", "payload.severity"}},
		{"summary a number", trigger(`{"summary":42,"source":"h","severity":"info"}`, ""), []string{"payload.summary"}},
		{"summary empty", trigger(`{"summary":"","source":"h","severity":"info"}`, ""), []string{"payload.summary"}},
		{"summary over 1024 characters", trigger(`{"summary":"`+strings.Repeat("x", 1025)+`","source":"h","severity":"info"}`, ""), []string{"payload.summary"}},
		{"source an object", trigger(`{"summary":"s","source":{},"severity":"info"}`, ""), []string{"payload.source"}},
		{"unknown severity", trigger(`{"summary":"s","source":"h","severity":"high"}`, ""), []string{"payload.severity"}},
		{"severity in capitals", trigger(`{"summary":"s","source":"h","severity":"Critical"}`, ""), []string{"payload.severity"}},
		{"timestamp a number", trigger(`{"summary":"s","source":"h","severity":"info","timestamp":1714557600}`, ""), []string{"payload.timestamp"}},
		{"component, group, class not strings", trigger(`{"summary":"s","source":"h","severity":"info","component":1,"group":[],"class":true}`, ""),
			[]string{"payload.component", "payload.group", "payload.class"}},
		{"custom_details a string", trigger(`{"summary":"s","source":"h","severity":"info","custom_details":"x"}`, ""), []string{"payload.custom_details"}},
		{"custom_details an array", trigger(`{"summary":"s","source":"h","severity":"info","custom_details":[1]}`, ""), []string{"payload.custom_details"}},
		{"custom_details 33 levels deep", trigger(`{"summary":"s","source":"h","severity":"info","custom_details":`+nested(33)+`}`, ""), []string{"payload.custom_details"}},
		{"dedup_key over 255 characters", `{"routing_key":"` + routingKey + `","event_action":"resolve","dedup_key":"` + strings.Repeat("k", 256) + `"}`, []string{"dedup_key"}},
		{"dedup_key a number on resolve", `{"routing_key":"` + routingKey + `","event_action":"resolve","dedup_key":7}`, []string{"dedup_key"}},
		{"acknowledge without dedup_key", `{"routing_key":"` + routingKey + `","event_action":"acknowledge"}`, []string{"dedup_key"}},
		{"resolve with an empty dedup_key", `{"routing_key":"` + routingKey + `","event_action":"resolve","dedup_key":""}`, []string{"dedup_key"}},
		{"client and client_url not strings", trigger(okPayload, `"client":1,"client_url":{}`), []string{"client", "client_url"}},
		{"links an object", trigger(okPayload, `"links":{"href":"x"}`), []string{"links"}},
		{"link a string", trigger(okPayload, `"links":["https://example.com"]`), []string{"links[0]"}},
		{"link without href, text a number", trigger(okPayload, `"links":[{"href":"h"},{"text":"t"},{"href":"h","text":3}]`), []string{"links[1].href", "links[2].text"}},
		{"images an object", trigger(okPayload, `"images":{}`), []string{"images"}},
		{"image without src", trigger(okPayload, `"images":[{"href":"h","alt":1}]`), []string{"images[0].src", "images[0].alt"}},
		{"every problem at once", `{"routing_key":1,"event_action":"trigger","dedup_key":` + `"` + strings.Repeat("k", 300) + `",` +
			`"payload":{"summary":"` + strings.Repeat("x", 2000) + `","severity":"sev1","timestamp":"now"},"links":[{}]}`,
			[]string{"routing_key", "dedup_key", "payload.summary", "payload.source", "payload.severity", "payload.timestamp", "links[0].href"}},
		{"unknown field nested 65 levels", trigger(okPayload, `"extra":`+strings.Repeat("[", 65)+strings.Repeat("]", 65)), []string{"body"}},
		{"invalid UTF-8 in summary", trigger(`{"summary":"disk `+"\xff\xfe"+` full","source":"h","severity":"info"}`, ""), []string{"payload.summary"}},
		{"NUL character in source", trigger(`{"summary":"s","source":"h\u0000","severity":"info"}`, ""), []string{"payload.source"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ev, err := ParsePagerDuty([]byte(tt.body), fixedKey)
			if err == nil {
				t.Fatalf("no error; parsed %q %+v", key, ev)
			}
			wantFields(t, err, tt.fields...)
			if key != "" || ev.Action != "" {
				t.Errorf("returned %q %+v along with the error", key, ev)
			}
		})
	}
}

// TestParsePagerDutyMessages checks the wording of problems where the path
// itself is worked out from hostile input.
func TestParsePagerDutyMessages(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{
			name: "invalid UTF-8 deep in custom_details",
			body: trigger(`{"summary":"s","source":"h","severity":"info","custom_details":{"disks":[{"label":"ok"},{"label":"`+"\xc3\x28"+`"}]}}`, ""),
			want: []string{"payload.custom_details.disks[1].label: not valid UTF-8"},
		},
		{
			name: "invalid UTF-8 in a key",
			body: trigger(`{"summary":"s","source":"h","severity":"info","custom_details":{"`+"\xe2\x82"+`":1}}`, ""),
			want: []string{"payload.custom_details: a key is not valid UTF-8"},
		},
		{
			name: "NUL in a value under an odd key",
			body: trigger(`{"summary":"s","source":"h","severity":"info","custom_details":{"free space":"\u0000"}}`, ""),
			want: []string{`payload.custom_details["free space"]: contains a NUL character`},
		},
		{
			name: "NUL in a key",
			body: trigger(`{"summary":"s","source":"h","severity":"info","custom_details":{"a\u0000b":1}}`, ""),
			want: []string{`payload.custom_details: a key contains a NUL character`},
		},
		{
			name: "invalid UTF-8 in several places",
			body: `{"routing_key":"` + routingKey + "\xff" + `","event_action":"trigger","payload":{"summary":"` + "\xff" + `"},"links":[{"href":"` + "\xff" + `"}]}`,
			want: []string{"routing_key: not valid UTF-8", "payload.summary: not valid UTF-8", "links[0].href: not valid UTF-8"},
		},
		{
			name: "invalid UTF-8 outside any string",
			body: "{\"routing_key\":\xff}",
			want: []string{"body: not valid UTF-8"},
		},
		{
			name: "wrong types",
			body: `{"routing_key":"` + routingKey + `","event_action":"trigger","dedup_key":"k","payload":[]}`,
			want: []string{"payload: must be an object"},
		},
		{
			name: "summary too long",
			body: trigger(`{"summary":"`+strings.Repeat("x", 1025)+`","source":"h","severity":"info"}`, ""),
			want: []string{"payload.summary: longer than 1024 characters"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParsePagerDuty([]byte(tt.body), fixedKey)
			checkProblems(t, err, tt.want)
		})
	}
}

func TestParsePagerDutyProblemsAreCapped(t *testing.T) {
	links := strings.TrimSuffix(strings.Repeat(`{},`, 30), ",")
	_, _, err := ParsePagerDuty([]byte(trigger(okPayload, `"links":[`+links+`]`)), fixedKey)
	fields := errorFields(t, err)
	if len(fields) != maxProblems+1 {
		t.Fatalf("%d problems listed, want %d", len(fields), maxProblems+1)
	}
	if fields[0] != "links[0].href" || fields[maxProblems-1] != "links[19].href" || fields[maxProblems] != "body" {
		t.Errorf("fields = %q", fields)
	}
}

func TestParsePagerDutySize(t *testing.T) {
	valid := trigger(okPayload, "")
	padded := valid + strings.Repeat(" ", MaxBodyBytes-len(valid))
	if _, _, err := ParsePagerDuty([]byte(padded), fixedKey); err != nil {
		t.Errorf("body of exactly %d bytes: %v", MaxBodyBytes, err)
	}
	if _, _, err := ParsePagerDuty([]byte(padded+" "), fixedKey); !errors.Is(err, ErrTooLarge) {
		t.Errorf("body of %d bytes: error = %v, want ErrTooLarge", MaxBodyBytes+1, err)
	}
	big := trigger(`{"summary":"s","source":"h","severity":"info","custom_details":{"blob":"`+strings.Repeat("x", 600<<10)+`"}}`, "")
	_, _, err := ParsePagerDuty([]byte(big), fixedKey)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("600 KB body: error = %v, want ErrTooLarge", err)
	}
	var verr *ValidationError
	if errors.As(err, &verr) {
		t.Errorf("600 KB body: ErrTooLarge must not be a ValidationError")
	}
}

func TestParsePagerDutyRandomKeys(t *testing.T) {
	body := []byte(`{"routing_key":"` + routingKey + `","event_action":"trigger","payload":` + okPayload + `}`)
	_, a, err := ParsePagerDuty(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := ParsePagerDuty(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.DedupKey == "" || a.DedupKey == b.DedupKey || len(a.DedupKey) > MaxDedupKeyLen {
		t.Errorf("generated keys %q and %q: want distinct, non-empty keys", a.DedupKey, b.DedupKey)
	}
}

func TestParseChange(t *testing.T) {
	key, ev, err := ParseChange(readTestdata(t, "pagerduty_change.json"))
	if err != nil {
		t.Fatal(err)
	}
	if key != routingKey {
		t.Errorf("routing key = %q", key)
	}
	want := ChangeEvent{
		Summary:   "Build 4711 of payments-api deployed to production",
		Source:    "ci.example.com",
		Timestamp: utc(2026, 5, 1, 9, 58, 0, 0),
		Details:   map[string]any{"build_state": "passed", "build_number": json.Number("4711"), "commit": "9f3c2e1"},
		Links:     []Link{{Href: "https://ci.example.com/payments-api/builds/4711", Text: "Build 4711"}},
	}
	if ev.Summary != want.Summary || ev.Source != want.Source || !ev.Timestamp.Equal(want.Timestamp) ||
		show(ev.Details) != show(want.Details) || show(ev.Links) != show(want.Links) {
		t.Errorf("got  %s\nwant %s", show(ev), show(want))
	}

	minimal := `{"routing_key":"` + routingKey + `","payload":{"summary":"flag checkout_v2 on"},"event_action":"ignored"}`
	_, ev, err = ParseChange([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Summary != "flag checkout_v2 on" || ev.Source != "" || !ev.Timestamp.IsZero() || ev.Details != nil || ev.Links != nil {
		t.Errorf("minimal change = %s", show(ev))
	}
}

func TestParseChangeInvalid(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"not JSON", `<xml/>`, []string{"body"}},
		{"array", `[]`, []string{"body"}},
		{"empty object", `{}`, []string{"routing_key", "payload"}},
		{"payload an array", `{"routing_key":"` + routingKey + `","payload":[]}`, []string{"payload"}},
		{"no summary", `{"routing_key":"` + routingKey + `","payload":{"source":"ci"}}`, []string{"payload.summary"}},
		{"summary too long", `{"routing_key":"` + routingKey + `","payload":{"summary":"` + strings.Repeat("x", 1025) + `"}}`, []string{"payload.summary"}},
		{"wrong types", `{"routing_key":"short","payload":{"summary":"s","source":1,"timestamp":"soon","custom_details":"x"},"links":[{"href":2}]}`,
			[]string{"routing_key", "payload.source", "payload.timestamp", "payload.custom_details", "links[0].href"}},
		{"deep details", `{"routing_key":"` + routingKey + `","payload":{"summary":"s","custom_details":` + nested(33) + `}}`, []string{"payload.custom_details"}},
		{"invalid UTF-8", `{"routing_key":"` + routingKey + `","payload":{"summary":"` + "\x80" + `"}}`, []string{"payload.summary"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseChange([]byte(tt.body))
			wantFields(t, err, tt.fields...)
		})
	}
	big := `{"routing_key":"` + routingKey + `","payload":{"summary":"` + strings.Repeat("x", 600<<10) + `"}}`
	if _, _, err := ParseChange([]byte(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("600 KB body: error = %v, want ErrTooLarge", err)
	}
}
