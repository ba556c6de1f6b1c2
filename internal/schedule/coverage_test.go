package schedule

import (
	"fmt"
	"github.com/vigil-oncall/vigil/internal/hours"
	"slices"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

func zones(t *testing.T, byUser map[string]string) func(string) *time.Location {
	locs := map[string]*time.Location{}
	for u, z := range byUser {
		locs[u] = vigiltest.Zone(t, z)
	}
	return func(u string) *time.Location { return locs[u] }
}

func checkPeople(t *testing.T, got []PersonHours, want []PersonHours) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("people:\n got %v\nwant %v", got, want)
	}
}

func checkIntervals(t *testing.T, what string, got []Interval, want [][2]string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Start.Equal(ts(t, want[i][0])) && got[i].End.Equal(ts(t, want[i][1]))
	}
	if !ok {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// The follow-the-sun day of TestFollowTheSun, Wednesday 14 January 2026:
// eve 06:00–12:00Z (07:00–13:00 in Berlin), sam 12:00–24:00Z (07:00–19:00
// in New York); both layers are active 12:00–18:00Z; 00:00–06:00Z nobody.
// Each has 07:00–08:00 of night in their own zone.
func TestCoverageFollowTheSun(t *testing.T) {
	e := followTheSun(t)
	from, to := ts(t, "2026-01-14T00:00:00Z"), ts(t, "2026-01-15T00:00:00Z")
	r, err := Coverage(e, from, to, zones(t, map[string]string{"eve": "Europe/Berlin", "sam": "America/New_York"}), hours.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkIntervals(t, "gaps", r.Gaps, [][2]string{{"2026-01-14T00:00:00Z", "2026-01-14T06:00:00Z"}})
	if len(r.Overlaps) != 1 {
		t.Fatalf("overlaps: %+v, want one", r.Overlaps)
	}
	o := r.Overlaps[0]
	if !o.Start.Equal(ts(t, "2026-01-14T12:00:00Z")) || !o.End.Equal(ts(t, "2026-01-14T18:00:00Z")) ||
		!slices.Equal(o.Layers, []string{"us", "eu"}) || !slices.Equal(o.Users, []string{"sam", "eve"}) {
		t.Errorf("overlap: %+v", o)
	}
	checkPeople(t, r.People, []PersonHours{
		{User: "eve", OnCall: 6 * time.Hour, Night: time.Hour},
		{User: "sam", OnCall: 12 * time.Hour, Night: time.Hour},
	})

	// Were sam to live in Berlin, the US day would end at 01:00 his time:
	// three night hours.
	r, err = Coverage(e, from, to, zones(t, map[string]string{"eve": "Europe/Berlin", "sam": "Europe/Berlin"}), hours.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPeople(t, r.People, []PersonHours{
		{User: "eve", OnCall: 6 * time.Hour, Night: time.Hour},
		{User: "sam", OnCall: 12 * time.Hour, Night: 3 * time.Hour},
	})
}

func alwaysOn(t *testing.T, tz string, users ...string) *Engine {
	var layers []Layer
	for i, u := range users {
		layers = append(layers, Layer{ID: fmt.Sprintf("l%d", i), Users: []string{u}, Rotation: Rotation{Every: "1w"}, Start: ts(t, "2026-01-01T00:00:00Z")})
	}
	return compile(t, Schedule{ID: "s", TimeZone: tz, Layers: layers}, Options{})
}

// Friday 16 January 00:00Z to Monday 19 January 00:00Z is Friday 11:00 to
// Monday 11:00 in Sydney (UTC+11): 72 hours, of which Saturday and Sunday
// are 48, and three nights of ten hours (22:00–08:00).
func TestCoverageWeekendAndNightInTheUsersZone(t *testing.T) {
	e := alwaysOn(t, "UTC", "w")
	from, to := ts(t, "2026-01-16T00:00:00Z"), ts(t, "2026-01-19T00:00:00Z")
	sydney := zones(t, map[string]string{"w": "Australia/Sydney"})
	tests := []struct {
		name    string
		hours   hours.Hours
		weekend []time.Weekday
		want    PersonHours
	}{
		{"defaults", hours.Default, nil, PersonHours{User: "w", OnCall: 72 * time.Hour, Night: 30 * time.Hour, Weekend: 48 * time.Hour}},
		// 23:00–07:00: three nights of eight hours.
		{"custom night", hours.Hours{Business: hours.DefaultWorkweek, Night: hours.Night{Start: 23 * 60, End: 7 * 60}}, nil, PersonHours{User: "w", OnCall: 72 * time.Hour, Night: 24 * time.Hour, Weekend: 48 * time.Hour}},
		// Friday from 11:00 (13 hours) and all of Saturday (24).
		{"Friday-Saturday weekend", hours.Default, []time.Weekday{time.Friday, time.Saturday}, PersonHours{User: "w", OnCall: 72 * time.Hour, Night: 30 * time.Hour, Weekend: 37 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Coverage(e, from, to, sydney, tt.hours, tt.weekend)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Gaps) != 0 || len(r.Overlaps) != 0 {
				t.Errorf("gaps %v, overlaps %v; want none", r.Gaps, r.Overlaps)
			}
			checkPeople(t, r.People, []PersonHours{tt.want})
		})
	}
	// Without a zone for the user, the schedule's (UTC) applies: nights
	// Thu 22:00–Fri 08:00 (8h in range), then 10h each for Fri, Sat and
	// Sun nights except the last stops at Mon 00:00 (2h): 8+10+10+2 = 30,
	// and the weekend is Saturday and Sunday, 48h.
	r, err := Coverage(e, from, to, nil, hours.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPeople(t, r.People, []PersonHours{{User: "w", OnCall: 72 * time.Hour, Night: 30 * time.Hour, Weekend: 48 * time.Hour}})
}

// The night of 28 to 29 March 2026 in Berlin lasts nine hours, 22:00 CET
// (21:00Z) to 08:00 CEST (06:00Z).
func TestCoverageNightAcrossDST(t *testing.T) {
	e := alwaysOn(t, "Europe/Berlin", "b")
	r, err := Coverage(e, ts(t, "2026-03-28T12:00:00Z"), ts(t, "2026-03-29T12:00:00Z"), nil, hours.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPeople(t, r.People, []PersonHours{{User: "b", OnCall: 24 * time.Hour, Night: 9 * time.Hour, Weekend: 24 * time.Hour}})
}

// Hours follow overrides: from Monday 2 February 00:00 to Wednesday 00:00
// (Berlin), bob has 00:00–09:00, carol's override 09:00–09:00, then alice
// until midnight. Nights (22:00–08:00): bob 8h, carol 10h, alice 2h.
func TestCoverageCountsOverrides(t *testing.T) {
	e := overrideSchedule(t, ov(t, "carol", "", "2026-02-02T09:00:00+01:00", "2026-02-03T09:00:00+01:00"))
	r, err := Coverage(e, ts(t, "2026-02-02T00:00:00+01:00"), ts(t, "2026-02-04T00:00:00+01:00"), nil, hours.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPeople(t, r.People, []PersonHours{
		{User: "alice", OnCall: 15 * time.Hour, Night: 2 * time.Hour},
		{User: "bob", OnCall: 9 * time.Hour, Night: 8 * time.Hour},
		{User: "carol", OnCall: 24 * time.Hour, Night: 10 * time.Hour},
	})
}

func TestCoverageOverlaps(t *testing.T) {
	from, to := ts(t, "2026-01-14T00:00:00Z"), ts(t, "2026-01-16T00:00:00Z")
	// Two always-on layers with different users overlap all the time, as
	// one stretch.
	r, err := Coverage(alwaysOn(t, "UTC", "x", "y"), from, to, nil, hours.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Overlaps) != 1 || !r.Overlaps[0].Start.Equal(from) || !r.Overlaps[0].End.Equal(to) ||
		!slices.Equal(r.Overlaps[0].Users, []string{"y", "x"}) || !slices.Equal(r.Overlaps[0].Layers, []string{"l1", "l0"}) {
		t.Errorf("overlaps: %+v", r.Overlaps)
	}
	checkPeople(t, r.People, []PersonHours{{User: "y", OnCall: 48 * time.Hour, Night: 20 * time.Hour}})
	// The same user in both is no overlap.
	r, err = Coverage(alwaysOn(t, "UTC", "x", "x"), from, to, nil, hours.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Overlaps) != 0 {
		t.Errorf("overlaps: %+v, want none", r.Overlaps)
	}
}

// Night hours are the org's: 20:00–06:00 gives 00:00–06:00 and 20:00–24:00
// of a day on call.
func TestCoverageUsesTheOrgNight(t *testing.T) {
	s := Schedule{ID: "s", TimeZone: "UTC", Layers: []Layer{{ID: "l", Users: []string{"u"}, Rotation: Rotation{Every: "1w"}, Start: ts(t, "2026-01-01T00:00:00Z")}}}
	e := compile(t, s, Options{})
	early := hours.Hours{Business: hours.DefaultWorkweek, Night: hours.Night{Start: 20 * 60, End: 6 * 60}}
	r, err := Coverage(e, ts(t, "2026-01-14T00:00:00Z"), ts(t, "2026-01-15T00:00:00Z"), nil, early, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPeople(t, r.People, []PersonHours{{User: "u", OnCall: 24 * time.Hour, Night: 10 * time.Hour}})
	// No night hours at all.
	r, err = Coverage(e, ts(t, "2026-01-14T00:00:00Z"), ts(t, "2026-01-15T00:00:00Z"), nil, hours.Hours{Business: hours.DefaultWorkweek}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPeople(t, r.People, []PersonHours{{User: "u", OnCall: 24 * time.Hour}})
}

// Gaps and on-call hours add up to the whole range, across both DST changes.
func TestCoverageGapsComplementShifts(t *testing.T) {
	e := followTheSun(t)
	from, to := ts(t, "2026-03-01T00:00:00Z"), ts(t, "2026-04-15T00:00:00Z")
	r, err := Coverage(e, from, to, nil, hours.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	for _, g := range r.Gaps {
		total += g.End.Sub(g.Start)
		if users := e.OnCall(g.Start); users != nil {
			t.Errorf("gap at %s but %v on call", g.Start, users)
		}
	}
	for _, p := range r.People {
		total += p.OnCall
	}
	if total != to.Sub(from) {
		t.Errorf("gaps and on-call hours add to %v, want %v", total, to.Sub(from))
	}
}
