package incident

import (
	"testing"
	"time"
)

// The first acknowledgement stays when a reassignment or a snooze's end
// triggers the incident again and someone else acknowledges it.
func TestFirstAcknowledgementStays(t *testing.T) {
	inc := Incident{ID: 1, Status: StatusTriggered, CreatedAt: t0}
	if _, err := Acknowledge(&inc, "user:alice", "api", later); err != nil {
		t.Fatal(err)
	}
	if _, err := Reassign(&inc, "user bob", "user:alice", "api", later.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := Acknowledge(&inc, "user:bob", "api", later.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if inc.FirstAcknowledgedAt == nil || !inc.FirstAcknowledgedAt.Equal(later) || inc.FirstAcknowledgedBy != "user:alice" {
		t.Errorf("first acknowledgement = %v by %q", inc.FirstAcknowledgedAt, inc.FirstAcknowledgedBy)
	}
	if inc.AcknowledgedBy != "user:bob" {
		t.Errorf("the current acknowledgement is bob's: %q", inc.AcknowledgedBy)
	}
}

func TestRoleChange(t *testing.T) {
	inc := Incident{ID: 1, Status: StatusTriggered}
	e, err := AssignRole(&inc, RoleCommander, "alice", "user:alice", "api", t0)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := AssignRole(&inc, RoleCommander, "bob", "user:alice", "api", later)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		entry TimelineEntry
		role  Role
		user  string
		ok    bool
	}{
		{"assigned", *e, RoleCommander, "alice", true},
		{"handed over", *e2, RoleCommander, "bob", true},
		{"an old entry without data", TimelineEntry{Kind: EntryRole, Message: "scribe: carl"}, RoleScribe, "carl", true},
		{"an old handover", TimelineEntry{Kind: EntryRole, Message: "comms handed over from a-1 to b-2"}, RoleComms, "b-2", true},
		{"the IRT's commander", TimelineEntry{Kind: EntryRole, Message: "critical service (checkout): IRT irt-core engaged, parallel coverage; commander: ivan"}, RoleCommander, "ivan", true},
		{"the global IRT's", TimelineEntry{Kind: EntryRole, Message: "commander: gina (global IRT irt), taking over from ivan"}, RoleCommander, "gina", true},
		{"engaged without a commander", TimelineEntry{Kind: EntryRole, Message: "critical service (checkout): IRT irt-core engaged, backup coverage"}, "", "", false},
		{"not a role entry", TimelineEntry{Kind: EntryNote, Message: "commander: alice"}, "", "", false},
		{"bad data, good message", TimelineEntry{Kind: EntryRole, Data: []byte(`{"role":"chief","user":"x"}`), Message: "scribe: dee"}, RoleScribe, "dee", true},
	}
	for _, tt := range tests {
		role, user, ok := RoleChange(tt.entry)
		if role != tt.role || user != tt.user || ok != tt.ok {
			t.Errorf("%s: RoleChange = %q, %q, %v; want %q, %q, %v", tt.name, role, user, ok, tt.role, tt.user, tt.ok)
		}
	}
}

func TestMarkCustomerImpact(t *testing.T) {
	inc := Incident{ID: 1, Status: StatusTriggered}
	if e := MarkCustomerImpact(&inc, true, "user:alice", "web", t0); e == nil || e.Kind != EntryImpact || !inc.CustomerImpact {
		t.Fatalf("mark: %+v, %+v", e, inc)
	}
	if e := MarkCustomerImpact(&inc, true, "user:alice", "web", later); e != nil {
		t.Errorf("marking it again changes nothing: %+v", e)
	}
	if e := MarkCustomerImpact(&inc, false, "user:bob", "api", later); e == nil || inc.CustomerImpact || e.Message != "marked not customer-impacting by user:bob" {
		t.Errorf("unmark: %+v, %+v", e, inc)
	}
}
