package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in      string
		want    TimeOfDay
		wantErr bool
	}{
		{in: "00:00", want: 0},
		{in: "07:00", want: 7 * 60},
		{in: "19:30", want: 19*60 + 30},
		{in: "23:59", want: 23*60 + 59},
		{in: "24:00", want: 1440},
		{in: "24:01", wantErr: true},
		{in: "25:00", wantErr: true},
		{in: "12:60", wantErr: true},
		{in: "7:00", wantErr: true},
		{in: "07:0", wantErr: true},
		{in: "0700", wantErr: true},
		{in: "07-00", wantErr: true},
		{in: " 07:00", wantErr: true},
		{in: "07:00 ", wantErr: true},
		{in: "-1:00", wantErr: true},
		{in: "+7:00", wantErr: true},
		{in: "０７:００", wantErr: true}, // full-width digits
		{in: "", wantErr: true},
		{in: "07:00:00", wantErr: true},
		{in: "aa:bb", wantErr: true},
		{in: "07:00\x00", wantErr: true},
		{in: strings.Repeat("07:00", 10000), wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseTimeOfDay(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("ParseTimeOfDay(%.20q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("error for %.20q echoes the whole input: %d bytes", tt.in, len(err.Error()))
		}
	}
}

func TestParseWeekday(t *testing.T) {
	tests := []struct {
		in   string
		want time.Weekday
		ok   bool
	}{
		{"mon", time.Monday, true}, {"sun", time.Sunday, true}, {"SAT", time.Saturday, true},
		{"Fri", time.Friday, true}, {"monday", 0, false}, {"", 0, false}, {"mo", 0, false},
		{"funday", 0, false}, {strings.Repeat("x", 1<<16), 0, false},
	}
	for _, tt := range tests {
		got, err := ParseWeekday(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseWeekday(%.20q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// localTime's answers, worked out from the zones' published transitions:
// Berlin 2026-03-29 02:00 CET -> 03:00 CEST and 2026-10-25 03:00 CEST ->
// 02:00 CET; New York 2026-03-08 02:00 EST -> 03:00 EDT and 2026-11-01
// 02:00 EDT -> 01:00 EST; Sydney 2026-04-05 03:00 AEDT -> 02:00 AEST and
// 2026-10-04 02:00 AEST -> 03:00 AEDT; Lord Howe 2026-10-04 02:00 -> 02:30.
func TestLocalTime(t *testing.T) {
	tests := []struct {
		zone  string
		date  civilDate
		clock string
		want  string
	}{
		// ordinary times
		{"UTC", civilDate{2026, 1, 1}, "09:00", "2026-01-01T09:00:00Z"},
		{"Europe/Berlin", civilDate{2026, 1, 1}, "09:00", "2026-01-01T08:00:00Z"},
		{"Europe/Berlin", civilDate{2026, 7, 1}, "09:00", "2026-07-01T07:00:00Z"},
		{"Europe/Berlin", civilDate{2026, 12, 31}, "24:00", "2026-12-31T23:00:00Z"},
		// just before and after the spring-forward gap
		{"Europe/Berlin", civilDate{2026, 3, 29}, "01:59", "2026-03-29T00:59:00Z"},
		{"Europe/Berlin", civilDate{2026, 3, 29}, "03:00", "2026-03-29T01:00:00Z"},
		// inside the gap: forward by one hour
		{"Europe/Berlin", civilDate{2026, 3, 29}, "02:00", "2026-03-29T01:00:00Z"},
		{"Europe/Berlin", civilDate{2026, 3, 29}, "02:30", "2026-03-29T01:30:00Z"},
		{"America/New_York", civilDate{2026, 3, 8}, "02:30", "2026-03-08T07:30:00Z"},
		{"Australia/Sydney", civilDate{2026, 10, 4}, "02:30", "2026-10-03T16:30:00Z"},
		{"Australia/Lord_Howe", civilDate{2026, 10, 4}, "02:15", "2026-10-03T15:45:00Z"},
		// repeated by a fall-back: the first occurrence
		{"Europe/Berlin", civilDate{2026, 10, 25}, "02:00", "2026-10-25T00:00:00Z"},
		{"Europe/Berlin", civilDate{2026, 10, 25}, "02:30", "2026-10-25T00:30:00Z"},
		{"Europe/Berlin", civilDate{2026, 10, 25}, "03:00", "2026-10-25T02:00:00Z"},
		{"America/New_York", civilDate{2026, 11, 1}, "01:00", "2026-11-01T05:00:00Z"},
		{"America/New_York", civilDate{2026, 11, 1}, "01:30", "2026-11-01T05:30:00Z"},
		{"America/New_York", civilDate{2026, 11, 1}, "02:00", "2026-11-01T07:00:00Z"},
		{"Australia/Sydney", civilDate{2026, 4, 5}, "02:30", "2026-04-04T15:30:00Z"},
		{"Australia/Sydney", civilDate{2026, 4, 5}, "03:00", "2026-04-04T17:00:00Z"},
	}
	for _, tt := range tests {
		clock, err := ParseTimeOfDay(tt.clock)
		if err != nil {
			t.Fatal(err)
		}
		got := localTime(tt.date, clock.sinceMidnight(), vigiltest.Zone(t, tt.zone))
		if !got.Equal(ts(t, tt.want)) {
			t.Errorf("%s %v %s: got %s, want %s", tt.zone, tt.date, tt.clock, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
}

func TestWindowOccurrence(t *testing.T) {
	berlin := vigiltest.Zone(t, "Europe/Berlin")
	tests := []struct {
		name       string
		window     Window
		day        civilDate
		start, end string // "" for no occurrence
	}{
		{"weekday", Window{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "07:00", To: "19:00"}, civilDate{2026, 1, 14}, "2026-01-14T06:00:00Z", "2026-01-14T18:00:00Z"},
		{"not its day", Window{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "07:00", To: "19:00"}, civilDate{2026, 1, 17}, "", ""},
		{"no days means every day", Window{From: "07:00", To: "19:00"}, civilDate{2026, 1, 17}, "2026-01-17T06:00:00Z", "2026-01-17T18:00:00Z"},
		{"on the spring-forward day", Window{From: "07:00", To: "19:00"}, civilDate{2026, 3, 29}, "2026-03-29T05:00:00Z", "2026-03-29T17:00:00Z"},
		{"wraps past midnight", Window{Days: []string{"fri"}, From: "22:00", To: "06:00"}, civilDate{2026, 1, 16}, "2026-01-16T21:00:00Z", "2026-01-17T05:00:00Z"},
		{"wraps into the spring-forward night: 7 hours", Window{Days: []string{"sat"}, From: "22:00", To: "06:00"}, civilDate{2026, 3, 28}, "2026-03-28T21:00:00Z", "2026-03-29T04:00:00Z"},
		{"wraps into the fall-back night: 9 hours", Window{Days: []string{"sat"}, From: "22:00", To: "06:00"}, civilDate{2026, 10, 24}, "2026-10-24T20:00:00Z", "2026-10-25T05:00:00Z"},
		{"from equal to to is a whole day", Window{From: "00:00", To: "00:00"}, civilDate{2026, 1, 14}, "2026-01-13T23:00:00Z", "2026-01-14T23:00:00Z"},
		{"to 24:00", Window{From: "18:00", To: "24:00"}, civilDate{2026, 1, 14}, "2026-01-14T17:00:00Z", "2026-01-14T23:00:00Z"},
		{"inside the gap: an hour later", Window{From: "02:10", To: "02:50"}, civilDate{2026, 3, 29}, "2026-03-29T01:10:00Z", "2026-03-29T01:50:00Z"},
		{"ends inside the gap", Window{From: "01:00", To: "02:30"}, civilDate{2026, 3, 29}, "2026-03-29T00:00:00Z", "2026-03-29T01:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := compileWindow(tt.window)
			if err != nil {
				t.Fatal(err)
			}
			iv, ok := w.occurrence(tt.day, berlin)
			if tt.start == "" {
				if ok {
					t.Errorf("got %v, want none", iv)
				}
				return
			}
			if !ok || !iv.start.Equal(ts(t, tt.start)) || !iv.end.Equal(ts(t, tt.end)) {
				t.Errorf("got %s..%s (%v), want %s..%s", iv.start.UTC().Format(time.RFC3339), iv.end.UTC().Format(time.RFC3339), ok, tt.start, tt.end)
			}
		})
	}
}

func TestWindowContains(t *testing.T) {
	berlin := vigiltest.Zone(t, "Europe/Berlin")
	w, err := compileWindow(Window{Days: []string{"fri"}, From: "22:00", To: "06:00"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-01-16T20:59:59Z", false}, // Fri 21:59:59
		{"2026-01-16T21:00:00Z", true},  // Fri 22:00
		{"2026-01-17T04:59:59Z", true},  // Sat 05:59:59, from Friday's window
		{"2026-01-17T05:00:00Z", false}, // Sat 06:00
		{"2026-01-17T21:30:00Z", false}, // Sat 22:30: not a Friday
		{"2026-01-15T23:00:00Z", false}, // Fri 00:00: Thursday has no window
	}
	for _, tt := range tests {
		if at := ts(t, tt.at); w.containsOn(at, dateOf(at.In(berlin)), berlin) != tt.want {
			t.Errorf("contains(%s) = %v, want %v", tt.at, !tt.want, tt.want)
		}
	}
}

func TestCompileWindowErrors(t *testing.T) {
	for _, w := range []Window{
		{Days: []string{"funday"}, From: "07:00", To: "19:00"},
		{Days: []string{""}, From: "07:00", To: "19:00"},
		{From: "7:00", To: "19:00"},
		{From: "07:00", To: "25:00"},
		{From: "24:00", To: "08:00"},
		{From: "", To: ""},
		{From: "07:00"},
	} {
		if _, err := compileWindow(w); err == nil {
			t.Errorf("compileWindow(%+v) accepted", w)
		}
	}
}

func TestSubtractIntervals(t *testing.T) {
	h := func(n int) time.Time { return time.Date(2026, 1, 1, n, 0, 0, 0, time.UTC) }
	iv := func(a, b int) interval { return interval{h(a), h(b)} }
	tests := []struct {
		name    string
		a, b    []interval
		want    []interval
		wantLen int
	}{
		{"nothing to take", []interval{iv(1, 5)}, nil, []interval{iv(1, 5)}, 1},
		{"middle", []interval{iv(1, 5)}, []interval{iv(2, 3)}, []interval{iv(1, 2), iv(3, 5)}, 2},
		{"all", []interval{iv(1, 5)}, []interval{iv(0, 6)}, nil, 0},
		{"edges", []interval{iv(1, 5), iv(6, 9)}, []interval{iv(0, 2), iv(4, 7)}, []interval{iv(2, 4), iv(7, 9)}, 2},
		{"one b across several a", []interval{iv(1, 2), iv(3, 4), iv(5, 8)}, []interval{iv(1, 6)}, []interval{iv(6, 8)}, 1},
		{"touching", []interval{iv(1, 3)}, []interval{iv(3, 4)}, []interval{iv(1, 3)}, 1},
	}
	for _, tt := range tests {
		got := subtractIntervals(tt.a, tt.b)
		if len(got) != tt.wantLen {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if !got[i].start.Equal(tt.want[i].start) || !got[i].end.Equal(tt.want[i].end) {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			}
		}
	}
}
