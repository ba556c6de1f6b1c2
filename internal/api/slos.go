package api

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Limits of the SLO push endpoint.
const (
	maxPushEvents = 10000
	maxBatchID    = 255
	// pushFuture is how far ahead of the server's clock a pushed timestamp
	// may be: senders' clocks drift.
	pushFuture = 5 * time.Minute
	// maxShareIncidents bounds the incidents weighed against one SLO's
	// budget.
	maxShareIncidents = 500
)

func (s *Server) sloRoutes() []route {
	return []route{
		{"GET", "/api/v1/slos", anyToken, s.listSLOs},
		{"GET", "/api/v1/slos/{id}", anyToken, s.getSLO},
		{"GET", "/api/v1/slos/{id}/burndown", anyToken, s.sloBurndown},
		{"POST", "/api/v1/slos/{id}/events", anyToken, s.pushSLOEvents},
		{"GET", "/api/v1/gate", anyToken, s.gateCheck},
		{"GET", "/api/v1/gate/overrides", anyToken, s.listGateOverrides},
		{"POST", "/api/v1/gate/overrides", anyToken, s.createGateOverride},
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

func (s *Server) pushSLOEvents(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	name := r.PathValue("id")
	def := s.org.Snapshot().SLO(name)
	if def == nil {
		return notFound("SLO %.64q not found", name)
	}
	if err := s.mayAct(p, []string{def.Service}, "push the SLI data of"); err != nil {
		return err
	}
	if def.Indicator.Source != slo.SourcePush {
		return conflict("SLO %s reads its data from %s, not from pushes", name, def.Indicator.Source)
	}
	var req pushRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	now := s.now()
	points, problems := checkPush(req, now.Add(-slo.SpanFor(*def)), now.Add(pushFuture))
	if len(problems) > 0 {
		return invalidRequest("invalid SLI batch", problems)
	}
	added, err := s.store.AddSLOBatch(r.Context(), name, req.BatchID, points, now)
	if err != nil {
		return fmt.Errorf("store SLI batch: %w", err)
	}
	if added && s.slo != nil {
		// The engine evaluates the SLO at once: a fast burn pages now, not
		// at the next cycle.
		if err := s.slo.Added(r.Context(), points); err != nil {
			// Stored: the engine reads the points, and raises what they call
			// for, at its next cycle.
			s.log.Warn("SLO engine did not evaluate pushed points", "slo", name, "err", err)
		}
	}
	accepted := len(points)
	if !added {
		accepted = 0
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"slo": name, "batch_id": req.BatchID, "accepted": accepted, "duplicate": !added})
	return nil
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

func (s *Server) listSLOs(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, err := parseList(r)
	if err != nil {
		return err
	}
	if s.slo == nil {
		writeJSON(w, http.StatusOK, map[string]any{"slos": []sloView{}, "next_cursor": nil})
		return nil
	}
	views, err := s.slo.Statuses(r.Context(), s.now())
	if err != nil {
		return fmt.Errorf("SLO statuses: %w", err)
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
	return nil
}

func (s *Server) getSLO(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	name := r.PathValue("id")
	if s.slo == nil || s.org.Snapshot().SLO(name) == nil {
		return notFound("SLO %.64q not found", name)
	}
	now := s.now()
	v, ok, err := s.slo.Status(r.Context(), name, now)
	if err := sloFound(name, "status", ok, err); err != nil {
		return err
	}
	incs, err := s.store.ListIncidents(r.Context(), store.IncidentQuery{Service: v.SLO.Service, Limit: maxShareIncidents})
	if err != nil {
		return fmt.Errorf("incidents of %s: %w", v.SLO.Service, err)
	}
	out := viewSLO(v)
	out.Incidents = []incidentShare{}
	for _, sh := range s.slo.IncidentShares(v, incs, now) {
		inc := sh.Incident
		out.Incidents = append(out.Incidents, incidentShare{
			ID: inc.ID, Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
			CreatedAt: inc.CreatedAt, ResolvedAt: inc.ResolvedAt, BudgetShare: sh.Budget, NeedsPostmortem: sh.NeedsPostmortem,
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// sloFound says what a look-up of an SLO in the engine found: nil, its
// failure, or a 404 when the engine holds no such SLO.
func sloFound(name, what string, ok bool, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("%s of SLO %s: %w", what, name, err)
	case !ok:
		return notFound("SLO %.64q not found", name)
	}
	return nil
}
