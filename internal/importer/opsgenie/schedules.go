package opsgenie

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/importer"
	vsched "github.com/vigil-oncall/vigil/internal/schedule"
)

func (r *run) importSchedules(pages [][]byte) error {
	items, err := importer.Items[schedule](pages, "schedules", "data")
	if err != nil {
		return err
	}
	teamSchedules := map[int][][]string{}
	for _, item := range items {
		if item.ID == "" || r.schedules[item.ID] != nil {
			continue
		}
		s := item
		if len(s.Rotations) == 0 {
			// Listed without expand=rotation: GET /v2/schedules/ID has them.
			if s, err = detail(r, item, "schedules", item.ID); err != nil {
				return err
			}
		}
		tracks, ok, err := r.schedule(s)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		r.schedules[item.ID] = tracks
		r.schedByNm[item.Name] = item.ID
		r.Res.Schedules[item.ID] = tracks
		if s.OwnerTeam != nil {
			if i, ok := r.teamRef(*s.OwnerTeam); ok {
				teamSchedules[i] = append(teamSchedules[i], tracks)
			}
		}
	}
	for _, i := range slices.Sorted(maps.Keys(teamSchedules)) {
		scheds := teamSchedules[i]
		t := &r.Res.Bundle.Teams[i]
		switch {
		case len(scheds) == 1 && len(scheds[0]) == 1:
			t.Schedule = scheds[0][0]
		case len(scheds) == 1:
			t.Schedule = scheds[0][0]
			r.Rep.Change("team", t.Name, fmt.Sprintf("its schedule became %d Vigil schedules (%s) because its rotations are on call together; a {team: ...} target pages only %s", len(scheds[0]), strings.Join(scheds[0], ", "), scheds[0][0]),
				"in escalation policies, target the schedules rather than the team")
		default:
			r.Rep.Change("team", t.Name, fmt.Sprintf("owns %d schedules; a Vigil team has one, so none was set", len(scheds)), "set the team's schedule")
		}
	}
	return nil
}

// schedule translates one schedule into one Vigil schedule or, when its
// rotations can be on call at the same time, several.
func (r *run) schedule(s schedule) ([]string, bool, error) {
	name := s.Name
	zone, ok := importer.Zone(s.Timezone)
	if !ok {
		r.Rep.Skip("schedule", name, "time zone "+importer.Code(s.Timezone)+" is not an IANA zone", "recreate the schedule with its zone")
		return nil, false, nil
	}
	loc, _ := time.LoadLocation(zone)
	if !s.Enabled {
		r.Rep.Change("schedule", name, "disabled in Opsgenie; Vigil has no disabled schedules, so it pages", "leave it out of escalation policies until it is wanted")
	}
	var overrides []override
	if importer.SafeID(s.ID) {
		var found bool
		var err error
		if overrides, found, err = list[override](r, "schedules/"+s.ID+"/overrides"); err != nil {
			return nil, false, err
		}
		if !found {
			r.Rep.Check("Overrides of schedule %s were not given (schedules/%s/overrides.json = GET /v2/schedules/%s/overrides): add the ones to come by hand.", importer.Code(name), s.ID, s.ID)
		}
	}
	// Rotations that overrides name keep a schedule of their own, where an
	// override can replace their people without touching the others'.
	overridden := map[string]bool{}
	for _, o := range overrides {
		for _, rot := range o.Rotations {
			overridden[rot.ID] = true
			overridden["name:"+rot.Name] = true
		}
	}
	var layerIDs importer.IDs
	var parts []importer.Part
	var rotOf []rotation // the rotation of each part
	for _, rot := range s.Rotations {
		l, why := r.rotation(rot, loc, &layerIDs)
		if why != "" {
			r.Rep.Skip("rotation", name+": "+rot.Name, why, "recreate the rotation by hand")
			continue
		}
		parts = append(parts, importer.Part{Layers: []vsched.Layer{l}, Alone: overridden[rot.ID] || overridden["name:"+rot.Name]})
		rotOf = append(rotOf, rot)
	}
	if len(parts) == 0 {
		r.Rep.Skip("schedule", name, "no rotation carried over", "recreate the schedule by hand")
		return nil, false, nil
	}
	if len(s.Rotations) > vsched.MaxLayers {
		r.Rep.Skip("schedule", name, fmt.Sprintf("%d rotations, more than the %d Vigil takes", len(s.Rotations), vsched.MaxLayers), "split it into several schedules")
		return nil, false, nil
	}
	tracks := importer.Tracks(parts, zone)
	base := r.ScheduleIDs.New(name, s.ID, "schedule")
	var ids []string
	out := make([]vsched.Schedule, len(tracks))
	for j, tr := range tracks {
		id, label := base, name
		if j > 0 {
			id = r.ScheduleIDs.New(fmt.Sprintf("%s %d", base, j+1), "", "schedule")
			label = fmt.Sprintf("%s (%d)", name, j+1)
		}
		out[j] = vsched.Schedule{ID: id, Name: label, TimeZone: zone, Layers: tr.Layers}
		ids = append(ids, id)
	}
	if len(tracks) > 1 {
		r.Rep.Change("schedule", name, fmt.Sprintf("its rotations can be on call at the same time, and a Vigil schedule has one person on call: it became %d schedules (%s), all targeted wherever the schedule was", len(tracks), strings.Join(ids, ", ")),
			"nothing: whoever is on call on any of them is paged")
	}
	r.overrides(name, overrides, loc, parts, rotOf, tracks, out)
	r.Res.Bundle.Schedules = append(r.Res.Bundle.Schedules, out...)
	return ids, true, nil
}

