package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/holiday"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// defaultTimelineRange is what the schedule editor shows: two weeks.
const defaultTimelineRange = 14 * 24 * time.Hour

// timelineView is a schedule over a range as its editor draws it: each
// layer's own rotation, the overrides, and the final rotation that pages.
type timelineView struct {
	Schedule string           `json:"schedule"`
	TimeZone string           `json:"time_zone"`
	From     time.Time        `json:"from"`
	To       time.Time        `json:"to"`
	Source   string           `json:"source"`
	Layers   []layerTimeline  `json:"layers"`
	Override []overrideView   `json:"overrides"`
	Final    []shiftView      `json:"final"`
	Users    []userRef        `json:"users"`
	Rights   timelineRights   `json:"rights"`
	Cover    []coverTimeslice `json:"cover_requests"`
}

// layerTimeline is one layer's rotation alone, as if no layer above it
// and no override existed.
type layerTimeline struct {
	ID     string      `json:"id"`
	Shifts []shiftView `json:"shifts"`
}

// timelineRights say what the caller may change.
type timelineRights struct {
	// Overrides: create, move and delete the overrides made through the
	// API (configured ones are the files').
	Overrides bool `json:"overrides"`
	// Layers: the schedule itself, which only admins change, and only when
	// it was made through the API.
	Layers bool `json:"layers"`
}

// coverTimeslice is an open cover request within the range.
type coverTimeslice struct {
	ID        int64     `json:"id"`
	Requester string    `json:"requester"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// scheduleTimeline serves GET /api/v1/schedules/{id}/timeline?from=&to=.
func (s *Server) scheduleTimeline(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	from, to, err := parseSpan(r, s.now(), defaultTimelineRange)
	if err != nil {
		return err
	}
	snap, e, err := s.pathSchedule(r)
	if err != nil {
		return err
	}
	sch := snap.Schedule(r.PathValue("id"))
	final, err := e.Shifts(from, to)
	if err != nil {
		return badRequest("%v", err)
	}
	out := timelineView{Schedule: sch.ID, TimeZone: e.Location().String(), From: from, To: to, Source: snap.Source(store.KindSchedule, sch.ID),
		Layers: []layerTimeline{}, Override: []overrideView{}, Final: shiftViews(snap, final), Users: []userRef{}, Cover: []coverTimeslice{},
		Rights: timelineRights{Overrides: auth.CanOverrideSchedule(p, snap, sch.ID)}}
	out.Rights.Layers = auth.CanConfigure(p) && out.Source == store.SourceAPI
	for _, l := range sch.Layers {
		alone, err := schedule.Compile(schedule.Schedule{ID: sch.ID, TimeZone: sch.TimeZone, Layers: []schedule.Layer{l}},
			schedule.Options{Holiday: holiday.IsHoliday, HolidaySupported: holiday.Supported})
		if err != nil {
			return fmt.Errorf("compile layer %s of %s: %w", l.ID, sch.ID, err)
		}
		shifts, err := alone.Shifts(from, to)
		if err != nil {
			return badRequest("%v", err)
		}
		out.Layers = append(out.Layers, layerTimeline{ID: l.ID, Shifts: shiftViews(snap, shifts)})
	}
	for _, o := range allOverrides(snap, sch) {
		if o.End.After(from) && o.Start.Before(to) {
			out.Override = append(out.Override, o)
		}
	}
	for _, u := range snap.Bundle.Users {
		out.Users = append(out.Users, userRef{ID: u.ID, Name: u.Name})
	}
	open, _, err := s.swaps.List(r.Context(), store.CoverRequestQuery{Schedule: sch.ID, Statuses: []string{"open"}, Limit: 100})
	if err != nil {
		return err
	}
	for _, c := range open {
		if c.End.After(from) && c.Start.Before(to) {
			out.Cover = append(out.Cover, coverTimeslice{ID: c.ID, Requester: c.Requester, Start: c.Start, End: c.End})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func shiftViews(snap *org.Snapshot, shifts []schedule.Shift) []shiftView {
	out := make([]shiftView, 0, len(shifts))
	for _, sh := range shifts {
		out = append(out, shiftView{User: userRefOf(snap, sh.User), Start: sh.Start, End: sh.End, Layer: sh.Layer})
	}
	return out
}

// allOverrides lists a schedule's overrides, configured then made through
// the API, in the order they apply.
func allOverrides(snap *org.Snapshot, sch *schedule.Schedule) []overrideView {
	all := make([]overrideView, 0, len(sch.Overrides))
	for _, o := range sch.Overrides {
		all = append(all, overrideView{ID: o.ID, Schedule: sch.ID, User: o.User, Replaces: o.Replaces, Start: o.Start, End: o.End, Source: store.SourceConfig})
	}
	for _, o := range snap.ScheduleOverrides(sch.ID) {
		all = append(all, apiOverrideView(o))
	}
	return all
}

// moveOverride serves PUT /api/v1/schedules/{id}/overrides/{oid}: an
// override made through the API gets a new span (or user), with the same
// checks as a new one; a configured one is the files' to change.
func (s *Server) moveOverride(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	snap, sch, err := s.overridable(r, p, true)
	if err != nil {
		return err
	}
	cur, err := apiOverride(snap, sch, r.PathValue("oid"), "change")
	if err != nil {
		return err
	}
	req, err := s.readOverride(w, r)
	if err != nil {
		return err
	}
	moved := *cur
	moved.User, moved.Replaces, moved.Start, moved.End = req.User, req.Replaces, req.Start, req.End
	if err := s.org.ReplaceScheduleOverride(r.Context(), moved, p.Actor()); err != nil {
		if errors.Is(err, org.ErrNotFound) {
			return notFound("schedule %s has no override %.64q", sch.ID, cur.ID)
		}
		return err
	}
	writeJSON(w, http.StatusOK, apiOverrideView(moved))
	return nil
}
