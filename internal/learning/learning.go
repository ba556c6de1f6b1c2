// Package learning runs post-mortems: it gathers an incident's record from
// the store and the configuration for package postmortem to draft from,
// stores post-mortems and their edits in version-checked transactions with
// their audit entries, and says which incidents need one, by when, and
// where it stands.
package learning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Store is what post-mortems need of the database.
type Store interface {
	store.Pipeline
	store.Postmortems
	ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error)
}

// Budgets weighs an incident against an SLO's error budget (the SLO
// engine does): Status brings an SLO up to date with the configuration and
// the data stored, IncidentShare is the share of its budget the bad events
// of [from, to) consumed.
type Budgets interface {
	Status(ctx context.Context, name string, now time.Time) (sloengine.View, bool, error)
	IncidentShare(name string, from, to time.Time) (float64, bool)
}

// Options configures Postmortems.
type Options struct {
	Store Store
	Org   *org.Manager
	// Budgets may be nil: then no SLO budget counts.
	Budgets Budgets
	Now     func() time.Time
}

// Postmortems drafts, stores and edits post-mortems.
type Postmortems struct {
	store   Store
	org     *org.Manager
	budgets Budgets
	now     func() time.Time
}

// New returns Postmortems on o.
func New(o Options) *Postmortems {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Postmortems{store: o.Store, org: o.Org, budgets: o.Budgets, now: o.Now}
}

// Errors callers answer: a second post-mortem of an incident is a
// conflict, as is an edit on a stale version.
var (
	ErrExists = errors.New("the incident has a post-mortem")
)

// Audit kinds and actions of post-mortems.
const (
	AuditKind   = "postmortem"
	auditCreate = "postmortem.create"
	auditUpdate = "postmortem.update"
)

// Policy is the org's post-mortem policy, the defaults where it sets none
// or (should a stored one not parse) where it is wrong.
func Policy(snap *org.Snapshot) postmortem.Policy {
	pm := snap.Bundle.Org.Postmortems
	if pm == nil {
		return postmortem.DefaultPolicy
	}
	p, err := postmortem.ParsePolicy(pm.RequiredFor, pm.DueBusinessDays)
	if err != nil {
		return postmortem.DefaultPolicy
	}
	return p
}

// Teams answers which teams exist and their zones, for edits.
type Teams struct{ Snap *org.Snapshot }

// TeamZone is the team's zone (UTC when it names none), and whether the
// team exists.
func (t Teams) TeamZone(team string) (*time.Location, bool) {
	if t.Snap.Team(team) == nil {
		return nil, false
	}
	return t.Snap.TeamCalendar(team).Location, true
}

// ownerOf is the team owning the service an incident opened on.
func ownerOf(snap *org.Snapshot, inc incident.Incident) string {
	for _, id := range append([]string{inc.Service}, inc.Services...) {
		if svc := snap.Service(id); svc != nil && svc.Owner != "" {
			return svc.Owner
		}
	}
	return ""
}

// Draft writes and stores the post-mortem of an incident as actor;
// ErrExists when it has one.
func (p *Postmortems) Draft(ctx context.Context, incidentID int64, actor string) (postmortem.Postmortem, error) {
	inc, err := p.store.GetIncident(ctx, incidentID)
	if err != nil {
		return postmortem.Postmortem{}, fmt.Errorf("incident %d: %w", incidentID, err)
	}
	if _, err := p.store.GetPostmortem(ctx, incidentID); err == nil {
		return postmortem.Postmortem{}, fmt.Errorf("incident %d: %w", incidentID, ErrExists)
	}
	now := p.now()
	snap := p.org.Snapshot()
	rec, err := p.record(ctx, snap, inc, now)
	if err != nil {
		return postmortem.Postmortem{}, err
	}
	owner := ownerOf(snap, inc)
	pm := postmortem.Draft(rec, Policy(snap), owner, snap.TeamCalendar(owner), actor, now)
	err = p.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertPostmortem(&pm); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("incident %d: %w", incidentID, ErrExists)
			}
			return err
		}
		after, _ := json.Marshal(map[string]any{"status": pm.Status, "required": pm.Required, "required_because": pm.RequiredBecause, "due": pm.Due})
		if err := tx.Audit(store.AuditEntry{At: now, Actor: actor, Action: auditCreate, Kind: AuditKind, ObjID: strconv.FormatInt(incidentID, 10),
			After: after, Details: "drafted from the incident's record"}); err != nil {
			return err
		}
		return tx.AppendTimeline(timelineEntry(incidentID, now, actor, "post-mortem drafted"))
	})
	if err != nil {
		return postmortem.Postmortem{}, err
	}
	pm.MarkOverdue(now)
	return pm, nil
}

