package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/web/secure"
)

// incidentView is an incident as the API shows it: with its timeline.
type incidentView struct {
	incident.Incident
	Timeline []incident.TimelineEntry `json:"timeline"`
	// Unchanged answers an action that already held (acknowledging an
	// acknowledged incident, resolving a resolved one): a success that
	// changed nothing, which Message says.
	Unchanged bool   `json:"unchanged,omitempty"`
	Message   string `json:"message,omitempty"`
}

func statuses(r *http.Request, defaults []alert.Status) ([]alert.Status, error) {
	raw := r.URL.Query().Get("status")
	if raw == "" {
		return defaults, nil
	}
	var out []alert.Status
	for _, s := range strings.Split(raw, ",") {
		s = strings.TrimSpace(s)
		switch st := alert.Status(s); st {
		case alert.StatusTriggered, alert.StatusAcknowledged, alert.StatusResolved:
			out = append(out, st)
		case "open":
			out = append(out, alert.StatusTriggered, alert.StatusAcknowledged)
		case "all":
			out = append(out, alert.StatusTriggered, alert.StatusAcknowledged, alert.StatusResolved)
		default:
			return nil, fmt.Errorf("unknown status %q (triggered, acknowledged, resolved)", s)
		}
	}
	return out, nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, before, ok := parseIDList(w, r)
	if !ok {
		return
	}
	sts, err := statuses(r, []alert.Status{alert.StatusTriggered, alert.StatusAcknowledged})
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	incs, err := s.store.ListIncidents(r.Context(), store.IncidentQuery{Service: r.URL.Query().Get("service"), Statuses: sts, BeforeID: before, Limit: p.limit + 1})
	if err != nil {
		s.internalError(w, "list incidents", err)
		return
	}
	incs, next := idPage(incs, p.limit, func(i incident.Incident) int64 { return i.ID })
	ids := make([]int64, len(incs))
	for i, inc := range incs {
		ids[i] = inc.ID
	}
	// One query for the page's timelines, not one per incident.
	timelines, err := s.store.Timelines(r.Context(), ids)
	if err != nil {
		s.internalError(w, "incident timelines", err)
		return
	}
	views := make([]incidentView, 0, len(incs))
	for _, inc := range incs {
		views = append(views, newIncidentView(inc, timelines[inc.ID]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": views, "next_cursor": next})
}

func (s *Server) viewIncident(r *http.Request, inc incident.Incident) (incidentView, error) {
	tl, err := s.store.Timeline(r.Context(), inc.ID)
	if err != nil {
		return incidentView{}, err
	}
	return newIncidentView(inc, tl), nil
}

// newIncidentView answers empty lists as [] rather than null.
func newIncidentView(inc incident.Incident, tl []incident.TimelineEntry) incidentView {
	if tl == nil {
		tl = []incident.TimelineEntry{}
	}
	if inc.Services == nil {
		inc.Services = []string{}
	}
	if inc.Suspects == nil {
		inc.Suspects = []incident.Suspect{}
	}
	if inc.Responders == nil {
		inc.Responders = []incident.Responder{}
	}
	return incidentView{Incident: inc, Timeline: tl}
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "not_found", "no incident %q", r.PathValue("id"))
		return 0, false
	}
	return id, true
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	inc, err := s.store.GetIncident(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "incident %d not found", id)
		return
	}
	if err != nil {
		s.internalError(w, "get incident", err)
		return
	}
	s.writeIncident(w, r, http.StatusOK, inc)
}

