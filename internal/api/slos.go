package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/gate"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Limits of the SLO push endpoint and the release gate.
const (
	maxPushEvents = 10000
	maxBatchID    = 255
	// pushFuture is how far ahead of the server's clock a pushed timestamp
	// may be: senders' clocks drift.
	pushFuture = 5 * time.Minute
	// maxOverride is the longest an override of the release gate may last.
	maxOverride = 7 * duration.Day
	// deployLink is how long after a gate decision a deploy of its service
	// links back to it.
	deployLink = time.Hour
	maxReason  = 2000
)

func (s *Server) sloRoutes() []route {
	return []route{
		{"GET", "/api/v1/slos", reader, s.listSLOs},
		{"GET", "/api/v1/slos/{id}", reader, s.getSLO},
		{"GET", "/api/v1/slos/{id}/burndown", reader, s.sloBurndown},
		{"POST", "/api/v1/slos/{id}/events", reader, s.pushSLOEvents},
		{"GET", "/api/v1/gate", reader, s.gateCheck},
		{"GET", "/api/v1/gate/overrides", reader, s.listGateOverrides},
		{"POST", "/api/v1/gate/overrides", reader, s.createGateOverride},
	}
}

// pushRequest is a batch of SLI counts.
type pushRequest struct {
	BatchID string      `json:"batch_id"`
	Events  []pushEvent `json:"events"`
}

// pushEvent counts the events of the interval ending at Timestamp.
type pushEvent struct {
	Timestamp time.Time `json:"timestamp"`
	Good      *float64  `json:"good"`
	Total     *float64  `json:"total"`
}

func (s *Server) pushSLOEvents(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	name := r.PathValue("id")
	def := s.org.Snapshot().SLO(name)
	if def == nil {
		writeError(w, http.StatusNotFound, "not_found", "SLO %q not found", name)
		return
	}
	if !s.canAct(p, []string{def.Service}) {
		writeError(w, http.StatusForbidden, "forbidden", "only an admin or a member of the team owning %s may push its SLI data", def.Service)
		return
	}
	if def.Indicator.Source != slo.SourcePush {
		writeError(w, http.StatusConflict, "conflict", "SLO %s reads its data from %s, not from pushes", name, def.Indicator.Source)
		return
	}
	var req pushRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	now := s.now()
	points, problems := checkPush(req, now.Add(-slo.SpanFor(*def)), now.Add(pushFuture))
	if len(problems) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid", "message": "invalid SLI batch", "errors": problems})
		return
	}
	added, err := s.store.AddSLOBatch(r.Context(), name, req.BatchID, points, now)
	if err != nil {
		s.internalError(w, "store SLI batch", err)
		return
	}
	if added && s.slo != nil {
		if err := s.slo.Added(r.Context(), points); err != nil {
			// Stored: the engine reads the points at its next cycle.
			s.log.Warn("SLO engine did not take pushed points", "slo", name, "err", err)
		}
	}
	accepted := len(points)
	if !added {
		accepted = 0
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"slo": name, "batch_id": req.BatchID, "accepted": accepted, "duplicate": !added})
}

