package schedule

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// TimeOfDay is a local wall-clock time in minutes after midnight. 24:00
// (1440) is allowed as the end of a range.
type TimeOfDay int

const endOfDay TimeOfDay = 24 * 60

// ParseTimeOfDay reads "HH:MM" (00:00 to 24:00).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, fmt.Errorf("time of day %.20q is not HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time of day %q is out of range", s)
	}
	return TimeOfDay(h*60 + m), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

func (t TimeOfDay) sinceMidnight() time.Duration { return time.Duration(t) * time.Minute }

// civilDate is a calendar day without a zone.
type civilDate struct {
	year  int
	month time.Month
	day   int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

// midnightUTC reads the date as midnight UTC; the arithmetic below works on
// that value because UTC days are all 24 hours long.
func (d civilDate) midnightUTC() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC)
}

func (d civilDate) addDays(n int) civilDate {
	return dateOf(time.Date(d.year, d.month, d.day+n, 0, 0, 0, 0, time.UTC))
}

func (d civilDate) weekday() time.Weekday { return d.midnightUTC().Weekday() }

// daysBetween is b - a in days.
func daysBetween(a, b civilDate) int64 {
	return (b.midnightUTC().Unix() - a.midnightUTC().Unix()) / 86400
}

func (d civilDate) before(o civilDate) bool {
	return d.midnightUTC().Before(o.midnightUTC())
}

// localTime is the instant at which the wall clock in loc reads date plus
// clock (clock may be 24h, the next midnight). A wall-clock time that a
// spring-forward transition skips moves forward by the length of the gap
// (02:30 becomes 03:30 when clocks jump from 02:00 to 03:00); one that a
// fall-back transition repeats takes its first occurrence.
//
// time.Date does not serve here: which side of a transition it picks depends
// on the sign of the zone's offset.
func localTime(d civilDate, clock time.Duration, loc *time.Location) time.Time {
	naive := d.midnightUTC().Add(clock)
	// The true instant lies within 14 hours of naive, so the offsets in
	// force a day either side are the candidates, assuming (as every real
	// zone does) that offsets change at most once in two days.
	_, before := naive.Add(-24 * time.Hour).In(loc).Zone()
	_, after := naive.Add(24 * time.Hour).In(loc).Zone()
	first := naive.Add(-time.Duration(before) * time.Second)
	if before == after {
		return first
	}
	if _, off := first.In(loc).Zone(); off == before {
		return first
	}
	second := naive.Add(-time.Duration(after) * time.Second)
	if _, off := second.In(loc).Zone(); off == after {
		return second
	}
	// Skipped by a spring-forward gap: read the wall clock with the offset
	// from before the gap, which lands as far past the gap's end as the
	// wall clock was past its start.
	return first
}

// weekly is a compiled Window: on each of its days, an interval of local
// time from from to to, wrapping past midnight when to <= from.
type weekly struct {
	days     [7]bool // by time.Weekday
	from, to TimeOfDay
}

// ParseWeekday reads mon..sun (any letter case).
func ParseWeekday(s string) (time.Weekday, error) {
	if len(s) == 3 {
		switch strings.ToLower(s) {
		case "sun":
			return time.Sunday, nil
		case "mon":
			return time.Monday, nil
		case "tue":
			return time.Tuesday, nil
		case "wed":
			return time.Wednesday, nil
		case "thu":
			return time.Thursday, nil
		case "fri":
			return time.Friday, nil
		case "sat":
			return time.Saturday, nil
		}
	}
	return 0, fmt.Errorf("day %.20q is not one of mon, tue, wed, thu, fri, sat, sun", s)
}

