package schedule

import (
	"errors"
	"fmt"
	"github.com/vigil-oncall/vigil/internal/hours"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/holiday"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

func dailyAt9(t *testing.T, tz string) *Engine {
	return compile(t, Schedule{
		ID: "daily", TimeZone: tz,
		Layers: []Layer{{
			ID: "primary", Users: []string{"a", "b", "c"},
			Rotation: Rotation{Every: "1d"},
			Start:    time.Date(2026, 1, 1, 9, 0, 0, 0, vigiltest.Zone(t, tz)),
		}},
	}, Options{})
}

// A daily 09:00 rotation starting on 2026-01-01 gives day n of the year
// (0-based) to user n mod 3. The shifts around each DST change were worked
// out from the zones' transition dates (see TestLocalTime).
func TestDailyRotationAcrossDST(t *testing.T) {
	tests := []struct {
		name     string
		zone     string
		from, to string
		want     []want
		hours    []int
	}{
		{
			// 28 March is day 86 (c); clocks go forward on the 29th.
			"Berlin spring", "Europe/Berlin", "2026-03-28T09:00:00+01:00", "2026-03-30T09:00:00+02:00",
			[]want{
				{"c", "2026-03-28T09:00:00+01:00", "2026-03-29T09:00:00+02:00", "primary"},
				{"a", "2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00", "primary"},
			},
			[]int{23, 24},
		},
		{
			// 24 October is day 296 (c); clocks go back on the 25th.
			"Berlin autumn", "Europe/Berlin", "2026-10-24T09:00:00+02:00", "2026-10-26T09:00:00+01:00",
			[]want{
				{"c", "2026-10-24T09:00:00+02:00", "2026-10-25T09:00:00+01:00", "primary"},
				{"a", "2026-10-25T09:00:00+01:00", "2026-10-26T09:00:00+01:00", "primary"},
			},
			[]int{25, 24},
		},
		{
			// 7 March is day 65 (c); clocks go forward on the 8th.
			"New York spring", "America/New_York", "2026-03-07T09:00:00-05:00", "2026-03-09T09:00:00-04:00",
			[]want{
				{"c", "2026-03-07T09:00:00-05:00", "2026-03-08T09:00:00-04:00", "primary"},
				{"a", "2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00", "primary"},
			},
			[]int{23, 24},
		},
		{
			// 31 October is day 303 (a); clocks go back on 1 November.
			"New York autumn", "America/New_York", "2026-10-31T09:00:00-04:00", "2026-11-02T09:00:00-05:00",
			[]want{
				{"a", "2026-10-31T09:00:00-04:00", "2026-11-01T09:00:00-05:00", "primary"},
				{"b", "2026-11-01T09:00:00-05:00", "2026-11-02T09:00:00-05:00", "primary"},
			},
			[]int{25, 24},
		},
		{
			// 4 April is day 93 (a); DST ends on the 5th.
			"Sydney autumn", "Australia/Sydney", "2026-04-04T09:00:00+11:00", "2026-04-06T09:00:00+10:00",
			[]want{
				{"a", "2026-04-04T09:00:00+11:00", "2026-04-05T09:00:00+10:00", "primary"},
				{"b", "2026-04-05T09:00:00+10:00", "2026-04-06T09:00:00+10:00", "primary"},
			},
			[]int{25, 24},
		},
		{
			// 3 October is day 275 (c); DST starts on the 4th.
			"Sydney spring", "Australia/Sydney", "2026-10-03T09:00:00+10:00", "2026-10-05T09:00:00+11:00",
			[]want{
				{"c", "2026-10-03T09:00:00+10:00", "2026-10-04T09:00:00+11:00", "primary"},
				{"a", "2026-10-04T09:00:00+11:00", "2026-10-05T09:00:00+11:00", "primary"},
			},
			[]int{23, 24},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := dailyAt9(t, tt.zone)
			checkTimeline(t, e, tt.from, tt.to, tt.want)
			got := shifts(t, e, tt.from, tt.to)
			for i, h := range tt.hours {
				if i < len(got) && got[i].End.Sub(got[i].Start) != time.Duration(h)*time.Hour {
					t.Errorf("shift %d lasts %v, want %dh", i, got[i].End.Sub(got[i].Start), h)
				}
			}
		})
	}
}

// Over all of 2026 a daily 09:00 rotation has 365 shifts, each starting at
// 09:00 local time, user n mod 3 on day n, all 24 hours long except one of
// 23 and one of 25 hours on the days before the zone's two DST changes.
func TestDailyRotationForAYearInThreeZones(t *testing.T) {
	tests := []struct {
		zone        string
		short, long civilDate // the days whose shift lasts 23 and 25 hours
	}{
		{"Europe/Berlin", civilDate{2026, 3, 28}, civilDate{2026, 10, 24}},
		{"America/New_York", civilDate{2026, 3, 7}, civilDate{2026, 10, 31}},
		{"Australia/Sydney", civilDate{2026, 10, 3}, civilDate{2026, 4, 4}},
	}
	users := []string{"a", "b", "c"}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc := vigiltest.Zone(t, tt.zone)
			from := time.Date(2026, 1, 1, 9, 0, 0, 0, loc)
			to := time.Date(2027, 1, 1, 9, 0, 0, 0, loc)
			got, err := dailyAt9(t, tt.zone).Shifts(from, to)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 365 {
				t.Fatalf("got %d shifts, want 365", len(got))
			}
			var total time.Duration
			for n, s := range got {
				local := s.Start.In(loc)
				day := civilDate{2026, 1, 1 + n}
				day = day.addDays(0) // normalise
				wantHours := 24
				switch dateOf(local) {
				case tt.short:
					wantHours = 23
				case tt.long:
					wantHours = 25
				}
				if dateOf(local) != day || local.Hour() != 9 || local.Minute() != 0 {
					t.Errorf("shift %d starts %s, want %v 09:00 local", n, local, day)
				}
				if s.User != users[n%3] {
					t.Errorf("shift %d (%v) is %s's, want %s's", n, day, s.User, users[n%3])
				}
				if d := s.End.Sub(s.Start); d != time.Duration(wantHours)*time.Hour {
					t.Errorf("shift %d (%v) lasts %v, want %dh", n, day, d, wantHours)
				}
				total += s.End.Sub(s.Start)
			}
			if total != 365*24*time.Hour {
				t.Errorf("total %v, want %v", total, 365*24*time.Hour)
			}
		})
	}
}