func timelineEntry(incidentID int64, at time.Time, actor, msg string) *incident.TimelineEntry {
	return &incident.TimelineEntry{IncidentID: incidentID, At: at, Kind: incident.EntryPostmortem, Actor: actor, Message: msg}
}

// maxPages bounds how many notification pages (of 1,000) a draft reads.
const maxPages = 20

// record gathers what the draft is written from.
func (p *Postmortems) record(ctx context.Context, snap *org.Snapshot, inc incident.Incident, now time.Time) (postmortem.Record, error) {
	rec := postmortem.Record{Incident: inc, Hours: snap.Hours()}
	var err error
	if rec.Timeline, err = p.store.Timeline(ctx, inc.ID); err != nil {
		return rec, fmt.Errorf("timeline of incident %d: %w", inc.ID, err)
	}
	if rec.Alerts, err = p.store.ListAlerts(ctx, store.AlertQuery{IncidentID: inc.ID, Limit: 1000}); err != nil {
		return rec, fmt.Errorf("alerts of incident %d: %w", inc.ID, err)
	}
	if rec.Pages, err = p.pages(ctx, inc.ID); err != nil {
		return rec, err
	}
	for _, s := range inc.Suspects {
		for _, id := range s.Changes {
			c, err := p.store.GetChange(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue // pruned
			}
			if err != nil {
				return rec, fmt.Errorf("change %d: %w", id, err)
			}
			rec.Changes = append(rec.Changes, c)
		}
	}
	services := inc.Services
	if len(services) == 0 && inc.Service != "" {
		services = []string{inc.Service}
	}
	for _, id := range services {
		f := postmortem.ServiceFact{Service: id, CriticalBecause: []string{}}
		if svc := snap.Service(id); svc != nil {
			f.Name, f.Owner = svc.Name, svc.Owner
			f.Critical, f.CriticalBecause = snap.Graph.Criticality(id)
			if f.CriticalBecause == nil {
				f.CriticalBecause = []string{}
			}
		}
		rec.Services = append(rec.Services, f)
	}
	rec.Budgets = p.budgetsOf(ctx, snap, inc, now)
	return rec, nil
}

// pages are the pages delivered for an incident: one per message sent.
func (p *Postmortems) pages(ctx context.Context, incidentID int64) ([]postmortem.Page, error) {
	var out []postmortem.Page
	q := store.NotificationQuery{IncidentID: incidentID, Statuses: []string{notify.StatusSent}, Limit: 1000}
	for range maxPages {
		ns, err := p.store.ListNotifications(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("notifications of incident %d: %w", incidentID, err)
		}
		for _, n := range ns {
			// A page batched into another's message reached nobody by itself.
			if n.Kind != notify.KindPage || n.SentAt == nil || strings.HasPrefix(n.LastError, "batched into") {
				continue
			}
			out = append(out, postmortem.Page{User: n.UserID, TimeZone: n.TimeZone, At: *n.SentAt})
		}
		if len(ns) < q.Limit {
			break
		}
		q.BeforeID = ns[len(ns)-1].ID
	}
	return out, nil
}

