package hours

import (
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

var (
	zone    = vigiltest.Zone
	instant = vigiltest.Instant
)

func TestNext(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, now, want string
	}{
		{"inside", "2026-11-26 10:00", "2026-11-26 10:00"},                // Thursday
		{"before opening", "2026-11-26 06:30", "2026-11-26 08:00"},        // Thursday early
		{"after closing", "2026-11-26 18:00", "2026-11-27 08:00"},         // end is exclusive
		{"friday evening", "2026-11-27 19:00", "2026-11-30 08:00"},        // to Monday
		{"saturday", "2026-11-28 12:00", "2026-11-30 08:00"},              //
		{"spring forward monday", "2026-03-29 03:30", "2026-03-30 08:00"}, // Sunday of the DST change
	}
	for _, tt := range tests {
		got := Default.NextBusiness(at(tt.now), berlin)
		if !got.Equal(at(tt.want)) {
			t.Errorf("%s: Next(%s) = %s, want %s", tt.name, tt.now, got.In(berlin), tt.want)
		}
	}
}

// Each instant is read in the zone given: the same page is sleep for one
// person and business for another.
func TestBucket(t *testing.T) {
	custom, err := Parse("09:00", "17:00", []string{"sun", "mon", "tue", "wed", "thu"}, "23:00", "06:00")
	if err != nil {
		t.Fatal(err)
	}
	overlapping, err := Parse("07:00", "19:00", nil, "18:00", "08:00")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		hours Hours
		at    string
		zone  string
		want  Bucket
	}{
		{"03:00 in Tokyo is sleep there", Default, "2026-03-03T18:00:00Z", "Asia/Tokyo", Sleep},
		{"the same instant is an evening in Berlin", Default, "2026-03-03T18:00:00Z", "Europe/Berlin", Off},
		{"and business in New York", Default, "2026-03-03T18:00:00Z", "America/New_York", Business},
		{"business opens at 08:00", Default, "2026-03-04T08:00:00+01:00", "Europe/Berlin", Business},
		{"night ends at 08:00, exclusive", Default, "2026-03-04T07:59:00+01:00", "Europe/Berlin", Sleep},
		{"business ends at 18:00, exclusive", Default, "2026-03-04T18:00:00+01:00", "Europe/Berlin", Off},
		{"night starts at 22:00", Default, "2026-03-04T22:00:00+01:00", "Europe/Berlin", Sleep},
		{"Saturday daytime is off", Default, "2026-03-07T11:00:00+01:00", "Europe/Berlin", Off},
		{"Sunday night is sleep", Default, "2026-03-08T23:30:00+01:00", "Europe/Berlin", Sleep},
		// Spring forward: 2026-03-29 06:30Z is 08:30 CEST (Sunday, off); read
		// with the winter offset it would be 07:30, sleep.
		{"after spring forward", Default, "2026-03-29T06:30:00Z", "Europe/Berlin", Off},
		// Fall back: 2026-10-25 06:30Z is 07:30 CET, still night.
		{"after fall back", Default, "2026-10-25T06:30:00Z", "Europe/Berlin", Sleep},
		{"custom week: Sunday is a workday", custom, "2026-03-08T10:00:00Z", "UTC", Business},
		{"custom week: Friday is not", custom, "2026-03-06T10:00:00Z", "UTC", Off},
		{"custom night", custom, "2026-03-06T05:59:00Z", "UTC", Sleep},
		{"sleep wins where hours overlap", overlapping, "2026-03-04T18:30:00Z", "UTC", Sleep},
		{"business before the overlap", overlapping, "2026-03-04T17:59:00Z", "UTC", Business},
	}
	for _, tt := range tests {
		if got := tt.hours.Bucket(instant(t, tt.at), zone(t, tt.zone)); got != tt.want {
			t.Errorf("%s: Bucket(%s in %s) = %s, want %s", tt.name, tt.at, tt.zone, got, tt.want)
		}
	}
}

