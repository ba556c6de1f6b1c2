package sqlbackend

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

var inParis = time.FixedZone("CET", 3600)

func TestEncodeAlert(t *testing.T) {
	acked := time.Date(2025, 3, 14, 10, 0, 0, 123456789, inParis)
	ok := alert.Alert{ID: 7, Service: "checkout", IntegrationKey: "k", DedupKey: "d", Status: alert.StatusTriggered,
		CreatedAt: acked, UpdatedAt: acked, LastEventAt: acked, AcknowledgedAt: &acked}
	with := func(edit func(*alert.Alert)) alert.Alert { return edited(ok, edit) }
	cases := []struct {
		name    string
		in      alert.Alert
		wantErr bool
	}{
		{"valid", ok, false},
		{"empty dedup key", with(func(a *alert.Alert) { a.DedupKey = "" }), false},
		{"NUL in the summary is kept, escaped", with(func(a *alert.Alert) { a.Summary = "a\x00b" }), false},
		{"empty status", with(func(a *alert.Alert) { a.Status = "" }), true},
		{"NUL in the dedup key", with(func(a *alert.Alert) { a.DedupKey = "d\x00" }), true},
		{"invalid UTF-8 in the service", with(func(a *alert.Alert) { a.Service = "\xff" }), true},
		{"invalid UTF-8 in the integration key", with(func(a *alert.Alert) { a.IntegrationKey = "\xc3(" }), true},
		{"details not JSON", with(func(a *alert.Alert) { a.Details = json.RawMessage(`{"a":`) }), true},
		{"details not UTF-8", with(func(a *alert.Alert) { a.Details = json.RawMessage("\"\xff\"") }), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stored, body, err := EncodeAlert(c.in)
			if c.wantErr {
				if err == nil {
					t.Fatalf("EncodeAlert accepted %+v", c.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("EncodeAlert: %v", err)
			}
			// Worked out by hand: 10:00 in UTC+1, cut to the microsecond.
			want := time.Date(2025, 3, 14, 9, 0, 0, 123456000, time.UTC)
			for _, got := range []time.Time{stored.CreatedAt, stored.UpdatedAt, stored.LastEventAt, *stored.AcknowledgedAt} {
				if got != want {
					t.Errorf("stored time = %v, want %v", got, want)
				}
			}
			if c.in.AcknowledgedAt == stored.AcknowledgedAt || *c.in.AcknowledgedAt != acked {
				t.Error("EncodeAlert changed the caller's time instead of copying it")
			}
			var decoded alert.Alert
			if err := DecodeBody("alert", 7, body, &decoded); err != nil {
				t.Fatalf("DecodeBody: %v", err)
			}
			if decoded.Summary != c.in.Summary || decoded.DedupKey != c.in.DedupKey || decoded.CreatedAt != want {
				t.Errorf("decoded %+v, want the stored alert", decoded)
			}
		})
	}
}

func TestIncidentServices(t *testing.T) {
	cases := []struct {
		service  string
		services []string
		want     string
	}{
		{"a", []string{"a"}, "a"},
		{"a", nil, "a"},
		{"c", []string{"b", "a", "b"}, "a b c"},
		{"", []string{"b", "", "a"}, "a b"},
		{"", nil, ""},
	}
	for _, c := range cases {
		got := IncidentServices(incident.Incident{Service: c.service, Services: c.services})
		if strings.Join(got, " ") != c.want {
			t.Errorf("IncidentServices(%q, %q) = %q, want %q", c.service, c.services, got, c.want)
		}
	}
}

func TestEncodeHeartbeat(t *testing.T) {
	cases := []struct {
		name         string
		in           store.Heartbeat
		wantInterval time.Duration
		wantOverdue  time.Time
		wantErr      bool
	}{
		{
			name:         "whole minutes",
			in:           store.Heartbeat{Key: "h", Interval: 5 * time.Minute, LastBeatAt: time.Date(2025, 3, 14, 10, 0, 0, 0, inParis)},
			wantInterval: 5 * time.Minute, wantOverdue: time.Date(2025, 3, 14, 9, 5, 0, 0, time.UTC),
		},
		{
			name:         "interval kept to the millisecond",
			in:           store.Heartbeat{Key: "h", Interval: 1500 * time.Microsecond, LastBeatAt: time.Date(2025, 3, 14, 9, 0, 0, 999, time.UTC)},
			wantInterval: time.Millisecond, wantOverdue: time.Date(2025, 3, 14, 9, 0, 0, 1000000, time.UTC),
		},
		{name: "empty key", in: store.Heartbeat{Interval: time.Minute}, wantErr: true},
		{name: "negative interval", in: store.Heartbeat{Key: "h", Interval: -time.Second}, wantErr: true},
		{name: "NUL in the service", in: store.Heartbeat{Key: "h", Service: "\x00"}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stored, overdue, err := EncodeHeartbeat(c.in)
			if c.wantErr {
				if err == nil {
					t.Fatalf("EncodeHeartbeat accepted %+v", c.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("EncodeHeartbeat: %v", err)
			}
			if stored.Interval != c.wantInterval || overdue != c.wantOverdue {
				t.Errorf("interval %v, overdue at %v; want %v, %v", stored.Interval, overdue, c.wantInterval, c.wantOverdue)
			}
		})
	}
}

func TestSortByDue(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2025, 3, 14, 9, m, 0, 0, time.UTC) }
	ns := []notify.Notification{{ID: 4, DueAt: at(1)}, {ID: 2, DueAt: at(5)}, {ID: 3, DueAt: at(1)}, {ID: 1, DueAt: at(0)}}
	SortByDue(ns)
	var got []int64
	for _, n := range ns {
		got = append(got, n.ID)
	}
	if want := []int64{1, 3, 4, 2}; len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("order = %v, want %v", got, want)
	}
}

