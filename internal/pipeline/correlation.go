package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/correlate"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// defaultCorrelationWindow applies when org.correlation_window is unset.
const defaultCorrelationWindow = 5 * time.Minute

// maxCandidates bounds the open incidents a new alert is placed against.
const maxCandidates = 100

func correlationWindow(snap *org.Snapshot) time.Duration {
	if w := snap.Bundle.Org.CorrelationWindow.Std(); w > 0 {
		return w
	}
	return defaultCorrelationWindow
}

// correlationRule decides which incident an alert joins: Options.Correlation's
// rule, else the configuration's index.
func (f *flow) correlationRule(snap *org.Snapshot) correlate.Rule {
	if f.correlation != nil {
		return f.correlation(snap)
	}
	return snap.Correlation()
}

// placement is where correlation puts a new alert.
type placement struct {
	// join is the open incident the alert joins (nil: it opens its own),
	// and why.
	join   *incident.Incident
	reason string
	// merge are other open incidents that the alert's service explains:
	// they opened before the failure below them alerted, and merge into
	// the alert's incident.
	merge []verdictOn
	// related are open incidents that share a dependency with the alert's
	// service without evidence that it fails.
	related []verdictOn
}

type verdictOn struct {
	inc *incident.Incident
	v   correlate.Verdict
}

// candidates returns what correlation weighs of the open incidents that
// page (high urgency, or major) created within the correlation window,
// oldest first: of several an alert may join, the one open longest, whose
// responders are engaged, takes it. Low-urgency noise does not pull pages
// together.
func candidates(tx store.Tx, snap *org.Snapshot, now time.Time) ([]store.IncidentHead, error) {
	open, err := tx.OpenIncidentHeads(now.Add(-correlationWindow(snap)), maxCandidates)
	if err != nil {
		return nil, fmt.Errorf("correlation candidates: %w", err)
	}
	slices.Reverse(open) // they come newest first
	return open, nil
}

// place decides where a new alert on svc goes: into an open incident it is
// linked to (a direct link before a join on evidence), together with the
// incidents its service explains, and related to those it only shares a
// dependency with. Only the incidents it names are read whole.
func (f *flow) place(tx store.Tx, snap *org.Snapshot, svc *catalog.Service, now time.Time) (placement, error) {
	var pl placement
	// Only the dependency graph links services: a service without
	// dependencies or dependents joins nothing, and reading the candidates
	// is the costliest part of a new alert.
	if len(snap.Graph.Dependencies(svc.ID)) == 0 && len(snap.Graph.Dependents(svc.ID)) == 0 {
		return pl, nil
	}
	open, err := candidates(tx, snap, now)
	if err != nil || len(open) == 0 {
		return pl, err
	}
	ev, err := readEvidence(tx, snap, svc, open, now)
	if err != nil {
		return pl, err
	}
	rule := f.correlationRule(snap)
	verdicts := make([]correlate.Verdict, len(open))
	for i, h := range open {
		verdicts[i] = rule.Decide(svc.ID, h.Services, ev.of(h.CreatedAt))
	}
	p := correlate.Place(verdicts)
	// The candidates it names, read whole.
	named := func(idx []int) ([]verdictOn, error) {
		var out []verdictOn
		for _, i := range idx {
			inc, err := getIncident(tx, open[i].ID)
			if err != nil {
				return nil, err
			}
			out = append(out, verdictOn{inc, verdicts[i]})
		}
		return out, nil
	}
	if p.Join >= 0 {
		join, err := named([]int{p.Join})
		if err != nil {
			return pl, err
		}
		pl.join, pl.reason = join[0].inc, join[0].v.Reason
	}
	if pl.merge, err = named(p.Merge); err != nil {
		return pl, err
	}
	pl.related, err = named(p.Related)
	return pl, err
}

// getIncident reads a candidate whole, once correlation chose it.
func getIncident(tx store.Tx, id int64) (*incident.Incident, error) {
	inc, err := tx.GetIncident(id)
	if err != nil {
		return nil, fmt.Errorf("correlation: incident %d: %w", id, err)
	}
	return &inc, nil
}

// evidence is what the store says, while an alert is placed, about the
// services that failing ones share: which alerted within the correlation
// window, and when each changed.
type evidence struct {
	window    time.Duration
	alerting  map[string]bool
	coFailing map[string]bool
	changes   map[string][]time.Time
}

// of answers for one incident, opened at created: a change counts within
// the window before its first alert.
func (e evidence) of(created time.Time) correlate.Evidence {
	return incidentEvidence{e, created.Add(-e.window), created}
}

type incidentEvidence struct {
	evidence
	from, until time.Time
}

func (e incidentEvidence) Alerting(service string) bool { return e.alerting[service] }

func (e incidentEvidence) DependentsFailing(service string) bool { return e.coFailing[service] }

func (e incidentEvidence) Changed(service string) bool {
	for _, at := range e.changes[service] {
		if !at.Before(e.from) && !at.After(e.until) {
			return true
		}
	}
	return false
}

// readEvidence reads, in the transaction, the services that alerted within
// the window (with svc, whose alert is being placed, they show which
// silent dependencies fail) and the changes from the window before the
// oldest candidate's first alert until now.
func readEvidence(tx store.Tx, snap *org.Snapshot, svc *catalog.Service, open []store.IncidentHead, now time.Time) (evidence, error) {
	window := correlationWindow(snap)
	alerting, err := tx.AlertingServices(now.Add(-window))
	if err != nil {
		return evidence{}, fmt.Errorf("correlation evidence: %w", err)
	}
	changes, err := tx.ListChanges(store.ChangeQuery{Since: open[0].CreatedAt.Add(-window), Until: now.Add(time.Nanosecond), Limit: 1000})
	if err != nil {
		return evidence{}, fmt.Errorf("correlation evidence: %w", err)
	}
	ev := evidence{window: window, alerting: map[string]bool{}, coFailing: map[string]bool{}, changes: changesByService(changes)}
	for _, s := range alerting {
		ev.alerting[s] = true
	}
	for _, s := range snap.Correlation().CoFailing(append(alerting, svc.ID)) {
		ev.coFailing[s] = true
	}
	return ev, nil
}

