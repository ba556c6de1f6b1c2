package pagerduty

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
	vsched "github.com/vigil-oncall/vigil/internal/schedule"
)

const (
	day      = 24 * time.Hour
	maxTurn  = 365 * day // PagerDuty's limit on a turn
	timeForm = time.RFC3339
)

// maxDelay is importer.MaxDelay in minutes.
const maxDelay = int(importer.MaxDelay / time.Minute)

func (r *run) importSchedules(pages [][]byte) error {
	list, err := importer.Items[schedule](pages, "schedules", "schedules")
	if err != nil {
		return err
	}
	b := &r.Res.Bundle
	teamSchedules := map[int][]string{}
	for _, item := range list {
		name := cmp.Or(item.Name, item.Summary)
		if item.ID == "" || !importer.SafeID(item.ID) {
			r.Rep.Skip("schedule", name, "has no usable id", "recreate it by hand")
			continue
		}
		if _, dup := r.schedules[item.ID]; dup {
			continue
		}
		s := item
		body, found, err := r.Src.Object(r.Ctx, "schedules/"+item.ID)
		if err != nil {
			return err
		}
		switch {
		case found:
			if s, err = importer.Object[schedule](body, "schedules/"+item.ID+".json", "schedule"); err != nil {
				return err
			}
		case len(item.ScheduleLayers) == 0:
			r.Rep.Skip("schedule", name, "no layers: the list does not carry them and schedules/"+item.ID+".json (GET /schedules/"+item.ID+") was not given",
				"save GET /schedules/"+item.ID+" as schedules/"+item.ID+".json and import again")
			continue
		}
		vs, ok := r.schedule(s, name)
		if !ok {
			continue
		}
		r.schedules[item.ID] = vs.ID
		r.Res.Schedules[item.ID] = []string{vs.ID}
		b.Schedules = append(b.Schedules, vs)
		for _, t := range s.Teams {
			if i, ok := r.teams[t.ID]; ok {
				teamSchedules[i] = append(teamSchedules[i], vs.ID)
			}
		}
	}
	for _, i := range slices.Sorted(maps.Keys(teamSchedules)) {
		ids := teamSchedules[i]
		if len(ids) == 1 {
			b.Teams[i].Schedule = ids[0]
		} else {
			r.Rep.Change("team", b.Teams[i].Name, fmt.Sprintf("has %d schedules (%s); a Vigil team has one, for {team: ...} targets, so none was set", len(ids), strings.Join(ids, ", ")),
				"set the team's schedule to the one its on-call follows")
		}
	}
	return nil
}

// schedule translates one schedule with its layers and future overrides.
func (r *run) schedule(s schedule, name string) (vsched.Schedule, bool) {
	zone, ok := importer.Zone(s.TimeZone)
	if !ok {
		r.Rep.Skip("schedule", name, "time zone "+importer.Code(s.TimeZone)+" is not an IANA zone", "recreate the schedule with its zone")
		return vsched.Schedule{}, false
	}
	loc, _ := time.LoadLocation(zone)
	if len(s.ScheduleLayers) > vsched.MaxLayers {
		r.Rep.Skip("schedule", name, fmt.Sprintf("%d layers, more than the %d Vigil takes", len(s.ScheduleLayers), vsched.MaxLayers), "split it into several schedules")
		return vsched.Schedule{}, false
	}
	vs := vsched.Schedule{ID: r.ScheduleIDs.New(name, s.ID, "schedule"), Name: name, TimeZone: zone}
	var layerIDs importer.IDs
	// GET /schedules/ID lists the layers top first (the layer added last,
	// which takes precedence, comes first); Vigil lists them bottom first.
	for i := len(s.ScheduleLayers) - 1; i >= 0; i-- {
		l := s.ScheduleLayers[i]
		layers, why := r.layer(l, loc, &layerIDs)
		if why != "" {
			r.Rep.Skip("schedule layer", name+": "+l.Name, why, "nothing, or recreate the layer by hand")
			continue
		}
		vs.Layers = append(vs.Layers, layers...)
	}
	if len(vs.Layers) == 0 {
		r.Rep.Skip("schedule", name, "no layer carried over", "recreate the schedule by hand")
		return vsched.Schedule{}, false
	}
	r.overrides(s, name, loc, &vs)
	return vs, true
}

