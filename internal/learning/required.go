package learning

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Requirement is an incident the policy asks a post-mortem of, and where
// that post-mortem stands.
type Requirement struct {
	IncidentID      int64             `json:"incident_id"`
	Title           string            `json:"title"`
	Severity        incident.Severity `json:"severity"`
	Major           bool              `json:"major"`
	IncidentStatus  incident.Status   `json:"incident_status"`
	CreatedAt       time.Time         `json:"created_at"`
	ResolvedAt      *time.Time        `json:"resolved_at"`
	OwnerTeam       string            `json:"owner_team"`
	Services        []string          `json:"services"`
	RequiredBecause []string          `json:"required_because"`
	// Postmortem is the post-mortem's status, or "missing".
	Postmortem string `json:"postmortem"`
	// Due is when it is due: once the incident is resolved.
	Due     *time.Time `json:"due"`
	Overdue bool       `json:"overdue"`
}

// Missing is a Requirement's Postmortem when none was written.
const Missing = "missing"

// RequiredQuery selects the incidents to weigh: opened in [From, To), or
// one incident; of an owner team; only those not yet published, or only
// overdue ones.
type RequiredQuery struct {
	From, To   time.Time
	IncidentID int64
	Team       string
	Unfinished bool
	Overdue    bool
}

// maxRequiredIncidents bounds the incidents one question weighs.
const maxRequiredIncidents = 10000

// Required lists the incidents the policy asks a post-mortem of, newest
// first, with where each stands.
func (p *Postmortems) Required(ctx context.Context, q RequiredQuery) ([]Requirement, error) {
	snap := p.org.Snapshot()
	now := p.now()
	incs, err := p.incidents(ctx, q)
	if err != nil {
		return nil, err
	}
	out := []Requirement{}
	for _, inc := range incs {
		r, ok, err := p.requirement(ctx, snap, inc, now)
		if err != nil {
			return nil, err
		}
		if !ok || (q.Team != "" && r.OwnerTeam != q.Team) ||
			(q.Unfinished && r.Postmortem == string(postmortem.StatusPublished)) || (q.Overdue && !r.Overdue) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// incidents are the incidents a query weighs, newest first.
func (p *Postmortems) incidents(ctx context.Context, q RequiredQuery) ([]incident.Incident, error) {
	if q.IncidentID != 0 {
		inc, err := p.store.GetIncident(ctx, q.IncidentID)
		if err != nil {
			return nil, fmt.Errorf("incident %d: %w", q.IncidentID, err)
		}
		return []incident.Incident{inc}, nil
	}
	var out []incident.Incident
	iq := store.IncidentQuery{Statuses: []incident.Status{incident.StatusTriggered, incident.StatusAcknowledged, incident.StatusResolved}, Limit: 1000}
	for len(out) < maxRequiredIncidents {
		page, err := p.store.ListIncidents(ctx, iq)
		if err != nil {
			return nil, fmt.Errorf("incidents: %w", err)
		}
		for _, inc := range page {
			if !q.To.IsZero() && !inc.CreatedAt.Before(q.To) {
				continue
			}
			if !q.From.IsZero() && inc.CreatedAt.Before(q.From) {
				return out, nil // newest first: the rest are older still
			}
			out = append(out, inc)
		}
		if len(page) < iq.Limit {
			break
		}
		iq.BeforeID = page[len(page)-1].ID
	}
	return out, nil
}

// requirement weighs one incident; ok is false when it needs no
// post-mortem and has none.
func (p *Postmortems) requirement(ctx context.Context, snap *org.Snapshot, inc incident.Incident, now time.Time) (Requirement, bool, error) {
	policy := Policy(snap)
	r := Requirement{IncidentID: inc.ID, Title: inc.Title, Severity: inc.Severity, Major: inc.Major, IncidentStatus: inc.Status,
		CreatedAt: inc.CreatedAt, ResolvedAt: inc.ResolvedAt, OwnerTeam: ownerOf(snap, inc), Services: slices.Clone(inc.Services),
		Postmortem: Missing}
	if r.Services == nil {
		r.Services = []string{}
	}
	pm, err := p.store.GetPostmortem(ctx, inc.ID)
	switch {
	case err == nil:
		pm = p.complete(ctx, pm)
		r.Postmortem, r.RequiredBecause, r.Due, r.Overdue = string(pm.Status), pm.RequiredBecause, pm.Due, pm.Overdue
		return r, pm.Required, nil
	case !errors.Is(err, store.ErrNotFound):
		return r, false, fmt.Errorf("post-mortem of incident %d: %w", inc.ID, err)
	}
	r.RequiredBecause = policy.Required(inc.Severity, inc.Major, p.budgetsOf(ctx, snap, inc, now))
	if len(r.RequiredBecause) == 0 {
		return r, false, nil
	}
	if inc.ResolvedAt != nil {
		due := policy.Due(*inc.ResolvedAt, snap.TeamCalendar(r.OwnerTeam))
		r.Due, r.Overdue = &due, now.After(due)
	}
	return r, true, nil
}