// A 12h rotation is absolute: handoffs stay at 08:00 and 20:00 UTC, so in
// Berlin they move from 09:00/21:00 to 10:00/22:00 local after 29 March.
func TestAbsoluteRotationDriftsInLocalTime(t *testing.T) {
	e := compile(t, Schedule{
		ID: "twelve", TimeZone: "Europe/Berlin",
		Layers: []Layer{{
			ID: "l", Users: []string{"a", "b"}, Rotation: Rotation{Every: "12h"},
			Start: ts(t, "2026-03-28T09:00:00+01:00"),
		}},
	}, Options{})
	got := shifts(t, e, "2026-03-28T08:00:00Z", "2026-03-30T07:00:00Z")
	checkTimeline(t, e, "2026-03-28T08:00:00Z", "2026-03-30T07:00:00Z", []want{
		{"a", "2026-03-28T08:00:00Z", "2026-03-28T20:00:00Z", "l"},
		{"b", "2026-03-28T20:00:00Z", "2026-03-29T08:00:00Z", "l"},
		{"a", "2026-03-29T08:00:00Z", "2026-03-29T20:00:00Z", "l"},
		{"b", "2026-03-29T20:00:00Z", "2026-03-30T07:00:00Z", "l"},
	})
	if len(got) == 4 {
		if h := got[2].Start.In(vigiltest.Zone(t, "Europe/Berlin")).Hour(); h != 10 {
			t.Errorf("third handoff at %02d:00 local, want 10:00", h)
		}
	}
	// "1d12h" has an h, so it is absolute too: 36 hours apart.
	e = compile(t, Schedule{
		ID: "x", TimeZone: "Europe/Berlin",
		Layers: []Layer{{
			ID: "l", Users: []string{"a", "b"}, Rotation: Rotation{Every: "1d12h"},
			Start: ts(t, "2026-03-28T09:00:00+01:00"),
		}},
	}, Options{})
	checkTimeline(t, e, "2026-03-28T08:00:00Z", "2026-03-31T08:00:00Z", []want{
		{"a", "2026-03-28T08:00:00Z", "2026-03-29T20:00:00Z", "l"},
		{"b", "2026-03-29T20:00:00Z", "2026-03-31T08:00:00Z", "l"},
	})
}

// The weekly rotation of config.md: alice from 2026-01-05, then bob, ...
// The week of 23 March (week 11, bob) loses an hour to DST.
func TestWeeklyRotation(t *testing.T) {
	e := compile(t, Schedule{
		ID: "payments-primary", TimeZone: "Europe/Berlin",
		Layers: []Layer{{
			ID: "weekly", Users: []string{"alice", "bob"}, Rotation: Rotation{Every: "1w"},
			Start: ts(t, "2026-01-05T09:00:00+01:00"),
		}},
	}, Options{})
	checkTimeline(t, e, "2026-03-16T09:00:00+01:00", "2026-04-06T09:00:00+02:00", []want{
		{"alice", "2026-03-16T09:00:00+01:00", "2026-03-23T09:00:00+01:00", "weekly"},
		{"bob", "2026-03-23T09:00:00+01:00", "2026-03-30T09:00:00+02:00", "weekly"},
		{"alice", "2026-03-30T09:00:00+02:00", "2026-04-06T09:00:00+02:00", "weekly"},
	})
	tests := []struct{ at, want string }{
		{"2026-01-05T07:59:59Z", ""}, // before the start
		{"2026-01-05T08:00:00Z", "alice"},
		{"2026-01-12T07:59:59Z", "alice"},
		{"2026-01-12T08:00:00Z", "bob"},
		{"2026-03-30T06:59:59Z", "bob"},
		{"2026-03-30T07:00:00Z", "alice"},
		{"2027-01-04T07:59:59Z", "bob"}, // week 51
		{"2027-01-04T08:00:00Z", "alice"},
	}
	for _, tt := range tests {
		if got := onCall(e, ts(t, tt.at)); got != tt.want {
			t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
		}
	}
}