// layer translates one layer; why says why it was left out.
func (r *run) layer(l layer, loc *time.Location, ids *importer.IDs) ([]vsched.Layer, string) {
	var users []string
	for _, u := range l.Users {
		id, ok := r.refUser(u.User)
		if !ok {
			return nil, "its rotation names user " + importer.Code(u.User.Summary+" "+u.User.ID) + ", who was not imported"
		}
		users = append(users, id)
	}
	if len(users) == 0 {
		return nil, "no users"
	}
	virtual, err1 := importer.ParseTime(l.RotationVirtualStart)
	start, err2 := importer.ParseTime(l.Start)
	if err1 != nil || err2 != nil {
		return nil, fmt.Sprintf("start %s or rotation_virtual_start %s is not an RFC 3339 time", importer.Code(l.Start), importer.Code(l.RotationVirtualStart))
	}
	var end time.Time
	if l.End != nil && *l.End != "" {
		var err error
		if end, err = importer.ParseTime(*l.End); err != nil {
			return nil, "end " + importer.Code(*l.End) + " is not an RFC 3339 time"
		}
		if !end.After(start) {
			return nil, "ends before it starts"
		}
		if !end.After(r.Opts.Now) {
			return nil, "ended on " + end.Format(timeForm) + ", before the import (history)"
		}
	}
	turn := time.Duration(l.RotationTurnLengthSeconds) * time.Second
	if l.RotationTurnLengthSeconds <= 0 || turn > maxTurn {
		return nil, fmt.Sprintf("rotation_turn_length_seconds %d is not a length PagerDuty allows", l.RotationTurnLengthSeconds)
	}
	rot := newRotation(turn, virtual, loc)
	if rot.rounded {
		r.Rep.Change("schedule layer", l.Name, fmt.Sprintf("a turn of %d seconds is not whole hours; it was rounded to %s", l.RotationTurnLengthSeconds, rot.every),
			"check the handoffs")
	}
	active, note := restrictions(l.Restrictions)
	if note != "" {
		r.Rep.Change("schedule layer", l.Name, note, "check the restriction")
	}
	if len(l.Restrictions) > 0 && active == nil && !restrictedToAlways(l.Restrictions) {
		return nil, "its restrictions leave no time on call"
	}
	base := vsched.Layer{ID: ids.New(l.Name, l.ID, "layer"), Rotation: vsched.Rotation{Every: rot.every}, Active: active, End: end}

	// Vigil hands off at its layer's start; PagerDuty counts turns from
	// rotation_virtual_start but covers only from start. Turn k holds
	// start (handoff(k) <= start < handoff(k+1)).
	k := rot.index(start)
	var out []vsched.Layer
	main := base
	switch {
	case !start.After(r.Opts.Now) && !virtual.After(start):
		// Coverage from rotation_virtual_start to start is in the past.
		main.Users, main.Start = users, virtual
	case rot.handoff(k).Equal(start) || !start.After(r.Opts.Now):
		main.Users, main.Start = rotate(users, k), rot.handoff(k)
	default:
		// A layer that begins in the future between two handoffs: its
		// first turn, from start, is a layer of its own.
		lead := base
		lead.ID = ids.New(l.Name+" first turn", "", "layer")
		lead.Users = []string{rotate(users, k)[0]}
		lead.Start = start
		lead.End = rot.handoff(k + 1)
		if !end.IsZero() && end.Before(lead.End) {
			lead.End = end
		}
		out = append(out, inZone(lead, loc))
		main.Users, main.Start = rotate(users, k+1), rot.handoff(k+1)
	}
	if end.IsZero() || main.Start.Before(end) {
		out = append(out, inZone(main, loc))
	}
	return out, ""
}

// inZone writes a layer's instants in the schedule's zone, as people read
// them.
func inZone(l vsched.Layer, loc *time.Location) vsched.Layer {
	l.Start = l.Start.In(loc)
	if !l.End.IsZero() {
		l.End = l.End.In(loc)
	}
	return l
}

// rotate starts the users at turn k.
func rotate(users []string, k int64) []string {
	n := int64(len(users))
	i := int((k%n + n) % n)
	return append(slices.Clone(users[i:]), users[:i]...)
}

// rotation is PagerDuty's turns: a length of whole days is calendar time
// in the schedule's zone (the handoff keeps its local time across DST
// changes, as PagerDuty's schedules do); any other length is absolute.
type rotation struct {
	every   string
	days    int           // calendar turns: days per turn
	length  time.Duration // absolute turns
	anchor  time.Time
	loc     *time.Location
	rounded bool
}

func newRotation(turn time.Duration, anchor time.Time, loc *time.Location) rotation {
	r := rotation{anchor: anchor.In(loc), loc: loc}
	switch {
	case turn%day == 0:
		r.days = int(turn / day)
		if r.days%7 == 0 {
			r.every = strconv.Itoa(r.days/7) + "w"
		} else {
			r.every = strconv.Itoa(r.days) + "d"
		}
	default:
		hours := max((turn+30*time.Minute)/time.Hour, 1)
		r.rounded = turn%time.Hour != 0
		r.length = hours * time.Hour
		r.every = strconv.Itoa(int(hours)) + "h"
	}
	return r
}

// handoff is the start of turn k.
func (r rotation) handoff(k int64) time.Time {
	if r.days == 0 {
		return r.anchor.Add(time.Duration(k) * r.length)
	}
	a := r.anchor
	return time.Date(a.Year(), a.Month(), a.Day()+int(k)*r.days, a.Hour(), a.Minute(), a.Second(), a.Nanosecond(), r.loc)
}

