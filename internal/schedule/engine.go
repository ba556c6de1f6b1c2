package schedule

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
)

// OverrideLayer is the Shift.Layer of time an override decides.
const OverrideLayer = "override"

// MaxRange is the longest range one Shifts or Coverage call accepts: any
// two calendar years fit. Longer ranges are refused rather than computed,
// so that a hostile request cannot tie up a server.
const MaxRange = 732 * 24 * time.Hour

// MinRotation is the shortest absolute rotation; shorter ones would only
// multiply the work of every query.
const MinRotation = time.Hour

// MaxLayers and MaxWindows (per layer) bound a schedule's size, and so the
// work and memory of one query, far above what real schedules need.
const (
	MaxLayers  = 50
	MaxWindows = 50
)

// ErrRangeTooLong is returned for a range longer than MaxRange.
var ErrRangeTooLong = errors.New("range is longer than the schedule engine's limit")

// Options are what Compile needs from outside the schedule itself.
type Options struct {
	// Holiday reports whether date's calendar day (read in date's own
	// location) is a public holiday in country, such as "DE" or "DE-BY".
	// holiday.IsHoliday fits. It is required when a layer sets
	// skip_holidays, and must be safe for concurrent use.
	Holiday func(country string, date time.Time) (name string, ok bool)
	// HolidaySupported, when set, makes Compile refuse a skip_holidays
	// country it does not know. holiday.Supported fits.
	HolidaySupported func(country string) bool
}