// rotation translates one rotation into a layer; why says why it was left
// out.
func (r *run) rotation(rot rotation, loc *time.Location, ids *importer.IDs) (vsched.Layer, string) {
	var users []string
	for _, p := range rot.Participants {
		switch p.Type {
		case "user":
			id, ok := r.userRef(p)
			if !ok {
				return vsched.Layer{}, "its participant " + importer.Code(p.Username+p.Name) + " was not imported"
			}
			users = append(users, id)
		case "none":
			return vsched.Layer{}, "it has a turn with nobody on call (participant none); a Vigil rotation has no empty turn"
		default:
			return vsched.Layer{}, "its participant " + importer.Code(p.Name) + " is a " + p.Type + "; Vigil rotations hold people"
		}
	}
	if len(users) == 0 {
		return vsched.Layer{}, "no participants"
	}
	start, err := importer.ParseTime(rot.StartDate)
	if err != nil {
		return vsched.Layer{}, "startDate " + importer.Code(rot.StartDate) + " is not an RFC 3339 time"
	}
	var end time.Time
	if rot.EndDate != "" {
		if end, err = importer.ParseTime(rot.EndDate); err != nil {
			return vsched.Layer{}, "endDate " + importer.Code(rot.EndDate) + " is not an RFC 3339 time"
		}
		switch {
		case !end.After(start):
			return vsched.Layer{}, "it ends before it starts"
		case !end.After(r.Opts.Now):
			return vsched.Layer{}, "it ended on " + end.Format(time.RFC3339) + ", before the import (history)"
		}
		end = end.In(loc)
	}
	length := rot.Length
	if length == 0 {
		length = 1 // Opsgenie's default
	}
	if length < 0 || length > 1000 {
		return vsched.Layer{}, fmt.Sprintf("length %d is out of range", rot.Length)
	}
	var every string
	switch rot.Type {
	case "hourly":
		every = strconv.Itoa(length) + "h"
	case "daily":
		every = strconv.Itoa(length) + "d"
	case "weekly":
		every = strconv.Itoa(length) + "w"
	default:
		return vsched.Layer{}, "rotation type " + importer.Code(rot.Type) + " is not hourly, daily or weekly"
	}
	l := vsched.Layer{ID: ids.New(rot.Name, rot.ID, "rotation"), Users: users, Rotation: vsched.Rotation{Every: every}, Start: start.In(loc), End: end}
	if tr := rot.TimeRestriction; tr != nil {
		ws, always, note := restrictionWindows(*tr)
		if note != "" {
			r.Rep.Change("rotation", rot.Name, note, "check the rotation's time restriction")
		}
		if !always {
			if len(ws) == 0 {
				return vsched.Layer{}, "its time restrictions leave no time on call"
			}
			if len(ws) > vsched.MaxWindows {
				return vsched.Layer{}, "more time restrictions than Vigil takes"
			}
			l.Active = ws
		}
	}
	return l, ""
}

var days = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// clockOf reads a restriction's hour and minute as minutes after midnight.
func clockOf(h, m *int) (int, bool) {
	if h == nil || m == nil || *h < 0 || *h > 23 || *m < 0 || *m > 59 {
		return 0, false
	}
	return *h*60 + *m, true
}

