package incident

import (
	"slices"
	"testing"
	"time"
)

func TestSeverityWorse(t *testing.T) {
	tests := []struct {
		a, b Severity
		want bool
	}{
		{SEV1, SEV2, true},
		{SEV2, SEV1, false},
		{SEV3, SEV4, true},
		{SEV2, SEV2, false},
		{"SEV9", SEV1, false}, // not a severity
		{SEV1, "SEV0", false},
		{"sev1", SEV2, false}, // severities are spelt in capitals
		{"", SEV4, false},
	}
	for _, tt := range tests {
		if got := tt.a.Worse(tt.b); got != tt.want {
			t.Errorf("%q.Worse(%q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestRoleValid(t *testing.T) {
	for r, want := range map[Role]bool{"commander": true, "comms": true, "scribe": true, "": false, "Commander": false, "admin": false} {
		if got := r.Valid(); got != want {
			t.Errorf("%q.Valid() = %v, want %v", r, got, want)
		}
	}
}

func TestRaiseSeverity(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		from    Severity
		raise   Severity
		want    Severity
		message string // "" for no entry
	}{
		{"worse alert", SEV3, SEV2, SEV2, "severity changed from SEV3 to SEV2: a critical alert joined"},
		{"as bad", SEV2, SEV2, SEV2, ""},
		{"milder alert", SEV1, SEV4, SEV1, ""},
		{"from nothing valid", "", SEV3, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := Incident{ID: 7, Severity: tt.from}
			e := RaiseSeverity(&inc, tt.raise, "a critical alert joined", now)
			if inc.Severity != tt.want {
				t.Errorf("severity = %s, want %s", inc.Severity, tt.want)
			}
			switch {
			case tt.message == "" && e != nil:
				t.Errorf("entry %+v, want none", e)
			case tt.message != "" && (e == nil || e.Message != tt.message || e.Kind != EntrySeverity || e.IncidentID != 7 || !e.At.Equal(now) || e.Actor != "system"):
				t.Errorf("entry %+v, want %q by system at %s", e, tt.message, now)
			case tt.message != "" && !inc.UpdatedAt.Equal(now):
				t.Errorf("updated at %s, want %s", inc.UpdatedAt, now)
			}
		})
	}
}

func TestSetSeverityByHand(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	inc := Incident{ID: 3, Severity: SEV2}
	e := SetSeverity(&inc, SEV3, "user:alice", "cli", "", now)
	if e == nil || e.Message != "severity changed from SEV2 to SEV3" || e.Actor != "user:alice" || e.Channel != "cli" || inc.Severity != SEV3 {
		t.Fatalf("lowering by hand: entry %+v, severity %s", e, inc.Severity)
	}
	if e := SetSeverity(&inc, SEV3, "user:alice", "cli", "", now); e != nil {
		t.Fatalf("setting the same severity again wrote %+v", e)
	}
}

// TestSeverityAt reads the severity an incident had at an instant back from
// the timeline SetSeverity writes: declared with none at 10:00, SEV3 at
// 10:05, raised to SEV1 at 10:20 because a worse alert joined ("why"
// speaking of severities too), lowered to SEV2 at 10:40; now it is SEV2.
func TestSeverityAt(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	inc := Incident{ID: 4}
	var timeline []TimelineEntry
	for _, step := range []struct {
		after time.Duration
		to    Severity
		why   string
	}{
		{5 * time.Minute, SEV3, ""},
		{20 * time.Minute, SEV1, "a SEV1 alert joined: severity changed from SEV4 to SEV1 upstream"},
		{40 * time.Minute, SEV2, ""},
	} {
		timeline = append(timeline, *SetSeverity(&inc, step.to, "user:alice", "api", step.why, t0.Add(step.after)))
	}
	// Other entries, and a note that merely quotes a change, do not count.
	timeline = append(timeline,
		TimelineEntry{Kind: EntryNote, At: t0.Add(50 * time.Minute), Message: "severity changed from SEV2 to SEV4"},
		TimelineEntry{Kind: EntrySeverity, At: t0.Add(55 * time.Minute), Message: "garbled"})
	cases := []struct {
		name string
		at   time.Duration
		want Severity
	}{
		{"before any", 0, ""},
		{"while SEV3", 10 * time.Minute, SEV3},
		{"at the instant it was raised", 20 * time.Minute, SEV1},
		{"while SEV1", 30 * time.Minute, SEV1},
		{"after the last change", time.Hour, SEV2},
	}
	for _, c := range cases {
		if got := SeverityAt(inc.Severity, timeline, t0.Add(c.at)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		// The timeline's order does not matter.
		reversed := slices.Clone(timeline)
		slices.Reverse(reversed)
		if got := SeverityAt(inc.Severity, reversed, t0.Add(c.at)); got != c.want {
			t.Errorf("%s, timeline reversed: %q, want %q", c.name, got, c.want)
		}
	}
	if got := SeverityAt(SEV4, nil, t0); got != SEV4 {
		t.Errorf("no timeline: %q, want the severity of now", got)
	}
}
