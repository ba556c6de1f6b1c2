// Package release runs the release gate for the server: it gathers what
// the pure gate weighs for a service — the owner team's calendar and the
// freezes of the configuration, error budgets from the SLO evaluation,
// open incidents and overrides from the store — asks gate.Decide, and
// records every decision so that the deploy that follows can link back to
// it. It also grants overrides, which always end and are audited.
package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/gate"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Limits of overrides and of what the gate reads.
const (
	// MaxOverride is the longest an override may last.
	MaxOverride = 7 * duration.Day
	// MaxReason bounds an override's reason, in bytes.
	MaxReason = 2000
	// deployLink is how long after a decision a deploy of its service
	// links back to it.
	deployLink = time.Hour
	// maxOpenIncidents and maxOverrides bound what one decision reads.
	maxOpenIncidents = 1000
	maxOverrides     = 100
)

// Store is what the gate reads and records.
type Store interface {
	ListIncidents(ctx context.Context, q store.IncidentQuery) ([]incident.Incident, error)
	ReportIncidents(ctx context.Context, q store.ReportIncidentQuery) ([]report.Incident, error)
	GetIncident(ctx context.Context, id int64) (incident.Incident, error)
	Timelines(ctx context.Context, incidentIDs []int64) (map[int64][]incident.TimelineEntry, error)
	ListGateOverrides(ctx context.Context, service string, activeAt time.Time, beforeID int64, limit int) ([]store.GateOverride, error)
	CreateGateOverride(ctx context.Context, o *store.GateOverride, audit store.AuditEntry) error
	InsertGateDecision(ctx context.Context, d *store.GateDecision) error
	GetGateDecision(ctx context.Context, id int64) (store.GateDecision, error)
	LatestGateDecision(ctx context.Context, service string, since time.Time) (store.GateDecision, error)
}

// Budgets reads the error budgets of SLOs: the SLO engine. StatusAt
// answers an SLO as it stood at an instant in the past, and as it stands
// now for any later one.
type Budgets interface {
	StatusAt(ctx context.Context, name string, at time.Time) (sloengine.View, bool, error)
}

// Gate answers and records release gate questions.
type Gate struct {
	store    Store
	snapshot func() *org.Snapshot
	budgets  Budgets
	now      func() time.Time
}

// New returns a gate over the store, the configuration snapshot of the
// moment and the error budgets (nil when no SLO is evaluated).
func New(st Store, snapshot func() *org.Snapshot, budgets Budgets, now func() time.Time) *Gate {
	return &Gate{store: st, snapshot: snapshot, budgets: budgets, now: now}
}

// Decision is the gate's answer for one service at one instant, as
// recorded.
type Decision struct {
	gate.Decision
	// ID is the recorded decision's, which a deploy may name.
	ID         int64
	Service    string
	At         time.Time
	ChangeType string
	// Granted is the override that let a deny through, when one did.
	Granted *store.GateOverride
}

// Check decides whether service may release at at (UTC), for a change of
// changeType, and records the decision. An unknown service is
// org.ErrNotFound.
func (g *Gate) Check(ctx context.Context, service string, at time.Time, changeType string) (Decision, error) {
	snap := g.snapshot()
	svc := snap.Service(service)
	if svc == nil {
		return Decision{}, fmt.Errorf("service %q: %w", service, org.ErrNotFound)
	}
	now := g.now().UTC()
	at = at.UTC()
	// A question about the past is answered from history: the budgets
	// and the incidents open then. Budgets and incidents ahead cannot be
	// known, so a later instant weighs those of now.
	budgetAt := at
	if at.After(now) {
		budgetAt = now
	}
	budgets, err := g.budgetsOf(ctx, snap, svc.ID, budgetAt)
	if err != nil {
		return Decision{}, err
	}
	open, err := g.openAt(ctx, at, now)
	if err != nil {
		return Decision{}, err
	}
	overrides, err := g.store.ListGateOverrides(ctx, svc.ID, at, 0, maxOverrides)
	if err != nil {
		return Decision{}, fmt.Errorf("gate overrides of %s: %w", svc.ID, err)
	}
	in := Input(snap, svc, at, budgets, open, overrides)
	in.ChangeType = changeType
	d := Decision{Decision: gate.Decide(in), Service: svc.ID, At: at, ChangeType: changeType}
	if d.Override != nil {
		for i, o := range overrides {
			if o.Reason == d.Override.Reason && o.ExpiresAt.Equal(d.Override.Expires) {
				d.Granted = &overrides[i]
				break
			}
		}
	}
	reasons, _ := json.Marshal(d.Reasons) // strings only
	rec := store.GateDecision{Service: svc.ID, At: at, ChangeType: changeType, Decision: d.Decision.Decision, Reasons: reasons, CreatedAt: now}
	if d.Granted != nil {
		rec.OverrideID = d.Granted.ID
	}
	if err := g.store.InsertGateDecision(ctx, &rec); err != nil {
		return Decision{}, fmt.Errorf("record the gate decision: %w", err)
	}
	d.ID = rec.ID
	return d, nil
}