// restrictionWindows reads a time restriction as wall-clock windows in the
// schedule's zone. time-of-day covers every day from its start to its end
// (past midnight when the end is earlier); each weekday-and-time-of-day
// restriction covers one stretch from its start day and time to its end
// day and time (past the week's end when that comes earlier).
func restrictionWindows(tr timeRestriction) (windows []vsched.Window, always bool, note string) {
	var notes []string
	switch tr.Type {
	case "time-of-day":
		if tr.Restriction == nil {
			return nil, false, "time-of-day restriction without its times"
		}
		from, ok1 := clockOf(tr.Restriction.StartHour, tr.Restriction.StartMin)
		to, ok2 := clockOf(tr.Restriction.EndHour, tr.Restriction.EndMin)
		if !ok1 || !ok2 {
			return nil, false, "time-of-day restriction with times out of range"
		}
		length := to - from
		if length <= 0 {
			length += 24 * 60
		}
		ws, all := importer.DailyWindows(from, length)
		return ws, all, ""
	case "weekday-and-time-of-day":
		for _, rs := range tr.Restrictions {
			sd, ok1 := days[strings.ToLower(rs.StartDay)]
			ed, ok2 := days[strings.ToLower(rs.EndDay)]
			from, ok3 := clockOf(rs.StartHour, rs.StartMin)
			to, ok4 := clockOf(rs.EndHour, rs.EndMin)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				notes = append(notes, "a restriction "+importer.Code(rs.StartDay+"–"+rs.EndDay)+" with days or times out of range was left out")
				continue
			}
			length := (int(ed)-int(sd)+7)%7*24*60 + to - from
			if length <= 0 {
				length += 7 * 24 * 60
			}
			ws, all := importer.WeeklyWindows(sd, from, length)
			if all {
				return nil, true, strings.Join(notes, "; ")
			}
			windows = append(windows, ws...)
		}
		return importer.MergeWindows(windows), false, strings.Join(notes, "; ")
	}
	return nil, false, "time restriction type " + importer.Code(tr.Type) + " is unknown and was left out"
}

// overrides carries over the overrides that end after the import: one for
// the whole schedule puts its user on call alone, on every Vigil schedule
// made from it; one for some rotations replaces their people wherever
// they cover.
func (r *run) overrides(name string, overrides []override, loc *time.Location, parts []importer.Part, rotOf []rotation, tracks []importer.Track, out []vsched.Schedule) {
	read := make([]importer.Override, len(overrides))
	for i, o := range overrides {
		user, ok := r.userRef(o.User)
		read[i] = importer.Override{Start: o.StartDate, End: o.EndDate, Who: o.User.Username, User: user, Imported: ok}
	}
	r.Overrides(name, read, loc, func(i int, user string, start, end time.Time) {
		o := overrides[i]
		if len(o.Rotations) == 0 {
			for j := range out {
				out[j].Overrides = append(out[j].Overrides, vsched.Override{User: user, Start: start, End: end})
			}
			return
		}
		for _, target := range o.Rotations {
			found := false
			for p, rot := range rotOf {
				if target.ID != "" && rot.ID != target.ID || target.ID == "" && rot.Name != target.Name {
					continue
				}
				found = true
				for j, tr := range tracks {
					if !slices.Contains(tr.Parts, p) {
						continue
					}
					var seen []string
					for _, u := range parts[p].Layers[0].Users {
						if !slices.Contains(seen, u) {
							seen = append(seen, u)
							out[j].Overrides = append(out[j].Overrides, vsched.Override{User: user, Replaces: u, Start: start, End: end})
						}
					}
				}
			}
			if !found {
				r.Rep.Skip("override", name, "override from "+o.StartDate+" names rotation "+importer.Code(target.Name)+", which was not carried over", "add it by hand")
			}
		}
	})
}

// scheduleOf finds the Vigil schedules of a schedule named by id or name.
func (r *run) scheduleOf(p ref) ([]string, bool) {
	if s, ok := r.schedules[p.ID]; ok && p.ID != "" {
		return s, true
	}
	s, ok := r.schedules[r.schedByNm[p.Name]]
	return s, ok && p.Name != ""
}

func scheduleTargets(tracks []string) []escalation.Target {
	var out []escalation.Target
	for _, id := range tracks {
		out = append(out, escalation.Target{Schedule: id})
	}
	return out
}
