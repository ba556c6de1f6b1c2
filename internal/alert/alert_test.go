package alert

import (
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/incident"
)

func TestAlertRules(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	now := t0.Add(time.Minute)
	tests := []struct {
		name        string
		from        Status
		event       func(*Alert) bool
		to          Status
		changed     bool
		acked, done bool // AcknowledgedAt, ResolvedAt set to now
	}{
		{"acknowledge a triggered alert", StatusTriggered, func(a *Alert) bool { return a.Acknowledge(now) }, StatusAcknowledged, true, true, false},
		{"acknowledge again", StatusAcknowledged, func(a *Alert) bool { return a.Acknowledge(now) }, StatusAcknowledged, false, false, false},
		{"acknowledge a resolved alert", StatusResolved, func(a *Alert) bool { return a.Acknowledge(now) }, StatusResolved, false, false, false},
		{"resolve a triggered alert", StatusTriggered, func(a *Alert) bool { return a.Resolve(now) }, StatusResolved, true, false, true},
		{"resolve an acknowledged alert", StatusAcknowledged, func(a *Alert) bool { return a.Resolve(now) }, StatusResolved, true, false, true},
		{"resolve again", StatusResolved, func(a *Alert) bool { return a.Resolve(now) }, StatusResolved, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Alert{Status: tt.from, UpdatedAt: t0}
			changed := tt.event(&a)
			if changed != tt.changed || a.Status != tt.to {
				t.Fatalf("changed %v, status %s; want %v, %s", changed, a.Status, tt.changed, tt.to)
			}
			if (a.AcknowledgedAt != nil && a.AcknowledgedAt.Equal(now)) != tt.acked || (a.ResolvedAt != nil && a.ResolvedAt.Equal(now)) != tt.done {
				t.Errorf("acknowledged at %v, resolved at %v", a.AcknowledgedAt, a.ResolvedAt)
			}
			if want := map[bool]time.Time{true: now, false: t0}[changed]; !a.UpdatedAt.Equal(want) {
				t.Errorf("updated at %s, want %s", a.UpdatedAt, want)
			}
		})
	}
}

func TestRepeat(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	a := Alert{Summary: "disk 90%", Status: StatusAcknowledged, Count: 1, LastEventAt: t0}
	a.Repeat("disk 95%", t0.Add(time.Minute), t0.Add(2*time.Minute))
	a.Repeat("", t0.Add(3*time.Minute), t0.Add(4*time.Minute)) // no summary: keeps the last
	if a.Count != 3 || a.Summary != "disk 95%" || !a.LastEventAt.Equal(t0.Add(3*time.Minute)) || !a.UpdatedAt.Equal(t0.Add(4*time.Minute)) || a.Status != StatusAcknowledged {
		t.Fatalf("after two repeats: %+v", a)
	}
}

func TestSettled(t *testing.T) {
	tests := []struct {
		statuses          []Status
		acknowledged, res bool
	}{
		{nil, true, true},
		{[]Status{StatusTriggered, StatusResolved}, false, false},
		{[]Status{StatusAcknowledged, StatusResolved}, true, false},
		{[]Status{StatusResolved, StatusResolved}, true, true},
	}
	for _, tt := range tests {
		alerts := make([]Alert, len(tt.statuses))
		for i, s := range tt.statuses {
			alerts[i].Status = s
		}
		if ack, res := Settled(alerts); ack != tt.acknowledged || res != tt.res {
			t.Errorf("Settled(%v) = %v, %v; want %v, %v", tt.statuses, ack, res, tt.acknowledged, tt.res)
		}
	}
}

func TestUrgency(t *testing.T) {
	tests := []struct {
		severity  Severity
		overrides map[string]string
		want      Urgency
	}{
		{"critical", nil, "high"},
		{"error", nil, "high"},
		{"warning", nil, "low"},
		{"info", nil, "low"},
		{"warning", map[string]string{"warning": "high"}, "high"},
		{"critical", map[string]string{"critical": "low"}, "low"},
		{"error", map[string]string{"error": "urgent"}, "high"}, // invalid override ignored
		{"", nil, "high"},
	}
	for _, tt := range tests {
		if got := UrgencyOf(tt.severity, tt.overrides); got != tt.want {
			t.Errorf("UrgencyOf(%q, %v) = %q, want %q", tt.severity, tt.overrides, got, tt.want)
		}
	}
}

func TestSeverityOf(t *testing.T) {
	tests := map[Severity]incident.Severity{"critical": "SEV2", "error": "SEV3", "warning": "SEV4", "info": "SEV4", "": "SEV4"}
	for in, want := range tests {
		if got := in.Incident(); got != want {
			t.Errorf("%q.Incident() = %q, want %q", in, got, want)
		}
	}
}

func TestLane(t *testing.T) {
	lowCritical := map[string]string{"critical": "low"}
	highWarning := map[string]string{"warning": "high"}
	cases := []struct {
		severity  Severity
		overrides map[string]string
		critical  bool
		want      int
	}{
		{SeverityCritical, nil, false, LaneUrgent},
		{SeverityCritical, nil, true, LaneCritical},
		{SeverityError, nil, true, LaneCritical},
		{"", nil, false, LaneUrgent}, // no severity is error: high urgency
		{SeverityWarning, nil, true, LaneNormal},
		{SeverityInfo, nil, false, LaneNormal},
		{SeverityCritical, lowCritical, true, LaneNormal},
		{SeverityWarning, highWarning, false, LaneUrgent},
		{SeverityWarning, highWarning, true, LaneCritical},
	}
	for _, c := range cases {
		if got := Lane(c.severity, c.overrides, c.critical); got != c.want {
			t.Errorf("Lane(%q, %v, critical %v) = %d, want %d", c.severity, c.overrides, c.critical, got, c.want)
		}
	}
}
