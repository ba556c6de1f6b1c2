package importer

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/schedule"
)

const (
	dayMinutes  = 24 * 60
	weekMinutes = 7 * dayMinutes
)

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// DayName is a weekday as the configuration writes it (mon..sun).
func DayName(d time.Weekday) string { return dayNames[d] }

// Clock writes minutes after midnight as "HH:MM" (1440 and more wrap).
func Clock(minutes int) string {
	minutes %= dayMinutes
	return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60)
}

// WeeklyWindows returns the active windows of a weekly stretch of local
// wall-clock time that starts on day at from (minutes after midnight) and
// lasts length minutes of wall clock, wrapping over the week's end. always
// is true when it covers the whole week (length of a week or more), where
// a layer needs no windows at all.
func WeeklyWindows(day time.Weekday, from, length int) (windows []schedule.Window, always bool) {
	if length >= weekMinutes {
		return nil, true
	}
	if length <= 0 {
		return nil, false
	}
	end := from + length // minutes after the start day's midnight
	for d := 0; d*dayMinutes < end; d++ {
		lo, hi := max(from-d*dayMinutes, 0), min(end-d*dayMinutes, dayMinutes)
		if lo >= hi {
			continue
		}
		// A window whose to is at or before its from ends on the next
		// day, so "to midnight" is written 00:00.
		windows = append(windows, schedule.Window{
			Days: []string{DayName((day + time.Weekday(d)) % 7)},
			From: Clock(lo), To: Clock(hi),
		})
	}
	return windows, false
}

// DailyWindows returns the windows of a stretch of wall-clock time that
// starts every day at from and lasts length minutes; always when it
// lasts a day or more.
func DailyWindows(from, length int) (windows []schedule.Window, always bool) {
	if length >= dayMinutes {
		return nil, true
	}
	if length <= 0 {
		return nil, false
	}
	return []schedule.Window{{From: Clock(from), To: Clock(from + length)}}, false
}

// MergeWindows joins windows with the same times into one listing all
// their days, in week order (mon first), so that "mon 09:00-17:00",
// "tue 09:00-17:00"... read as one window. A window without days (every
// day) absorbs those with its times.
func MergeWindows(ws []schedule.Window) []schedule.Window {
	type times struct{ from, to string }
	var order []times
	days := map[times][]string{}
	every := map[times]bool{}
	for _, w := range ws {
		k := times{w.From, w.To}
		if _, ok := days[k]; !ok && !every[k] {
			order = append(order, k)
		}
		if len(w.Days) == 0 {
			every[k] = true
		}
		days[k] = append(days[k], w.Days...)
	}
	var out []schedule.Window
	for _, k := range order {
		w := schedule.Window{From: k.from, To: k.to}
		if !every[k] {
			for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
				if slices.Contains(days[k], d) {
					w.Days = append(w.Days, d)
				}
			}
			if len(w.Days) == 7 {
				w.Days = nil
			}
		}
		out = append(out, w)
	}
	return out
}

// weekSet is the minutes of the week (Sunday 00:00 first) a set of windows
// covers, read as wall-clock time.
type weekSet [weekMinutes]bool

func minutesOf(ws []schedule.Window) (*weekSet, bool) {
	var set weekSet
	for _, w := range ws {
		from, err1 := schedule.ParseTimeOfDay(w.From)
		to, err2 := schedule.ParseTimeOfDay(w.To)
		if err1 != nil || err2 != nil {
			return nil, false
		}
		length := int(to) - int(from)
		if length <= 0 {
			length += dayMinutes
		}
		days := w.Days
		if len(days) == 0 {
			days = dayNames[:]
		}
		for _, name := range days {
			d, err := schedule.ParseWeekday(name)
			if err != nil {
				return nil, false
			}
			start := int(d)*dayMinutes + int(from)
			for m := start; m < start+length; m++ {
				set[m%weekMinutes] = true
			}
		}
	}
	return &set, true
}

// onTheHour reports whether every window edge is a whole hour, which keeps
// wall-clock windows that do not meet apart in real time across DST
// changes too (changes skip or repeat whole hours from a whole hour).
func onTheHour(ws []schedule.Window) bool {
	for _, w := range ws {
		if w.From[3:] != "00" || w.To[3:] != "00" {
			return false
		}
	}
	return true
}