// Daily handoffs at a time that a DST change skips or repeats.
func TestHandoffAtNonexistentAndRepeatedTimes(t *testing.T) {
	tests := []struct {
		name, zone, start, from, to string
		want                        []want
	}{
		{
			// 02:30 on 29 March does not exist: the handoff is at 03:30 CEST.
			"Berlin spring forward", "Europe/Berlin", "2026-03-27T02:30:00+01:00", "2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z",
			[]want{
				{"b", "2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "l"},
				{"a", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z", "l"},
			},
		},
		{
			"New York spring forward", "America/New_York", "2026-03-06T02:30:00-05:00", "2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z",
			[]want{
				{"b", "2026-03-07T07:30:00Z", "2026-03-08T07:30:00Z", "l"},
				{"a", "2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z", "l"},
			},
		},
		{
			"Sydney spring forward", "Australia/Sydney", "2026-10-02T02:30:00+10:00", "2026-10-02T16:30:00Z", "2026-10-04T15:30:00Z",
			[]want{
				{"b", "2026-10-02T16:30:00Z", "2026-10-03T16:30:00Z", "l"},
				{"a", "2026-10-03T16:30:00Z", "2026-10-04T15:30:00Z", "l"},
			},
		},
		{
			// 02:30 on 25 October happens twice: the handoff is at the first.
			"Berlin fall back", "Europe/Berlin", "2026-10-23T02:30:00+02:00", "2026-10-24T00:30:00Z", "2026-10-26T01:30:00Z",
			[]want{
				{"b", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "l"},
				{"a", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "l"},
			},
		},
		{
			"New York fall back", "America/New_York", "2026-10-30T01:30:00-04:00", "2026-10-31T05:30:00Z", "2026-11-02T06:30:00Z",
			[]want{
				{"b", "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "l"},
				{"a", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", "l"},
			},
		},
		{
			"Sydney fall back", "Australia/Sydney", "2026-04-03T02:30:00+11:00", "2026-04-03T15:30:00Z", "2026-04-05T16:30:00Z",
			[]want{
				{"b", "2026-04-03T15:30:00Z", "2026-04-04T15:30:00Z", "l"},
				{"a", "2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z", "l"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compile(t, Schedule{
				ID: "s", TimeZone: tt.zone,
				Layers: []Layer{{ID: "l", Users: []string{"a", "b"}, Rotation: Rotation{Every: "1d"}, Start: ts(t, tt.start)}},
			}, Options{})
			checkTimeline(t, e, tt.from, tt.to, tt.want)
			got := shifts(t, e, tt.from, tt.to)
			if len(got) == 2 {
				before := got[1].Start.Add(-time.Nanosecond)
				if u := onCall(e, before); u != "b" {
					t.Errorf("OnCall just before the handoff = %q, want b", u)
				}
				if u := onCall(e, got[1].Start); u != "a" {
					t.Errorf("OnCall at the handoff = %q, want a", u)
				}
			}
		})
	}
}

// followTheSun is an EU layer 07:00–19:00 Berlin time and a US layer
// 07:00–19:00 New York time, Monday to Friday, one person each.
func followTheSun(t testing.TB) *Engine {
	return compile(t, Schedule{
		ID: "fts", TimeZone: "UTC",
		Layers: []Layer{
			{
				ID: "eu", Users: []string{"eve"}, Rotation: Rotation{Every: "1w"},
				Start: ts(t, "2026-01-05T00:00:00+01:00"), TimeZone: "Europe/Berlin",
				Active: []Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "07:00", To: "19:00"}},
			},
			{
				ID: "us", Users: []string{"sam"}, Rotation: Rotation{Every: "1w"},
				Start: ts(t, "2026-01-05T00:00:00-05:00"), TimeZone: "America/New_York",
				Active: []Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "07:00", To: "19:00"}},
			},
		},
	}, Options{})
}

// Berlin is UTC+1 in winter and UTC+2 from 29 March to 25 October; New
// York is UTC-5 in winter and UTC-4 from 8 March to 1 November. So the EU
// day runs 06:00–18:00Z or 05:00–17:00Z, the US day 12:00–24:00Z or
// 11:00–23:00Z; the US layer is on top.
func TestFollowTheSun(t *testing.T) {
	e := followTheSun(t)
	tests := []struct {
		name, from, to string
		want           []want
	}{
		{"winter", "2026-01-14T00:00:00Z", "2026-01-15T00:00:00Z", []want{
			{"eve", "2026-01-14T06:00:00Z", "2026-01-14T12:00:00Z", "eu"},
			{"sam", "2026-01-14T12:00:00Z", "2026-01-15T00:00:00Z", "us"},
		}},
		{"US on DST, EU not yet", "2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z", []want{
			{"eve", "2026-03-11T06:00:00Z", "2026-03-11T11:00:00Z", "eu"},
			{"sam", "2026-03-11T11:00:00Z", "2026-03-11T23:00:00Z", "us"},
		}},
		{"summer", "2026-07-15T00:00:00Z", "2026-07-16T00:00:00Z", []want{
			{"eve", "2026-07-15T05:00:00Z", "2026-07-15T11:00:00Z", "eu"},
			{"sam", "2026-07-15T11:00:00Z", "2026-07-15T23:00:00Z", "us"},
		}},
		{"EU back on winter time, US not yet", "2026-10-28T00:00:00Z", "2026-10-29T00:00:00Z", []want{
			{"eve", "2026-10-28T06:00:00Z", "2026-10-28T11:00:00Z", "eu"},
			{"sam", "2026-10-28T11:00:00Z", "2026-10-28T23:00:00Z", "us"},
		}},
		{"weekend gap", "2026-01-16T00:00:00Z", "2026-01-20T00:00:00Z", []want{
			{"eve", "2026-01-16T06:00:00Z", "2026-01-16T12:00:00Z", "eu"},
			{"sam", "2026-01-16T12:00:00Z", "2026-01-17T00:00:00Z", "us"},
			{"eve", "2026-01-19T06:00:00Z", "2026-01-19T12:00:00Z", "eu"},
			{"sam", "2026-01-19T12:00:00Z", "2026-01-20T00:00:00Z", "us"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkTimeline(t, e, tt.from, tt.to, tt.want)
		})
	}
	handovers := []struct{ at, want string }{
		{"2026-03-11T05:59:59Z", ""},
		{"2026-03-11T06:00:00Z", "eve"},
		{"2026-03-11T10:59:59Z", "eve"},
		{"2026-03-11T11:00:00Z", "sam"},
		{"2026-03-11T22:59:59Z", "sam"},
		{"2026-03-11T23:00:00Z", ""},
		{"2026-01-17T12:00:00Z", ""}, // Saturday
	}
	for _, tt := range handovers {
		if got := onCall(e, ts(t, tt.at)); got != tt.want {
			t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
		}
	}
}

// The lower layer shows through where the upper one is inactive.
func TestLayersShowThrough(t *testing.T) {
	e := compile(t, Schedule{
		ID: "s", TimeZone: "Europe/Berlin",
		Layers: []Layer{
			{ID: "base", Users: []string{"night"}, Rotation: Rotation{Every: "1w"}, Start: ts(t, "2026-01-05T00:00:00+01:00")},
			{
				ID: "day", Users: []string{"day1", "day2"}, Rotation: Rotation{Every: "1d"}, Start: ts(t, "2026-01-05T00:00:00+01:00"),
				Active: []Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}},
			},
		},
	}, Options{})
	// 2026-01-05 is a Monday (day1), the 6th day2.
	checkTimeline(t, e, "2026-01-05T00:00:00+01:00", "2026-01-07T00:00:00+01:00", []want{
		{"night", "2026-01-05T00:00:00+01:00", "2026-01-05T08:00:00+01:00", "base"},
		{"day1", "2026-01-05T08:00:00+01:00", "2026-01-05T18:00:00+01:00", "day"},
		{"night", "2026-01-05T18:00:00+01:00", "2026-01-06T08:00:00+01:00", "base"},
		{"day2", "2026-01-06T08:00:00+01:00", "2026-01-06T18:00:00+01:00", "day"},
		{"night", "2026-01-06T18:00:00+01:00", "2026-01-07T00:00:00+01:00", "base"},
	})
}