// FuzzEncodeAlert: any alert either is refused for text the databases
// cannot hold alike, or reads back from its body unchanged.
func FuzzEncodeAlert(f *testing.F) {
	f.Add("checkout", "am", "HighErrorRate", "Error rate 7% <on> \"checkout\"", `{"pods":[1,2]}`)
	f.Add("", "", "", "", "")
	f.Add("a\x00", "\xff", "d", "\x00\u2028", `null`)
	f.Add("s", "k", "d", strings.Repeat("é", 1000), `{"a":"\u0000","b":[[[[[]]]]]}`)
	f.Fuzz(func(t *testing.T, service, key, dedupKey, summary, details string) {
		in := alert.Alert{Service: service, IntegrationKey: key, DedupKey: dedupKey, Summary: summary,
			Status: alert.StatusTriggered, Details: json.RawMessage(details)}
		if details == "" {
			in.Details = nil
		}
		_, body, err := EncodeAlert(in)
		columnsOK := CheckText("service", service) == nil && CheckText("integration_key", key) == nil && CheckText("dedup_key", dedupKey) == nil
		detailsOK := in.Details == nil || (json.Valid(in.Details) && utf8.Valid(in.Details))
		if err != nil {
			if columnsOK && detailsOK {
				t.Fatalf("EncodeAlert refused a storable alert: %v", err)
			}
			return
		}
		if !columnsOK || !detailsOK {
			t.Fatalf("EncodeAlert accepted %q %q %q with details %q", service, key, dedupKey, details)
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("body %q is not valid UTF-8 JSON", body)
		}
		var out alert.Alert
		if err := DecodeBody("alert", 0, body, &out); err != nil {
			t.Fatalf("DecodeBody: %v", err)
		}
		if out.Service != service || out.IntegrationKey != key || out.DedupKey != dedupKey {
			t.Fatalf("columns read back as %q %q %q", out.Service, out.IntegrationKey, out.DedupKey)
		}
		if utf8.ValidString(summary) && out.Summary != summary {
			t.Fatalf("summary read back as %q, want %q", out.Summary, summary)
		}
	})
}
