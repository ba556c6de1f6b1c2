package schedule

import (
	"bytes"
	"testing"

	ics "github.com/arran4/golang-ical"
)

func TestICalFeedKeepsEachScheduleTitleAndUID(t *testing.T) {
	primary := []Shift{{User: "alice", Start: ts(t, "2026-02-02T09:00:00+01:00"), End: ts(t, "2026-02-09T09:00:00+01:00"), Layer: "weekly"}}
	office := []Shift{
		{User: "alice", Start: ts(t, "2026-02-03T09:00:00Z"), End: ts(t, "2026-02-03T17:00:00Z"), Layer: "daytime"},
		{User: "alice", Start: ts(t, "2026-02-04T09:00:00Z"), End: ts(t, "2026-02-04T17:00:00Z"), Layer: "daytime"},
	}
	now := ts(t, "2026-02-01T00:00:00Z")
	names := func(string) string { return "Alice Martin" }
	out := ICalFeed("On call: Alice Martin", []NamedShifts{{Name: "Primary", Shifts: primary}, {Name: "Office", Shifts: office}}, names, now)
	checkLines(t, out)
	cal, err := ics.ParseCalendar(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, out)
	}
	if got := cal.CalendarProperties[len(cal.CalendarProperties)-1]; got.IANAToken != "X-WR-CALNAME" || got.Value != "On call: Alice Martin" {
		t.Errorf("last calendar property = %s:%s, want the feed's name", got.IANAToken, got.Value)
	}
	uidsOf := func(b []byte) []string {
		c, err := ics.ParseCalendar(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range c.Events() {
			out = append(out, ev.Id())
		}
		return out
	}
	want := append(uidsOf(ICal("Primary", primary, names, now)), uidsOf(ICal("Office", office, names, now))...)
	events := cal.Events()
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	wantSummaries := []string{"On call: Alice Martin (Primary)", "On call: Alice Martin (Office)", "On call: Alice Martin (Office)"}
	for i, ev := range events {
		if ev.Id() != want[i] {
			t.Errorf("event %d UID %q, want %q as in its schedule's own feed", i, ev.Id(), want[i])
		}
		if got := ev.GetProperty(ics.ComponentPropertySummary).Value; got != wantSummaries[i] {
			t.Errorf("event %d summary %q, want %q", i, got, wantSummaries[i])
		}
	}
	if empty := ICalFeed("nobody", nil, nil, now); !bytes.Equal(empty, ICal("nobody", nil, nil, now)) {
		t.Errorf("an empty feed differs from an empty schedule calendar:\n%s", empty)
	}
}
