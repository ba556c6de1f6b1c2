package grafanaoncall

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
	vsched "github.com/vigil-oncall/vigil/internal/schedule"
)

// topLevel is above every shift's level: overrides come first in OnCall's
// final schedule.
const topLevel = 1 << 20

func (r *run) importSchedules(pages [][]byte) error {
	scheds, err := importer.Items[schedule](pages, "schedules", "results")
	if err != nil {
		return err
	}
	shifts, err := all[shift](r, "on_call_shifts")
	if err != nil {
		return err
	}
	if shifts == nil && len(scheds) > 0 {
		r.Rep.Check("No on_call_shifts.json was given (GET /api/v1/on_call_shifts/): schedules have no rotations.")
	}
	byID := map[string]shift{}
	for _, s := range shifts {
		byID[s.ID] = s
	}
	teamSchedules := map[int][][]string{}
	for _, s := range scheds {
		if s.ID == "" || r.schedules[s.ID] != nil {
			continue
		}
		var mine []shift
		for _, sh := range shifts {
			if sh.Schedule != nil && *sh.Schedule == s.ID || slices.Contains(s.Shifts, sh.ID) {
				mine = append(mine, sh)
			}
		}
		tracks, ok := r.schedule(s, mine)
		if !ok {
			continue
		}
		r.schedules[s.ID] = tracks
		r.Res.Schedules[s.ID] = tracks
		if s.TeamID != nil {
			if i, ok := r.teams[*s.TeamID]; ok {
				teamSchedules[i] = append(teamSchedules[i], tracks)
			}
		}
	}
	for _, i := range slices.Sorted(maps.Keys(teamSchedules)) {
		list := teamSchedules[i]
		t := &r.Res.Bundle.Teams[i]
		t.Schedule = list[0][0]
		if len(list) > 1 || len(list[0]) > 1 {
			r.Rep.Change("team", t.Name, "its on-call spans several Vigil schedules; a {team: ...} target pages "+importer.Code(list[0][0])+" only", "in escalation policies, target the schedules rather than the team")
		}
	}
	return nil
}

// schedule translates one schedule and its shifts into Vigil schedules.
func (r *run) schedule(s schedule, shifts []shift) ([]string, bool) {
	name := s.Name
	if s.Type == "ical" {
		r.Rep.Skip("schedule", name, "an iCal schedule: its shifts live in an external calendar ("+importer.Code(deref(s.ICalURLPrimary))+")",
			"recreate its rotations as layers, or import that calendar's rotation by hand")
		return nil, false
	}
	zone := "UTC"
	if s.TimeZone != "" {
		z, ok := importer.Zone(s.TimeZone)
		if !ok {
			r.Rep.Skip("schedule", name, "time zone "+importer.Code(s.TimeZone)+" is not an IANA zone", "recreate the schedule with its zone")
			return nil, false
		}
		zone = z
	}
	if s.ICalURLOverrides != nil && *s.ICalURLOverrides != "" {
		r.Rep.Skip("schedule", name, "overrides from an external calendar ("+importer.Code(*s.ICalURLOverrides)+")", "add the overrides to come to the schedule")
	}
	var layerIDs importer.IDs
	var parts []importer.Part
	var overrides []shift
	skipped := 0
	for _, sh := range shifts {
		switch sh.Type {
		case "override":
			overrides = append(overrides, sh)
			continue
		case "single_event":
			ps, why := r.single(sh, zone, &layerIDs)
			if why != "" {
				r.Rep.Skip("shift", name+": "+sh.Name, why, "recreate it as a layer or an override")
				skipped++
			}
			parts = append(parts, ps...)
			continue
		case "rolling_users", "recurrent_event":
		default:
			r.Rep.Skip("shift", name+": "+sh.Name, "shift type "+importer.Code(sh.Type)+" is unknown", "recreate it by hand")
			skipped++
			continue
		}
		p, why := r.readPlan(sh, s, zone)
		var ps []importer.Part
		if why == "" {
			label := sh.Name
			ps, why = p.parts(sh.Level, func(suffix string) string { return layerIDs.New(label+suffix, sh.ID+suffix, "rotation") }, zone)
		}
		if why != "" {
			r.Rep.Skip("rotation", name+": "+sh.Name, why, "recreate the rotation by hand")
			skipped++
			continue
		}
		parts = append(parts, ps...)
	}
	plain, overParts := r.overrides(name, overrides, zone, &layerIDs)
	parts = append(parts, overParts...)
	if len(parts) == 0 {
		r.Rep.Skip("schedule", name, "no rotation carried over", "recreate the schedule by hand")
		return nil, false
	}
	if skipped > 0 {
		r.Rep.Change("schedule", name, fmt.Sprintf("%d of its shifts could not be carried over (listed above), so who is on call differs from OnCall where they would have covered", skipped), "recreate them by hand")
	}
	tracks := importer.Tracks(parts, zone)
	base := r.ScheduleIDs.New(name, s.ID, "schedule")
	var ids []string
	for j, tr := range tracks {
		id, label := base, name
		if j > 0 {
			id = r.ScheduleIDs.New(fmt.Sprintf("%s %d", base, j+1), "", "schedule")
			label = fmt.Sprintf("%s (%d)", name, j+1)
		}
		if len(tr.Layers) > vsched.MaxLayers {
			r.Rep.Skip("schedule", name, fmt.Sprintf("%d layers, more than the %d Vigil takes", len(tr.Layers), vsched.MaxLayers), "simplify its rotations")
			return nil, false
		}
		r.Res.Bundle.Schedules = append(r.Res.Bundle.Schedules, vsched.Schedule{ID: id, Name: label, TimeZone: zone, Layers: tr.Layers, Overrides: plain})
		ids = append(ids, id)
	}
	if len(tracks) > 1 {
		r.Rep.Change("schedule", name, fmt.Sprintf("it puts several people on call at once (rotations of one level, or groups of users), and a Vigil schedule has one person on call: it became %d schedules (%s), all targeted wherever the schedule was", len(tracks), strings.Join(ids, ", ")),
			"nothing: whoever is on call on any of them is paged")
	}
	return ids, true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// window reads a one-off event: start and duration in the zone.
func (r *run) window(sh shift, zone string) (start, end time.Time, users []string, why string) {
	tz := zone
	if sh.TimeZone != nil && *sh.TimeZone != "" {
		z, ok := importer.Zone(*sh.TimeZone)
		if !ok {
			return start, end, nil, "time zone " + importer.Code(*sh.TimeZone) + " is not an IANA zone"
		}
		tz = z
	}
	loc, _ := time.LoadLocation(tz)
	start, err := parseWall(sh.Start, loc)
	if err != nil {
		return start, end, nil, "start " + importer.Code(sh.Start) + " is not a time"
	}
	if sh.Duration <= 0 || sh.Duration > 366*24*3600 {
		return start, end, nil, fmt.Sprintf("duration %ds is out of range", sh.Duration)
	}
	l := start.In(loc)
	end = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second()+int(sh.Duration), 0, loc)
	ids := append(slices.Clone(sh.Users), flatten(sh.RollingUsers)...)
	for _, u := range ids {
		id, ok := r.userOf(u)
		if !ok {
			return start, end, nil, "its users include " + importer.Code(u) + ", who was not imported"
		}
		if !slices.Contains(users, id) {
			users = append(users, id)
		}
	}
	if len(users) == 0 {
		return start, end, nil, "no users"
	}
	return start, end, users, ""
}