// index is the turn holding t.
func (r rotation) index(t time.Time) int64 {
	var k int64
	if r.days == 0 {
		k = int64(t.Sub(r.anchor) / r.length)
	} else {
		k = int64(t.Sub(r.anchor) / (time.Duration(r.days) * day))
	}
	for r.handoff(k).After(t) {
		k--
	}
	for !r.handoff(k + 1).After(t) {
		k++
	}
	return k
}

// restrictions turns PagerDuty's restrictions into active windows: a
// daily restriction covers every day from start_time_of_day for
// duration_seconds, a weekly one from start_day_of_week (1 Monday to 7
// Sunday) at that time. Both are read as wall-clock time in the
// schedule's zone. note says what had to be rounded.
func restrictions(rs []restriction) ([]vsched.Window, string) {
	var windows []vsched.Window
	var notes []string
	for _, rs := range rs {
		from, ok := parseClock(rs.StartTimeOfDay)
		if !ok {
			notes = append(notes, "restriction start "+importer.Code(rs.StartTimeOfDay)+" is not HH:MM:SS and was left out")
			continue
		}
		if rs.DurationSeconds%60 != 0 || from%60 != 0 {
			notes = append(notes, "restriction "+rs.StartTimeOfDay+" for "+strconv.FormatInt(rs.DurationSeconds, 10)+"s was rounded to whole minutes")
		}
		if rs.DurationSeconds <= 0 || rs.DurationSeconds > 7*24*3600 {
			notes = append(notes, "restriction lasting "+strconv.FormatInt(rs.DurationSeconds, 10)+"s was left out")
			continue
		}
		length := int((rs.DurationSeconds + 30) / 60)
		var ws []vsched.Window
		var always bool
		switch rs.Type {
		case "daily_restriction":
			ws, always = importer.DailyWindows(from/60, length)
		case "weekly_restriction":
			if rs.StartDayOfWeek < 1 || rs.StartDayOfWeek > 7 {
				notes = append(notes, "weekly restriction with start_day_of_week "+strconv.Itoa(rs.StartDayOfWeek)+" was left out")
				continue
			}
			ws, always = importer.WeeklyWindows(time.Weekday(rs.StartDayOfWeek%7), from/60, length)
		default:
			notes = append(notes, "restriction type "+importer.Code(rs.Type)+" was left out")
			continue
		}
		if always {
			return nil, strings.Join(notes, "; ")
		}
		windows = append(windows, ws...)
	}
	windows = importer.MergeWindows(windows)
	if len(windows) > vsched.MaxWindows {
		return nil, "more restrictions than Vigil takes; the layer covers always"
	}
	return windows, strings.Join(notes, "; ")
}

// restrictedToAlways reports whether one of the restrictions covers all
// the time, which leaves a layer without windows on purpose.
func restrictedToAlways(rs []restriction) bool {
	for _, r := range rs {
		if r.Type == "daily_restriction" && r.DurationSeconds >= 24*3600 && r.DurationSeconds <= 7*24*3600 ||
			r.Type == "weekly_restriction" && r.DurationSeconds == 7*24*3600 && r.StartDayOfWeek >= 1 && r.StartDayOfWeek <= 7 {
			if _, ok := parseClock(r.StartTimeOfDay); ok {
				return true
			}
		}
	}
	return false
}

// parseClock reads "HH:MM:SS" (or "HH:MM") as seconds after midnight.
func parseClock(s string) (int, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != 2 || n < 0 {
			return 0, false
		}
		v[i] = n
	}
	if v[0] > 23 || v[1] > 59 || v[2] > 59 {
		return 0, false
	}
	return v[0]*3600 + v[1]*60 + v[2], true
}

// overrides carries over the overrides that end after the import, from
// schedules/ID/overrides.json (GET /schedules/ID/overrides).
func (r *run) overrides(s schedule, name string, loc *time.Location, vs *vsched.Schedule) {
	body, found, err := r.Src.Object(r.Ctx, "schedules/"+s.ID+"/overrides")
	if err != nil || !found {
		r.Rep.Check("Overrides of schedule %s were not given (schedules/%s/overrides.json = GET /schedules/%s/overrides?since=…&until=…): add the ones to come by hand.", importer.Code(vs.ID), s.ID, s.ID)
		return
	}
	list, err := importer.Object[[]override](body, "schedules/"+s.ID+"/overrides.json", "overrides")
	if err != nil {
		r.Rep.Skip("schedule", name, "its overrides could not be read: "+err.Error(), "add the overrides to come by hand")
		return
	}
	read := make([]importer.Override, len(list))
	for i, o := range list {
		user, ok := r.refUser(o.User)
		read[i] = importer.Override{Start: o.Start, End: o.End, Who: o.User.Summary, User: user, Imported: ok}
	}
	r.Overrides(name, read, loc, func(_ int, user string, start, end time.Time) {
		vs.Overrides = append(vs.Overrides, vsched.Override{User: user, Start: start, End: end})
	})
}