// checkPush validates a batch: every problem is listed, with the event's
// index.
func checkPush(req pushRequest, earliest, latest time.Time) ([]store.SLOPoint, []string) {
	var problems []string
	switch {
	case strings.TrimSpace(req.BatchID) == "":
		problems = append(problems, "batch_id: required, so that a retried batch is counted once")
	case len(req.BatchID) > maxBatchID:
		problems = append(problems, fmt.Sprintf("batch_id: longer than %d bytes", maxBatchID))
	}
	switch {
	case len(req.Events) == 0:
		problems = append(problems, "events: at least one event is required")
	case len(req.Events) > maxPushEvents:
		return nil, append(problems, fmt.Sprintf("events: %d events, more than the %d a batch may hold", len(req.Events), maxPushEvents))
	}
	points := make([]store.SLOPoint, 0, len(req.Events))
	for i, e := range req.Events {
		at := fmt.Sprintf("events[%d]", i)
		before := len(problems)
		switch {
		case e.Timestamp.IsZero():
			problems = append(problems, at+".timestamp: required (RFC 3339)")
		case e.Timestamp.Before(earliest):
			problems = append(problems, fmt.Sprintf("%s.timestamp: %s is older than the SLO's window (from %s)", at, e.Timestamp.Format(time.RFC3339), earliest.UTC().Format(time.RFC3339)))
		case e.Timestamp.After(latest):
			problems = append(problems, fmt.Sprintf("%s.timestamp: %s is in the future", at, e.Timestamp.Format(time.RFC3339)))
		}
		switch {
		case e.Good == nil || e.Total == nil:
			problems = append(problems, at+": good and total are required")
		case !finite(*e.Good) || !finite(*e.Total) || *e.Good < 0 || *e.Total < 0:
			problems = append(problems, at+": good and total must be finite and not negative")
		case *e.Good > *e.Total:
			problems = append(problems, fmt.Sprintf("%s: good (%v) is more than total (%v)", at, *e.Good, *e.Total))
		case *e.Total > 1e12:
			problems = append(problems, at+".total: more than 10^12 events in one interval")
		}
		if len(problems) > 100 {
			return nil, append(problems[:100], "... and more")
		}
		if len(problems) == before {
			points = append(points, store.SLOPoint{At: e.Timestamp.UTC(), Good: *e.Good, Total: *e.Total})
		}
	}
	return points, problems
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// sloView is an SLO with its status: every number is finite, and what
// cannot be measured is null.
type sloView struct {
	Name        string        `json:"name"`
	DisplayName string        `json:"display_name,omitempty"`
	Description string        `json:"description,omitempty"`
	Service     string        `json:"service"`
	Objective   float64       `json:"objective"`
	Window      windowView    `json:"window"`
	Budgeting   slo.Budgeting `json:"budgeting"`
	SLI         slo.Indicator `json:"sli"`
	MinEvents   float64       `json:"min_events"`
	Policy      slo.Policy    `json:"policy"`
	Status      statusView    `json:"status"`
	PullError   string        `json:"pull_error,omitempty"`
	PulledTo    *time.Time    `json:"pulled_to,omitempty"`
	// Incidents are those of the window on the SLO's service with the
	// share of the budget each consumed, listed by GET /api/v1/slos/{id}.
	Incidents []incidentShare `json:"incidents,omitempty"`
}

type windowView struct {
	Rolling  bool              `json:"rolling"`
	Duration duration.Duration `json:"duration"`
	Start    *time.Time        `json:"start,omitempty"`
	TimeZone string            `json:"time_zone,omitempty"`
}

type statusView struct {
	SLO         string    `json:"slo"`
	Service     string    `json:"service"`
	At          time.Time `json:"at"`
	WindowStart time.Time `json:"window_start"`
	NoData      bool      `json:"no_data"`
	Good        float64   `json:"good"`
	Total       float64   `json:"total"`
	// SLI is null while the window has no events.
	SLI              *float64           `json:"sli"`
	Objective        float64            `json:"objective"`
	ErrorBudget      float64            `json:"error_budget"`
	BudgetConsumed   float64            `json:"budget_consumed"`
	BudgetRemaining  float64            `json:"budget_remaining"`
	BurnRate1h       float64            `json:"burn_rate_1h"`
	TimeToExhaustion *duration.Duration `json:"time_to_exhaustion"`
	Frozen           bool               `json:"frozen"`
	Exemptions       []string           `json:"exemptions"`
	Firing           *slo.Firing        `json:"firing"`
	Tiers            []slo.TierStatus   `json:"tiers"`
}

// incidentShare is an incident with the share of the error budget it
// consumed; above 20% it calls for a post-mortem.
type incidentShare struct {
	ID              int64             `json:"id"`
	Title           string            `json:"title"`
	Severity        incident.Severity `json:"severity"`
	Status          alert.Status      `json:"status"`
	CreatedAt       time.Time         `json:"created_at"`
	ResolvedAt      *time.Time        `json:"resolved_at"`
	BudgetShare     float64           `json:"budget_share"`
	NeedsPostmortem bool              `json:"needs_postmortem"`
}

func viewSLO(v sloengine.View) sloView {
	def, st := v.SLO, v.Status
	out := sloView{
		Name: def.Name, DisplayName: def.DisplayName, Description: def.Description, Service: def.Service,
		Objective: def.Objective, Budgeting: def.Budgeting, SLI: def.Indicator, MinEvents: def.MinEvents, Policy: def.Policy,
		Window:    windowView{Rolling: def.Window.Rolling, Duration: def.Window.Duration},
		PullError: v.PullError, PulledTo: v.PulledTo,
		Status: statusView{
			SLO: st.SLO, Service: st.Service, At: st.At.UTC(), WindowStart: st.WindowStart.UTC(), NoData: st.NoData,
			Good: st.Good, Total: st.Total, Objective: st.Objective, ErrorBudget: st.ErrorBudget,
			BudgetConsumed: st.BudgetConsumed, BudgetRemaining: st.BudgetRemaining, BurnRate1h: st.BurnRate,
			TimeToExhaustion: st.TimeToExhaustion, Frozen: st.Frozen, Exemptions: nonNil(def.Policy.Exemptions),
			Firing: st.Firing, Tiers: nonNil(st.Tiers),
		},
	}
	if !st.NoData {
		sli := st.SLI
		out.Status.SLI = &sli
	}
	if !def.Window.Rolling {
		start := def.Window.Start.UTC()
		out.Window.Start = &start
		if def.Window.Location != nil {
			out.Window.TimeZone = def.Window.Location.String()
		}
	}
	out.Policy.Exemptions = nonNil(out.Policy.Exemptions)
	return out
}

func (s *Server) listSLOs(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, err := parseList(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	if s.slo == nil {
		writeJSON(w, http.StatusOK, map[string]any{"slos": []sloView{}, "next_cursor": nil})
		return
	}
	views, err := s.slo.Statuses(r.Context(), s.now())
	if err != nil {
		s.internalError(w, "SLO status", err)
		return
	}
	service := r.URL.Query().Get("service")
	out := make([]sloView, 0, len(views))
	for _, v := range views {
		if service == "" || v.SLO.Service == service {
			out = append(out, viewSLO(v))
		}
	}
	page, next := pageByID(out, func(v sloView) string { return v.Name }, p)
	writeJSON(w, http.StatusOK, map[string]any{"slos": page, "next_cursor": next})
}

func (s *Server) getSLO(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	name := r.PathValue("id")
	if s.slo == nil || s.org.Snapshot().SLO(name) == nil {
		writeError(w, http.StatusNotFound, "not_found", "SLO %q not found", name)
		return
	}
	now := s.now()
	v, ok, err := s.slo.Status(r.Context(), name, now)
	if s.sloMissed(w, name, "SLO status", ok, err) {
		return
	}
	out := viewSLO(v)
	if out.Incidents, err = s.incidentShares(r.Context(), v, now); err != nil {
		s.internalError(w, "SLO incidents", err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// maxShareIncidents bounds the incidents weighed against one SLO's budget.
const maxShareIncidents = 500

// incidentShares weighs the incidents of the SLO's window on its service
// against its error budget.
func (s *Server) incidentShares(ctx context.Context, v sloengine.View, now time.Time) ([]incidentShare, error) {
	incs, err := s.store.ListIncidents(ctx, store.IncidentQuery{Service: v.SLO.Service, Limit: maxShareIncidents})
	if err != nil {
		return nil, err
	}
	out := []incidentShare{}
	for _, inc := range incs {
		end := now
		if inc.ResolvedAt != nil {
			end = *inc.ResolvedAt
		}
		if end.Before(v.Status.WindowStart) {
			continue
		}
		share, ok := s.slo.IncidentShare(v.SLO.Name, inc.CreatedAt, end)
		if !ok {
			continue
		}
		out = append(out, incidentShare{
			ID: inc.ID, Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
			CreatedAt: inc.CreatedAt, ResolvedAt: inc.ResolvedAt,
			BudgetShare: math.Round(share*1e4) / 1e4, NeedsPostmortem: slo.NeedsPostmortem(share),
		})
	}
	return out, nil
}

// gateAnswer is the release gate's answer.
type gateAnswer struct {
	Decision   string            `json:"decision"`
	Reasons    []gate.Reason     `json:"reasons"`
	Override   *gateOverrideView `json:"override,omitempty"`
	DecisionID int64             `json:"decision_id"`
	Service    string            `json:"service"`
	At         time.Time         `json:"at"`
	ChangeType string            `json:"change_type,omitempty"`
}

type gateOverrideView struct {
	store.GateOverride
	Active bool `json:"active"`
}

func (s *Server) gateCheck(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	q := r.URL.Query()
	service := q.Get("service")
	if service == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "service is required: GET /api/v1/gate?service=ID")
		return
	}
	snap := s.org.Snapshot()
	svc := snap.Service(service)
	if svc == nil {
		writeError(w, http.StatusNotFound, "not_found", "service %q not found", service)
		return
	}
	now := s.now().UTC()
	at, err := parseInstant(r, "at", now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	at = at.UTC()
	changeType := strings.ToLower(strings.TrimSpace(q.Get("change_type")))
	if !validChangeType(changeType) {
		writeError(w, http.StatusBadRequest, "bad_request", "change_type is lowercase letters, digits, '-' and '_', at most 64")
		return
	}
	in, overrides, err := s.gateInput(r.Context(), snap, svc, at, now)
	if err != nil {
		s.internalError(w, "release gate", err)
		return
	}
	in.ChangeType = changeType
	d := gate.Decide(in)
	answer := gateAnswer{Decision: d.Decision, Reasons: d.Reasons, Service: service, At: at, ChangeType: changeType}
	if d.Override != nil {
		for _, o := range overrides {
			if o.Reason == d.Override.Reason && o.ExpiresAt.Equal(d.Override.Expires) {
				answer.Override = &gateOverrideView{GateOverride: o, Active: true}
				break
			}
		}
	}
	reasons, _ := json.Marshal(d.Reasons)
	rec := store.GateDecision{Service: service, At: at, ChangeType: changeType, Decision: d.Decision, Reasons: reasons, CreatedAt: now}
	if answer.Override != nil {
		rec.OverrideID = answer.Override.ID
	}
	if err := s.store.InsertGateDecision(r.Context(), &rec); err != nil {
		s.internalError(w, "record gate decision", err)
		return
	}
	answer.DecisionID = rec.ID
	writeJSON(w, http.StatusOK, answer)
}

func validChangeType(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// gateInput gathers what the gate weighs for svc at at. Error budgets and
// open incidents are as they stand now: neither can be known ahead.
func (s *Server) gateInput(ctx context.Context, snap *org.Snapshot, svc *catalog.Service, at, now time.Time) (gate.Input, []store.GateOverride, error) {
	in := gate.Input{Service: svc.ID, At: at, Freezes: append([]catalog.Freeze(nil), snap.Bundle.Org.Freezes...)}
	if team := snap.Team(svc.Owner); team != nil {
		in.Country = team.Country
		if loc, err := time.LoadLocation(team.TimeZone); err == nil && team.TimeZone != "" {
			in.TimeZone = loc
		}
		in.Freezes = append(in.Freezes, team.Freezes...)
	}
	in.Freezes = append(in.Freezes, svc.Freezes...)
	in.HardDependencies = snap.Graph.HardReachable(svc.ID)
	if s.slo != nil {
		for _, def := range snap.ServiceSLOs(svc.ID) {
			v, ok, err := s.slo.Status(ctx, def.Name, now)
			if err != nil {
				return in, nil, err
			}
			if ok {
				in.Budgets = append(in.Budgets, gate.Budget{SLO: def.Name, Frozen: v.Status.Frozen,
					BudgetRemaining: v.Status.BudgetRemaining, Exemptions: def.Policy.Exemptions})
			}
		}
	}
	incs, err := s.store.ListIncidents(ctx, store.IncidentQuery{Statuses: []alert.Status{alert.StatusTriggered, alert.StatusAcknowledged}, Limit: 1000})
	if err != nil {
		return in, nil, err
	}
	for _, inc := range incs {
		services := inc.Services
		if inc.Service != "" {
			services = append([]string{inc.Service}, services...)
		}
		in.Incidents = append(in.Incidents, gate.Incident{ID: strconv.FormatInt(inc.ID, 10), Severity: inc.Severity, Title: inc.Title, Services: services})
	}
	overrides, err := s.store.ListGateOverrides(ctx, svc.ID, at, 0, 100)
	if err != nil {
		return in, nil, err
	}
	for _, o := range overrides {
		in.Overrides = append(in.Overrides, gate.Override{Reason: o.Reason, By: o.CreatedBy, Start: o.CreatedAt, Expires: o.ExpiresAt})
	}
	return in, overrides, nil
}

// gateOverrideRequest grants an override: until ExpiresAt, or for ExpiresIn
// (such as "2h") from now.
type gateOverrideRequest struct {
	Service   string     `json:"service"`
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	ExpiresIn string     `json:"expires_in,omitempty"`
}

func (s *Server) createGateOverride(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req gateOverrideRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if s.org.Snapshot().Service(req.Service) == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "service %q not found", req.Service)
		return
	}
	if !s.canAct(p, []string{req.Service}) {
		writeError(w, http.StatusForbidden, "forbidden", "only an admin or a member of the team owning %s may override its release gate", req.Service)
		return
	}
	reason := strings.TrimSpace(req.Reason)
	now := s.now().UTC()
	var expires time.Time
	var problems []string
	switch {
	case reason == "":
		problems = append(problems, "reason: required: say why releases must pass")
	case len(reason) > maxReason:
		problems = append(problems, fmt.Sprintf("reason: longer than %d bytes", maxReason))
	}
	switch {
	case req.ExpiresAt != nil && req.ExpiresIn != "":
		problems = append(problems, "give expires_at or expires_in, not both")
	case req.ExpiresAt != nil:
		expires = req.ExpiresAt.UTC()
	case req.ExpiresIn != "":
		d, err := duration.Parse(req.ExpiresIn)
		if err != nil {
			problems = append(problems, fmt.Sprintf("expires_in: %v", err))
		}
		expires = now.Add(d)
	default:
		problems = append(problems, "expires_at or expires_in is required: an override always ends")
	}
	if len(problems) == 0 {
		switch {
		case !expires.After(now):
			problems = append(problems, "the expiry must be in the future")
		case expires.Sub(now) > maxOverride:
			problems = append(problems, fmt.Sprintf("an override lasts at most %s", duration.Format(maxOverride)))
		}
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid", "message": "invalid override", "errors": problems})
		return
	}
	o := store.GateOverride{Service: req.Service, Reason: reason, CreatedBy: p.Actor(), CreatedAt: now, ExpiresAt: expires}
	after, _ := json.Marshal(o)
	audit := store.AuditEntry{At: now, Actor: p.Actor(), Action: "gate.override", Kind: "gate_override", After: after,
		Details: fmt.Sprintf("releases of %s pass until %s: %s", o.Service, expires.Format(time.RFC3339), reason)}
	if err := s.store.CreateGateOverride(r.Context(), &o, audit); err != nil {
		s.internalError(w, "create gate override", err)
		return
	}
	writeJSON(w, http.StatusCreated, gateOverrideView{GateOverride: o, Active: true})
}

func (s *Server) listGateOverrides(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, before, ok := parseIDList(w, r)
	if !ok {
		return
	}
	now := s.now()
	var activeAt time.Time
	if r.URL.Query().Get("active") == "true" {
		activeAt = now
	}
	list, err := s.store.ListGateOverrides(r.Context(), r.URL.Query().Get("service"), activeAt, before, p.limit+1)
	if err != nil {
		s.internalError(w, "list gate overrides", err)
		return
	}
	list, next := idPage(list, p.limit, func(o store.GateOverride) int64 { return o.ID })
	out := make([]gateOverrideView, len(list))
	for i, o := range list {
		out[i] = gateOverrideView{GateOverride: o, Active: now.Before(o.ExpiresAt)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"overrides": out, "next_cursor": next})
}

// linkGateDecision links a deploy to the gate decision it followed: the one
// its custom_details name in gate_decision_id, else the service's latest
// decision of the last hour. The link goes into the change event's details
// (gate_decision_id and gate_decision); a failed lookup never refuses the
// event.
func (s *Server) linkGateDecision(ctx context.Context, service string, ev *ingest.ChangeEvent) {
	var d store.GateDecision
	var err error
	if raw, ok := ev.Details["gate_decision_id"]; ok {
		id, ok := decisionID(raw)
		if !ok {
			return
		}
		if d, err = s.store.GetGateDecision(ctx, id); err != nil || d.Service != service {
			return
		}
	} else if d, err = s.store.LatestGateDecision(ctx, service, s.now().Add(-deployLink)); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("gate decision lookup", "service", service, "err", err)
		}
		return
	}
	if ev.Details == nil {
		ev.Details = map[string]any{}
	}
	ev.Details["gate_decision_id"] = d.ID
	ev.Details["gate_decision"] = d.Decision
}

func decisionID(v any) (int64, bool) {
	var text string
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case string:
		text = x
	case float64:
		text = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return 0, false
	}
	id, err := strconv.ParseInt(text, 10, 64)
	return id, err == nil && id > 0
}