// A layer with an end stops covering then, and the layer below shows
// through: a weekly rotation replaced by a daily one from a Wednesday noon
// on, as a vendor's edited rotation is.
func TestLayerEnd(t *testing.T) {
	e := compile(t, Schedule{
		ID: "s", TimeZone: "Europe/Berlin",
		Layers: []Layer{
			{ID: "base", Users: []string{"night"}, Rotation: Rotation{Every: "1w"}, Start: ts(t, "2026-01-05T00:00:00+01:00")},
			{
				ID: "old", Users: []string{"ann", "bob"}, Rotation: Rotation{Every: "1d"}, Start: ts(t, "2026-01-05T09:00:00+01:00"),
				End: ts(t, "2026-01-07T12:00:00+01:00"),
			},
		},
	}, Options{})
	checkTimeline(t, e, "2026-01-05T00:00:00+01:00", "2026-01-08T00:00:00+01:00", []want{
		{"night", "2026-01-05T00:00:00+01:00", "2026-01-05T09:00:00+01:00", "base"},
		{"ann", "2026-01-05T09:00:00+01:00", "2026-01-06T09:00:00+01:00", "old"},
		{"bob", "2026-01-06T09:00:00+01:00", "2026-01-07T09:00:00+01:00", "old"},
		{"ann", "2026-01-07T09:00:00+01:00", "2026-01-07T12:00:00+01:00", "old"},
		{"night", "2026-01-07T12:00:00+01:00", "2026-01-08T00:00:00+01:00", "base"},
	})
	for _, c := range []struct{ at, want string }{
		{"2026-01-07T11:59:59+01:00", "ann"},
		{"2026-01-07T12:00:00+01:00", "night"},
		{"2026-03-01T12:00:00+01:00", "night"},
	} {
		if got := onCall(e, ts(t, c.at)); got != c.want {
			t.Errorf("OnCall(%s) = %q, want %q", c.at, got, c.want)
		}
	}
}

func overrideSchedule(t *testing.T, overrides ...Override) *Engine {
	return compile(t, Schedule{
		ID: "payments-primary", TimeZone: "Europe/Berlin",
		Layers: []Layer{{
			ID: "weekly", Users: []string{"alice", "bob"}, Rotation: Rotation{Every: "1w"},
			Start: ts(t, "2026-01-05T09:00:00+01:00"),
		}},
		Overrides: overrides,
	}, Options{})
}

func ov(t *testing.T, user, replaces, start, end string) Override {
	return Override{User: user, Replaces: replaces, Start: ts(t, start), End: ts(t, end)}
}

