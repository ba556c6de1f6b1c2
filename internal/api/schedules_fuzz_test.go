package api

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/schedule"
)

// FuzzShiftsRange feeds hostile query strings through the range parsing
// of the shifts and coverage endpoints and on into the engine: a range is
// either refused or answered, never a panic, and never backwards.
func FuzzShiftsRange(f *testing.F) {
	for _, q := range []string{
		"",
		"from=2026-11-23T09:00:00Z&to=2026-11-30T09:00:00Z",
		"from=2026-11-30T00:00:00Z&to=2026-11-23T00:00:00Z",
		"from=2026-01-01T00:00:00Z&to=2028-01-05T00:00:00Z",
		"from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z",
		"from=9999-12-31T23:59:59Z",
		"from=2026-11-23T09:00:00%2B14:00&to=2026-11-23T09:00:00-12:00",
		"from=%zz&to=",
		"from=2026-02-30T00:00:00Z",
		"at=2026-11-26T12:00:00.999999999Z&from=2026-11-26T12:00:00.000000001Z",
	} {
		f.Add(q)
	}
	e, err := schedule.Compile(schedule.Schedule{
		ID: "s", TimeZone: "Europe/Berlin",
		Layers: []schedule.Layer{
			{ID: "weekly", Users: []string{"alice", "bob"}, Rotation: schedule.Rotation{Every: "1w"}, Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)},
			{ID: "day", Users: []string{"carol"}, Rotation: schedule.Rotation{Every: "1d"}, Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
				Active: []schedule.Window{{Days: []string{"mon", "fri"}, From: "09:00", To: "17:00"}}},
		},
		Overrides: []schedule.Override{{User: "dana", Replaces: "bob", Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 2, 8, 0, 0, 0, 0, time.UTC)}},
	}, schedule.Options{})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, query string) {
		r := &http.Request{URL: &url.URL{RawQuery: query}}
		from, to, err := parseSpan(r, now, defaultShiftRange)
		if err != nil {
			return
		}
		if to.Before(from) {
			t.Fatalf("range %s to %s accepted backwards", from, to)
		}
		if _, err := parseInstant(r, "at", now); err != nil {
			return
		}
		shifts, err := e.Shifts(from, to)
		if err != nil {
			return
		}
		for _, s := range shifts {
			if s.Start.Before(from) || s.End.After(to) || !s.End.After(s.Start) {
				t.Fatalf("shift %+v outside [%s, %s)", s, from, to)
			}
		}
	})
}