func TestSplit(t *testing.T) {
	h := func(v float64) time.Duration { return time.Duration(v * float64(time.Hour)) }
	tests := []struct {
		name     string
		from, to string
		zone     string
		want     Split
	}{
		{"a weekday", "2026-03-04T00:00:00+01:00", "2026-03-05T00:00:00+01:00", "Europe/Berlin",
			Split{Business: h(10), Off: h(4), Sleep: h(10)}},
		{"a weekend day", "2026-03-07T00:00:00+01:00", "2026-03-08T00:00:00+01:00", "Europe/Berlin",
			Split{Off: h(14), Sleep: h(10)}},
		{"a week", "2026-03-02T00:00:00+01:00", "2026-03-09T00:00:00+01:00", "Europe/Berlin",
			Split{Business: h(50), Off: h(48), Sleep: h(70)}},
		// The spring-forward night has 9 hours: 22:00 to 08:00 with 02:00–03:00 skipped.
		{"spring-forward night", "2026-03-28T22:00:00+01:00", "2026-03-29T08:00:00+02:00", "Europe/Berlin",
			Split{Sleep: h(9)}},
		// The fall-back night has 11.
		{"fall-back night", "2026-10-24T22:00:00+02:00", "2026-10-25T08:00:00+01:00", "Europe/Berlin",
			Split{Sleep: h(11)}},
		{"the DST Sunday whole", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", "Europe/Berlin",
			Split{Off: h(14), Sleep: h(9)}},
		{"a part of an hour", "2026-03-04T17:45:00Z", "2026-03-04T18:15:00Z", "UTC",
			Split{Business: h(0.25), Off: h(0.25)}},
		{"empty", "2026-03-04T17:45:00Z", "2026-03-04T17:45:00Z", "UTC", Split{}},
		{"backwards", "2026-03-04T18:45:00Z", "2026-03-04T17:45:00Z", "UTC", Split{}},
		{"Tokyo has no DST", "2026-03-04T00:00:00+09:00", "2026-03-05T00:00:00+09:00", "Asia/Tokyo",
			Split{Business: h(10), Off: h(4), Sleep: h(10)}},
	}
	for _, tt := range tests {
		got := Default.Split(instant(t, tt.from), instant(t, tt.to), zone(t, tt.zone))
		if got != tt.want {
			t.Errorf("%s: Split = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// Split and Bucket agree minute by minute, across both DST changes and in a
// zone whose offset is not whole hours.
func TestSplitAgreesWithBucket(t *testing.T) {
	custom, err := Parse("09:30", "17:15", []string{"mon", "sat"}, "21:45", "06:10")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"} {
		loc := zone(t, name)
		for _, h := range []Hours{Default, custom} {
			for _, from := range []string{"2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z", "2026-04-03T00:00:00Z", "2026-11-01T00:00:00Z"} {
				start := instant(t, from)
				end := start.Add(4 * 24 * time.Hour)
				var want Split
				for m := start; m.Before(end); m = m.Add(time.Minute) {
					want.add(h.Bucket(m, loc), time.Minute)
				}
				if got := h.Split(start, end, loc); got != want {
					t.Errorf("%s from %s: Split = %+v, minute by minute %+v", name, from, got, want)
				}
			}
		}
	}
}

func TestParse(t *testing.T) {
	h, err := Parse("09:30", "17:00", []string{"mon", "sat"}, "23:00", "07:00")
	if err != nil || h.Business.Start != 570 || h.Business.End != 1020 || !h.Business.Days[time.Saturday] ||
		h.Business.Days[time.Tuesday] || h.Night != (Night{Start: 23 * 60, End: 7 * 60}) {
		t.Fatalf("got %+v, %v", h, err)
	}
	if h, err := Parse("", "", nil, "", ""); err != nil || h != Default {
		t.Errorf("unset: got %+v, %v; want the defaults", h, err)
	}
	bad := []struct {
		bs, be string
		days   []string
		ns, ne string
	}{
		{"9:30", "17:00", nil, "", ""},
		{"09:30", "08:00", nil, "", ""},
		{"24:00", "25:00", nil, "", ""},
		{"08:00", "18:00", []string{"moon"}, "", ""},
		{"", "", nil, "22:00", "8:00"},
		{"", "", nil, "24:00", "08:00"},
		{"", "", nil, "22:00", ""},
		{"", "", nil, "ab:cd", "08:00"},
		{"08:00", "", nil, "", ""},
	}
	for _, c := range bad {
		if got, err := Parse(c.bs, c.be, c.days, c.ns, c.ne); err == nil {
			t.Errorf("Parse(%v) accepted: %+v", c, got)
		} else if got != Default {
			t.Errorf("Parse(%v) failed but answered %+v, not the defaults", c, got)
		}
	}
}

func TestClock(t *testing.T) {
	for m, want := range map[int]string{0: "00:00", 8 * 60: "08:00", 22*60 + 5: "22:05", 24 * 60: "24:00"} {
		if got := Clock(m); got != want {
			t.Errorf("Clock(%d) = %q, want %q", m, got, want)
		}
	}
}

func BenchmarkSplitYear(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	for b.Loop() {
		Default.Split(from, to, loc)
	}
}