func (s *Server) incidentAlerts(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	alerts, err := s.store.ListAlerts(r.Context(), store.AlertQuery{IncidentID: id, Limit: maxLimit})
	if err != nil {
		s.internalError(w, "incident alerts", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": nonNil(alerts), "next_cursor": nil})
}

func (s *Server) incidentNotifications(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ns, err := s.store.ListNotifications(r.Context(), store.NotificationQuery{IncidentID: id, Limit: maxLimit})
	if err != nil {
		s.internalError(w, "incident notifications", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": nonNil(ns), "next_cursor": nil})
}

// canAct reports whether p may act on something touching these services
// (see auth.CanAct).
func (s *Server) canAct(p auth.Principal, services []string) bool {
	return auth.CanAct(p, s.org.Snapshot(), services)
}

// incidentAction serves POST /api/v1/incidents/{id}/{verb}.
type actionRequest struct {
	Note             string  `json:"note,omitempty"`
	Message          string  `json:"message,omitempty"`
	Duration         string  `json:"duration,omitempty"`
	User             string  `json:"user,omitempty"`
	Team             string  `json:"team,omitempty"`
	EscalationPolicy string  `json:"escalation_policy,omitempty"`
	Role             string  `json:"role,omitempty"`
	Audience         string  `json:"audience,omitempty"`
	Severity         string  `json:"severity,omitempty"`
	Reason           string  `json:"reason,omitempty"`
	Incident         int64   `json:"incident,omitempty"`
	Alerts           []int64 `json:"alerts,omitempty"`
	Channel          string  `json:"channel,omitempty"` // "cli" from the CLI, "web" from the web UI; "api" otherwise
}

// actionChannel is the channel the timeline records for a person's action:
// the client may name itself as the CLI or the web UI; anything else is
// the API, so that a client cannot pose as SMS or a signed link.
func actionChannel(claimed string) string {
	if claimed == "cli" || claimed == "web" {
		return claimed
	}
	return "api"
}

func (s *Server) incidentAction(verb string) func(http.ResponseWriter, *http.Request, auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		var req actionRequest
		if r.ContentLength != 0 && !decodeJSON(w, r, &req) {
			return
		}
		inc, err := s.store.GetIncident(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "not_found", "incident %d not found", id)
			return
		}
		if err != nil {
			s.internalError(w, "get incident", err)
			return
		}
		if !s.canAct(p, inc.Services) {
			writeError(w, http.StatusForbidden, "forbidden", "you may not act on incidents of %s", strings.Join(inc.Services, ", "))
			return
		}
		if alreadyHolds(verb, inc) {
			s.writeUnchanged(w, r, verb, inc)
			return
		}
		by := pipeline.Actor{Name: p.Actor(), Channel: actionChannel(req.Channel)}
		switch verb {
		case "acknowledge":
			inc, err = s.pipeline.Incidents.Acknowledge(r.Context(), id, by)
		case "resolve":
			inc, err = s.pipeline.Incidents.Resolve(r.Context(), id, by, req.Note)
		case "snooze":
			var d time.Duration
			if d, err = duration.Parse(req.Duration); err != nil {
				writeError(w, http.StatusBadRequest, "bad_request", "duration: %v", err)
				return
			}
			inc, err = s.pipeline.Incidents.Snooze(r.Context(), id, d, by)
		case "reassign":
			inc, err = s.pipeline.Incidents.Reassign(r.Context(), id, req.User, req.EscalationPolicy, by)
		case "notes":
			text := req.Message
			if text == "" {
				text = req.Note
			}
			inc, err = s.pipeline.Incidents.AddNote(r.Context(), id, text, by)
		case "major":
			inc, err = s.pipeline.Incidents.MakeMajor(r.Context(), id, req.Reason, by)
		case "severity":
			inc, err = s.pipeline.Incidents.SetSeverity(r.Context(), id, incident.Severity(req.Severity), by)
		case "page":
			inc, err = s.pipeline.Incidents.Page(r.Context(), id, pipeline.PageRequest{User: req.User, Team: req.Team, Message: req.Message}, by)
		case "roles":
			inc, err = s.pipeline.Incidents.AssignRole(r.Context(), id, incident.Role(req.Role), req.User, by)
		case "updates":
			inc, err = s.pipeline.Incidents.PostUpdate(r.Context(), id, req.Message, req.Audience, by)
		case "subscribers":
			inc, err = s.pipeline.Incidents.Subscribe(r.Context(), id, req.User, by)
		case "merge":
			if req.Incident != 0 {
				other, gerr := s.store.GetIncident(r.Context(), req.Incident)
				if gerr == nil && !s.canAct(p, other.Services) {
					writeError(w, http.StatusForbidden, "forbidden", "you may not act on incident %d", req.Incident)
					return
				}
			}
			inc, err = s.pipeline.Incidents.Merge(r.Context(), id, req.Incident, by)
		case "split":
			inc, err = s.pipeline.Incidents.Split(r.Context(), id, req.Alerts, by)
		}
		switch {
		case errors.Is(err, pipeline.ErrIncidentClosed) && verb == "resolve":
			// Resolved by someone else since it was read.
			if inc, err = s.store.GetIncident(r.Context(), id); err != nil {
				s.internalError(w, "get incident", err)
				return
			}
			s.writeUnchanged(w, r, verb, inc)
			return
		case errors.Is(err, pipeline.ErrIncidentClosed):
			writeError(w, http.StatusConflict, "conflict", "incident %d is resolved", id)
			return
		case errors.Is(err, pipeline.ErrInvalid):
			writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
			return
		case err != nil:
			s.internalError(w, verb+" incident", err)
			return
		}
		status := http.StatusOK
		if verb == "split" {
			status = http.StatusCreated // the answer is the new incident
		}
		s.writeIncident(w, r, status, inc)
	}
}

// writeIncident answers an incident with its timeline.
func (s *Server) writeIncident(w http.ResponseWriter, r *http.Request, status int, inc incident.Incident) {
	v, err := s.viewIncident(r, inc)
	if err != nil {
		s.internalError(w, "incident timeline", err)
		return
	}
	writeJSON(w, status, v)
}

// alreadyHolds reports whether an action would change nothing because what
// it does already holds: repeating it is a success.
func alreadyHolds(verb string, inc incident.Incident) bool {
	switch verb {
	case "acknowledge":
		return inc.Status == alert.StatusAcknowledged && inc.SnoozedUntil == nil
	case "resolve":
		return inc.Status == alert.StatusResolved
	}
	return false
}

// writeUnchanged answers an action that already held: 200 with the
// incident, saying so.
func (s *Server) writeUnchanged(w http.ResponseWriter, r *http.Request, verb string, inc incident.Incident) {
	v, err := s.viewIncident(r, inc)
	if err != nil {
		s.internalError(w, "incident timeline", err)
		return
	}
	v.Unchanged, v.Message = true, fmt.Sprintf("incident %d was already %s", inc.ID, inc.Status)
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, before, ok := parseIDList(w, r)
	if !ok {
		return
	}
	sts, err := statuses(r, nil)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	q := r.URL.Query()
	alerts, err := s.store.ListAlerts(r.Context(), store.AlertQuery{Service: q.Get("service"), Statuses: sts, DedupKey: q.Get("dedup_key"), BeforeID: before, Limit: p.limit + 1})
	if err != nil {
		s.internalError(w, "list alerts", err)
		return
	}
	alerts, next := idPage(alerts, p.limit, func(a alert.Alert) int64 { return a.ID })
	writeJSON(w, http.StatusOK, map[string]any{"alerts": nonNil(alerts), "next_cursor": next})
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "no alert %q", r.PathValue("id"))
		return
	}
	a, err := s.store.GetAlert(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "alert %d not found", id)
		return
	}
	if err != nil {
		s.internalError(w, "get alert", err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) listChanges(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, before, ok := parseIDList(w, r)
	if !ok {
		return
	}
	q := store.ChangeQuery{BeforeID: before, Limit: p.limit + 1}
	if svc := r.URL.Query().Get("service"); svc != "" {
		q.Services = []string{svc}
	}
	changes, err := s.store.ListChanges(r.Context(), q)
	if err != nil {
		s.internalError(w, "list changes", err)
		return
	}
	changes, next := idPage(changes, p.limit, func(c change.Event) int64 { return c.ID })
	writeJSON(w, http.StatusOK, map[string]any{"changes": nonNil(changes), "next_cursor": next})
}

// declareRequest opens an incident by hand.
type declareRequest struct {
	Title    string   `json:"title"`
	Service  string   `json:"service,omitempty"`
	Services []string `json:"services,omitempty"`
	Severity string   `json:"severity,omitempty"`
	Major    bool     `json:"major,omitempty"`
	Message  string   `json:"message,omitempty"`
	Channel  string   `json:"channel,omitempty"`
}

func (s *Server) declareIncident(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req declareRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	services := req.Services
	if req.Service != "" {
		services = append([]string{req.Service}, services...)
	}
	if !s.canAct(p, services) {
		writeError(w, http.StatusForbidden, "forbidden", "you may not declare incidents on %s", strings.Join(services, ", "))
		return
	}
	inc, err := s.pipeline.Incidents.Declare(r.Context(), pipeline.Declaration{Title: req.Title, Services: services, Severity: incident.Severity(req.Severity), Major: req.Major, Message: req.Message},
		pipeline.Actor{Name: p.Actor(), Channel: actionChannel(req.Channel)})
	if errors.Is(err, pipeline.ErrInvalid) {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	if err != nil {
		s.internalError(w, "declare incident", err)
		return
	}
	s.writeIncident(w, r, http.StatusCreated, inc)
}

// responderView is one responder of GET /api/v1/services/{id}/responders.
type responderView struct {
	Step  int      `json:"step"`
	After string   `json:"after"`
	User  userName `json:"user"`
	Why   string   `json:"why"`
	IRT   bool     `json:"irt"`
}

type userName struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

func (s *Server) serviceResponders(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	snap, id, ok := s.serviceFor(w, r)
	if !ok {
		return
	}
	at, err := parseInstant(r, "at", s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	cov, responders, notes := routing.Responders(s.oncall, snap, id, at)
	views := make([]responderView, 0, len(responders))
	for _, rr := range responders {
		u := userName{ID: rr.User}
		if usr := snap.User(rr.User); usr != nil {
			u.Name = usr.Name
		}
		views = append(views, responderView{Step: rr.Step, After: duration.Format(rr.After), User: u, Why: rr.Why, IRT: rr.IRT})
	}
	coverage := map[string]any{"mode": cov.Mode}
	if cov.IRT != nil {
		coverage["irt"] = cov.IRT.ID
	} else {
		coverage["irt"] = nil
	}
	if cov.Mode == catalog.CoverageBackup {
		coverage["after"] = duration.Format(cov.After)
	}
	because := cov.Because
	if because == nil {
		because = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"service": id, "at": at.UTC(), "critical": cov.Critical, "critical_because": because,
		"coverage": coverage, "responders": views, "notes": nonNil(notes),
	})
}

// maintenanceRequest schedules a maintenance window.
type maintenanceRequest struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason,omitempty"`
}

func (s *Server) listMaintenance(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	_, id, ok := s.serviceFor(w, r)
	if !ok {
		return
	}
	ws, err := s.store.ListMaintenance(r.Context(), id)
	if err != nil {
		s.internalError(w, "list maintenance", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"maintenance_windows": nonNil(ws), "next_cursor": nil})
}

func (s *Server) createMaintenance(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	_, id, ok := s.serviceFor(w, r)
	if !ok {
		return
	}
	if !s.canAct(p, []string{id}) {
		writeError(w, http.StatusForbidden, "forbidden", "you may not schedule maintenance for %s", id)
		return
	}
	var req maintenanceRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	mw := &store.MaintenanceWindow{Service: id, Start: req.Start.UTC(), End: req.End.UTC(), Reason: req.Reason}
	err := s.pipeline.Incidents.AddMaintenance(r.Context(), mw, pipeline.Actor{Name: p.Actor(), Channel: "api"})
	if errors.Is(err, pipeline.ErrInvalid) {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	if err != nil {
		s.internalError(w, "create maintenance", err)
		return
	}
	writeJSON(w, http.StatusCreated, mw)
}

func (s *Server) deleteMaintenance(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	_, svc, ok := s.serviceFor(w, r)
	if !ok {
		return
	}
	if !s.canAct(p, []string{svc}) {
		writeError(w, http.StatusForbidden, "forbidden", "you may not change maintenance of %s", svc)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "no maintenance window %q", r.PathValue("mid"))
		return
	}
	err = s.pipeline.Incidents.DeleteMaintenance(r.Context(), svc, id, pipeline.Actor{Name: p.Actor(), Channel: "api"})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "maintenance window %d not found", id)
		return
	}
	if err != nil {
		s.internalError(w, "delete maintenance", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// errLinkRefused is a valid link whose user may no longer act on its
// incident: they left the configuration, or the teams that let them.
var errLinkRefused = errors.New("its user may no longer act on this incident")

// linkAction verifies an action link and checks that its user may still
// act on its incident: a link acts for its user only as long as they could.
func (s *Server) linkAction(ctx context.Context, token string) (links.Action, incident.Incident, error) {
	a, err := s.signer.Verify(token)
	if err != nil {
		return a, incident.Incident{}, err
	}
	inc, err := s.store.GetIncident(ctx, a.IncidentID)
	if err != nil {
		return a, inc, err
	}
	if !auth.UserMayActOnIncident(s.org.Snapshot(), a.UserID, inc) {
		return a, inc, errLinkRefused
	}
	return a, inc, nil
}

// actionLinkGet shows what a signed link would do; it changes nothing, so
// that mail scanners following links do not acknowledge.
func (s *Server) actionLinkGet(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if s.signer == nil {
		writeError(w, http.StatusNotFound, "not_found", "links are not enabled")
		return
	}
	a, inc, err := s.linkAction(r.Context(), r.PathValue("token"))
	if err != nil {
		s.linkError(w, err)
		return
	}
	writeLinkPage(w, http.StatusOK, func(out io.Writer) error { return links.ConfirmPage(out, a, inc.Title, r.URL.Path) })
}

func (s *Server) actionLinkPost(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	if s.signer == nil {
		writeError(w, http.StatusNotFound, "not_found", "links are not enabled")
		return
	}
	token := r.PathValue("token")
	a, inc, err := s.linkAction(r.Context(), token)
	if err == nil {
		_, inc, err = s.pipeline.Inbound.UseLink(r.Context(), token)
	}
	switch {
	case err == nil:
		writeLinkPage(w, http.StatusOK, linkResult(fmt.Sprintf("Incident #%d (%s) is now %s.", inc.ID, inc.Title, inc.Status)))
	case errors.Is(err, pipeline.ErrLinkUsed):
		writeLinkPage(w, http.StatusConflict, linkResult("This link was already used."))
	case errors.Is(err, pipeline.ErrIncidentClosed):
		writeLinkPage(w, http.StatusConflict, linkResult(fmt.Sprintf("Incident #%d is already resolved.", a.IncidentID)))
	default:
		s.linkError(w, err)
	}
}

// linkError answers a link that does nothing: 404 for an incident that
// does not exist, 403 for a link that is not valid or whose user may no
// longer act, 500 (logged) for a failure of the server.
func (s *Server) linkError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeLinkPage(w, http.StatusNotFound, linkResult("This link is not valid: its incident does not exist."))
	case errors.Is(err, links.ErrMalformed), errors.Is(err, links.ErrBadSignature), errors.Is(err, links.ErrExpired), errors.Is(err, errLinkRefused):
		writeLinkPage(w, http.StatusForbidden, linkResult("This link is not valid: "+err.Error()+"."))
	default:
		s.log.Error("action link", "err", err)
		writeLinkPage(w, http.StatusInternalServerError, linkResult("This link could not be used now; try again later."))
	}
}

func linkResult(message string) func(io.Writer) error {
	return func(out io.Writer) error { return links.ResultPage(out, message) }
}

// writeLinkPage answers an action link's page with the headers of every
// page the UI serves. The link's token is in the URL, so no referrer
// leaves the page and nothing keeps a copy.
func writeLinkPage(w http.ResponseWriter, status int, page func(io.Writer) error) {
	hdr := w.Header()
	secure.Headers(hdr)
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = page(w)
}

func (s *Server) internalError(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "%s failed", what)
}
