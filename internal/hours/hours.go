// Package hours answers questions about working and sleeping hours in a
// person's or team's own time zone: is an instant within business hours,
// and when do they next begin.
package hours

import (
	"fmt"
	"strings"
	"time"
)

// Business is a daily span of local time on some weekdays.
type Business struct {
	Start, End int // minutes after midnight; End > Start
	Days       [7]bool
}

// Default is 08:00–18:00, Monday to Friday.
var Default = Business{Start: 8 * 60, End: 18 * 60, Days: [7]bool{false, true, true, true, true, true, false}}

// ParseBusiness reads "HH:MM" bounds and weekday names (mon..sun); no days
// means Monday to Friday.
func ParseBusiness(start, end string, days []string) (Business, error) {
	var b Business
	var err error
	if b.Start, err = parseClock(start); err != nil {
		return b, err
	}
	if b.End, err = parseClock(end); err != nil {
		return b, err
	}
	if b.End <= b.Start {
		return b, fmt.Errorf("business hours end %s is not after start %s", end, start)
	}
	if len(days) == 0 {
		b.Days = Default.Days
		return b, nil
	}
	for _, d := range days {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return b, fmt.Errorf("unknown weekday %q (use mon..sun)", d)
		}
		b.Days[wd] = true
	}
	return b, nil
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("invalid time %q (want HH:MM)", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 {
		return 0, fmt.Errorf("invalid time %q (want HH:MM)", s)
	}
	return h*60 + m, nil
}

// Contains reports whether t, read in loc, is within business hours.
func (b Business) Contains(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	if !b.Days[lt.Weekday()] {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	return m >= b.Start && m < b.End
}

// Next returns t when it is within business hours, else the instant they
// next begin. It returns t unchanged when no day is a business day.
func (b Business) Next(t time.Time, loc *time.Location) time.Time {
	if b.Contains(t, loc) {
		return t
	}
	lt := t.In(loc)
	for i := 0; i < 8; i++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+i, 0, 0, 0, 0, loc)
		if !b.Days[day.Weekday()] {
			continue
		}
		open := time.Date(day.Year(), day.Month(), day.Day(), b.Start/60, b.Start%60, 0, 0, loc)
		if open.After(t) {
			return open
		}
	}
	return t
}