// Weeks from 2026-01-05 09:00 alternate alice, bob: 26 Jan bob, 2 Feb alice,
// 9 Feb bob.
func TestOverrides(t *testing.T) {
	const from, to = "2026-02-01T00:00:00+01:00", "2026-02-12T00:00:00+01:00"
	tests := []struct {
		name      string
		overrides []Override
		want      []want
	}{
		{
			"both kinds, as in config.md",
			[]Override{
				ov(t, "carol", "", "2026-02-02T09:00:00+01:00", "2026-02-03T09:00:00+01:00"),
				ov(t, "dana", "bob", "2026-02-10T00:00:00+01:00", "2026-02-11T00:00:00+01:00"),
			},
			[]want{
				{"bob", "2026-02-01T00:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"carol", "2026-02-02T09:00:00+01:00", "2026-02-03T09:00:00+01:00", "override"},
				{"alice", "2026-02-03T09:00:00+01:00", "2026-02-09T09:00:00+01:00", "weekly"},
				{"bob", "2026-02-09T09:00:00+01:00", "2026-02-10T00:00:00+01:00", "weekly"},
				{"dana", "2026-02-10T00:00:00+01:00", "2026-02-11T00:00:00+01:00", "override"},
				{"bob", "2026-02-11T00:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
		{
			"replacing across a handoff swaps only the replaced user's part",
			[]Override{ov(t, "dana", "bob", "2026-02-08T12:00:00+01:00", "2026-02-10T00:00:00+01:00")},
			[]want{
				{"bob", "2026-02-01T00:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"alice", "2026-02-02T09:00:00+01:00", "2026-02-09T09:00:00+01:00", "weekly"},
				{"dana", "2026-02-09T09:00:00+01:00", "2026-02-10T00:00:00+01:00", "override"},
				{"bob", "2026-02-10T00:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
		{
			"a full override across a handoff covers both sides",
			[]Override{ov(t, "carol", "", "2026-02-08T12:00:00+01:00", "2026-02-09T12:00:00+01:00")},
			[]want{
				{"bob", "2026-02-01T00:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"alice", "2026-02-02T09:00:00+01:00", "2026-02-08T12:00:00+01:00", "weekly"},
				{"carol", "2026-02-08T12:00:00+01:00", "2026-02-09T12:00:00+01:00", "override"},
				{"bob", "2026-02-09T12:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
		{
			"replacing someone who is not on call changes nothing",
			[]Override{ov(t, "dana", "bob", "2026-02-04T00:00:00+01:00", "2026-02-05T00:00:00+01:00")},
			[]want{
				{"bob", "2026-02-01T00:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"alice", "2026-02-02T09:00:00+01:00", "2026-02-09T09:00:00+01:00", "weekly"},
				{"bob", "2026-02-09T09:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
		{
			"overlapping full overrides: the later one wins",
			[]Override{
				ov(t, "carol", "", "2026-02-03T00:00:00+01:00", "2026-02-05T00:00:00+01:00"),
				ov(t, "erin", "", "2026-02-04T00:00:00+01:00", "2026-02-06T00:00:00+01:00"),
			},
			[]want{
				{"bob", "2026-02-01T00:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"alice", "2026-02-02T09:00:00+01:00", "2026-02-03T00:00:00+01:00", "weekly"},
				{"carol", "2026-02-03T00:00:00+01:00", "2026-02-04T00:00:00+01:00", "override"},
				{"erin", "2026-02-04T00:00:00+01:00", "2026-02-06T00:00:00+01:00", "override"},
				{"alice", "2026-02-06T00:00:00+01:00", "2026-02-09T09:00:00+01:00", "weekly"},
				{"bob", "2026-02-09T09:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
		{
			"the same overrides in the other order",
			[]Override{
				ov(t, "erin", "", "2026-02-04T00:00:00+01:00", "2026-02-06T00:00:00+01:00"),
				ov(t, "carol", "", "2026-02-03T00:00:00+01:00", "2026-02-05T00:00:00+01:00"),
			},
			[]want{
				{"bob", "2026-02-01T00:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"alice", "2026-02-02T09:00:00+01:00", "2026-02-03T00:00:00+01:00", "weekly"},
				{"carol", "2026-02-03T00:00:00+01:00", "2026-02-05T00:00:00+01:00", "override"},
				{"erin", "2026-02-05T00:00:00+01:00", "2026-02-06T00:00:00+01:00", "override"},
				{"alice", "2026-02-06T00:00:00+01:00", "2026-02-09T09:00:00+01:00", "weekly"},
				{"bob", "2026-02-09T09:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
		{
			"a later replacement applies to an earlier override's user",
			[]Override{
				ov(t, "carol", "", "2026-02-03T00:00:00+01:00", "2026-02-05T00:00:00+01:00"),
				ov(t, "frank", "carol", "2026-02-04T00:00:00+01:00", "2026-02-04T12:00:00+01:00"),
			},
			[]want{
				{"bob", "2026-02-01T00:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"alice", "2026-02-02T09:00:00+01:00", "2026-02-03T00:00:00+01:00", "weekly"},
				{"carol", "2026-02-03T00:00:00+01:00", "2026-02-04T00:00:00+01:00", "override"},
				{"frank", "2026-02-04T00:00:00+01:00", "2026-02-04T12:00:00+01:00", "override"},
				{"carol", "2026-02-04T12:00:00+01:00", "2026-02-05T00:00:00+01:00", "override"},
				{"alice", "2026-02-05T00:00:00+01:00", "2026-02-09T09:00:00+01:00", "weekly"},
				{"bob", "2026-02-09T09:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
		{
			"an override by the user already on call merges into one shift",
			[]Override{ov(t, "alice", "", "2026-02-04T00:00:00+01:00", "2026-02-05T00:00:00+01:00")},
			[]want{
				{"bob", "2026-02-01T00:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"alice", "2026-02-02T09:00:00+01:00", "2026-02-09T09:00:00+01:00", "weekly"},
				{"bob", "2026-02-09T09:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
		{
			"an override partly outside the range is clipped",
			[]Override{ov(t, "carol", "", "2026-01-31T00:00:00+01:00", "2026-02-01T12:00:00+01:00")},
			[]want{
				{"carol", "2026-02-01T00:00:00+01:00", "2026-02-01T12:00:00+01:00", "override"},
				{"bob", "2026-02-01T12:00:00+01:00", "2026-02-02T09:00:00+01:00", "weekly"},
				{"alice", "2026-02-02T09:00:00+01:00", "2026-02-09T09:00:00+01:00", "weekly"},
				{"bob", "2026-02-09T09:00:00+01:00", "2026-02-12T00:00:00+01:00", "weekly"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := overrideSchedule(t, tt.overrides...)
			checkTimeline(t, e, from, to, tt.want)
		})
	}
}

// End is exclusive; an override does not act a nanosecond outside its range.
func TestOverrideBounds(t *testing.T) {
	e := overrideSchedule(t, ov(t, "carol", "", "2026-02-02T09:00:00+01:00", "2026-02-03T09:00:00+01:00"))
	start, end := ts(t, "2026-02-02T09:00:00+01:00"), ts(t, "2026-02-03T09:00:00+01:00")
	tests := []struct {
		at   time.Time
		want string
	}{
		{start.Add(-time.Nanosecond), "bob"},
		{start, "carol"},
		{end.Add(-time.Nanosecond), "carol"},
		{end, "alice"},
	}
	for _, tt := range tests {
		if got := onCall(e, tt.at); got != tt.want {
			t.Errorf("OnCall(%s) = %q, want %q", tt.at.Format(time.RFC3339Nano), got, tt.want)
		}
	}
}

// A full override fills a gap; a replacing one has nobody to replace there.
func TestOverridesInGaps(t *testing.T) {
	s := Schedule{
		ID: "fts", TimeZone: "UTC",
		Layers: []Layer{{
			ID: "eu", Users: []string{"eve"}, Rotation: Rotation{Every: "1w"},
			Start: ts(t, "2026-01-05T00:00:00+01:00"), TimeZone: "Europe/Berlin",
			Active: []Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "07:00", To: "19:00"}},
		}},
		Overrides: []Override{
			ov(t, "carol", "", "2026-01-17T10:00:00Z", "2026-01-17T12:00:00Z"),   // Saturday
			ov(t, "dana", "eve", "2026-01-18T10:00:00Z", "2026-01-18T12:00:00Z"), // Sunday
			ov(t, "frank", "", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"),   // before the layer starts
		},
	}
	e := compile(t, s, Options{})
	tests := []struct{ at, want string }{
		{"2026-01-17T11:00:00Z", "carol"},
		{"2026-01-18T11:00:00Z", ""},
		{"2026-01-01T00:30:00Z", "frank"},
	}
	for _, tt := range tests {
		if got := onCall(e, ts(t, tt.at)); got != tt.want {
			t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
		}
	}
}

// Germany's Unity Day, 3 October 2026, and the US observed Independence
// Day, Friday 3 July 2026, each make a skip_holidays layer step aside for
// the local day.
func TestSkipHolidays(t *testing.T) {
	build := func(tz, country string) *Engine {
		return compile(t, Schedule{
			ID: "s", TimeZone: tz,
			Layers: []Layer{
				{ID: "backup", Users: []string{"bert"}, Rotation: Rotation{Every: "1w"}, Start: ts(t, "2026-01-01T00:00:00Z")},
				{ID: "primary", Users: []string{"alice"}, Rotation: Rotation{Every: "1w"}, Start: ts(t, "2026-01-01T00:00:00Z"), SkipHolidays: country},
			},
		}, Options{Holiday: holiday.IsHoliday, HolidaySupported: holiday.Supported})
	}
	de := build("Europe/Berlin", "DE")
	checkTimeline(t, de, "2026-10-02T00:00:00+02:00", "2026-10-05T00:00:00+02:00", []want{
		{"alice", "2026-10-02T00:00:00+02:00", "2026-10-03T00:00:00+02:00", "primary"},
		{"bert", "2026-10-03T00:00:00+02:00", "2026-10-04T00:00:00+02:00", "backup"},
		{"alice", "2026-10-04T00:00:00+02:00", "2026-10-05T00:00:00+02:00", "primary"},
	})
	us := build("America/New_York", "US")
	checkTimeline(t, us, "2026-07-02T00:00:00-04:00", "2026-07-06T00:00:00-04:00", []want{
		{"alice", "2026-07-02T00:00:00-04:00", "2026-07-03T00:00:00-04:00", "primary"},
		{"bert", "2026-07-03T00:00:00-04:00", "2026-07-04T00:00:00-04:00", "backup"},
		{"alice", "2026-07-04T00:00:00-04:00", "2026-07-06T00:00:00-04:00", "primary"},
	})
	tests := []struct {
		e        *Engine
		at, want string
	}{
		{de, "2026-10-02T23:59:59+02:00", "alice"},
		{de, "2026-10-03T00:00:00+02:00", "bert"},
		{de, "2026-10-03T23:59:59+02:00", "bert"},
		{de, "2026-10-04T00:00:00+02:00", "alice"},
		{de, "2026-10-03T22:30:00Z", "alice"}, // 4 October 00:30 in Berlin
		{us, "2026-07-03T12:00:00-04:00", "bert"},
		{us, "2026-07-04T12:00:00-04:00", "alice"},
	}
	for _, tt := range tests {
		if got := onCall(tt.e, ts(t, tt.at)); got != tt.want {
			t.Errorf("OnCall(%s) = %q, want %q", tt.at, got, tt.want)
		}
	}
}

// The layer's own zone decides the holiday's local day: an AU layer run
// from Sydney skips 26 January 2026 Sydney time, which is 25 January 13:00
// to 26 January 13:00 UTC.
func TestSkipHolidaysInTheLayerZone(t *testing.T) {
	e := compile(t, Schedule{
		ID: "s", TimeZone: "UTC",
		Layers: []Layer{{
			ID: "apac", Users: []string{"kim"}, Rotation: Rotation{Every: "1w"}, Start: ts(t, "2026-01-01T00:00:00Z"),
			TimeZone: "Australia/Sydney", SkipHolidays: "AU",
		}},
	}, Options{Holiday: holiday.IsHoliday})
	checkTimeline(t, e, "2026-01-25T00:00:00Z", "2026-01-27T00:00:00Z", []want{
		{"kim", "2026-01-25T00:00:00Z", "2026-01-25T13:00:00Z", "apac"},
		{"kim", "2026-01-26T13:00:00Z", "2026-01-27T00:00:00Z", "apac"},
	})
}

func TestCompileErrors(t *testing.T) {
	start := ts(t, "2026-01-05T09:00:00+01:00")
	good := func() Schedule {
		return Schedule{
			ID: "s", TimeZone: "Europe/Berlin",
			Layers: []Layer{{ID: "l", Users: []string{"a"}, Rotation: Rotation{Every: "1w"}, Start: start}},
		}
	}
	withLayer := func(f func(*Layer)) Schedule {
		s := good()
		f(&s.Layers[0])
		return s
	}
	withOverride := func(o Override) Schedule {
		s := good()
		s.Overrides = []Override{o}
		return s
	}
	opts := Options{Holiday: holiday.IsHoliday, HolidaySupported: holiday.Supported}
	tests := []struct {
		name string
		s    Schedule
		opts Options
		want string // part of the error
	}{
		{"no zone", func() Schedule { s := good(); s.TimeZone = ""; return s }(), opts, "time_zone is required"},
		{"unknown zone", func() Schedule { s := good(); s.TimeZone = "Mars/Olympus"; return s }(), opts, "unknown time_zone"},
		{"zone path", func() Schedule { s := good(); s.TimeZone = "../../etc/passwd"; return s }(), opts, "unknown time_zone"},
		{"host zone", func() Schedule { s := good(); s.TimeZone = "Local"; return s }(), opts, "Local"},
		{"huge zone", func() Schedule { s := good(); s.TimeZone = strings.Repeat("A/", 1<<15); return s }(), opts, "unknown time_zone"},
		{"layer zone", withLayer(func(l *Layer) { l.TimeZone = "Europe/Atlantis" }), opts, "unknown time_zone"},
		{"no layers", func() Schedule { s := good(); s.Layers = nil; return s }(), opts, "no layers"},
		{"too many layers", func() Schedule {
			s := good()
			for len(s.Layers) <= MaxLayers {
				s.Layers = append(s.Layers, s.Layers[0])
			}
			return s
		}(), opts, "at most 50"},
		{"too many windows", withLayer(func(l *Layer) {
			for range MaxWindows + 1 {
				l.Active = append(l.Active, Window{From: "07:00", To: "19:00"})
			}
		}), opts, "at most 50"},
		{"no users", withLayer(func(l *Layer) { l.Users = nil }), opts, "users"},
		{"empty user", withLayer(func(l *Layer) { l.Users = []string{"a", ""} }), opts, "entry 2 is empty"},
		{"no start", withLayer(func(l *Layer) { l.Start = time.Time{} }), opts, "start is required"},
		{"start in the far future", withLayer(func(l *Layer) { l.Start = time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC) }), opts, "years 1 to 9999"},
		{"end in the far future", withLayer(func(l *Layer) { l.End = time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC) }), opts, "years 1 to 9999"},
		{"end before start", withLayer(func(l *Layer) { l.End = start.Add(-time.Hour) }), opts, "end"},
		{"end at start", withLayer(func(l *Layer) { l.End = start }), opts, "not after start"},
		{"override in the far past", withOverride(Override{User: "b", Start: time.Unix(-1<<62, 0), End: start}), opts, "years 1 to 9999"},
		{"no rotation", withLayer(func(l *Layer) { l.Rotation.Every = "" }), opts, "rotation"},
		{"rotation without unit", withLayer(func(l *Layer) { l.Rotation.Every = "7" }), opts, "rotation"},
		{"rotation garbage", withLayer(func(l *Layer) { l.Rotation.Every = "weekly" }), opts, "rotation"},
		{"zero rotation", withLayer(func(l *Layer) { l.Rotation.Every = "0d" }), opts, "whole number of days"},
		{"fractional days", withLayer(func(l *Layer) { l.Rotation.Every = "1.5d" }), opts, "whole number of days"},
		{"too short", withLayer(func(l *Layer) { l.Rotation.Every = "30m" }), opts, "shorter than"},
		{"sub-second", withLayer(func(l *Layer) { l.Rotation.Every = "1h1ms" }), opts, "whole number of seconds"},
		{"negative", withLayer(func(l *Layer) { l.Rotation.Every = "-1d" }), opts, "negative"},
		{"huge rotation", withLayer(func(l *Layer) { l.Rotation.Every = "99999999999w" }), opts, "too large"},
		{"bad day", withLayer(func(l *Layer) { l.Active = []Window{{Days: []string{"funday"}, From: "07:00", To: "19:00"}} }), opts, "active window 1"},
		{"bad from", withLayer(func(l *Layer) { l.Active = []Window{{From: "7am", To: "19:00"}} }), opts, "from"},
		{"bad to", withLayer(func(l *Layer) { l.Active = []Window{{From: "07:00", To: "19:61"}} }), opts, "to"},
		{"holidays without a calendar", withLayer(func(l *Layer) { l.SkipHolidays = "DE" }), Options{}, "skip_holidays"},
		{"unknown country", withLayer(func(l *Layer) { l.SkipHolidays = "XX" }), opts, "skip_holidays"},
		{"override without user", withOverride(Override{Start: start, End: start.Add(time.Hour)}), opts, "user is required"},
		{"override without times", withOverride(Override{User: "b"}), opts, "start and end"},
		{"override ends before start", withOverride(Override{User: "b", Start: start, End: start.Add(-time.Hour)}), opts, "not after"},
		{"empty override", withOverride(Override{User: "b", Start: start, End: start}), opts, "not after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.s, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile error = %v, want one containing %q", err, tt.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
	if _, err := Compile(good(), opts); err != nil {
		t.Errorf("the good schedule fails: %v", err)
	}
}

func TestParseRotation(t *testing.T) {
	tests := []struct {
		in    string
		every time.Duration
		days  int
	}{
		{"1d", 0, 1},
		{"2w", 0, 14},
		{"1w2d", 0, 9},
		{"12h", 12 * time.Hour, 0},
		{"1h30m", 90 * time.Minute, 0},
		{"1d12h", 36 * time.Hour, 0},
		{"24h", 24 * time.Hour, 0}, // absolute: no DST adjustment
		{"3600s", time.Hour, 0},
	}
	for _, tt := range tests {
		every, days, err := parseRotation(tt.in)
		if err != nil || every != tt.every || days != tt.days {
			t.Errorf("parseRotation(%q) = %v, %d, %v; want %v, %d", tt.in, every, days, err, tt.every, tt.days)
		}
	}
}

func TestRangeLimits(t *testing.T) {
	e := followTheSun(t)
	from := ts(t, "2026-01-01T00:00:00Z")
	if _, err := e.Shifts(from, from.AddDate(100, 0, 0)); !errors.Is(err, ErrRangeTooLong) {
		t.Errorf("100 years: err = %v, want ErrRangeTooLong", err)
	}
	if _, err := e.Shifts(from, from.Add(MaxRange+time.Nanosecond)); !errors.Is(err, ErrRangeTooLong) {
		t.Errorf("just over the limit: err = %v, want ErrRangeTooLong", err)
	}
	if _, err := e.Shifts(from, from.Add(MaxRange)); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := e.Shifts(from, from.Add(-time.Hour)); err == nil {
		t.Errorf("a backwards range is accepted")
	}
	if got, err := e.Shifts(from, from); err != nil || got != nil {
		t.Errorf("an empty range gives %v, %v", got, err)
	}
	far := time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := e.Shifts(far, far.Add(time.Hour)); err == nil {
		t.Errorf("the year 20000 is accepted")
	}
	if got := e.OnCall(far); got != nil {
		t.Errorf("OnCall in the year 20000 = %v", got)
	}
	if _, err := Coverage(e, from, from.AddDate(100, 0, 0), nil, hours.Default, nil); !errors.Is(err, ErrRangeTooLong) {
		t.Errorf("Coverage over 100 years: err = %v, want ErrRangeTooLong", err)
	}
}

// A rotation far from its start still finds the right slot: 1000 weeks of
// alternating users after 2026-01-05 is alice's (an even week).
func TestFarFromStart(t *testing.T) {
	e := overrideSchedule(t)
	at := ts(t, "2026-01-05T09:00:00+01:00").AddDate(0, 0, 7000).Add(time.Hour)
	if got := onCall(e, at); got != "alice" {
		t.Errorf("week 1000: %q, want alice", got)
	}
	hourly := compile(t, Schedule{
		ID: "h", TimeZone: "UTC",
		Layers: []Layer{{ID: "l", Users: []string{"a", "b", "c"}, Rotation: Rotation{Every: "1h"}, Start: ts(t, "0001-01-02T00:00:00Z")}},
	}, Options{})
	// 0001-01-02 to 2026-01-01 is 17,750,760 hours (63,902,822,400 s / 3600
	// - 24): a multiple of 3.
	if got := onCall(hourly, ts(t, "2026-01-01T00:30:00Z")); got != "a" {
		t.Errorf("hourly since year 1: %q, want a", got)
	}
}

// One engine answers from many goroutines at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	e := compile(t, Schedule{
		ID: "s", TimeZone: "Europe/Berlin",
		Layers: []Layer{{ID: "l", Users: []string{"a", "b"}, Rotation: Rotation{Every: "1d"}, Start: ts(t, "2026-01-01T09:00:00+01:00"), SkipHolidays: "DE"}},
	}, Options{Holiday: holiday.IsHoliday})
	from := ts(t, "2026-01-01T00:00:00Z")
	want, err := e.Shifts(from, from.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			got, err := e.Shifts(from, from.AddDate(0, 1, 0))
			if err != nil || len(got) != len(want) {
				errs <- fmt.Sprintf("%d shifts, %v", len(got), err)
			}
			for h := range 24 * 31 {
				e.OnCall(from.Add(time.Duration(h) * time.Hour))
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
