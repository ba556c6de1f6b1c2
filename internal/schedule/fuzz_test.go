package schedule

import (
	"testing"
	"time"
)

func FuzzParseTimeOfDay(f *testing.F) {
	for _, s := range []string{"00:00", "07:30", "24:00", "24:01", "7:00", "", "99:99", "0\xff:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTimeOfDay(s)
		if err != nil {
			return
		}
		if v < 0 || v > endOfDay {
			t.Fatalf("ParseTimeOfDay(%q) = %d, out of range", s, v)
		}
		if v.String() != s {
			t.Fatalf("ParseTimeOfDay(%q) prints back as %q", s, v.String())
		}
	})
}

func FuzzParseRotation(f *testing.F) {
	for _, s := range []string{"1d", "1w", "12h", "1d12h", "1.5d", "30m", "0d", "-1d", "1h1ns", "9999999w", "d", "1", "1x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		every, days, err := parseRotation(s)
		if err != nil {
			return
		}
		switch {
		case days > 0 && every != 0, days == 0 && every == 0:
			t.Fatalf("parseRotation(%q) = %v, %d: want exactly one kind", s, every, days)
		case days < 0 || (days == 0 && (every < MinRotation || every%time.Second != 0)):
			t.Fatalf("parseRotation(%q) = %v, %d: out of bounds", s, every, days)
		}
	})
}

// FuzzCompileLayer feeds hostile layer fields through Compile and, when
// they compile, asks a question of the engine: nothing may panic or hang.
func FuzzCompileLayer(f *testing.F) {
	f.Add("Europe/Berlin", "1w", "mon", "07:00", "19:00", int64(1767600000), int64(1767800000))
	f.Add("America/New_York", "12h", "sun", "22:00", "06:00", int64(-62135596800), int64(253402300799))
	f.Add("Local", "1d", "funday", "24:00", "00:00", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, tz, every, day, from, to string, startUnix, atUnix int64) {
		s := Schedule{
			ID: "f", TimeZone: tz,
			Layers: []Layer{{
				ID: "l", Users: []string{"a", "b"}, Rotation: Rotation{Every: every},
				Start:  time.Unix(startUnix, 0),
				Active: []Window{{Days: []string{day}, From: from, To: to}},
			}},
		}
		e, err := Compile(s, Options{})
		if err != nil {
			return
		}
		at := time.Unix(atUnix, 0)
		if users := e.OnCall(at); len(users) > 1 {
			t.Fatalf("OnCall = %v", users)
		}
		if _, err := e.Shifts(at, at.Add(72*time.Hour)); err != nil && supported(at) && supported(at.Add(72*time.Hour)) {
			t.Fatalf("Shifts: %v", err)
		}
	})
}