func flatten(groups [][]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// single is a one-off event: each of its users on call over it, at its
// level, as a layer that starts and ends with it.
func (r *run) single(sh shift, zone string, ids *importer.IDs) ([]importer.Part, string) {
	start, end, users, why := r.window(sh, zone)
	if why != "" {
		return nil, why
	}
	if !end.After(r.Opts.Now) {
		return nil, "it ended before the import (history)"
	}
	var parts []importer.Part
	for i, u := range users {
		parts = append(parts, importer.Part{Level: sh.Level, Layers: []vsched.Layer{{
			ID: ids.New(sh.Name+memberSuffix(i), sh.ID, "event"), Users: []string{u}, Rotation: vsched.Rotation{Every: "1w"},
			Start: start.In(mustZone(zone)), End: end.In(mustZone(zone)),
		}}})
	}
	return parts, ""
}

func mustZone(zone string) *time.Location {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// overrides puts each override to come on top of every level: its users
// alone on call over it (several at once when it has several users or
// overlaps another, as in OnCall). An override of one person that
// overlaps no other is a Vigil override on every schedule made; the
// others are layers above all the rotations, where Vigil's engine puts
// several on call through the several schedules.
func (r *run) overrides(name string, overrides []shift, zone string, ids *importer.IDs) (plain []vsched.Override, parts []importer.Part) {
	type window struct {
		start, end time.Time
		users      []string
		shift      shift
	}
	var ws []window
	past := 0
	for _, o := range overrides {
		start, end, users, why := r.window(o, zone)
		switch {
		case why != "":
			r.Rep.Skip("override", name+": "+o.Name, why, "add it by hand")
			continue
		case !end.After(r.Opts.Now):
			past++
			continue
		}
		ws = append(ws, window{start.In(mustZone(zone)), end.In(mustZone(zone)), users, o})
	}
	for i, w := range ws {
		alone := len(w.users) == 1
		for j, x := range ws {
			if i != j && x.start.Before(w.end) && w.start.Before(x.end) {
				alone = false
			}
		}
		if alone {
			plain = append(plain, vsched.Override{User: w.users[0], Start: w.start, End: w.end})
			continue
		}
		for k, u := range w.users {
			parts = append(parts, importer.Part{Level: topLevel, Layers: []vsched.Layer{{
				ID: ids.New("override "+w.shift.Start+memberSuffix(k), w.shift.ID, "override"), Users: []string{u}, Rotation: vsched.Rotation{Every: "1w"},
				Start: w.start, End: w.end,
			}}})
		}
	}
	r.PastOverrides(name, past)
	return plain, parts
}
