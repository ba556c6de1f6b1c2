package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/store"
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

// statuses reads ?status= (comma-separated, with "open" and "all"), or
// defaults when it is absent.
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
			return nil, badRequest("unknown status %.64q (triggered, acknowledged, resolved)", s)
		}
	}
	return out, nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, before, err := parseIDList(r)
	if err != nil {
		return err
	}
	sts, err := statuses(r, []alert.Status{alert.StatusTriggered, alert.StatusAcknowledged})
	if err != nil {
		return err
	}
	incs, err := s.store.ListIncidents(r.Context(), store.IncidentQuery{Service: r.URL.Query().Get("service"), Statuses: sts, BeforeID: before, Limit: p.limit + 1})
	if err != nil {
		return fmt.Errorf("list incidents: %w", err)
	}
	incs, next := idPage(incs, p.limit, func(i incident.Incident) int64 { return i.ID })
	ids := make([]int64, len(incs))
	for i, inc := range incs {
		ids[i] = inc.ID
	}
	// One query for the page's timelines, not one per incident.
	timelines, err := s.store.Timelines(r.Context(), ids)
	if err != nil {
		return fmt.Errorf("incident timelines: %w", err)
	}
	views := make([]incidentView, 0, len(incs))
	for _, inc := range incs {
		views = append(views, newIncidentView(inc, timelines[inc.ID]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": views, "next_cursor": next})
	return nil
}

// newIncidentView answers empty lists as [] rather than null.
func newIncidentView(inc incident.Incident, tl []incident.TimelineEntry) incidentView {
	inc.Services, inc.Suspects, inc.Responders, inc.Related = nonNil(inc.Services), nonNil(inc.Suspects), nonNil(inc.Responders), nonNil(inc.Related)
	return incidentView{Incident: inc, Timeline: nonNil(tl)}
}

// pathInt64 reads a positive id from the path; what names its kind in the
// 404 for anything else.
func pathInt64(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound("no %s %.64q", what, r.PathValue(name))
	}
	return id, nil
}

// pathIncident reads the incident the path names.
func (s *Server) pathIncident(r *http.Request) (incident.Incident, error) {
	id, err := pathInt64(r, "id", "incident")
	if err != nil {
		return incident.Incident{}, err
	}
	inc, err := s.store.GetIncident(r.Context(), id)
	if err != nil {
		return inc, fmt.Errorf("incident %d: %w", id, err)
	}
	return inc, nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	inc, err := s.pathIncident(r)
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, http.StatusOK, inc, "")
}

func (s *Server) incidentAlerts(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "incident")
	if err != nil {
		return err
	}
	alerts, err := s.store.ListAlerts(r.Context(), store.AlertQuery{IncidentID: id, Limit: maxLimit})
	if err != nil {
		return fmt.Errorf("alerts of incident %d: %w", id, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": alertViews(alerts), "next_cursor": nil})
	return nil
}

func (s *Server) incidentNotifications(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := pathInt64(r, "id", "incident")
	if err != nil {
		return err
	}
	ns, err := s.store.ListNotifications(r.Context(), store.NotificationQuery{IncidentID: id, Limit: maxLimit})
	if err != nil {
		return fmt.Errorf("notifications of incident %d: %w", id, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": nonNil(ns), "next_cursor": nil})
	return nil
}

// mayAct refuses p unless they may act on something touching these
// services (see auth.CanAct); doing names it in the refusal.
func (s *Server) mayAct(p auth.Principal, services []string, doing string) error {
	if auth.CanAct(p, s.org.Snapshot(), services) {
		return nil
	}
	return forbidden("you may not %s %s", doing, strings.Join(services, ", "))
}

// actionRequest is the body of POST /api/v1/incidents/{id}/{verb}; each
// verb reads the fields it needs.
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
	CustomerImpact   *bool   `json:"customer_impact,omitempty"`
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

// incidentVerb is one action on an incident the caller may act on.
type incidentVerb func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error)

// incidentVerbs are the actions of POST /api/v1/incidents/{id}/{verb}.
var incidentVerbs = map[string]incidentVerb{
	"acknowledge": func(s *Server, ctx context.Context, id int64, _ actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.Acknowledge(ctx, id, by)
	},
	"resolve": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.Resolve(ctx, id, by, req.Note)
	},
	"snooze": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		d, err := duration.Parse(req.Duration)
		if err != nil {
			return incident.Incident{}, badRequest("duration: %v", err)
		}
		return s.pipeline.Incidents.Snooze(ctx, id, d, by)
	},
	"reassign": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.Reassign(ctx, id, req.User, req.EscalationPolicy, by)
	},
	"notes": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		text := req.Message
		if text == "" {
			text = req.Note
		}
		return s.pipeline.Incidents.AddNote(ctx, id, text, by)
	},
	"major": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.MakeMajor(ctx, id, req.Reason, by)
	},
	"severity": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.SetSeverity(ctx, id, incident.Severity(req.Severity), by)
	},
	"page": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.Page(ctx, id, pipeline.PageRequest{User: req.User, Team: req.Team, Message: req.Message}, by)
	},
	"roles": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.AssignRole(ctx, id, incident.Role(req.Role), req.User, by)
	},
	"updates": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.PostUpdate(ctx, id, req.Message, req.Audience, by)
	},
	"subscribers": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.Subscribe(ctx, id, req.User, by)
	},
	"impact": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		if req.CustomerImpact == nil {
			return incident.Incident{}, badRequest("customer_impact (true or false) is required")
		}
		return s.pipeline.Incidents.MarkCustomerImpact(ctx, id, *req.CustomerImpact, by)
	},
	"merge": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.Merge(ctx, id, req.Incident, by)
	},
	"split": func(s *Server, ctx context.Context, id int64, req actionRequest, by pipeline.Actor) (incident.Incident, error) {
		return s.pipeline.Incidents.Split(ctx, id, req.Alerts, by)
	},
}

