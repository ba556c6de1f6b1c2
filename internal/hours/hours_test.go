package hours

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
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
		got := Default.Next(at(tt.now), berlin)
		if !got.Equal(at(tt.want)) {
			t.Errorf("%s: Next(%s) = %s, want %s", tt.name, tt.now, got.In(berlin), tt.want)
		}
	}
}

func TestParseBusiness(t *testing.T) {
	b, err := ParseBusiness("09:30", "17:00", []string{"mon", "sat"})
	if err != nil || b.Start != 570 || b.End != 1020 || !b.Days[time.Saturday] || b.Days[time.Tuesday] {
		t.Fatalf("got %+v, %v", b, err)
	}
	bad := [][3]any{{"9:30", "17:00", nil}, {"09:30", "08:00", nil}, {"24:00", "25:00", nil}, {"08:00", "18:00", []string{"moon"}}}
	for _, c := range bad {
		days, _ := c[2].([]string)
		if _, err := ParseBusiness(c[0].(string), c[1].(string), days); err == nil {
			t.Errorf("ParseBusiness(%v) accepted", c)
		}
	}
}