func changesByService(changes []change.Event) map[string][]time.Time {
	by := map[string][]time.Time{}
	for _, c := range changes {
		by[c.Service] = append(by[c.Service], c.At)
	}
	return by
}

// pullIn merges into inc, which the alert on svc joins, the other incidents
// its placement found to be one failure with it. The caller pages, ranks
// the suspects and stores inc: the people of the merged incidents are
// responders of inc by then, and are not paged again.
func (f *flow) pullIn(tx store.Tx, inc *incident.Incident, svc *catalog.Service, pl placement, now time.Time) error {
	for _, m := range pl.merge {
		if err := f.mergeCorrelated(tx, inc, m.inc, fmt.Sprintf("%s alerted, and %s", svc.ID, m.v.Reason), now); err != nil {
			return err
		}
	}
	return nil
}

// relateAll records that inc, where the alert went, and the incidents its
// placement found sharing a dependency without evidence are related, on
// both sides.
func relateAll(tx store.Tx, inc *incident.Incident, pl placement, now time.Time) error {
	if len(pl.related) == 0 {
		return nil
	}
	for _, r := range pl.related {
		if err := relate(tx, inc, r.inc, r.v, now); err != nil {
			return err
		}
	}
	return tx.UpdateIncident(inc)
}

// mergeCorrelated merges src into inc because correlation found them one
// failure; the caller ranks the suspects and stores inc.
func (f *flow) mergeCorrelated(tx store.Tx, inc, src *incident.Incident, why string, now time.Time) error {
	moved, err := absorb(tx, inc, src, Actor{Name: "system"}, why, now)
	if err != nil {
		return err
	}
	return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryMerged, Actor: "system",
		Message: fmt.Sprintf("incident %d (%s, %d alerts) correlated into this one: %s", src.ID, strings.Join(src.Services, ", "), moved, why)})
}

// relate records on both incidents that they share dependencies without
// evidence that these fail, so that a responder may merge them.
func relate(tx store.Tx, a, b *incident.Incident, v correlate.Verdict, now time.Time) error {
	for _, pair := range [][2]*incident.Incident{{a, b}, {b, a}} {
		inc, other := pair[0], pair[1]
		if !inc.Relate(incident.Related{Incident: other.ID, Via: v.Shared, Reason: v.Reason}) {
			continue
		}
		msg := fmt.Sprintf("related to incident %d (%s): %s; merge them if they are one failure", other.ID, strings.Join(other.Services, ", "), v.Reason)
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryRelated, Actor: "system", Message: msg}); err != nil {
			return err
		}
	}
	return tx.UpdateIncident(b)
}

// majorIfTeams makes an incident whose services two or more teams own a
// major one.
func (f *flow) majorIfTeams(tx store.Tx, snap *org.Snapshot, inc *incident.Incident, now time.Time) error {
	if inc.Major {
		return nil
	}
	teams := owningTeams(snap, inc.Services)
	if len(teams) < 2 {
		return nil
	}
	return f.makeMajor(tx, snap, inc, fmt.Sprintf("correlation merged alerts of %d services owned by %d teams (%s)", len(inc.Services), len(teams), strings.Join(teams, ", ")), now)
}

// mergeOnChange merges open incidents that a change arriving after their
// alerts explains: a non-hub service they all depend on changed within the
// window before each one's first alert. Until the change was known they
// were only related. The incident that stays ranks its suspects again,
// with the change.
func (f *flow) mergeOnChange(ctx context.Context, tx store.Tx, snap *org.Snapshot, c *change.Event, now time.Time) error {
	if snap.Service(c.Service) == nil || snap.Correlation().Hub(c.Service) {
		return nil
	}
	open, err := candidates(tx, snap, now)
	if err != nil || len(open) == 0 {
		return err
	}
	window := correlationWindow(snap)
	rule := f.correlationRule(snap)
	var explained []*incident.Incident
	for _, h := range open {
		if c.At.Before(h.CreatedAt.Add(-window)) || c.At.After(h.CreatedAt) {
			continue
		}
		if v := rule.Decide(c.Service, h.Services, correlate.NoEvidence{}); v.Join && v.Explains {
			inc, err := getIncident(tx, h.ID)
			if err != nil {
				return err
			}
			explained = append(explained, inc)
		}
	}
	if len(explained) == 0 {
		return nil
	}
	into := explained[0]
	for _, src := range explained[1:] {
		why := fmt.Sprintf("%s changed just before the incidents began (%s), and each depends on it", c.Service, c.Summary)
		if err := f.mergeCorrelated(tx, into, src, why, now); err != nil {
			return err
		}
	}
	f.rankSuspects(ctx, tx, snap, into)
	if err := f.majorIfTeams(tx, snap, into, now); err != nil {
		return err
	}
	return tx.UpdateIncident(into)
}

// suspectEvidence is the evidence on an incident's shared dependencies
// when its suspects are ranked: the changes within the window before its
// first alert, and the dependencies its own services show failing.
func suspectEvidence(snap *org.Snapshot, inc *incident.Incident, changes []change.Event) correlate.Evidence {
	ev := evidence{window: correlationWindow(snap), changes: changesByService(changes), coFailing: map[string]bool{}}
	for _, s := range snap.Correlation().CoFailing(inc.Services) {
		ev.coFailing[s] = true
	}
	return ev.of(inc.CreatedAt)
}
