package api

import (
	"fmt"
	"github.com/vigil-oncall/vigil/internal/hours"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// defaultShiftRange is how far ahead shifts and coverage look when the
// request gives no end.
const defaultShiftRange = 7 * 24 * time.Hour

// userRef names a user by id and name.
type userRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func userRefOf(snap *org.Snapshot, id string) userRef {
	ref := userRef{ID: id}
	if u := snap.User(id); u != nil {
		ref.Name = u.Name
	}
	return ref
}

// parseInstant reads an RFC 3339 query parameter, def when it is absent.
func parseInstant(r *http.Request, name string, def time.Time) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest("%s %.64q is not an RFC 3339 time such as 2026-02-03T09:00:00Z", name, v)
	}
	return t, nil
}

// parseSpan reads ?from= and ?to=: from is def when absent, and to is
// length after from (with a length of 0, absent sides stay zero: open).
func parseSpan(r *http.Request, def time.Time, length time.Duration) (from, to time.Time, err error) {
	if from, err = parseInstant(r, "from", def); err != nil {
		return from, to, err
	}
	var defTo time.Time
	if length > 0 {
		defTo = from.Add(length)
	}
	if to, err = parseInstant(r, "to", defTo); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, badRequest("to (%s) is before from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return from, to, nil
}

// pathSchedule finds the path's schedule and its compiled engine.
func (s *Server) pathSchedule(r *http.Request) (*org.Snapshot, *schedule.Engine, error) {
	snap := s.org.Snapshot()
	id := r.PathValue("id")
	if snap.Schedule(id) == nil {
		return nil, nil, notFound("schedule %.64q not found", id)
	}
	e, err := s.oncall.Engine(snap, id)
	if err != nil {
		return nil, nil, fmt.Errorf("compile schedule %s: %w", id, err)
	}
	return snap, e, nil
}

// scheduleOnCall serves GET /api/v1/schedules/{id}/oncall?at=TIME.
func (s *Server) scheduleOnCall(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	at, err := parseInstant(r, "at", s.now())
	if err != nil {
		return err
	}
	snap, e, err := s.pathSchedule(r)
	if err != nil {
		return err
	}
	who := []userRef{}
	for _, u := range e.OnCall(at) {
		who = append(who, userRefOf(snap, u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedule": r.PathValue("id"), "at": at, "oncall": who})
	return nil
}

// shiftView is a shift as the API shows it.
type shiftView struct {
	User  userRef   `json:"user"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Layer string    `json:"layer"`
}

// scheduleShifts serves GET /api/v1/schedules/{id}/shifts?from=&to=, paged
// by shift start.
func (s *Server) scheduleShifts(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	from, to, err := parseSpan(r, s.now(), defaultShiftRange)
	if err != nil {
		return err
	}
	p, err := parseList(r)
	if err != nil {
		return err
	}
	var after time.Time
	if p.after != "" {
		if after, err = time.Parse(time.RFC3339Nano, p.after); err != nil {
			return badRequest("invalid cursor")
		}
	}
	snap, e, err := s.pathSchedule(r)
	if err != nil {
		return err
	}
	shifts, err := e.Shifts(from, to)
	if err != nil {
		return badRequest("%v", err)
	}
	start := 0
	if p.after != "" {
		// Shifts never overlap, so their starts increase strictly.
		start = sort.Search(len(shifts), func(i int) bool { return shifts[i].Start.After(after) })
	}
	end := min(start+p.limit, len(shifts))
	page := shiftViews(snap, shifts[start:end])
	var next *string
	if end < len(shifts) {
		next = encodeCursor(shifts[end-1].Start.Format(time.RFC3339Nano))
	}
	writeJSON(w, http.StatusOK, map[string]any{"shifts": page, "next_cursor": next})
	return nil
}

// coverageView is the follow-the-sun report of a schedule over a range.
type coverageView struct {
	Schedule string            `json:"schedule"`
	From     time.Time         `json:"from"`
	To       time.Time         `json:"to"`
	Night    catalog.HourRange `json:"night_hours"`
	Gaps     []spanView        `json:"gaps"`
	Overlaps []overlapView     `json:"overlaps"`
	People   []personHours     `json:"people"`
}

type spanView struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Hours float64   `json:"hours"`
}

func spanOf(start, end time.Time) spanView {
	return spanView{Start: start, End: end, Hours: end.Sub(start).Hours()}
}

// overlapView lists the layers active together, the one on call first.
type overlapView struct {
	spanView
	Layers []layerUser `json:"layers"`
}

type layerUser struct {
	Layer string  `json:"layer"`
	User  userRef `json:"user"`
}

// personHours are one person's hours on call; night and weekend hours are
// read in their own time zone.
type personHours struct {
	User         userRef `json:"user"`
	TimeZone     string  `json:"time_zone"`
	OnCallHours  float64 `json:"oncall_hours"`
	NightHours   float64 `json:"night_hours"`
	WeekendHours float64 `json:"weekend_hours"`
}

// scheduleCoverage serves GET /api/v1/schedules/{id}/coverage?from=&to=.
func (s *Server) scheduleCoverage(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	from, to, err := parseSpan(r, s.now(), defaultShiftRange)
	if err != nil {
		return err
	}
	snap, e, err := s.pathSchedule(r)
	if err != nil {
		return err
	}
	orgHours := snap.Hours()
	zones := map[string]*time.Location{}
	zoneOf := func(user string) *time.Location {
		if loc, ok := zones[user]; ok {
			return loc
		}
		var loc *time.Location
		if u := snap.User(user); u != nil && u.TimeZone != "" && u.TimeZone != "Local" {
			loc, _ = time.LoadLocation(u.TimeZone)
		}
		zones[user] = loc
		return loc
	}
	rep, err := schedule.Coverage(e, from, to, zoneOf, orgHours, nil)
	if err != nil {
		return badRequest("%v", err)
	}
	out := coverageView{
		Schedule: r.PathValue("id"), From: from, To: to, Night: catalog.HourRange{Start: hours.Clock(orgHours.Night.Start), End: hours.Clock(orgHours.Night.End)},
		Gaps: []spanView{}, Overlaps: []overlapView{}, People: []personHours{},
	}
	for _, g := range rep.Gaps {
		out.Gaps = append(out.Gaps, spanOf(g.Start, g.End))
	}
	for _, o := range rep.Overlaps {
		ov := overlapView{spanView: spanOf(o.Start, o.End)}
		for i := range o.Layers {
			ov.Layers = append(ov.Layers, layerUser{Layer: o.Layers[i], User: userRefOf(snap, o.Users[i])})
		}
		out.Overlaps = append(out.Overlaps, ov)
	}
	for _, p := range rep.People {
		zone := e.Location()
		if loc := zoneOf(p.User); loc != nil {
			zone = loc
		}
		out.People = append(out.People, personHours{
			User: userRefOf(snap, p.User), TimeZone: zone.String(),
			OnCallHours: p.OnCall.Hours(), NightHours: p.Night.Hours(), WeekendHours: p.Weekend.Hours(),
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// whoIsOnCall serves GET /api/v1/oncall?service=X|team=T|schedule=S[&at=].
func (s *Server) whoIsOnCall(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	q := r.URL.Query()
	var kind, id string
	given := 0
	for _, k := range []string{"service", "team", "schedule"} {
		if v := q.Get(k); v != "" {
			kind, id = k, v
			given++
		}
	}
	if given != 1 {
		return badRequest("give exactly one of service, team or schedule")
	}
	at, err := parseInstant(r, "at", s.now())
	if err != nil {
		return err
	}
	ans, err := s.oncall.Ask(s.org.Snapshot(), kind, id, at)
	if err != nil {
		return fmt.Errorf("on-call lookup: %w", err)
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// overrideView is a schedule override, configured or made through the API.
type overrideView struct {
	ID        string     `json:"id,omitempty"`
	Schedule  string     `json:"schedule"`
	User      string     `json:"user"`
	Replaces  string     `json:"replaces,omitempty"`
	Start     time.Time  `json:"start"`
	End       time.Time  `json:"end"`
	Source    string     `json:"source"` // config or api
	CreatedAt *time.Time `json:"created_at,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
}

func apiOverrideView(o org.ScheduleOverride) overrideView {
	created := o.CreatedAt
	return overrideView{ID: o.ID, Schedule: o.Schedule, User: o.User, Replaces: o.Replaces, Start: o.Start, End: o.End,
		Source: store.SourceAPI, CreatedAt: &created, CreatedBy: o.CreatedBy}
}

// listOverrides serves GET /api/v1/schedules/{id}/overrides: the
// configured overrides, then the API-made ones, in the order they apply.
func (s *Server) listOverrides(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, err := parseList(r)
	if err != nil {
		return err
	}
	offset := 0
	if p.after != "" {
		if offset, err = strconv.Atoi(p.after); err != nil || offset < 0 {
			return badRequest("invalid cursor")
		}
	}
	snap, sch, err := s.overridable(r, auth.Principal{}, false)
	if err != nil {
		return err
	}
	all := allOverrides(snap, sch)
	start := min(offset, len(all))
	end := min(start+p.limit, len(all))
	var next *string
	if end < len(all) {
		next = encodeCursor(strconv.Itoa(end))
	}
	writeJSON(w, http.StatusOK, map[string]any{"overrides": all[start:end], "next_cursor": next})
	return nil
}

// overridable finds the path's schedule and, when write is set, checks
// that p may change its overrides: admins and members of a team whose
// schedule it is.
func (s *Server) overridable(r *http.Request, p auth.Principal, write bool) (*org.Snapshot, *schedule.Schedule, error) {
	snap := s.org.Snapshot()
	id := r.PathValue("id")
	sch := snap.Schedule(id)
	if sch == nil {
		return nil, nil, notFound("schedule %.64q not found", id)
	}
	if write && !auth.CanOverrideSchedule(p, snap, id) {
		return nil, nil, forbidden("only admins and members of a team on schedule %s may change its overrides", id)
	}
	return snap, sch, nil
}

// overrideRequest makes an override through the API.
type overrideRequest struct {
	User     string    `json:"user"`
	Replaces string    `json:"replaces,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// createOverride serves POST /api/v1/schedules/{id}/overrides.
func (s *Server) createOverride(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, sch, err := s.overridable(r, p, true)
	if err != nil {
		return err
	}
	req, err := s.readOverride(w, r)
	if err != nil {
		return err
	}
	o, err := s.org.AddScheduleOverride(r.Context(), org.ScheduleOverride{
		Schedule: sch.ID, User: req.User, Replaces: req.Replaces, Start: req.Start, End: req.End,
	}, p.Actor())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiOverrideView(o))
	return nil
}

// deleteOverride serves DELETE /api/v1/schedules/{id}/overrides/{oid}.
func (s *Server) deleteOverride(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	snap, sch, err := s.overridable(r, p, true)
	if err != nil {
		return err
	}
	o, err := apiOverride(snap, sch, r.PathValue("oid"), "remove")
	if err != nil {
		return err
	}
	if err := s.org.Delete(r.Context(), org.KindScheduleOverride, o.ID, p.Actor()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readOverride reads the body of a new or moved override; one that ends
// in the past is refused.
func (s *Server) readOverride(w http.ResponseWriter, r *http.Request) (overrideRequest, error) {
	var req overrideRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return req, err
	}
	if !req.End.IsZero() && !req.End.After(s.now()) {
		return req, badRequest("the override ends (%s) in the past", req.End.Format(time.RFC3339))
	}
	return req, nil
}

// apiOverride finds the schedule's override oid made through the API; one
// declared in the configuration files is theirs to change (verb says how),
// a conflict.
func apiOverride(snap *org.Snapshot, sch *schedule.Schedule, oid, verb string) (*org.ScheduleOverride, error) {
	if o := snap.ScheduleOverride(oid); o != nil && o.Schedule == sch.ID {
		return o, nil
	}
	for _, o := range sch.Overrides {
		if o.ID == oid {
			return nil, conflict("override %q is declared in the configuration files; %s it there and apply the files", oid, verb)
		}
	}
	return nil, notFound("schedule %s has no override %.64q", sch.ID, oid)
}
