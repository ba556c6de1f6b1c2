// Package hours answers questions about working and sleeping hours in a
// person's or team's own time zone: which part of the day an instant falls
// in (business, off or sleep hours), how a stretch of time divides among
// them, and when business hours next begin. It is the one place that reads
// the org's business_hours and night_hours: paging reports, coverage,
// costs, low-urgency notices and the simulator all ask it.
package hours

import (
	"fmt"
	"strings"
	"time"
)

// Bucket is the part of a person's day an instant falls in, as PagerDuty's
// analytics divide it.
type Bucket string

// The buckets. Sleep hours win over business hours where the org's
// configuration makes them overlap: a page then wakes someone.
const (
	Business Bucket = "business" // within business hours
	Off      Bucket = "off"      // neither business nor sleep hours: evenings, weekend days
	Sleep    Bucket = "sleep"    // within night hours, every day of the week
)

// Buckets lists the buckets in the order reports show them.
var Buckets = []Bucket{Business, Off, Sleep}

// Hours are an org's business and night hours, read in whichever zone the
// question is about.
type Hours struct {
	Business Workweek
	Night    Night
}

// Default is the org's hours when none are configured: business hours
// 08:00–18:00 Monday to Friday, night 22:00–08:00 every day.
var Default = Hours{Business: DefaultWorkweek, Night: DefaultNight}

// Workweek is a daily span of local time on some weekdays: business hours.
type Workweek struct {
	Start, End int // minutes after midnight; End > Start
	Days       [7]bool
}

// DefaultWorkweek is 08:00–18:00, Monday to Friday.
var DefaultWorkweek = Workweek{Start: 8 * 60, End: 18 * 60, Days: [7]bool{false, true, true, true, true, true, false}}

// Night is a daily range of local time, every day; End at or before Start
// wraps past midnight.
type Night struct {
	Start, End int // minutes after midnight
}

// DefaultNight is 22:00–08:00.
var DefaultNight = Night{Start: 22 * 60, End: 8 * 60}

// Parse reads the org's configured hours; empty bounds keep the defaults.
// businessDays are weekday names (mon..sun); none means Monday to Friday.
func Parse(businessStart, businessEnd string, businessDays []string, nightStart, nightEnd string) (Hours, error) {
	h := Default
	var err error
	if businessStart != "" || businessEnd != "" {
		if h.Business, err = ParseWorkweek(businessStart, businessEnd, businessDays); err != nil {
			return Default, fmt.Errorf("business hours: %w", err)
		}
	}
	if nightStart != "" || nightEnd != "" {
		if h.Night, err = ParseNight(nightStart, nightEnd); err != nil {
			return Default, fmt.Errorf("night hours: %w", err)
		}
	}
	return h, nil
}

// ParseWorkweek reads "HH:MM" bounds and weekday names (mon..sun); no
// days means Monday to Friday.
func ParseWorkweek(start, end string, days []string) (Workweek, error) {
	var b Workweek
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
		b.Days = DefaultWorkweek.Days
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

// ParseNight reads two "HH:MM" bounds; the range wraps past midnight when
// end is not after start ("22:00", "08:00").
func ParseNight(start, end string) (Night, error) {
	var n Night
	var err error
	if n.Start, err = parseClock(start); err != nil {
		return n, err
	}
	if n.End, err = parseClock(end); err != nil {
		return n, err
	}
	return n, nil
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

// Clock spells minutes after midnight as "HH:MM".
func Clock(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }

// Contains reports whether t, read in loc, is within business hours.
func (b Workweek) Contains(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	return b.Days[lt.Weekday()] && b.holds(minuteOf(lt))
}

func (b Workweek) holds(minute int) bool { return minute >= b.Start && minute < b.End }

// holds reports whether the minute of a day is a night minute.
func (n Night) holds(minute int) bool {
	if n.Start < n.End {
		return minute >= n.Start && minute < n.End
	}
	if n.Start == n.End {
		return false
	}
	return minute >= n.Start || minute < n.End
}

func minuteOf(lt time.Time) int { return lt.Hour()*60 + lt.Minute() }

// Bucket is the part of the day t falls in, read in loc (the paged
// person's own zone).
func (h Hours) Bucket(t time.Time, loc *time.Location) Bucket {
	lt := t.In(loc)
	m := minuteOf(lt)
	switch {
	case h.Night.holds(m):
		return Sleep
	case h.Business.Days[lt.Weekday()] && h.Business.holds(m):
		return Business
	}
	return Off
}

// Split is how a stretch of time divides among the buckets.
type Split struct {
	Business, Off, Sleep time.Duration
}

// Of returns the time in one bucket.
func (s Split) Of(b Bucket) time.Duration {
	switch b {
	case Business:
		return s.Business
	case Sleep:
		return s.Sleep
	}
	return s.Off
}

// Add returns s plus o.
func (s Split) Add(o Split) Split {
	return Split{Business: s.Business + o.Business, Off: s.Off + o.Off, Sleep: s.Sleep + o.Sleep}
}

func (s *Split) add(b Bucket, d time.Duration) {
	switch b {
	case Business:
		s.Business += d
	case Sleep:
		s.Sleep += d
	default:
		s.Off += d
	}
}

// Split divides [from, to) among the buckets as read in loc. A night that
// a DST change shortens or lengthens counts the hours it really has.
func (h Hours) Split(from, to time.Time, loc *time.Location) Split {
	var s Split
	h.Stretches(from, to, loc, func(start, end time.Time, b Bucket) { s.add(b, end.Sub(start)) })
	return s
}

// Stretches calls fn for consecutive stretches of [from, to) that each lie
// in one bucket, read in loc. Neighbouring stretches may share a bucket. A stretch ends at the next wall-clock boundary (a bound of
// business or night hours, or midnight) or at the next change of the
// zone's offset, whichever comes first: between the two the wall clock
// runs evenly, so the bucket read at a stretch's start holds throughout,
// and the one Bucket function decides every stretch.
func (h Hours) Stretches(from, to time.Time, loc *time.Location, fn func(start, end time.Time, b Bucket)) {
	bounds := h.boundaries()
	for t := from; t.Before(to); {
		lt := t.In(loc)
		sinceMidnight := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
			time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
		next := 24 * time.Hour
		for _, b := range bounds {
			if d := time.Duration(b) * time.Minute; d > sinceMidnight && d < next {
				next = d
			}
		}
		end := t.Add(next - sinceMidnight)
		if _, zoneEnd := lt.ZoneBounds(); !zoneEnd.IsZero() && zoneEnd.After(t) && zoneEnd.Before(end) {
			end = zoneEnd
		}
		if end.After(to) {
			end = to
		}
		fn(t, end, h.Bucket(t, loc))
		t = end
	}
}

// boundaries are the minutes of the day at which the bucket may change.
func (h Hours) boundaries() [4]int {
	return [4]int{h.Business.Start, h.Business.End, h.Night.Start, h.Night.End}
}

// NextBusiness returns t when it is within business hours, else the instant
// they next begin, read in loc. It returns t unchanged when no day is a
// business day.
func (h Hours) NextBusiness(t time.Time, loc *time.Location) time.Time {
	return h.Business.Next(t, loc)
}

// Next returns t when it is within business hours, else the instant they
// next begin. It returns t unchanged when no day is a business day.
func (b Workweek) Next(t time.Time, loc *time.Location) time.Time {
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
