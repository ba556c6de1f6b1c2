package incident

import (
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
