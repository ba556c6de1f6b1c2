package incident

import (
	"errors"
	"testing"
	"time"
)

var (
	t0    = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	later = t0.Add(30 * time.Minute)
)

// state is what the lifecycle tables compare: status, who acknowledged,
// and until when it is snoozed ("" for not).
type state struct {
	status  Status
	ackedBy string
	snoozed string
}

func stateOf(inc Incident) state {
	s := state{status: inc.Status, ackedBy: inc.AcknowledgedBy}
	if inc.SnoozedUntil != nil {
		s.snoozed = inc.SnoozedUntil.Format("15:04")
	}
	return s
}

func incidentIn(s state) Incident {
	inc := Incident{ID: 9, Status: s.status, AcknowledgedBy: s.ackedBy}
	if s.snoozed != "" {
		until, _ := time.Parse("15:04", s.snoozed)
		u := time.Date(2026, 3, 2, until.Hour(), until.Minute(), 0, 0, time.UTC)
		inc.SnoozedUntil = &u
	}
	return inc
}

func TestLifecycle(t *testing.T) {
	triggered := state{status: StatusTriggered}
	acked := state{status: StatusAcknowledged, ackedBy: "user:bob"}
	snoozed := state{status: StatusAcknowledged, ackedBy: "user:bob", snoozed: "10:15"}
	resolved := state{status: StatusResolved}
	ack := func(inc *Incident) (*TimelineEntry, error) { return Acknowledge(inc, "user:alice", "link", later) }
	resolve := func(inc *Incident) (*TimelineEntry, error) { return Resolve(inc, "user:alice", "api", "fixed", later) }
	endSnooze := func(inc *Incident) (*TimelineEntry, error) { return EndSnooze(inc, later), nil }
	endSnoozeEarly := func(inc *Incident) (*TimelineEntry, error) { return EndSnooze(inc, t0), nil }
	reassign := func(inc *Incident) (*TimelineEntry, error) {
		return Reassign(inc, "user carl", "user:alice", "cli", later)
	}
	tests := []struct {
		name    string
		from    state
		event   func(*Incident) (*TimelineEntry, error)
		to      state
		kind    string // "" for no entry
		message string
		err     error
	}{
		{"acknowledge a triggered incident", triggered, ack, state{StatusAcknowledged, "user:alice", ""}, EntryAcknowledged, "acknowledged by user:alice", nil},
		{"acknowledge again: nothing changes", acked, ack, acked, "", "", nil},
		{"acknowledge a snoozed incident ends the snooze", snoozed, ack, state{StatusAcknowledged, "user:alice", ""}, EntryAcknowledged, "acknowledged by user:alice", nil},
		{"acknowledge a resolved incident", resolved, ack, resolved, "", "", ErrClosed},
		{"resolve an acknowledged incident", acked, resolve, state{StatusResolved, "user:bob", ""}, EntryResolved, "resolved by user:alice: fixed", nil},
		{"resolve a snoozed incident", snoozed, resolve, state{StatusResolved, "user:bob", ""}, EntryResolved, "resolved by user:alice: fixed", nil},
		{"resolve twice", resolved, resolve, resolved, "", "", ErrClosed},
		{"the snooze is over", snoozed, endSnooze, triggered, EntryTriggered, "snooze ended: the incident is triggered again", nil},
		{"the snooze lasts", snoozed, endSnoozeEarly, snoozed, "", "", nil},
		{"no snooze to end", acked, endSnooze, acked, "", "", nil},
		{"reassign an acknowledged incident: it needs someone again", acked, reassign, triggered, EntryReassigned, "reassigned to user carl", nil},
		{"reassign a resolved incident", resolved, reassign, resolved, "", "", ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := incidentIn(tt.from)
			e, err := tt.event(&inc)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got := stateOf(inc); got != tt.to {
				t.Errorf("incident %+v, want %+v", got, tt.to)
			}
			switch {
			case tt.kind == "" && e != nil:
				t.Errorf("entry %+v, want none", e)
			case tt.kind != "" && (e == nil || e.Kind != tt.kind || e.Message != tt.message || e.IncidentID != 9 || !e.At.Equal(later)):
				t.Errorf("entry %+v, want %s %q", e, tt.kind, tt.message)
			}
		})
	}
}

func TestSnoozeNeedsAnAcknowledgedIncident(t *testing.T) {
	inc := Incident{ID: 9, Status: StatusTriggered}
	if _, err := Snooze(&inc, later, "user:alice", "api", "snoozed", t0); err == nil || inc.SnoozedUntil != nil {
		t.Fatalf("snoozed a triggered incident: %v, until %v", err, inc.SnoozedUntil)
	}
	inc.Status = StatusAcknowledged
	e, err := Snooze(&inc, later, "user:alice", "api", "snoozed for 30m", t0)
	if err != nil || e == nil || e.Kind != EntrySnoozed || e.Message != "snoozed for 30m" || inc.SnoozedUntil == nil || !inc.SnoozedUntil.Equal(later) {
		t.Fatalf("Snooze = %+v, %v; until %v", e, err, inc.SnoozedUntil)
	}
}

func TestAssignRole(t *testing.T) {
	inc := Incident{ID: 9, Status: StatusTriggered}
	steps := []struct {
		role    Role
		user    string
		message string // "" for no entry
		err     error
	}{
		{RoleCommander, "gina", "commander: gina", nil},
		{RoleCommander, "gina", "", nil}, // holds it already
		{RoleCommander, "ivan", "commander handed over from gina to ivan", nil},
		{RoleScribe, "gina", "scribe: gina", nil},
		{"chef", "gina", "", ErrInvalidRole},
	}
	for _, s := range steps {
		e, err := AssignRole(&inc, s.role, s.user, "user:alice", "api", t0)
		if !errors.Is(err, s.err) {
			t.Fatalf("%s to %s: err = %v, want %v", s.role, s.user, err, s.err)
		}
		if got := ""; e != nil {
			got = e.Message
			if e.Kind != EntryRole {
				t.Errorf("%s to %s: entry kind %s", s.role, s.user, e.Kind)
			}
			if got != s.message {
				t.Errorf("%s to %s: %q, want %q", s.role, s.user, got, s.message)
			}
		} else if s.message != "" {
			t.Errorf("%s to %s: no entry, want %q", s.role, s.user, s.message)
		}
	}
	if inc.Roles[RoleCommander] != "ivan" || inc.Roles[RoleScribe] != "gina" || len(inc.Roles) != 2 {
		t.Errorf("roles = %v", inc.Roles)
	}
	if !inc.Responding("gina", "") || !inc.Responding("ivan", "") || len(inc.Responders) != 2 {
		t.Errorf("responders = %+v, want gina and ivan once each", inc.Responders)
	}
}
