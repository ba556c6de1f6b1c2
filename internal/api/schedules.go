package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// roleFeed is the role of calendar feed tokens. auth.ValidRole does not
// know it, so such a token opens nothing but the calendar feeds: the API
// answers it 403.
const roleFeed = "feed"

// defaultShiftRange is how far ahead shifts and coverage look when the
// request gives no end.
const defaultShiftRange = 7 * 24 * time.Hour

// The calendar feeds show a week back and 90 days ahead, from and to UTC
// midnights, so that an event keeps its UID all day (see schedule.ICal).
const (
	feedBehind = 7
	feedAhead  = 91 // 90 days ahead of today's midnight
)

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
		return time.Time{}, fmt.Errorf("%s %.64q is not an RFC 3339 time such as 2026-02-03T09:00:00Z", name, v)
	}
	return t, nil
}

// parseRange reads from and to: by default from now, a week long.
func parseRange(r *http.Request, now time.Time) (from, to time.Time, err error) {
	if from, err = parseInstant(r, "from", now); err != nil {
		return from, to, err
	}
	if to, err = parseInstant(r, "to", from.Add(defaultShiftRange)); err != nil {
		return from, to, err
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("to (%s) is before from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return from, to, nil
}

// scheduleEngine finds the path's schedule and its compiled engine,
// answering 404 or 500 itself.
func (s *Server) scheduleEngine(w http.ResponseWriter, r *http.Request) (*org.Snapshot, *schedule.Engine, bool) {
	snap := s.org.Snapshot()
	id := r.PathValue("id")
	if snap.Schedule(id) == nil {
		writeError(w, http.StatusNotFound, "not_found", "schedule %q not found", id)
		return nil, nil, false
	}
	e, err := s.oncall.Engine(snap, id)
	if err != nil {
		s.log.Error("compile schedule", "schedule", id, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "schedule %q cannot be compiled: %v", id, err)
		return nil, nil, false
	}
	return snap, e, true
}

// scheduleOnCall serves GET /api/v1/schedules/{id}/oncall?at=TIME.
func (s *Server) scheduleOnCall(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	at, err := parseInstant(r, "at", s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	snap, e, ok := s.scheduleEngine(w, r)
	if !ok {
		return
	}
	who := []userRef{}
	for _, u := range e.OnCall(at) {
		who = append(who, userRefOf(snap, u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedule": r.PathValue("id"), "at": at, "oncall": who})
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
func (s *Server) scheduleShifts(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	from, to, err := parseRange(r, s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	p, err := parseList(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	var after time.Time
	if p.after != "" {
		if after, err = time.Parse(time.RFC3339Nano, p.after); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "invalid cursor")
			return
		}
	}
	snap, e, ok := s.scheduleEngine(w, r)
	if !ok {
		return
	}
	shifts, err := e.Shifts(from, to)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	start := 0
	if p.after != "" {
		// Shifts never overlap, so their starts increase strictly.
		start = sort.Search(len(shifts), func(i int) bool { return shifts[i].Start.After(after) })
	}
	end := min(start+p.limit, len(shifts))
	page := make([]shiftView, 0, end-start)
	for _, sh := range shifts[start:end] {
		page = append(page, shiftView{User: userRefOf(snap, sh.User), Start: sh.Start, End: sh.End, Layer: sh.Layer})
	}
	var next *string
	if end < len(shifts) {
		next = encodeCursor(shifts[end-1].Start.Format(time.RFC3339Nano))
	}
	writeJSON(w, http.StatusOK, map[string]any{"shifts": page, "next_cursor": next})
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
func (s *Server) scheduleCoverage(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	from, to, err := parseRange(r, s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	snap, e, ok := s.scheduleEngine(w, r)
	if !ok {
		return
	}
	night := snap.NightHours().Or(schedule.DefaultNight())
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
	rep, err := schedule.Coverage(e, from, to, zoneOf, night, nil)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	span := func(start, end time.Time) spanView {
		return spanView{Start: start, End: end, Hours: end.Sub(start).Hours()}
	}
	out := coverageView{
		Schedule: r.PathValue("id"), From: from, To: to, Night: catalog.HourRange{Start: night.Start.String(), End: night.End.String()},
		Gaps: []spanView{}, Overlaps: []overlapView{}, People: []personHours{},
	}
	for _, g := range rep.Gaps {
		out.Gaps = append(out.Gaps, span(g.Start, g.End))
	}
	for _, o := range rep.Overlaps {
		ov := overlapView{spanView: span(o.Start, o.End)}
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
}

// onCallAnswer says who would be paged first, and why.
type onCallAnswer struct {
	At               time.Time   `json:"at"`
	Service          string      `json:"service,omitempty"`
	Team             string      `json:"team,omitempty"`
	Schedule         string      `json:"schedule,omitempty"`
	EscalationPolicy string      `json:"escalation_policy,omitempty"`
	OnCall           []pagedUser `json:"oncall"`
	Notes            []string    `json:"notes"`
}

type pagedUser struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// whoIsOnCall serves GET /api/v1/oncall?service=X|team=T|schedule=S[&at=].
func (s *Server) whoIsOnCall(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	q := r.URL.Query()
	ans := onCallAnswer{Service: q.Get("service"), Team: q.Get("team"), Schedule: q.Get("schedule")}
	given := 0
	for _, v := range []string{ans.Service, ans.Team, ans.Schedule} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		writeError(w, http.StatusBadRequest, "bad_request", "give exactly one of service, team or schedule")
		return
	}
	at, err := parseInstant(r, "at", s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	ans.At = at
	snap := s.org.Snapshot()
	var users []routing.Paged
	switch {
	case ans.Service != "":
		ans.EscalationPolicy, users, ans.Notes, err = s.oncall.ForService(snap, ans.Service, at)
	case ans.Team != "":
		users, ans.Notes, err = s.oncall.ForTeam(snap, ans.Team, at)
	default:
		users, ans.Notes, err = s.oncall.ForSchedule(snap, ans.Schedule, at)
	}
	if errors.Is(err, org.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "%v", err)
		return
	}
	if err != nil {
		s.internalError(w, "on-call lookup", err)
		return
	}
	ans.OnCall = []pagedUser{}
	for _, u := range users {
		ref := userRefOf(snap, u.User)
		ans.OnCall = append(ans.OnCall, pagedUser{ID: ref.ID, Name: ref.Name, Reason: u.Reason})
	}
	if ans.Notes == nil {
		ans.Notes = []string{}
	}
	writeJSON(w, http.StatusOK, ans)
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
func (s *Server) listOverrides(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, err := parseList(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	offset := 0
	if p.after != "" {
		if offset, err = strconv.Atoi(p.after); err != nil || offset < 0 {
			writeError(w, http.StatusBadRequest, "bad_request", "invalid cursor")
			return
		}
	}
	snap := s.org.Snapshot()
	id := r.PathValue("id")
	sch := snap.Schedule(id)
	if sch == nil {
		writeError(w, http.StatusNotFound, "not_found", "schedule %q not found", id)
		return
	}
	all := make([]overrideView, 0, len(sch.Overrides))
	for _, o := range sch.Overrides {
		all = append(all, overrideView{ID: o.ID, Schedule: id, User: o.User, Replaces: o.Replaces, Start: o.Start, End: o.End, Source: store.SourceConfig})
	}
	for _, o := range snap.ScheduleOverrides(id) {
		all = append(all, apiOverrideView(o))
	}
	start := min(offset, len(all))
	end := min(start+p.limit, len(all))
	var next *string
	if end < len(all) {
		next = encodeCursor(strconv.Itoa(end))
	}
	writeJSON(w, http.StatusOK, map[string]any{"overrides": all[start:end], "next_cursor": next})
}

// overrideRequest makes an override through the API.
type overrideRequest struct {
	User     string    `json:"user"`
	Replaces string    `json:"replaces,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// createOverride serves POST /api/v1/schedules/{id}/overrides.
func (s *Server) createOverride(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	snap := s.org.Snapshot()
	id := r.PathValue("id")
	if snap.Schedule(id) == nil {
		writeError(w, http.StatusNotFound, "not_found", "schedule %q not found", id)
		return
	}
	if !auth.CanOverrideSchedule(p, snap, id) {
		writeError(w, http.StatusForbidden, "forbidden", "only admins and members of a team on schedule %s may override it", id)
		return
	}
	var req overrideRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if !req.End.IsZero() && !req.End.After(s.now()) {
		writeError(w, http.StatusBadRequest, "bad_request", "the override ends (%s) in the past", req.End.Format(time.RFC3339))
		return
	}
	o, err := s.org.AddScheduleOverride(r.Context(), org.ScheduleOverride{
		Schedule: id, User: req.User, Replaces: req.Replaces, Start: req.Start, End: req.End,
	}, p.Actor())
	if !s.writeOrgError(w, "override", "", err) {
		return
	}
	writeJSON(w, http.StatusCreated, apiOverrideView(o))
}

// deleteOverride serves DELETE /api/v1/schedules/{id}/overrides/{oid}.
func (s *Server) deleteOverride(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	snap := s.org.Snapshot()
	id, oid := r.PathValue("id"), r.PathValue("oid")
	sch := snap.Schedule(id)
	if sch == nil {
		writeError(w, http.StatusNotFound, "not_found", "schedule %q not found", id)
		return
	}
	if !auth.CanOverrideSchedule(p, snap, id) {
		writeError(w, http.StatusForbidden, "forbidden", "only admins and members of a team on schedule %s may change its overrides", id)
		return
	}
	if o := snap.ScheduleOverride(oid); o != nil && o.Schedule == id {
		if !s.writeOrgError(w, "override", oid, s.org.Delete(r.Context(), org.KindScheduleOverride, oid, p.Actor())) {
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	for _, o := range sch.Overrides {
		if o.ID == oid {
			writeError(w, http.StatusConflict, "conflict",
				"override %q is declared in the configuration files; remove it there and apply the files", oid)
			return
		}
	}
	writeError(w, http.StatusNotFound, "not_found", "schedule %s has no override %q", id, oid)
}

// feedTokenCreated answers POST /api/v1/users/{id}/feed_token. The token
// is shown once.
type feedTokenCreated struct {
	Token               string `json:"token"`
	UserURL             string `json:"user_url"`
	ScheduleURLTemplate string `json:"schedule_url_template"`
}

// createFeedToken makes a user's calendar feed token, revoking any earlier
// one: admins for anyone, a user token for its own user.
func (s *Server) createFeedToken(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	user := r.PathValue("id")
	if s.org.Snapshot().User(user) == nil {
		writeError(w, http.StatusNotFound, "not_found", "user %q not found", user)
		return
	}
	if !auth.ActsFor(p, user) {
		writeError(w, http.StatusForbidden, "forbidden", "only admins and %s themself may make %s's feed token", user, user)
		return
	}
	now := s.now().UTC()
	secret, tok, err := newToken("feed-", store.Token{Name: "calendar feed of " + user, UserID: user, Role: roleFeed, CreatedAt: now})
	if err != nil {
		s.internalError(w, "make a feed token", err)
		return
	}
	after, _ := json.Marshal(tok)
	audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "feed_token.create", Kind: "token", ObjID: tok.ID, After: after}
	if err := s.store.CreateToken(r.Context(), tok, audit); err != nil {
		s.internalError(w, "store the feed token", err)
		return
	}
	// The new token is stored first, so that a failure here leaves the
	// user with a working feed.
	toks, err := s.store.ListTokens(r.Context())
	if err != nil {
		s.internalError(w, "list feed tokens", err)
		return
	}
	for _, old := range toks {
		if old.Role != roleFeed || old.UserID != user || old.ID == tok.ID || old.RevokedAt != nil {
			continue
		}
		audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "feed_token.revoke", Kind: "token", ObjID: old.ID, Details: "replaced by " + tok.ID}
		if err := s.store.RevokeToken(r.Context(), old.ID, now, audit); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.internalError(w, "revoke the previous feed token", err)
			return
		}
	}
	base := strings.TrimRight(s.publicURL, "/")
	if base == "" {
		base = baseURL(r)
	}
	token := url.QueryEscape(secret)
	writeJSON(w, http.StatusCreated, feedTokenCreated{
		Token:               secret,
		UserURL:             base + "/api/v1/users/" + url.PathEscape(user) + "/calendar.ics?token=" + token,
		ScheduleURLTemplate: base + "/api/v1/schedules/{schedule}/calendar.ics?token=" + token,
	})
}

// baseURL is how the client reached this server, behind a TLS-terminating
// proxy too: the feed links' base when no public URL is configured.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// feedToken checks the ?token= of a calendar feed: 401 for a missing,
// unknown or revoked token (429 once its address has failed too often),
// 403 for one that is not a feed token. It answers failures itself.
func (s *Server) feedToken(w http.ResponseWriter, r *http.Request) (store.Token, bool) {
	client := s.clientAddress(r)
	secret := r.URL.Query().Get("token")
	if secret == "" || len(secret) > 512 {
		s.refuseCredential(w, client, "", "a calendar feed needs ?token= with a feed token")
		return store.Token{}, false
	}
	hash := auth.Hash(secret)
	tok, err := s.store.TokenByHash(r.Context(), hash)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("token lookup", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "cannot check the token now")
		return store.Token{}, false
	}
	if err != nil || tok.RevokedAt != nil || subtle.ConstantTimeCompare(tok.Hash, hash) != 1 {
		s.refuseCredential(w, client, "", "invalid or revoked feed token")
		return store.Token{}, false
	}
	if tok.Role != roleFeed {
		writeError(w, http.StatusForbidden, "forbidden", "not a calendar feed token; make one with POST /api/v1/users/{id}/feed_token")
		return store.Token{}, false
	}
	if s.org.Snapshot().User(tok.UserID) == nil {
		writeError(w, http.StatusForbidden, "forbidden", "the feed token's user no longer exists")
		return store.Token{}, false
	}
	return tok, true
}

// feedRange is the span the calendar feeds cover at now.
func feedRange(now time.Time) (from, to time.Time) {
	day := now.UTC().Truncate(24 * time.Hour)
	return day.AddDate(0, 0, -feedBehind), day.AddDate(0, 0, feedAhead)
}

func displayName(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// userCalendar serves GET /api/v1/users/{id}/calendar.ics?token=T: the
// user's own shifts on every schedule.
func (s *Server) userCalendar(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	tok, ok := s.feedToken(w, r)
	if !ok {
		return
	}
	user := r.PathValue("id")
	if tok.UserID != user {
		writeError(w, http.StatusForbidden, "forbidden", "this feed token belongs to another user")
		return
	}
	snap := s.org.Snapshot()
	now := s.now()
	from, to := feedRange(now)
	var parts []schedule.NamedShifts
	for _, sch := range snap.Bundle.Schedules {
		e, err := s.oncall.Engine(snap, sch.ID)
		if err != nil {
			s.log.Warn("calendar feed: schedule does not compile", "schedule", sch.ID, "err", err)
			continue
		}
		shifts, err := e.Shifts(from, to)
		if err != nil {
			s.log.Warn("calendar feed: shifts", "schedule", sch.ID, "err", err)
			continue
		}
		var mine []schedule.Shift
		for _, sh := range shifts {
			if sh.User == user {
				mine = append(mine, sh)
			}
		}
		if len(mine) > 0 {
			parts = append(parts, schedule.NamedShifts{Name: displayName(sch.Name, sch.ID), Shifts: mine})
		}
	}
	name := displayName(snap.User(user).Name, user)
	writeCalendar(w, schedule.ICalFeed("On call: "+name, parts, userNames(snap), now))
}

// scheduleCalendar serves GET /api/v1/schedules/{id}/calendar.ics?token=T.
func (s *Server) scheduleCalendar(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if _, ok := s.feedToken(w, r); !ok {
		return
	}
	snap, e, ok := s.scheduleEngine(w, r)
	if !ok {
		return
	}
	now := s.now()
	from, to := feedRange(now)
	shifts, err := e.Shifts(from, to)
	if err != nil {
		s.internalError(w, "calendar feed", err)
		return
	}
	sch := snap.Schedule(r.PathValue("id"))
	writeCalendar(w, schedule.ICal(displayName(sch.Name, sch.ID), shifts, userNames(snap), now))
}

func userNames(snap *org.Snapshot) func(string) string {
	return func(id string) string {
		if u := snap.User(id); u != nil {
			return u.Name
		}
		return ""
	}
}

func writeCalendar(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}
