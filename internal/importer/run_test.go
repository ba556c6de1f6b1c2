package importer

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// Overrides keeps those to come, in the schedule's zone, and names the
// others: without valid times or user one by one, the past ones in one
// line.
func TestRunOverrides(t *testing.T) {
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	r := NewRun(context.Background(), "Test", &Dir{Root: "x"}, Options{Now: now})
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	var kept []int
	r.Overrides("Primary", []Override{
		{Start: "2026-03-01T08:00:00Z", End: "2026-03-02T08:00:00Z", Who: "alice@example.com", User: "alice", Imported: true},
		{Start: "yesterday", End: "2026-03-02T08:00:00Z", Who: "bob", User: "bob", Imported: true},
		{Start: "2026-03-02T08:00:00Z", End: "2026-03-01T08:00:00Z", Who: "bob", User: "bob", Imported: true},
		{Start: "2199-03-01T08:00:00Z", End: "2201-03-02T08:00:00Z", Who: "bob", User: "bob", Imported: true},
		{Start: "2026-01-01T08:00:00Z", End: "2026-01-02T08:00:00Z", Who: "carol", User: "carol", Imported: true},
		{Start: "2025-01-01T08:00:00Z", End: "2025-01-02T08:00:00Z", Who: "ghost", Imported: false},
		{Start: "2026-04-01T08:00:00Z", End: "2026-04-02T08:00:00Z", Who: "ghost@example.com", Imported: false},
	}, berlin, func(i int, user string, start, end time.Time) {
		kept = append(kept, i)
		if user != "alice" || start.Location() != berlin || !start.Equal(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)) || !end.Equal(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("kept %d: %s from %s to %s", i, user, start, end)
		}
	})
	if !slices.Equal(kept, []int{0}) {
		t.Errorf("kept %v, want the first alone", kept)
	}
	var skipped []string
	for _, it := range r.Rep.Skipped() {
		skipped = append(skipped, it.What)
	}
	want := []string{
		"override `yesterday to 2026-03-02T08:00:00Z` has no valid times",
		"override `2026-03-02T08:00:00Z to 2026-03-01T08:00:00Z` has no valid times",
		"override `2199-03-01T08:00:00Z to 2201-03-02T08:00:00Z` has no valid times",
		"override from 2026-04-01T08:00:00Z for `ghost@example.com`, who was not imported",
	}
	if !slices.Equal(skipped, want) {
		t.Errorf("skipped %q\nwant %q", skipped, want)
	}
	if ch := r.Rep.Changed(); len(ch) != 1 || ch[0].Kind != "schedule" || ch[0].What != "2 overrides that ended before the import were left out (history)" {
		t.Errorf("changed = %+v", ch)
	}
}

// A team that owns one policy alone gets it; one that owns several, none.
func TestTeamPolicies(t *testing.T) {
	teams := []catalog.Team{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	tp := TeamPolicies{}
	tp.Add(0, "p1")
	tp.Add(2, "p2")
	tp.Add(2, "p3")
	tp.Set(teams)
	if got := []string{teams[0].EscalationPolicy, teams[1].EscalationPolicy, teams[2].EscalationPolicy}; !slices.Equal(got, []string{"p1", "", ""}) {
		t.Errorf("policies = %q", got)
	}
}