// Shift is a stretch of time one user is on call.
type Shift struct {
	User  string    `json:"user"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Layer is the id of the layer the shift begins in, or OverrideLayer.
	Layer string `json:"layer"`
}

// Engine answers who is on call for one compiled schedule. It is
// immutable, so one Engine serves any number of goroutines.
type Engine struct {
	id        string
	name      string
	loc       *time.Location
	layers    []layer // bottom first
	overrides []override
	holiday   func(string, time.Time) (string, bool)
}

type override struct {
	user, replaces string
	span           interval
}

type layer struct {
	id    string
	users []string
	start time.Time
	end   time.Time // zero: the layer does not end
	loc   *time.Location
	// An absolute rotation hands off every `every`; a calendar one every
	// `days` days at the wall-clock time `clock` of the start's date.
	every    time.Duration
	days     int
	startDay civilDate
	clock    time.Duration
	windows  []weekly
	country  string // skip_holidays; "" for none
}

// Compile checks s and prepares it for queries.
func Compile(s Schedule, opts Options) (*Engine, error) {
	loc, err := loadZone(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", s.ID, err)
	}
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("schedule %q has no layers", s.ID)
	}
	if len(s.Layers) > MaxLayers {
		return nil, fmt.Errorf("schedule %q has %d layers; at most %d are allowed", s.ID, len(s.Layers), MaxLayers)
	}
	e := &Engine{id: s.ID, name: s.Name, loc: loc, holiday: opts.Holiday}
	for i, l := range s.Layers {
		cl, err := compileLayer(l, loc, opts)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: layer %d (%q): %w", s.ID, i+1, l.ID, err)
		}
		e.layers = append(e.layers, cl)
	}
	for i, o := range s.Overrides {
		var err error
		switch {
		case o.User == "":
			err = errors.New("user is required")
		case o.Start.IsZero() || o.End.IsZero():
			err = errors.New("start and end are required")
		case !supported(o.Start) || !supported(o.End):
			err = errors.New("start and end must lie within the years 1 to 9999")
		case !o.End.After(o.Start):
			err = fmt.Errorf("end %s is not after start %s", o.End.Format(time.RFC3339), o.Start.Format(time.RFC3339))
		}
		if err != nil {
			return nil, fmt.Errorf("schedule %q: override %d: %w", s.ID, i+1, err)
		}
		e.overrides = append(e.overrides, override{user: o.User, replaces: o.Replaces, span: interval{o.Start, o.End}})
	}
	return e, nil
}

func loadZone(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, errors.New("time_zone is required")
	case "Local":
		// The server's own zone would make answers depend on the host.
		return nil, errors.New(`time_zone "Local" is not allowed; name an IANA zone`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time_zone %.64q: %w", name, err)
	}
	return loc, nil
}

func compileLayer(l Layer, scheduleZone *time.Location, opts Options) (layer, error) {
	c := layer{id: l.ID, users: l.Users, start: l.Start, end: l.End, loc: scheduleZone, country: l.SkipHolidays}
	if len(l.Users) == 0 {
		return layer{}, errors.New("users: at least one is required")
	}
	for i, u := range l.Users {
		if u == "" {
			return layer{}, fmt.Errorf("users: entry %d is empty", i+1)
		}
	}
	if l.Start.IsZero() {
		return layer{}, errors.New("start is required")
	}
	if !supported(l.Start) {
		return layer{}, errors.New("start must lie within the years 1 to 9999")
	}
	if !l.End.IsZero() {
		switch {
		case !supported(l.End):
			return layer{}, errors.New("end must lie within the years 1 to 9999")
		case !l.End.After(l.Start):
			return layer{}, fmt.Errorf("end %s is not after start %s", l.End.Format(time.RFC3339), l.Start.Format(time.RFC3339))
		}
	}
	if l.TimeZone != "" {
		loc, err := loadZone(l.TimeZone)
		if err != nil {
			return layer{}, err
		}
		c.loc = loc
	}
	every, days, err := parseRotation(l.Rotation.Every)
	if err != nil {
		return layer{}, fmt.Errorf("rotation: %w", err)
	}
	c.every, c.days = every, days
	local := l.Start.In(c.loc)
	c.startDay = dateOf(local)
	c.clock = sinceMidnight(local)
	if len(l.Active) > MaxWindows {
		return layer{}, fmt.Errorf("%d active windows; at most %d are allowed", len(l.Active), MaxWindows)
	}
	for i, w := range l.Active {
		cw, err := compileWindow(w)
		if err != nil {
			return layer{}, fmt.Errorf("active window %d: %w", i+1, err)
		}
		c.windows = append(c.windows, cw)
	}
	if l.SkipHolidays != "" {
		if opts.Holiday == nil {
			return layer{}, errors.New("skip_holidays: no holiday calendar is available")
		}
		if opts.HolidaySupported != nil && !opts.HolidaySupported(l.SkipHolidays) {
			return layer{}, fmt.Errorf("skip_holidays: no holiday calendar for %.20q", l.SkipHolidays)
		}
	}
	return c, nil
}

// parseRotation reads a rotation length. A length written only in days and
// weeks is a calendar rotation (returned in days); any h, m or s makes it
// an absolute duration.
func parseRotation(s string) (every time.Duration, days int, err error) {
	d, err := duration.Parse(s)
	if err != nil {
		return 0, 0, err
	}
	calendar := true
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' && c != 'd' && c != 'w' {
			calendar = false
		}
	}
	if calendar {
		if d < duration.Day || d%duration.Day != 0 {
			return 0, 0, fmt.Errorf("%q is not a whole number of days", s)
		}
		return 0, int(d / duration.Day), nil
	}
	if d < MinRotation {
		return 0, 0, fmt.Errorf("%q is shorter than %s", s, MinRotation)
	}
	if d%time.Second != 0 {
		return 0, 0, fmt.Errorf("%q is not a whole number of seconds", s)
	}
	return d, 0, nil
}

func sinceMidnight(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

// supported bounds the instants the engine reasons about, so that its
// arithmetic cannot overflow.
func supported(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// handoff is the k-th handoff; the 0th is at the layer's start (or, when
// the start is the second pass through a repeated hour, at its first).
func (l *layer) handoff(k int64) time.Time {
	if l.days == 0 {
		secs := int64(l.every / time.Second)
		return time.Unix(l.start.Unix()+k*secs, int64(l.start.Nanosecond()))
	}
	return localTime(l.startDay.addDays(int(k*int64(l.days))), l.clock, l.loc)
}

// slot finds the rotation slot holding t: handoff(k) <= t < handoff(k+1).
func (l *layer) slot(t time.Time) (int64, interval) {
	var k int64
	if l.days == 0 {
		secs := int64(l.every / time.Second)
		elapsed := t.Unix() - l.start.Unix()
		if t.Nanosecond() < l.start.Nanosecond() {
			elapsed--
		}
		k = floorDiv(elapsed, secs)
	} else {
		local := t.In(l.loc)
		elapsed := daysBetween(l.startDay, dateOf(local))
		if sinceMidnight(local) < l.clock {
			elapsed--
		}
		k = floorDiv(elapsed, int64(l.days))
	}
	// The estimate is off by at most one where DST moves a handoff.
	begin := l.handoff(k)
	for begin.After(t) {
		k--
		begin = l.handoff(k)
	}
	end := l.handoff(k + 1)
	for !end.After(t) {
		k++
		begin, end = end, l.handoff(k+1)
	}
	return k, interval{begin, end}
}

func (l *layer) user(k int64) string {
	n := int64(len(l.users))
	return l.users[((k%n)+n)%n]
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// dayInterval is the stretch of time whose local date is d.
func dayInterval(d civilDate, loc *time.Location) interval {
	return interval{localTime(d, 0, loc), localTime(d.addDays(1), 0, loc)}
}

func (l *layer) isHoliday(d civilDate, lookup func(string, time.Time) (string, bool)) bool {
	_, ok := lookup(l.country, time.Date(d.year, d.month, d.day, 12, 0, 0, 0, l.loc))
	return ok
}

// covers reports whether the layer puts someone on call at t.
func (l *layer) covers(t time.Time, lookup func(string, time.Time) (string, bool)) bool {
	if t.Before(l.start) || !l.end.IsZero() && !t.Before(l.end) {
		return false
	}
	today := dateOf(t.In(l.loc))
	if len(l.windows) > 0 {
		in := false
		for _, w := range l.windows {
			if w.containsOn(t, today, l.loc) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	if l.country != "" {
		for _, d := range [3]civilDate{today.addDays(-1), today, today.addDays(1)} {
			if dayInterval(d, l.loc).contains(t) && l.isHoliday(d, lookup) {
				return false
			}
		}
	}
	return true
}

// OnCall lists who is on call at an instant: exactly one user, or nil when
// nobody is (a gap). The answer is the topmost layer active at that
// instant, then the overrides in list order, each applied to the result of
// those before it.
func (e *Engine) OnCall(at time.Time) []string {
	user, _ := e.answer(at)
	if user == "" {
		return nil
	}
	return []string{user}
}

func (e *Engine) answer(at time.Time) (user, layerID string) {
	if !supported(at) {
		return "", ""
	}
	for i := len(e.layers) - 1; i >= 0; i-- {
		l := &e.layers[i]
		if l.covers(at, e.holiday) {
			k, _ := l.slot(at)
			user, layerID = l.user(k), l.id
			break
		}
	}
	for _, o := range e.overrides {
		if o.span.contains(at) && (o.replaces == "" || o.replaces == user) {
			user, layerID = o.user, OverrideLayer
		}
	}
	return user, layerID
}

// Shifts is the on-call timeline of [from, to): who is on call when, after
// layers and overrides, sorted by start and clipped to the range. Pieces of
// one user that touch are merged into one shift. Gaps have no shift. The
// range may be at most MaxRange long.
func (e *Engine) Shifts(from, to time.Time) ([]Shift, error) {
	tl, err := e.timeline(from, to)
	if err != nil {
		return nil, err
	}
	return e.shiftsOf(tl), nil
}

func (e *Engine) shiftsOf(tl timeline) []Shift {
	var shifts []Shift
	for _, seg := range tl.segments {
		if seg.user == "" {
			continue
		}
		if n := len(shifts); n > 0 && shifts[n-1].User == seg.user && shifts[n-1].End.Equal(seg.start) {
			shifts[n-1].End = seg.end.In(e.loc)
			continue
		}
		shifts = append(shifts, Shift{User: seg.user, Start: seg.start.In(e.loc), End: seg.end.In(e.loc), Layer: seg.layer})
	}
	return shifts
}

// piece is a stretch of one layer's coverage with one user.
type piece struct {
	interval
	user string
}

// segment is a stretch of time over which nothing changes: the same layers
// are active with the same users and the same overrides apply.
type segment struct {
	interval
	user, layer string // the answer; user "" for a gap
	// covers[coverFrom:coverTo] of the timeline are the active layers,
	// top first.
	coverFrom, coverTo int
}

type cover struct {
	layer int
	user  string
}

type timeline struct {
	segments []segment
	covers   []cover
}

func checkRange(from, to time.Time) error {
	switch {
	case !supported(from) || !supported(to):
		return errors.New("range must lie within the years 1 to 9999")
	case to.Before(from):
		return fmt.Errorf("range ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	case to.Sub(from) > MaxRange:
		return fmt.Errorf("%w: %s to %s is more than %d days", ErrRangeTooLong,
			from.Format(time.RFC3339), to.Format(time.RFC3339), MaxRange/(24*time.Hour))
	}
	return nil
}

func (e *Engine) timeline(from, to time.Time) (timeline, error) {
	if err := checkRange(from, to); err != nil {
		return timeline{}, err
	}
	span := interval{from, to}
	if !from.Before(to) {
		return timeline{}, nil
	}
	pieces := make([][]piece, len(e.layers))
	edges := []time.Time{from, to}
	for i := range e.layers {
		pieces[i] = e.layers[i].pieces(span, e.holiday)
		for _, p := range pieces[i] {
			edges = append(edges, p.start, p.end)
		}
	}
	var overrides []override
	for _, o := range e.overrides {
		if c, ok := o.span.clip(span); ok {
			overrides = append(overrides, o)
			edges = append(edges, c.start, c.end)
		}
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i].Before(edges[j]) })
	uniq := edges[:1]
	for _, t := range edges[1:] {
		if !t.Equal(uniq[len(uniq)-1]) {
			uniq = append(uniq, t)
		}
	}

	// Overrides are swept in order of start, keeping the active ones in
	// list order, so that many overrides do not make every segment costly.
	byStart := make([]int, len(overrides))
	for i := range byStart {
		byStart[i] = i
	}
	sort.SliceStable(byStart, func(a, b int) bool { return overrides[byStart[a]].span.start.Before(overrides[byStart[b]].span.start) })
	var active []int // indices into overrides, ascending
	nextOverride := 0

	var tl timeline
	next := make([]int, len(e.layers)) // per layer, the first piece not yet passed
	for s := 0; s+1 < len(uniq); s++ {
		seg := segment{interval: interval{uniq[s], uniq[s+1]}, coverFrom: len(tl.covers)}
		for i := len(e.layers) - 1; i >= 0; i-- {
			ps := pieces[i]
			for next[i] < len(ps) && !ps[next[i]].end.After(seg.start) {
				next[i]++
			}
			if next[i] < len(ps) && !ps[next[i]].start.After(seg.start) {
				if seg.coverFrom == len(tl.covers) {
					seg.user, seg.layer = ps[next[i]].user, e.layers[i].id
				}
				tl.covers = append(tl.covers, cover{layer: i, user: ps[next[i]].user})
			}
		}
		seg.coverTo = len(tl.covers)
		for nextOverride < len(byStart) && !overrides[byStart[nextOverride]].span.start.After(seg.start) {
			i := byStart[nextOverride]
			at, _ := slices.BinarySearch(active, i)
			active = slices.Insert(active, at, i)
			nextOverride++
		}
		active = slices.DeleteFunc(active, func(i int) bool { return !overrides[i].span.end.After(seg.start) })
		for _, i := range active {
			if o := overrides[i]; o.replaces == "" || o.replaces == seg.user {
				seg.user, seg.layer = o.user, OverrideLayer
			}
		}
		tl.segments = append(tl.segments, seg)
	}
	return tl, nil
}

// pieces lists the layer's coverage within span, split at handoffs.
func (l *layer) pieces(span interval, lookup func(string, time.Time) (string, bool)) []piece {
	if span.start.Before(l.start) {
		span.start = l.start
	}
	if !l.end.IsZero() && span.end.After(l.end) {
		span.end = l.end
	}
	if !span.start.Before(span.end) {
		return nil
	}
	active := []interval{span}
	if len(l.windows) > 0 {
		var all []interval
		for _, w := range l.windows {
			all = append(all, w.occurrencesIn(span, l.loc)...)
		}
		active = mergeIntervals(all)
	}
	if l.country != "" {
		var holidays []interval
		last := dateOf(span.end.In(l.loc)).addDays(1)
		for d := dateOf(span.start.In(l.loc)).addDays(-1); !last.before(d); d = d.addDays(1) {
			if l.isHoliday(d, lookup) {
				holidays = append(holidays, dayInterval(d, l.loc))
			}
		}
		active = subtractIntervals(active, mergeIntervals(holidays))
	}
	var out []piece
	for _, iv := range active {
		k, slot := l.slot(iv.start)
		t := iv.start
		for {
			end := slot.end
			if end.After(iv.end) {
				end = iv.end
			}
			out = append(out, piece{interval{t, end}, l.user(k)})
			if !end.Before(iv.end) {
				break
			}
			t = end
			k++
			slot = interval{slot.end, l.handoff(k + 1)}
		}
	}
	return out
}

// Location is the schedule's time zone.
func (e *Engine) Location() *time.Location { return e.loc }