// budgetsOf weighs the incident against the SLOs of its services: the
// share of each budget consumed from its opening to its resolution (to
// now while it is open).
func (p *Postmortems) budgetsOf(ctx context.Context, snap *org.Snapshot, inc incident.Incident, now time.Time) []postmortem.Budget {
	if p.budgets == nil {
		return nil
	}
	end := now
	if inc.ResolvedAt != nil {
		end = *inc.ResolvedAt
	}
	var out []postmortem.Budget
	for _, s := range snap.SLOs() {
		if s.Service != inc.Service && !slices.Contains(inc.Services, s.Service) {
			continue
		}
		if _, ok, err := p.budgets.Status(ctx, s.Name, now); err != nil || !ok {
			continue // the engine cannot weigh it now
		}
		share, ok := p.budgets.IncidentShare(s.Name, inc.CreatedAt, end)
		if !ok {
			continue
		}
		out = append(out, postmortem.Budget{SLO: s.Name, Service: s.Service, Share: round4(share)})
	}
	return out
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// Get returns a post-mortem as it stands now: its due time once its
// incident is resolved, and whether it and its items are overdue.
func (p *Postmortems) Get(ctx context.Context, id int64) (postmortem.Postmortem, error) {
	pm, err := p.store.GetPostmortem(ctx, id)
	if err != nil {
		return pm, fmt.Errorf("post-mortem %d: %w", id, err)
	}
	return p.complete(ctx, pm), nil
}

// complete fills what a post-mortem knows only when it is read.
func (p *Postmortems) complete(ctx context.Context, pm postmortem.Postmortem) postmortem.Postmortem {
	if pm.Required && pm.Due == nil {
		if inc, err := p.store.GetIncident(ctx, pm.IncidentID); err == nil {
			snap := p.org.Snapshot()
			pm.FillDue(Policy(snap), inc.ResolvedAt, snap.TeamCalendar(pm.OwnerTeam))
		}
	}
	pm.MarkOverdue(p.now())
	return pm
}

// Edit applies an edit as actor, in one transaction with its audit entry:
// an edit on a stale version is refused (postmortem.ErrStale).
func (p *Postmortems) Edit(ctx context.Context, id int64, e postmortem.Edit, actor string) (postmortem.Postmortem, error) {
	var out postmortem.Postmortem
	now := p.now()
	teams := Teams{p.org.Snapshot()}
	err := p.store.Update(ctx, func(tx store.Tx) error {
		pm, err := tx.GetPostmortem(id)
		if err != nil {
			return fmt.Errorf("post-mortem %d: %w", id, err)
		}
		before := pm
		read := pm.Version
		ch, err := postmortem.Apply(&pm, e, teams, actor, now)
		if err != nil {
			return err
		}
		out = pm
		if len(ch.Fields) == 0 {
			return nil
		}
		if err := tx.UpdatePostmortem(&pm, read); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: %v", postmortem.ErrStale, err)
			}
			return err
		}
		out = pm
		b, a := changedFields(before, pm, ch)
		if err := tx.Audit(store.AuditEntry{At: now, Actor: actor, Action: auditUpdate, Kind: AuditKind, ObjID: strconv.FormatInt(id, 10),
			Before: b, After: a, Details: fmt.Sprintf("%s (version %d)", ch.Describe(), pm.Version)}); err != nil {
			return err
		}
		if ch.ToStatus != "" {
			return tx.AppendTimeline(timelineEntry(id, now, actor, "post-mortem "+statusWords[ch.ToStatus]))
		}
		return nil
	})
	if err != nil {
		return postmortem.Postmortem{}, err
	}
	return p.complete(ctx, out), nil
}

var statusWords = map[postmortem.Status]string{
	postmortem.StatusDraft:     "sent back to draft",
	postmortem.StatusInReview:  "sent to review",
	postmortem.StatusPublished: "published",
}

// changedFields are the fields an edit changed, before and after, for the
// audit log.
func changedFields(before, after postmortem.Postmortem, ch postmortem.Change) (json.RawMessage, json.RawMessage) {
	pick := func(pm postmortem.Postmortem) json.RawMessage {
		full, _ := json.Marshal(pm)
		var all map[string]json.RawMessage
		_ = json.Unmarshal(full, &all)
		out := map[string]json.RawMessage{}
		for _, f := range ch.Fields {
			out[f] = all[f]
		}
		b, _ := json.Marshal(out)
		return b
	}
	return pick(before), pick(after)
}

