package history

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/simulate"
)

// brief spells an alert for comparison: service, time, severity, dedup
// key, and when acknowledged and resolved ("-" when unknown).
func brief(a simulate.Alert) string {
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format("15:04")
	}
	return a.Service + " " + a.Timestamp.UTC().Format("15:04") + " " + a.Severity + " " + a.DedupKey + " " + when(a.AcknowledgedAt) + " " + when(a.ResolvedAt)
}

func briefs(alerts []simulate.Alert) string {
	var out []string
	for _, a := range alerts {
		out = append(out, brief(a))
	}
	return strings.Join(out, "; ")
}

// readerCase is an input, the alerts it reads as (briefs) or the error.
type readerCase struct {
	name, in, want, err string
}

func runReader(t *testing.T, read func(io.Reader) ([]simulate.Alert, error), tests []readerCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if briefs(got) != tt.want {
				t.Errorf("got %q,\nwant %q", briefs(got), tt.want)
			}
		})
	}
}

func TestReadVigil(t *testing.T) {
	long := strings.Repeat("x", 1025)
	tests := []readerCase{
		{"two alerts, blank line", `{"timestamp":"2026-01-13T03:00:00Z","service":"api","severity":"critical","summary":"down","dedup_key":"a","acknowledged_at":"2026-01-13T03:05:00Z","resolved_at":"2026-01-13T03:30:00Z"}

{"timestamp":"2026-01-13T04:00:00+01:00","service":"db","severity":"warn","summary":"slow","dedup_key":"b","extra":1}`,
			"api 03:00 critical a 03:05 03:30; db 03:00 warning b - -", ""},
		{"no severity reads as error", `{"timestamp":"2026-01-13T03:00:00Z","service":"api"}`, "api 03:00 error  - -", ""},
		{"empty", "", "", ""},
		{"not JSON", "hello", "", "line 1: not an alert"},
		{"array", `[1]`, "", "line 1: not an alert"},
		{"no timestamp", `{"service":"api"}`, "", "line 1: timestamp is required"},
		{"no service", `{"timestamp":"2026-01-13T03:00:00Z"}`, "", "service is required"},
		{"bad severity", `{"timestamp":"2026-01-13T03:00:00Z","service":"api","severity":"apocalyptic"}`, "", `severity "apocalyptic"`},
		{"acknowledged before", `{"timestamp":"2026-01-13T03:00:00Z","service":"api","acknowledged_at":"2026-01-13T02:00:00Z"}`, "", "acknowledged_at is before"},
		{"resolved before", `{"timestamp":"2026-01-13T03:00:00Z","service":"api","resolved_at":"2026-01-13T02:00:00Z"}`, "", "resolved_at is before"},
		{"long summary", `{"timestamp":"2026-01-13T03:00:00Z","service":"api","summary":"` + long + `"}`, "", "summary is longer"},
		{"long service", `{"timestamp":"2026-01-13T03:00:00Z","service":"` + long + `"}`, "", "service is longer"},
		{"bad time", `{"timestamp":"yesterday","service":"api"}`, "", "line 1: not an alert"},
		{"second line bad", `{"timestamp":"2026-01-13T03:00:00Z","service":"api"}` + "\n{", "", "line 2:"},
		{"line too long", strings.Repeat(" ", MaxLine+10), "", "longer than"},
	}
	runReader(t, ReadVigil, tests)
}

const amFiring = `{"version":"4","groupKey":"{}:{alertname=\"X\"}","status":"firing","receiver":"payments","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[` +
	`{"status":"firing","labels":{"alertname":"HighLatency","service":"checkout","severity":"page"},"annotations":{"summary":"slow"},"startsAt":"2026-01-13T03:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"aaaaaaaaaaaaaaaa"},` +
	`{"status":"firing","labels":{"alertname":"Batch","job":"nightly","severity":"ticket"},"annotations":{},"startsAt":"2026-01-13T03:01:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"bbbbbbbbbbbbbbbb"},` +
	`{"status":"firing","labels":{"alertname":"Disk"},"annotations":{},"startsAt":"2026-01-13T03:02:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"cccccccccccccccc"}]}`