// openAt lists the incidents open at at: from their history when at is
// before now, else those open now.
func (g *Gate) openAt(ctx context.Context, at, now time.Time) ([]incident.Incident, error) {
	if !at.Before(now) {
		open, err := g.store.ListIncidents(ctx, store.IncidentQuery{Statuses: []alert.Status{alert.StatusTriggered, alert.StatusAcknowledged}, Limit: maxOpenIncidents})
		if err != nil {
			return nil, fmt.Errorf("open incidents: %w", err)
		}
		return open, nil
	}
	then, err := g.store.ReportIncidents(ctx, store.ReportIncidentQuery{From: at, To: at.Add(time.Nanosecond), Active: true})
	if err != nil {
		return nil, fmt.Errorf("incidents open at %s: %w", at.Format(time.RFC3339), err)
	}
	var open []incident.Incident
	for _, inc := range then {
		if len(open) >= maxOpenIncidents {
			break
		}
		if inc.CreatedAt.After(at) || (inc.ResolvedAt != nil && !inc.ResolvedAt.After(at)) {
			continue
		}
		full, err := g.store.GetIncident(ctx, inc.ID)
		if err != nil {
			return nil, fmt.Errorf("incident %d: %w", inc.ID, err)
		}
		open = append(open, full)
	}
	if len(open) == 0 {
		return open, nil
	}
	// Each weighs with the severity it had then, not the one it was
	// raised or lowered to since: the gate answers as it would have.
	ids := make([]int64, len(open))
	for i, inc := range open {
		ids[i] = inc.ID
	}
	timelines, err := g.store.Timelines(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("timelines of the incidents open at %s: %w", at.Format(time.RFC3339), err)
	}
	for i := range open {
		open[i].Severity = incident.SeverityAt(open[i].Severity, timelines[open[i].ID], at)
	}
	return open, nil
}

// budgetsOf reads the error budgets of the service's SLOs as they stood
// at at.
func (g *Gate) budgetsOf(ctx context.Context, snap *org.Snapshot, service string, at time.Time) ([]gate.Budget, error) {
	if g.budgets == nil {
		return nil, nil
	}
	var out []gate.Budget
	for _, def := range snap.ServiceSLOs(service) {
		v, ok, err := g.budgets.StatusAt(ctx, def.Name, at)
		if err != nil {
			return nil, fmt.Errorf("status of SLO %s: %w", def.Name, err)
		}
		if ok {
			out = append(out, gate.Budget{SLO: def.Name, Frozen: v.Status.Frozen, BudgetRemaining: v.Status.BudgetRemaining, Exemptions: def.Policy.Exemptions})
		}
	}
	return out, nil
}

