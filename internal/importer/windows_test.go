package importer

import (
	"reflect"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/schedule"
)

func w(days []string, from, to string) schedule.Window {
	return schedule.Window{Days: days, From: from, To: to}
}

func TestWeeklyWindows(t *testing.T) {
	tests := []struct {
		name         string
		day          time.Weekday
		from, length int
		want         []schedule.Window
		always       bool
	}{
		{"within a day", time.Monday, 9 * 60, 8 * 60, []schedule.Window{w([]string{"mon"}, "09:00", "17:00")}, false},
		{"to midnight", time.Monday, 18 * 60, 6 * 60, []schedule.Window{w([]string{"mon"}, "18:00", "00:00")}, false},
		{"across midnight", time.Friday, 22 * 60, 10 * 60, []schedule.Window{
			w([]string{"fri"}, "22:00", "00:00"), w([]string{"sat"}, "00:00", "08:00"),
		}, false},
		{"weekend, over the week's end", time.Friday, 18 * 60, (2*24 + 15) * 60, []schedule.Window{
			w([]string{"fri"}, "18:00", "00:00"), w([]string{"sat"}, "00:00", "00:00"),
			w([]string{"sun"}, "00:00", "00:00"), w([]string{"mon"}, "00:00", "09:00"),
		}, false},
		{"whole days", time.Saturday, 0, 2 * 24 * 60, []schedule.Window{
			w([]string{"sat"}, "00:00", "00:00"), w([]string{"sun"}, "00:00", "00:00"),
		}, false},
		{"six days and a half", time.Monday, 12 * 60, 6*24*60 + 12*60, []schedule.Window{
			w([]string{"mon"}, "12:00", "00:00"), w([]string{"tue"}, "00:00", "00:00"), w([]string{"wed"}, "00:00", "00:00"),
			w([]string{"thu"}, "00:00", "00:00"), w([]string{"fri"}, "00:00", "00:00"), w([]string{"sat"}, "00:00", "00:00"),
			w([]string{"sun"}, "00:00", "00:00"),
		}, false},
		{"a whole week", time.Wednesday, 9 * 60, 7 * 24 * 60, nil, true},
		{"more than a week", time.Wednesday, 9 * 60, 9 * 24 * 60, nil, true},
		{"nothing", time.Wednesday, 9 * 60, 0, nil, false},
	}
	for _, tt := range tests {
		got, always := WeeklyWindows(tt.day, tt.from, tt.length)
		if !reflect.DeepEqual(got, tt.want) || always != tt.always {
			t.Errorf("%s: got %v always=%v, want %v always=%v", tt.name, got, always, tt.want, tt.always)
		}
	}
}

func TestDailyWindows(t *testing.T) {
	tests := []struct {
		from, length int
		want         []schedule.Window
		always       bool
	}{
		{9 * 60, 8 * 60, []schedule.Window{w(nil, "09:00", "17:00")}, false},
		{22 * 60, 10 * 60, []schedule.Window{w(nil, "22:00", "08:00")}, false},
		{16 * 60, 8 * 60, []schedule.Window{w(nil, "16:00", "00:00")}, false},
		{9 * 60, 24 * 60, nil, true},
		{9 * 60, -5, nil, false},
	}
	for _, tt := range tests {
		got, always := DailyWindows(tt.from, tt.length)
		if !reflect.DeepEqual(got, tt.want) || always != tt.always {
			t.Errorf("DailyWindows(%d, %d) = %v %v, want %v %v", tt.from, tt.length, got, always, tt.want, tt.always)
		}
	}
}

func TestMergeWindows(t *testing.T) {
	in := []schedule.Window{
		w([]string{"fri"}, "09:00", "17:00"), w([]string{"sat"}, "00:00", "00:00"), w([]string{"mon"}, "09:00", "17:00"),
		w([]string{"sun"}, "00:00", "00:00"),
		w(nil, "22:00", "06:00"), w([]string{"tue"}, "22:00", "06:00"),
		w([]string{"mon", "tue", "wed"}, "07:00", "08:00"), w([]string{"thu", "fri", "sat", "sun"}, "07:00", "08:00"),
	}
	want := []schedule.Window{
		w([]string{"mon", "fri"}, "09:00", "17:00"), w([]string{"sat", "sun"}, "00:00", "00:00"),
		w(nil, "22:00", "06:00"), w(nil, "07:00", "08:00"),
	}
	if got := MergeWindows(in); !reflect.DeepEqual(got, want) {
		t.Errorf("MergeWindows = %v\nwant %v", got, want)
	}
}

// The windows cover, in the engine, exactly the wall-clock stretch they
// were made from: checked minute by minute over a week in UTC.
func TestWeeklyWindowsInTheEngine(t *testing.T) {
	monday := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		day          time.Weekday
		from, length int
	}{
		{time.Friday, 18 * 60, (2*24 + 15) * 60},
		{time.Sunday, 23*60 + 30, 90},
		{time.Wednesday, 0, 24 * 60},
		{time.Tuesday, 13*60 + 15, 6*24*60 + 23*60},
	} {
		ws, _ := WeeklyWindows(c.day, c.from, c.length)
		e, err := schedule.Compile(schedule.Schedule{ID: "s", TimeZone: "UTC", Layers: []schedule.Layer{{
			ID: "l", Users: []string{"u"}, Rotation: schedule.Rotation{Every: "1w"}, Start: monday.AddDate(0, 0, -7), Active: ws,
		}}}, schedule.Options{})
		if err != nil {
			t.Fatal(err)
		}
		start := monday.AddDate(0, 0, (int(c.day)+6)%7).Add(time.Duration(c.from) * time.Minute)
		for m := range weekMinutes * 2 {
			at := monday.Add(time.Duration(m) * time.Minute)
			in := false
			for _, s := range []time.Time{start.AddDate(0, 0, -7), start, start.AddDate(0, 0, 7)} {
				in = in || !at.Before(s) && at.Before(s.Add(time.Duration(c.length)*time.Minute))
			}
			if got := len(e.OnCall(at)) == 1; got != in {
				t.Fatalf("%v %d+%d: at %s covered=%v, want %v (windows %v)", c.day, c.from, c.length, at, got, in, ws)
			}
		}
	}
}