const amResolved = `{"version":"4","groupKey":"g","status":"resolved","receiver":"payments","alerts":[` +
	`{"status":"resolved","labels":{"alertname":"HighLatency","service":"checkout","severity":"page"},"annotations":{},"startsAt":"2026-01-13T03:00:00Z","endsAt":"2026-01-13T03:40:00Z","fingerprint":"aaaaaaaaaaaaaaaa"}]}`

func TestReadAlertmanager(t *testing.T) {
	tests := []readerCase{
		{"firing, re-sent, resolved", amFiring + "\n" + amFiring + "\n" + amResolved,
			"checkout 03:00 critical aaaaaaaaaaaaaaaa - 03:40; nightly 03:01 warning bbbbbbbbbbbbbbbb - -; payments 03:02 error cccccccccccccccc - -", ""},
		{"resolved before the log began", amResolved, "", ""},
		{"not a payload", `{"hello":1}`, "", "line 1: not an Alertmanager webhook payload"},
		{"alerts not an array", `{"alerts":{}}`, "", "not an Alertmanager webhook payload"},
		{"bad status", `{"alerts":[{"status":"maybe","labels":{}}]}`, "", "not an Alertmanager"},
		{"firing without startsAt", `{"alerts":[{"status":"firing","labels":{"service":"x"},"fingerprint":"f"}]}`, "", "has no startsAt"},
		{"deeply nested", `{"alerts":[` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]}`, "", "not an Alertmanager"},
	}
	runReader(t, ReadAlertmanager, tests)
}

const pdPage1 = `{"incidents":[
 {"id":"P1","incident_key":"k1","title":"Checkout down","status":"resolved","urgency":"high","created_at":"2026-01-13T03:00:00Z","last_status_change_at":"2026-01-13T03:45:00Z",
  "service":{"id":"PSVC1","summary":"Checkout API"},"acknowledgements":[{"at":"2026-01-13T03:12:00Z"},{"at":"2026-01-13T03:10:00Z"}]},
 {"id":"P2","title":"Disk","status":"triggered","urgency":"low","created_at":"2026-01-13T04:00:00Z","last_status_change_at":"2026-01-13T04:00:00Z",
  "service":{"id":"PSVC2","summary":"Zürich Batch"},"acknowledgements":[]}
],"limit":2,"offset":0,"more":true}`

const pdPage2 = `{"incidents":[{"id":"P3","status":"acknowledged","urgency":"high","created_at":"2026-01-13T05:00:00Z","service":{"id":"PSVC3","summary":""},"acknowledgements":[{"at":"2026-01-13T05:01:00Z"}]}],"more":false}`

func TestReadPagerDuty(t *testing.T) {
	want := "checkout-api 03:00 error k1 03:10 03:45; zurich-batch 04:00 warning P2 - -; psvc3 05:00 error P3 05:01 -"
	tests := []readerCase{
		{"two responses one after another", pdPage1 + "\n" + pdPage2, want, ""},
		{"an array of responses", "[" + pdPage1 + "," + pdPage2 + "]", want, ""},
		{"empty list", `{"incidents":[]}`, "", ""},
		{"not JSON", `{"incidents":`, "", "response 1"},
		{"incidents not a list", `{"incidents":{}}`, "", "not an incidents list"},
		{"no created_at", `{"incidents":[{"id":"X","service":{"summary":"a"}}]}`, "", "created_at is required"},
		{"no service", `{"incidents":[{"id":"X","created_at":"2026-01-13T03:00:00Z"}]}`, "", "service is required"},
		{"bad urgency", `{"incidents":[{"id":"X","urgency":"meh","created_at":"2026-01-13T03:00:00Z","service":{"summary":"a"}}]}`, "", `urgency "meh"`},
	}
	runReader(t, ReadPagerDuty, tests)
}

func TestReadDetectsTheFormat(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{`{"timestamp":"2026-01-13T03:00:00Z","service":"api"}`, "api 03:00 error  - -", ""},
		{"\n  " + amResolved, "", ""},
		{pdPage2, "psvc3 05:00 error P3 05:01 -", ""},
		{"[" + pdPage2 + "]", "psvc3 05:00 error P3 05:01 -", ""},
		{"", "", ""},
		{`{"something":"else"}`, "", "neither"},
		{`nonsense`, "", "cannot tell its format"},
	}
	for _, tt := range tests {
		got, err := Read(strings.NewReader(tt.in), FormatAuto)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%.30q: error %v, want one containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || briefs(got) != tt.want {
			t.Errorf("%.30q: got %q (%v), want %q", tt.in, briefs(got), err, tt.want)
		}
	}
	if _, err := Read(strings.NewReader(""), "csv"); err == nil {
		t.Error("an unknown format: want an error")
	}
}

func TestReadPagerDutyBounded(t *testing.T) {
	// A stream that never ends is cut at the limit.
	r := &endless{b: []byte(`{"incidents":[`)}
	_, err := readPagerDuty(r, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("error %v, want larger than", err)
	}
}

// endless is a reader of a JSON array that never closes.
type endless struct {
	b    []byte
	sent bool
}

func (e *endless) Read(p []byte) (int, error) {
	if !e.sent {
		e.sent = true
		return copy(p, e.b), nil
	}
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestReadMap(t *testing.T) {
	tests := []struct {
		name, in, err string
		want          map[string]string
	}{
		{"pairs", "checkout-api: checkout\nLegacy Batch: batch\n", "", map[string]string{"checkout-api": "checkout", "Legacy Batch": "batch"}},
		{"empty", "", "", map[string]string{}},
		{"a list", "- a\n- b\n", "must be \"old: new\" pairs", nil},
		{"nested", "a: {b: c}\n", "each entry", nil},
		{"bad new id", "a: Not An Id\n", "not a service id", nil},
		{"twice", "a: b\na: c\n", "", nil}, // YAML itself may refuse, or we do
		{"not YAML", "a: [\n", "not YAML", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadMap(strings.NewReader(tt.in))
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: got %q, want %q", k, got[k], v)
				}
			}
		})
	}
	if _, err := ReadMap(bytes.NewReader(make([]byte, MaxMapBytes+1))); err == nil {
		t.Error("an oversized mapping: want an error")
	}
}

func TestRename(t *testing.T) {
	alerts := []simulate.Alert{{Service: "old"}, {Service: "keep"}}
	Rename(alerts, map[string]string{"old": "new"})
	if alerts[0].Service != "new" || alerts[1].Service != "keep" {
		t.Errorf("renamed %+v", alerts)
	}
}

func TestTooManyAlerts(t *testing.T) {
	if !errors.Is(ErrTooMany, ErrTooMany) || !strings.Contains(ErrTooMany.Error(), "5000000") {
		t.Errorf("ErrTooMany says %q", ErrTooMany)
	}
}

func FuzzReadVigil(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2026-01-13T03:00:00Z","service":"api","severity":"critical","acknowledged_at":"2026-01-13T03:05:00Z"}`))
	f.Add([]byte("{}\n[]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		alerts, err := ReadVigil(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, a := range alerts {
			if a.Timestamp.IsZero() || a.Service == "" || a.Severity == "" {
				t.Fatalf("accepted an alert the simulator cannot replay: %+v", a)
			}
		}
	})
}

func FuzzReadAlertmanager(f *testing.F) {
	f.Add([]byte(amFiring + "\n" + amResolved))
	f.Add([]byte(`{"alerts":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		alerts, err := ReadAlertmanager(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, a := range alerts {
			if a.Timestamp.IsZero() || (a.ResolvedAt != nil && a.ResolvedAt.Before(a.Timestamp)) {
				t.Fatalf("accepted an alert the simulator cannot replay: %+v", a)
			}
		}
	})
}

func FuzzReadPagerDuty(f *testing.F) {
	f.Add([]byte(pdPage1 + pdPage2))
	f.Add([]byte(`[{"incidents":[]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		alerts, err := ReadPagerDuty(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, a := range alerts {
			if a.Service == "" || (a.AcknowledgedAt != nil && a.AcknowledgedAt.Before(a.Timestamp)) {
				t.Fatalf("accepted an alert the simulator cannot replay: %+v", a)
			}
		}
	})
}

func FuzzReadMap(f *testing.F) {
	f.Add([]byte("a: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMap(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, v := range m {
			if !idPattern.MatchString(v) {
				t.Fatalf("accepted %q as a service id", v)
			}
		}
	})
}