// incidentAction serves POST /api/v1/incidents/{id}/{verb}.
func (s *Server) incidentAction(verb string) handlerFunc {
	act := incidentVerbs[verb]
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := pathInt64(r, "id", "incident")
		if err != nil {
			return err
		}
		var req actionRequest
		if err := decodeOptionalJSON(w, r, &req); err != nil {
			return err
		}
		inc, err := s.pathIncident(r)
		if err != nil {
			return err
		}
		if err := s.mayAct(p, inc.Services, "act on incidents of"); err != nil {
			return err
		}
		if verb == "merge" && req.Incident != 0 {
			// The incident merged in must be the caller's to act on too.
			if other, err := s.store.GetIncident(r.Context(), req.Incident); err == nil && !auth.CanAct(p, s.org.Snapshot(), other.Services) {
				return forbidden("you may not act on incident %d", req.Incident)
			}
		}
		if alreadyHolds(verb, inc) {
			return s.writeIncident(w, r, http.StatusOK, inc, "already")
		}
		inc, err = act(s, r.Context(), id, req, pipeline.Actor{Name: p.Actor(), Channel: actionChannel(req.Channel)})
		if errors.Is(err, pipeline.ErrIncidentClosed) && verb == "resolve" {
			// Resolved by someone else since it was read.
			if inc, err = s.pathIncident(r); err == nil {
				return s.writeIncident(w, r, http.StatusOK, inc, "already")
			}
		}
		if err != nil {
			return fmt.Errorf("%s incident %d: %w", verb, id, err)
		}
		if verb == "split" {
			return s.writeIncident(w, r, http.StatusCreated, inc, "") // the new incident
		}
		return s.writeIncident(w, r, http.StatusOK, inc, "")
	}
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

// writeIncident answers an incident with its timeline; an action that
// already held ("already") says so.
func (s *Server) writeIncident(w http.ResponseWriter, r *http.Request, status int, inc incident.Incident, already string) error {
	tl, err := s.store.Timeline(r.Context(), inc.ID)
	if err != nil {
		return fmt.Errorf("timeline of incident %d: %w", inc.ID, err)
	}
	v := newIncidentView(inc, tl)
	if already != "" {
		v.Unchanged, v.Message = true, fmt.Sprintf("incident %d was already %s", inc.ID, inc.Status)
	}
	writeJSON(w, status, v)
	return nil
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

func (s *Server) declareIncident(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req declareRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	services := req.Services
	if req.Service != "" {
		services = append([]string{req.Service}, services...)
	}
	if err := s.mayAct(p, services, "declare incidents on"); err != nil {
		return err
	}
	inc, err := s.pipeline.Incidents.Declare(r.Context(), pipeline.Declaration{Title: req.Title, Services: services, Severity: incident.Severity(req.Severity), Major: req.Major, Message: req.Message},
		pipeline.Actor{Name: p.Actor(), Channel: actionChannel(req.Channel)})
	if err != nil {
		return fmt.Errorf("declare an incident: %w", err)
	}
	return s.writeIncident(w, r, http.StatusCreated, inc, "")
}