// Input assembles what the gate weighs for svc at at: the owner team's
// country and time zone, the org's, the team's and the service's freezes,
// the hard dependencies, and the budgets, open incidents and overrides
// given.
func Input(snap *org.Snapshot, svc *catalog.Service, at time.Time, budgets []gate.Budget, open []incident.Incident, overrides []store.GateOverride) gate.Input {
	in := gate.Input{Service: svc.ID, At: at, Budgets: budgets, Freezes: append([]catalog.Freeze(nil), snap.Bundle.Org.Freezes...)}
	if team := snap.Team(svc.Owner); team != nil {
		in.Country = team.Country
		if loc, err := time.LoadLocation(team.TimeZone); err == nil && team.TimeZone != "" {
			in.TimeZone = loc
		}
		in.Freezes = append(in.Freezes, team.Freezes...)
	}
	in.Freezes = append(in.Freezes, svc.Freezes...)
	in.HardDependencies = snap.Graph.HardReachable(svc.ID)
	for _, inc := range open {
		services := inc.Services
		if inc.Service != "" {
			services = append([]string{inc.Service}, services...)
		}
		in.Incidents = append(in.Incidents, gate.Incident{ID: strconv.FormatInt(inc.ID, 10), Severity: inc.Severity, Title: inc.Title, Services: services})
	}
	for _, o := range overrides {
		in.Overrides = append(in.Overrides, gate.Override{Reason: o.Reason, By: o.CreatedBy, Start: o.CreatedAt, Expires: o.ExpiresAt})
	}
	return in
}

// OverrideRequest asks for releases of Service to pass until ExpiresAt, or
// for ExpiresIn (such as "2h") from now.
type OverrideRequest struct {
	Service   string
	Reason    string
	ExpiresAt *time.Time
	ExpiresIn string
}

// InvalidError lists every problem of a refused override.
type InvalidError struct {
	List []string
}

func (e *InvalidError) Error() string { return "invalid override: " + strings.Join(e.List, "; ") }

// Problems lists the problems, each naming its field.
func (e *InvalidError) Problems() []string { return e.List }

// Grant records an override by actor, audited. A reason and an end within
// MaxOverride are required; a refusal is an *InvalidError.
func (g *Gate) Grant(ctx context.Context, req OverrideRequest, actor string) (store.GateOverride, error) {
	reason := strings.TrimSpace(req.Reason)
	now := g.now().UTC()
	var expires time.Time
	var problems []string
	switch {
	case reason == "":
		problems = append(problems, "reason: required: say why releases must pass")
	case len(reason) > MaxReason:
		problems = append(problems, fmt.Sprintf("reason: longer than %d bytes", MaxReason))
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
		case expires.Sub(now) > MaxOverride:
			problems = append(problems, fmt.Sprintf("an override lasts at most %s", duration.Format(MaxOverride)))
		}
	}
	if len(problems) > 0 {
		return store.GateOverride{}, &InvalidError{List: problems}
	}
	o := store.GateOverride{Service: req.Service, Reason: reason, CreatedBy: actor, CreatedAt: now, ExpiresAt: expires}
	after, _ := json.Marshal(o) // strings and times
	audit := store.AuditEntry{At: now, Actor: actor, Action: "gate.override", Kind: "gate_override", After: after,
		Details: fmt.Sprintf("releases of %s pass until %s: %s", o.Service, expires.Format(time.RFC3339), reason)}
	if err := g.store.CreateGateOverride(ctx, &o, audit); err != nil {
		return o, fmt.Errorf("record the override: %w", err)
	}
	return o, nil
}

// LinkDeploy links a deploy of service to the gate decision it followed:
// the one its details name in gate_decision_id, else the service's latest
// decision of the last hour. The link goes into the details
// (gate_decision_id and gate_decision), which it returns; a failed lookup
// is reported to warn (nil for none) and never refuses the deploy.
func (g *Gate) LinkDeploy(ctx context.Context, service string, details map[string]any, warn func(error)) map[string]any {
	var d store.GateDecision
	var err error
	if raw, ok := details["gate_decision_id"]; ok {
		id, ok := decisionID(raw)
		if !ok {
			return details
		}
		if d, err = g.store.GetGateDecision(ctx, id); err != nil || d.Service != service {
			return details
		}
	} else if d, err = g.store.LatestGateDecision(ctx, service, g.now().Add(-deployLink)); err != nil {
		if !errors.Is(err, store.ErrNotFound) && warn != nil {
			warn(fmt.Errorf("gate decision of %s: %w", service, err))
		}
		return details
	}
	if details == nil {
		details = map[string]any{}
	}
	details["gate_decision_id"] = d.ID
	details["gate_decision"] = d.Decision
	return details
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
