package grafanaoncall

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
	vsched "github.com/vigil-oncall/vigil/internal/schedule"
)

// wallClock is how OnCall writes times: local wall-clock time without a
// zone (the shift's, or the schedule's when the shift has none).
const wallClock = "2006-01-02T15:04:05"

// maxEvents bounds the events read of one shift, and so the work a
// rotation_start far from start can cause.
const maxEvents = 100000

var icalDays = map[string]time.Weekday{"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}

// plan is a rotation read from a shift: the events it makes and who holds
// each.
//
// OnCall's rules, as its shifts turn into calendar events: the base events
// recur from start (hourly: every interval hours; daily: every interval
// days at start's local time; weekly: every interval weeks; with by_day,
// on those days). Each lasts duration, read as wall-clock time. The user
// groups of rolling_users take turns by period: each event for hourly and
// daily rotations (with by_day, each run of interval events), each week
// (from week_start) for weekly ones. Hourly rotations run on absolute
// time: their events and durations keep to the hour across DST changes.
// Events before rotation_start are not
// made (in a web schedule the event under way then is); for hourly and
// daily rotations, when the first event so made comes within a month of
// start, turns count from it, else from start. Events that start after
// until (read as UTC, as OnCall's recurrence rule does) are not made.
type plan struct {
	loc       *time.Location
	start     time.Time // the first base event
	dur       int64     // seconds of wall clock
	freq      string
	interval  int
	byDay     []time.Weekday // in week order from weekStart
	weekStart time.Weekday
	groups    [][]string // Vigil user ids, in turn order
	rotStart  time.Time
	until     time.Time // zero: none
	web       bool
}

// event is a base event and the period it belongs to.
type event struct {
	start  time.Time
	period int
}

// wallAdd adds seconds of wall clock in the plan's zone.
func (p *plan) wallAdd(t time.Time, secs int64) time.Time {
	l := t.In(p.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second()+int(secs), 0, p.loc)
}

func (p *plan) end(e event) time.Time {
	if p.freq == "hourly" {
		return e.start.Add(time.Duration(p.dur) * time.Second)
	}
	return p.wallAdd(e.start, p.dur)
}

// dayAt is the instant of start's local clock, n days after start's date.
func (p *plan) dayAt(n int) time.Time {
	l := p.start.In(p.loc)
	return time.Date(l.Year(), l.Month(), l.Day()+n, l.Hour(), l.Minute(), l.Second(), 0, p.loc)
}

// weekOf counts the weeks (from weekStart) between start's and t's dates.
func (p *plan) weekOf(days int) int {
	offset := (int(p.start.In(p.loc).Weekday()) - int(p.weekStart) + 7) % 7
	return (offset + days) / 7
}

// events returns the base events in order, from the first.
func (p *plan) events() func() event {
	n, day := 0, 0
	if len(p.byDay) > 0 && !slices.Contains(p.byDay, p.start.In(p.loc).Weekday()) {
		// OnCall moves a start on a day not selected to the next week's
		// first selected day (in week order), not to the next selected day.
		day = (int(p.byDay[0]) - int(p.start.In(p.loc).Weekday()) + 7) % 7
	}
	return func() event {
		defer func() { n++ }()
		switch {
		case p.freq == "hourly":
			return event{p.start.Add(time.Duration(n*p.interval) * time.Hour), n}
		case len(p.byDay) == 0 && p.freq == "daily":
			return event{p.dayAt(n * p.interval), n}
		case len(p.byDay) == 0:
			return event{p.dayAt(7 * n * p.interval), n}
		}
		for ; ; day++ {
			t := p.dayAt(day)
			if slices.Contains(p.byDay, t.In(p.loc).Weekday()) {
				day++
				if p.freq == "daily" {
					return event{t, n}
				}
				return event{t, p.weekOf(day - 1)}
			}
		}
	}
}

// first finds the first event made and the period whose group is the
// first group.
func (p *plan) first() (e0 event, r0 int, ok bool) {
	started := func(e event) bool {
		if p.web {
			return p.end(e).After(p.rotStart)
		}
		return !e.start.Before(p.rotStart)
	}
	month := p.start.In(p.loc)
	daysInMonth := time.Date(month.Year(), month.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	window := p.start.AddDate(0, 0, daysInMonth)
	next := p.events()
	first := next()
	e := first
	for i := 0; i < maxEvents; i, e = i+1, next() {
		if !p.until.IsZero() && e.start.After(p.until) {
			return event{}, 0, false
		}
		if !started(e) {
			continue
		}
		jump := p.freq != "weekly" && !e.start.After(window)
		switch {
		case jump:
			return e, e.period, true
		case p.freq == "daily" && len(p.byDay) > 0:
			// OnCall makes every event from the first selected day.
			return first, 0, true
		default:
			return e, 0, true
		}
	}
	return event{}, 0, false
}

// last is the last event made: the last to start before until.
func (p *plan) last(e0 event) (event, bool) {
	if p.until.IsZero() {
		return event{}, false
	}
	next := p.events()
	var last event
	for i := 0; i < maxEvents; i++ {
		e := next()
		if e.start.After(p.until) {
			return last, !last.start.IsZero()
		}
		if !e.start.Before(e0.start) {
			last = e
		}
	}
	return event{}, false // until is too far to matter
}

// group is the index of the group holding a period's events.
func (p *plan) group(period, r0 int) int {
	n := len(p.groups)
	return ((period-r0)%n + n) % n
}

// member is the m-th member of a group, cycling through smaller groups
// (the same person twice is paged once).
func (p *plan) member(g, m int) string {
	grp := p.groups[g]
	return grp[m%len(grp)]
}

// size is the largest group's size: the layers a plan needs side by side.
func (p *plan) size() int {
	n := 0
	for _, g := range p.groups {
		n = max(n, len(g))
	}
	return n
}

// readPlan reads a rotating shift (rolling_users, recurrent_event); why
// says why it cannot be carried over.
func (r *run) readPlan(s shift, sched schedule, zone string) (*plan, string) {
	tz := zone
	if s.TimeZone != nil && *s.TimeZone != "" {
		z, ok := importer.Zone(*s.TimeZone)
		if !ok {
			return nil, "time zone " + importer.Code(*s.TimeZone) + " is not an IANA zone"
		}
		tz = z
	}
	loc, _ := time.LoadLocation(tz)
	p := &plan{loc: loc, dur: s.Duration, interval: 1, weekStart: time.Sunday, web: sched.Type == "web"}
	var err error
	if p.start, err = parseWall(s.Start, loc); err != nil {
		return nil, "start " + importer.Code(s.Start) + " is not a time"
	}
	p.rotStart = p.start
	if s.RotationStart != "" {
		if p.rotStart, err = parseWall(s.RotationStart, loc); err != nil {
			return nil, "rotation_start " + importer.Code(s.RotationStart) + " is not a time"
		}
	}
	if s.Until != nil && *s.Until != "" {
		if p.until, err = parseWall(*s.Until, time.UTC); err != nil {
			return nil, "until " + importer.Code(*s.Until) + " is not a time"
		}
	}
	if s.Duration <= 0 || s.Duration > 366*24*3600 {
		return nil, fmt.Sprintf("duration %ds is out of range", s.Duration)
	}
	if s.Frequency == nil {
		return nil, "no frequency"
	}
	p.freq = *s.Frequency
	if s.Interval != nil {
		p.interval = *s.Interval
	}
	switch {
	case p.freq != "hourly" && p.freq != "daily" && p.freq != "weekly":
		return nil, "frequency " + importer.Code(p.freq) + " has no Vigil counterpart (rotations hand off every so many hours, days or weeks)"
	case p.interval < 1 || p.interval > 1000:
		return nil, fmt.Sprintf("interval %d is out of range", p.interval)
	case len(s.ByMonth) > 0 || len(s.ByMonthday) > 0:
		return nil, "by_month and by_monthday limits have no Vigil counterpart"
	}
	if s.WeekStart != nil && *s.WeekStart != "" {
		d, ok := icalDays[*s.WeekStart]
		if !ok {
			return nil, "week_start " + importer.Code(*s.WeekStart) + " is not a day"
		}
		p.weekStart = d
	}
	for i := range 7 {
		d := (p.weekStart + time.Weekday(i)) % 7
		for _, name := range s.ByDay {
			if wd, ok := icalDays[name]; !ok {
				return nil, "by_day " + importer.Code(name) + " is not a day"
			} else if wd == d {
				p.byDay = append(p.byDay, d)
				break
			}
		}
	}
	if len(s.ByDay) > 0 && p.freq == "hourly" {
		return nil, "an hourly rotation limited to some days has no Vigil counterpart"
	}
	switch s.Type {
	case "rolling_users":
		rolling := s.RollingUsers
		if i := s.StartRotationFromUserIndex; i != nil && *i > 0 && *i < len(rolling) {
			rolling = append(slices.Clone(rolling[*i:]), rolling[:*i]...)
		}
		for _, g := range rolling {
			var ids []string
			for _, u := range g {
				id, ok := r.userOf(u)
				if !ok {
					return nil, "its users include " + importer.Code(u) + ", who was not imported"
				}
				ids = append(ids, id)
			}
			if len(ids) > 0 {
				p.groups = append(p.groups, ids)
			}
		}
	case "recurrent_event":
		var ids []string
		for _, u := range s.Users {
			id, ok := r.userOf(u)
			if !ok {
				return nil, "its users include " + importer.Code(u) + ", who was not imported"
			}
			ids = append(ids, id)
		}
		if len(ids) > 0 {
			p.groups = [][]string{ids}
		}
	}
	if len(p.groups) == 0 {
		return nil, "no users"
	}
	if len(p.groups) > 200 || p.size() > 50 {
		return nil, "more users than Vigil takes in one rotation"
	}
	return p, ""
}

// parseWall reads OnCall's zone-less wall-clock time in loc, between 1970
// and 2200.
func parseWall(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(wallClock, s, loc)
	if err != nil {
		// Some clients send RFC 3339; its wall clock is what counts.
		var err2 error
		if t, err2 = time.Parse(time.RFC3339, s); err2 != nil {
			return time.Time{}, err
		}
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
	}
	if t.Year() < 1970 || t.Year() > 2200 {
		return time.Time{}, fmt.Errorf("%s is outside the years 1970 to 2200", s)
	}
	return t, nil
}

// layers turns a plan into parts, one per member position: Vigil layers
// whose rotation gives, event by event, the member of the group OnCall
// gives. why says why the rotation has no Vigil counterpart.
func (p *plan) parts(level int, id func(string) string, zone string) ([]importer.Part, string) {
	e0, r0, ok := p.first()
	if !ok {
		return nil, "no event of it comes after rotation_start and before until"
	}
	var end time.Time
	if last, ok := p.last(e0); ok {
		end = p.end(last)
	}
	clock := p.start.In(p.loc)
	if clock.Second() != 0 || p.dur%60 != 0 {
		return nil, "start or duration is not whole minutes"
	}
	from, length := clock.Hour()*60+clock.Minute(), int(p.dur/60)
	tzField := ""
	if p.loc.String() != zone {
		tzField = p.loc.String()
	}
	layer := func(suffix string, users []string, every string, start time.Time, active []vsched.Window) vsched.Layer {
		return vsched.Layer{ID: id(suffix), Users: users, Rotation: vsched.Rotation{Every: every}, Start: start.In(p.loc), TimeZone: tzField, Active: active, End: end}
	}
	// turns lists members in turn order from the group of period.
	turns := func(period, m int) []string {
		var out []string
		for j := range len(p.groups) {
			out = append(out, p.member(p.group(period+j, r0), m))
		}
		return out
	}
	var out []importer.Part
	add := func(layers ...vsched.Layer) {
		var kept []vsched.Layer
		for _, l := range layers {
			if l.End.IsZero() || l.End.After(l.Start) {
				kept = append(kept, l)
			}
		}
		out = append(out, importer.Part{Level: level, Layers: kept})
	}
	week := int64(7 * 24 * 3600)
	n := strconv.Itoa(p.interval)
	switch {
	case p.freq == "hourly" && p.dur == int64(p.interval)*3600:
		for m := range p.size() {
			add(layer(memberSuffix(m), turns(e0.period, m), n+"h", e0.start, nil))
		}
	case p.freq == "daily" && len(p.byDay) == 0 && p.dur == int64(p.interval)*24*3600:
		for m := range p.size() {
			add(layer(memberSuffix(m), turns(e0.period, m), n+"d", e0.start, nil))
		}
	case p.freq == "daily" && len(p.byDay) == 0 && p.interval == 1 && p.dur < 24*3600:
		ws, _ := importer.DailyWindows(from, length)
		for m := range p.size() {
			add(layer(memberSuffix(m), turns(e0.period, m), "1d", e0.start, ws))
		}
	case p.freq == "weekly" && len(p.byDay) == 0 && p.dur == int64(p.interval)*week:
		for m := range p.size() {
			add(layer(memberSuffix(m), turns(e0.period, m), n+"w", e0.start, nil))
		}
	case p.freq == "weekly" && len(p.byDay) == 0 && p.interval == 1 && p.dur < week:
		ws, _ := importer.WeeklyWindows(e0.start.In(p.loc).Weekday(), from, length)
		for m := range p.size() {
			add(layer(memberSuffix(m), turns(e0.period, m), "1w", e0.start, importer.MergeWindows(ws)))
		}
	case p.freq == "weekly" && p.interval == 1:
		return p.weeklyByDay(level, id, layer, e0, r0, from, length)
	case p.freq == "daily" && len(p.byDay) > 0:
		return p.dailyByDay(level, id, layer, e0, r0, from, length)
	default:
		return nil, fmt.Sprintf("a %s rotation every %d with shifts of %s has no Vigil counterpart (a shift shorter than its period repeats on the week's days only when the period is a day or a week)",
			p.freq, p.interval, time.Duration(p.dur)*time.Second)
	}
	return out, ""
}

func memberSuffix(m int) string {
	if m == 0 {
		return ""
	}
	return " " + strconv.Itoa(m+1)
}

type layerFunc func(suffix string, users []string, every string, start time.Time, active []vsched.Window) vsched.Layer

// overlapping reports whether the events on the selected days, each from
// from for length minutes, run into each other within a week.
func (p *plan) overlapping(from, length int) bool {
	for i, d := range p.byDay {
		next := p.byDay[(i+1)%len(p.byDay)]
		gap := (int(next) - int(d) + 7) % 7 * 24 * 60
		if gap == 0 {
			gap = 7 * 24 * 60
		}
		if length > gap {
			return true
		}
	}
	return false
}

// weeklyByDay: events on the selected days, a group a week. The week
// hands off at its first event, which Vigil's weekly rotation keeps; a
// first week entered midway is a layer of its own.
func (p *plan) weeklyByDay(level int, id func(string) string, layer layerFunc, e0 event, r0, from, length int) ([]importer.Part, string) {
	if p.overlapping(from, length) {
		return nil, "its events run into each other"
	}
	var ws []vsched.Window
	for _, d := range p.byDay {
		w, _ := importer.WeeklyWindows(d, from, length)
		ws = append(ws, w...)
	}
	ws = importer.MergeWindows(ws)
	// The first event of each week is on the first selected day.
	weekFirst := func(t time.Time) time.Time {
		l := t.In(p.loc)
		back := (int(l.Weekday()) - int(p.byDay[0]) + 7) % 7
		return time.Date(l.Year(), l.Month(), l.Day()-back, p.start.In(p.loc).Hour(), p.start.In(p.loc).Minute(), 0, 0, p.loc)
	}
	var out []importer.Part
	for m := range p.size() {
		turns := func(period int) []string {
			var users []string
			for j := range len(p.groups) {
				users = append(users, p.member(p.group(period+j, r0), m))
			}
			return users
		}
		var layers []vsched.Layer
		handoff := weekFirst(e0.start)
		if handoff.Equal(e0.start) {
			layers = append(layers, layer(memberSuffix(m), turns(e0.period), "1w", e0.start, ws))
		} else {
			lead := layer(memberSuffix(m)+" first week", turns(e0.period)[:1], "1w", e0.start, ws)
			next := time.Date(handoff.Year(), handoff.Month(), handoff.Day()+7, handoff.Hour(), handoff.Minute(), 0, 0, p.loc)
			if lead.End.IsZero() || next.Before(lead.End) {
				lead.End = next
			}
			layers = append(layers, lead)
			layers = append(layers, layer(memberSuffix(m), turns(e0.period+1), "1w", next, ws))
		}
		var kept []vsched.Layer
		for _, l := range layers {
			if l.End.IsZero() || l.End.After(l.Start) {
				kept = append(kept, l)
			}
		}
		out = append(out, importer.Part{Level: level, Layers: kept})
	}
	return out, ""
}

// dailyByDay: events on the selected days, the groups taking interval
// events each in turn. On each selected weekday the groups follow a
// pattern that repeats week after week: one weekly layer per day.
func (p *plan) dailyByDay(level int, id func(string) string, layer layerFunc, e0 event, r0, from, length int) ([]importer.Part, string) {
	if p.overlapping(from, length) {
		return nil, "its events run into each other"
	}
	if p.interval > len(p.byDay) {
		return nil, "its interval is larger than its number of days"
	}
	b, g := len(p.byDay), len(p.groups)
	period := g * p.interval // the weeks after which every day's pattern repeats
	if period > 200 {
		return nil, "its turns repeat only after more weeks than Vigil takes"
	}
	// The first event on each selected day, from e0: its index among the
	// events made.
	next := p.events()
	firsts := map[time.Weekday]event{}
	for e := next(); len(firsts) < b; e = next() {
		if e.start.Before(e0.start) {
			continue
		}
		wd := e.start.In(p.loc).Weekday()
		if _, ok := firsts[wd]; !ok {
			firsts[wd] = event{e.start, e.period - r0}
		}
	}
	var out []importer.Part
	for m := range p.size() {
		var layers []vsched.Layer
		for _, d := range p.byDay {
			f := firsts[d]
			var users []string
			for w := range period {
				index := f.period + w*b // events made before this one
				users = append(users, p.member((index/p.interval)%g, m))
			}
			ws, _ := importer.WeeklyWindows(d, from, length)
			layers = append(layers, layer(memberSuffix(m)+" "+strings.ToLower(d.String()), compact(users), "1w", f.start, ws))
		}
		out = append(out, importer.Part{Level: level, Layers: layers})
	}
	return out, ""
}

// compact shortens a turn order to its shortest repeating prefix.
func compact(users []string) []string {
	for n := 1; n < len(users); n++ {
		if len(users)%n != 0 {
			continue
		}
		repeats := true
		for i := n; i < len(users) && repeats; i++ {
			repeats = users[i] == users[i%n]
		}
		if repeats {
			return users[:n]
		}
	}
	return users
}