func compileWindow(w Window) (weekly, error) {
	var c weekly
	if len(w.Days) == 0 {
		c.days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, name := range w.Days {
		wd, err := ParseWeekday(name)
		if err != nil {
			return weekly{}, err
		}
		c.days[wd] = true
	}
	var err error
	if c.from, err = ParseTimeOfDay(w.From); err != nil {
		return weekly{}, fmt.Errorf("from: %w", err)
	}
	if c.from == endOfDay {
		return weekly{}, fmt.Errorf("from %q is the end of the day", w.From)
	}
	if c.to, err = ParseTimeOfDay(w.To); err != nil {
		return weekly{}, fmt.Errorf("to: %w", err)
	}
	return c, nil
}

// occurrence is the window's interval that starts on day d, if any. It is
// empty (ok false) when d is not one of its days, or when a DST gap
// swallows it.
func (w weekly) occurrence(d civilDate, loc *time.Location) (interval, bool) {
	if !w.days[d.weekday()] {
		return interval{}, false
	}
	endDay := d
	if w.to <= w.from {
		endDay = d.addDays(1)
	}
	iv := interval{
		start: localTime(d, w.from.sinceMidnight(), loc),
		end:   localTime(endDay, w.to.sinceMidnight(), loc),
	}
	return iv, iv.start.Before(iv.end)
}

// containsOn reports whether one of the window's occurrences holds t,
// whose local date is today.
func (w weekly) containsOn(t time.Time, today civilDate, loc *time.Location) bool {
	// A window that wraps past midnight started the day before; the day
	// after is checked for a fall-back that takes a day's first hour back
	// into the previous date.
	for _, d := range [3]civilDate{today.addDays(-1), today, today.addDays(1)} {
		if iv, ok := w.occurrence(d, loc); ok && iv.contains(t) {
			return true
		}
	}
	return false
}

// occurrencesIn lists the window's intervals clipped to span, sorted and
// merged.
func (w weekly) occurrencesIn(span interval, loc *time.Location) []interval {
	var out []interval
	last := dateOf(span.end.In(loc)).addDays(1)
	for d := dateOf(span.start.In(loc)).addDays(-1); !last.before(d); d = d.addDays(1) {
		if iv, ok := w.occurrence(d, loc); ok {
			if c, ok := iv.clip(span); ok {
				out = append(out, c)
			}
		}
	}
	return mergeIntervals(out)
}

// interval is the half-open range [start, end).
type interval struct {
	start, end time.Time
}

func (iv interval) contains(t time.Time) bool {
	return !t.Before(iv.start) && t.Before(iv.end)
}

func (iv interval) clip(span interval) (interval, bool) {
	if iv.start.Before(span.start) {
		iv.start = span.start
	}
	if iv.end.After(span.end) {
		iv.end = span.end
	}
	return iv, iv.start.Before(iv.end)
}

func (iv interval) duration() time.Duration { return iv.end.Sub(iv.start) }

// mergeIntervals sorts and joins overlapping or touching intervals.
func mergeIntervals(ivs []interval) []interval {
	if len(ivs) < 2 {
		return ivs
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].start.Before(ivs[j].start) })
	out := ivs[:1]
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if !iv.start.After(last.end) {
			if iv.end.After(last.end) {
				last.end = iv.end
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// subtractIntervals is a minus b; both sorted and disjoint.
func subtractIntervals(a, b []interval) []interval {
	if len(b) == 0 {
		return a
	}
	var out []interval
	j := 0
	for _, iv := range a {
		cur := iv
		for j < len(b) && !b[j].end.After(cur.start) {
			j++
		}
		for k := j; k < len(b) && b[k].start.Before(cur.end); k++ {
			if b[k].start.After(cur.start) {
				out = append(out, interval{cur.start, b[k].start})
			}
			if b[k].end.After(cur.start) {
				cur.start = b[k].end
			}
		}
		if cur.start.Before(cur.end) {
			out = append(out, cur)
		}
	}
	return out
}

// overlapTotal sums the lengths of the parts of iv inside w's occurrences.
func overlapTotal(iv interval, w weekly, loc *time.Location) time.Duration {
	var total time.Duration
	for _, o := range w.occurrencesIn(iv, loc) {
		total += o.duration()
	}
	return total
}
