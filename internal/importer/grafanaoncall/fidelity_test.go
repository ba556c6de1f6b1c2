package grafanaoncall

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/importer/importertest"
)

func results[T any](t *testing.T, files importertest.Files, names ...string) []T {
	t.Helper()
	var pages [][]byte
	for _, n := range names {
		pages = append(pages, files[n])
	}
	v, err := importer.Items[T](pages, names[0], "results")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ocEvent is one calendar event OnCall makes of a shift.
type ocEvent struct {
	start, end time.Time
	users      []string
	level      int
	override   bool
}

// ocEvents makes the events of a shift over [from, to) as OnCall's
// convert_to_ical does, from the shift's own fields: the rotation dates
// follow frequency and interval from start (with by_day, on those days;
// a start on another day moves to the week's first selected day); the
// groups of rolling_users take turns, one per rotation date (a week for
// weekly rotations), the first turn at the first date that has started by
// rotation_start when one comes within a month of start (hourly and daily
// rotations; else at start); an event is made once it has started (in a
// web schedule, once it ends after rotation_start; in others once it
// starts then); a daily rotation limited to some days makes every event
// from its first, the groups taking interval events each; events last
// duration on the wall clock, or of absolute time in an hourly rotation;
// until (UTC) stops the recurrence.
func ocEvents(t *testing.T, s shift, zone string, web bool, userOf func(string) string, from, to time.Time) []ocEvent {
	tz := zone
	if s.TimeZone != nil && *s.TimeZone != "" {
		tz = *s.TimeZone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	wall := func(v string, l *time.Location) time.Time {
		x, err := time.ParseInLocation("2006-01-02T15:04:05", v, l)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	start := wall(s.Start, loc)
	endOf := func(x time.Time) time.Time {
		if s.Frequency != nil && *s.Frequency == "hourly" {
			return x.Add(time.Duration(s.Duration) * time.Second)
		}
		l := x.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second()+int(s.Duration), 0, loc)
	}
	var users [][]string
	switch s.Type {
	case "rolling_users":
		rolling := s.RollingUsers
		if i := s.StartRotationFromUserIndex; i != nil {
			rolling = append(append([][]string{}, rolling[*i:]...), rolling[:*i]...)
		}
		for _, g := range rolling {
			var ids []string
			for _, u := range g {
				ids = append(ids, userOf(u))
			}
			users = append(users, ids)
		}
	default:
		var ids []string
		for _, u := range append(append([]string{}, s.Users...), flatten(s.RollingUsers)...) {
			if !slices.Contains(ids, userOf(u)) {
				ids = append(ids, userOf(u))
			}
		}
		users = [][]string{ids}
	}
	if s.Type == "single_event" || s.Type == "override" {
		return []ocEvent{{start, endOf(start), users[0], s.Level, s.Type == "override"}}
	}
	rotStart := wall(s.RotationStart, loc)
	var until time.Time
	if s.Until != nil {
		until = wall(*s.Until, time.UTC)
	}
	interval := 1
	if s.Interval != nil {
		interval = *s.Interval
	}
	freq := *s.Frequency
	weekStart := time.Sunday
	if s.WeekStart != nil {
		weekStart = icalDays[*s.WeekStart]
	}
	selected := func(d time.Weekday) bool {
		for _, x := range s.ByDay {
			if icalDays[x] == d {
				return true
			}
		}
		return false
	}
	if len(s.ByDay) > 0 && !selected(start.Weekday()) {
		for i := range 7 {
			if d := (weekStart + time.Weekday(i)) % 7; selected(d) {
				start = start.AddDate(0, 0, (int(d)-int(start.Weekday())+7)%7)
				start = time.Date(start.Year(), start.Month(), start.Day(), wall(s.Start, loc).Hour(), wall(s.Start, loc).Minute(), 0, 0, loc)
				break
			}
		}
	}
	day := func(base time.Time, n int) time.Time {
		return time.Date(base.Year(), base.Month(), base.Day()+n, base.Hour(), base.Minute(), base.Second(), 0, loc)
	}
	started := func(x time.Time) bool {
		if web {
			return endOf(x).After(rotStart)
		}
		return !x.Before(rotStart)
	}
	// dates are the rotation dates in order, each with the events it holds.
	type rotation struct{ events []time.Time }
	var rotations []rotation
	horizon := to.AddDate(0, 0, 2)
	switch {
	case freq == "hourly":
		for x := start; x.Before(horizon); x = x.Add(time.Duration(interval) * time.Hour) {
			rotations = append(rotations, rotation{[]time.Time{x}})
		}
	case freq == "daily" && len(s.ByDay) == 0:
		for n := 0; day(start, n).Before(horizon); n += interval {
			rotations = append(rotations, rotation{[]time.Time{day(start, n)}})
		}
	case freq == "daily":
		for n := 0; day(start, n).Before(horizon); n++ {
			if selected(day(start, n).Weekday()) {
				rotations = append(rotations, rotation{[]time.Time{day(start, n)}})
			}
		}
	default: // weekly: a rotation is a week from weekStart
		weekBegin := day(start, -((int(start.Weekday()) - int(weekStart) + 7) % 7))
		for w := 0; day(weekBegin, 7*w).Before(horizon); w += interval {
			var evs []time.Time
			for i := range 7 {
				x := day(weekBegin, 7*w+i)
				if x.Before(start) || len(s.ByDay) > 0 && !selected(x.Weekday()) || len(s.ByDay) == 0 && x.Weekday() != start.Weekday() {
					continue
				}
				evs = append(evs, x)
			}
			rotations = append(rotations, rotation{evs})
		}
	}
	// The first turn: the first started rotation within a month of start
	// (hourly and daily), else the rotation at start.
	first := 0
	if freq != "weekly" {
		monthDays := time.Date(start.Year(), start.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		for i, r := range rotations {
			if r.events[0].After(start.AddDate(0, 0, monthDays)) {
				break
			}
			if started(r.events[0]) {
				first = i
				break
			}
		}
	}
	var out []ocEvent
	for i := first; i < len(rotations); i++ {
		for _, x := range rotations[i].events {
			group := (i - first) % len(users)
			if freq == "daily" && len(s.ByDay) > 0 {
				group = ((i - first) / interval) % len(users)
			} else if !started(x) {
				continue
			}
			if !until.IsZero() && x.After(until) {
				continue
			}
			if e := endOf(x); e.After(from) && x.Before(to) {
				out = append(out, ocEvent{x, e, users[group], s.Level, false})
			}
		}
	}
	return out
}

// onCall resolves a schedule's events at an instant as OnCall's final
// schedule does: overrides first, then the highest priority level; the
// users of every event of that rank covering the instant.
func onCall(events []ocEvent, at time.Time) []string {
	rank := func(e ocEvent) int {
		if e.override {
			return topLevel
		}
		return e.level
	}
	best := -1
	var who []string
	for _, e := range events {
		if at.Before(e.start) || !at.Before(e.end) {
			continue
		}
		switch r := rank(e); {
		case r > best:
			best, who = r, append([]string{}, e.users...)
		case r == best:
			who = append(who, e.users...)
		}
	}
	return who
}

// TestFidelity compares, for every schedule of the fixture that carries
// over, who is on call by OnCall's rules and by Vigil's engine on the
// imported configuration (the union over the Vigil schedules made from
// it), over 8 weeks around each of the two DST changes of its zone.
func TestFidelity(t *testing.T) {
	files := importertest.ReadFiles(t, "testdata/acme")
	im := importertest.ImportAndLoad(t, Import, files)
	vigilID := map[string]string{}
	for _, u := range results[user](t, files, "users.json", "users-2.json") {
		vigilID[u.ID] = im.ByEmail[u.Email]
	}
	userOf := func(id string) string { return vigilID[id] }
	shifts := results[shift](t, files, "on_call_shifts.json", "on_call_shifts-2.json")
	rng := rand.New(rand.NewPCG(19, 3))
	var total importertest.Tally
	for _, s := range results[schedule](t, files, "schedules.json") {
		es := im.EnginesOf(s.ID)
		if len(es) == 0 {
			if s.Type != "ical" && s.Name != "Monthly review" {
				t.Errorf("schedule %s was not imported", s.Name)
			}
			continue
		}
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		var mine []shift
		for _, sh := range shifts {
			if sh.Schedule != nil && *sh.Schedule == s.ID || slices.Contains(s.Shifts, sh.ID) {
				mine = append(mine, sh)
			}
		}
		// Events are made once per window; the comparison looks them up.
		windows, _ := importertest.Windows(loc, importertest.Now())
		var events []ocEvent
		for _, w := range windows {
			for _, sh := range mine {
				events = append(events, ocEvents(t, sh, s.TimeZone, s.Type == "web", userOf, w[0].AddDate(0, 0, -8), w[1])...)
			}
		}
		src := func(at time.Time) []string { return onCall(events, at) }
		boundaries := func(from, to time.Time) []time.Time {
			var out []time.Time
			for _, e := range events {
				if !e.override && e.end.After(from) && e.start.Before(to) {
					out = append(out, e.start, e.end)
				}
			}
			return out
		}
		total.Schedule(importertest.CompareSchedule(t, s.Name, rng, loc, importertest.Now(), src, es, boundaries))
	}
	total.Done(t, "Grafana OnCall", "shift", 3)
}