// ItemOf returns an action item by its ID.
func (p *Postmortems) ItemOf(ctx context.Context, itemID int64) (postmortem.ActionItem, error) {
	items, err := p.store.ListActionItems(ctx, store.ActionItemQuery{ID: itemID, Limit: 1})
	if err != nil {
		return postmortem.ActionItem{}, err
	}
	if len(items) == 0 {
		return postmortem.ActionItem{}, fmt.Errorf("action item %d: %w", itemID, store.ErrNotFound)
	}
	return items[0], nil
}

// EditItem changes one action item as actor (a new version of its
// post-mortem), and returns the post-mortem.
func (p *Postmortems) EditItem(ctx context.Context, item postmortem.ActionItem, c postmortem.ItemChange, actor string) (postmortem.Postmortem, error) {
	pm, err := p.store.GetPostmortem(ctx, item.IncidentID)
	if err != nil {
		return pm, fmt.Errorf("post-mortem %d: %w", item.IncidentID, err)
	}
	items := make([]postmortem.ItemChange, 0, len(pm.ActionItems))
	for _, it := range pm.ActionItems {
		if it.ID == item.ID {
			c.ID = it.ID
			items = append(items, c)
			continue
		}
		items = append(items, postmortem.ItemChange{ID: it.ID})
	}
	version := pm.Version
	return p.Edit(ctx, pm.IncidentID, postmortem.Edit{Version: &version, ActionItems: &items}, actor)
}

// AddItem adds an action item to a post-mortem as actor.
func (p *Postmortems) AddItem(ctx context.Context, id int64, c postmortem.ItemChange, actor string) (postmortem.Postmortem, error) {
	pm, err := p.store.GetPostmortem(ctx, id)
	if err != nil {
		return pm, fmt.Errorf("post-mortem %d: %w", id, err)
	}
	items := make([]postmortem.ItemChange, 0, len(pm.ActionItems)+1)
	for _, it := range pm.ActionItems {
		items = append(items, postmortem.ItemChange{ID: it.ID})
	}
	c.ID = 0
	items = append(items, c)
	version := pm.Version
	return p.Edit(ctx, id, postmortem.Edit{Version: &version, ActionItems: &items}, actor)
}

// List returns post-mortems as they stand now.
func (p *Postmortems) List(ctx context.Context, q store.PostmortemQuery) ([]postmortem.Postmortem, error) {
	pms, err := p.store.ListPostmortems(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range pms {
		pms[i] = p.complete(ctx, pms[i])
	}
	return pms, nil
}

// Items returns action items as they stand now.
func (p *Postmortems) Items(ctx context.Context, q store.ActionItemQuery) ([]postmortem.ActionItem, error) {
	items, err := p.store.ListActionItems(ctx, q)
	now := p.now()
	for i := range items {
		items[i].Overdue = items[i].IsOverdue(now)
	}
	return items, err
}

// Markdown is a post-mortem as Markdown.
func (p *Postmortems) Markdown(ctx context.Context, id int64) (string, error) {
	pm, err := p.Get(ctx, id)
	if err != nil {
		return "", err
	}
	return postmortem.Markdown(pm, Teams{p.org.Snapshot()}), nil
}

// HistoryEntry is one change of a post-mortem: who, when, what.
type HistoryEntry struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Details string    `json:"details"`
}

// History lists who changed a post-mortem and what, newest first.
func (p *Postmortems) History(ctx context.Context, id int64, limit int) ([]HistoryEntry, error) {
	entries, err := p.store.ListAudit(ctx, store.AuditQuery{Kind: AuditKind, ObjID: strconv.FormatInt(id, 10), Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("history of post-mortem %d: %w", id, err)
	}
	out := make([]HistoryEntry, len(entries))
	for i, e := range entries {
		out[i] = HistoryEntry{At: e.At, Actor: e.Actor, Action: e.Action, Details: e.Details}
	}
	return out, nil
}
