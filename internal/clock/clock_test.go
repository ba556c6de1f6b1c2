package clock

import (
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == PinVariable {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		name    string
		value   string
		wantErr bool
		want    time.Time // zero: the wall clock
	}{
		{"unset", "", false, time.Time{}},
		{"blank", "   ", false, time.Time{}},
		{"pinned", "2027-03-28T01:30:00Z", false, time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC)},
		{"with an offset", "2027-11-07T01:30:00-04:00", false, time.Date(2027, 11, 7, 5, 30, 0, 0, time.UTC)},
		{"not a time", "tomorrow", true, time.Time{}},
		{"a date only", "2027-03-28", true, time.Time{}},
		{"hostile", "2027-03-28T01:30:00Z\x00; rm -rf /", true, time.Time{}},
	}
	for _, c := range cases {
		now, err := FromEnv(env(c.value))
		if (err != nil) != c.wantErr {
			t.Errorf("%s: err %v, want error %v", c.name, err, c.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		got := now()
		if c.want.IsZero() {
			if d := time.Since(got); d < 0 || d > time.Minute {
				t.Errorf("%s: %s is not the wall clock", c.name, got)
			}
			continue
		}
		if d := got.Sub(c.want); d < 0 || d > time.Minute {
			t.Errorf("%s: now() = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestStartingAdvancesWithTheWall(t *testing.T) {
	wall := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	read := func() time.Time { return wall }
	start := time.Date(2027, 3, 28, 0, 59, 0, 0, time.UTC)
	now := Starting(start, read)
	if got := now(); !got.Equal(start) {
		t.Fatalf("first read %s, want %s", got, start)
	}
	wall = wall.Add(90 * time.Second)
	if got, want := now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("after 90s: %s, want %s", got, want)
	}
}
