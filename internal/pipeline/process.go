package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
)

// processBatch is how many inbox events one transaction takes. It bounds
// how long processing holds the store's writer, which ingest commits wait
// for (on SQLite, a few tens of milliseconds at most).
const processBatch = 64

// drainBatch is how many it takes when no sender waits and events arrive
// slower than quietRate: fewer, larger commits drain a backlog faster, and
// a sender that comes waits for one batch.
const (
	drainBatch = 256
	quietRate  = stormRate / 10
)

// batchSize is how many events one transaction takes: batch when a
// benchmark set it, else by how busy ingest is.
func (p *Processor) batchSize() int {
	if p.batch > 0 {
		return p.batch
	}
	if p.queue == nil {
		return processBatch
	}
	return batchFor(len(p.queue.requests), p.queue.meter.arrivalRate(time.Now()))
}

// batchFor is the batch while waiting senders wait for a commit and events
// arrive at rate per second.
func batchFor(waiting int, rate float64) int {
	if waiting == 0 && rate < quietRate {
		return drainBatch
	}
	return processBatch
}

// errConfigBehind stops a processing round that took an event of a
// service its configuration does not know.
var errConfigBehind = errors.New("an event names a service the configuration does not know")

// RunOnce applies up to one batch of accepted events to alerts and
// incidents, and reports how many it took.
//
// Another replica may have created a service and accepted its event
// before this one's configuration caught up: an event of a service the
// configuration does not know is dropped only once the stored
// configuration, too, says the service is gone. The configuration is
// refreshed between two rounds, not within one: a round holds the store's
// writer, which a configuration change waits for while it holds the
// configuration's lock.
func (p *Processor) RunOnce(ctx context.Context) (int, error) {
	n, err := p.runOnce(ctx, false)
	if errors.Is(err, errConfigBehind) {
		if _, err := p.org.Refresh(ctx); err != nil {
			return 0, fmt.Errorf("refresh configuration: %w", err)
		}
		n, err = p.runOnce(ctx, true)
	}
	return n, err
}

// runOnce is RunOnce's round; with refreshed, events of services the
// configuration does not know are dropped.
func (p *Processor) runOnce(ctx context.Context, refreshed bool) (int, error) {
	now := p.now().UTC()
	var n, unreadable int
	err := p.update(ctx, func(tx store.Tx) error {
		btx := newBatchTx(tx)
		events, err := tx.TakeInbox(p.batchSize())
		if err != nil {
			return fmt.Errorf("take inbox: %w", err)
		}
		// The configuration is read once the events are taken: a round
		// that read it before waiting for the writer could take an event
		// the API accepted for a service created meanwhile, and drop it
		// as though its service had been deleted.
		snap := p.org.Snapshot()
		if !refreshed && namesUnknownService(snap, events) {
			return errConfigBehind
		}
		alerts := decodeAlerts(events)
		if err := btx.readOpenAlerts(events, alerts); err != nil {
			return fmt.Errorf("read open alerts: %w", err)
		}
		tx = btx
		n = len(events)
		unreadable = 0 // the transaction may run again
		for i, ev := range events {
			err := p.apply(ctx, tx, snap, ev, alerts[i], now)
			var bad *unreadableError
			if errors.As(err, &bad) {
				// Retrying cannot help, and the event must neither stop
				// every event behind it nor be lost: it goes to the audit
				// log, whole.
				if err := setAside(tx, ev, bad, now); err != nil {
					return err
				}
				unreadable++
				continue
			}
			if err != nil {
				return fmt.Errorf("inbox event %d: %w", ev.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if unreadable > 0 {
		p.log.Error("inbox events set aside in the audit log (kind inbox): they cannot be applied", "events", unreadable)
		p.metrics.unreadable.Add(float64(unreadable))
	}
	p.metrics.processed.Add(float64(n - unreadable))
	return n, nil
}

// namesUnknownService reports whether an event names a service the
// snapshot does not have.
func namesUnknownService(snap *org.Snapshot, events []store.InboxEvent) bool {
	for _, ev := range events {
		if ev.Service != "" && snap.Service(ev.Service) == nil {
			return true
		}
	}
	return false
}

// decodeAlerts decodes the batch's alert events ahead, so that the batch
// can read which of their alerts are open at once; nil where an event is
// not an alert event or does not decode (apply says why).
func decodeAlerts(events []store.InboxEvent) []*ingest.Event {
	out := make([]*ingest.Event, len(events))
	for i, ev := range events {
		if ev.Kind != store.InboxAlert {
			continue
		}
		var e ingest.Event
		if json.Unmarshal(ev.Payload, &e) == nil {
			out[i] = &e
		}
	}
	return out
}

// apply processes one inbox event; decoded is its alert event when
// decodeAlerts decoded it.
func (p *Processor) apply(ctx context.Context, tx store.Tx, snap *org.Snapshot, ev store.InboxEvent, decoded *ingest.Event, now time.Time) error {
	svc := snap.Service(ev.Service)
	switch ev.Kind {
	case store.InboxChange:
		var c ingest.ChangeEvent
		if err := json.Unmarshal(ev.Payload, &c); err != nil {
			return &unreadableError{fmt.Errorf("decode change event: %w", err)}
		}
		return p.applyChange(ctx, tx, snap, ev, c, now)
	case store.InboxHeartbeat:
		if svc == nil {
			return nil // the service was deleted since: nothing to track
		}
		return p.applyBeat(tx, svc, ev, now)
	case store.InboxAlert, store.InboxEventRule:
		var e ingest.Event
		if ev.Kind == store.InboxEventRule {
			// Suppressed events and changes no service takes are only kept.
			rec, err := keepRuled(tx, ev, now)
			if err != nil || rec.Outcome != OutcomeUnrouted || rec.Change != nil {
				return err
			}
			e = rec.Event
		} else if decoded != nil {
			e = *decoded
		} else if err := json.Unmarshal(ev.Payload, &e); err != nil {
			return &unreadableError{fmt.Errorf("decode alert event: %w", err)}
		}
		// Acknowledgements and resolutions through an org-wide integration
		// name no service: they act on the open alert of their key. Events
		// of a service deleted since are dropped.
		if svc == nil && (ev.Service != "" || e.Action == ingest.ActionTrigger) {
			return nil
		}
		if e.Timestamp.IsZero() {
			e.Timestamp = ev.ReceivedAt
		}
		actor := "integration:" + ev.IntegrationKey
		switch e.Action {
		case ingest.ActionTrigger:
			return p.flow.trigger(ctx, tx, snap, svc, ev.IntegrationKey, e, now)
		case ingest.ActionAcknowledge:
			return p.flow.acknowledgeAlert(tx, ev.IntegrationKey, e.DedupKey, actor, now)
		case ingest.ActionResolve:
			return p.flow.resolveAlert(tx, ev.IntegrationKey, e.DedupKey, actor, now)
		}
		return &unreadableError{fmt.Errorf("unknown action %q", e.Action)}
	}
	return &unreadableError{fmt.Errorf("unknown inbox kind %q", ev.Kind)}
}

// unreadableError marks an inbox event this version cannot apply at all
// (a payload that does not decode, an unknown kind or action, as a newer
// replica in a rolling upgrade might write): apply returns it before
// writing anything.
type unreadableError struct{ err error }

func (e *unreadableError) Error() string { return e.err.Error() }
func (e *unreadableError) Unwrap() error { return e.err }

// setAside records an unreadable inbox event in the audit log, its payload
// whole, so that an operator can see it and send it again.
func setAside(tx store.Tx, ev store.InboxEvent, why error, now time.Time) error {
	err := tx.Audit(store.AuditEntry{At: now, Actor: "system", Action: "inbox.unreadable", Kind: "inbox",
		ObjID: strconv.FormatInt(ev.ID, 10), After: ev.Payload,
		Details: fmt.Sprintf("%s event for service %s through integration %s, received %s, set aside: %v",
			ev.Kind, ev.Service, ev.IntegrationKey, ev.ReceivedAt.Format(time.RFC3339), why)})
	if err != nil {
		return fmt.Errorf("set aside inbox event %d: %w", ev.ID, err)
	}
	return nil
}

func (p *Processor) applyChange(ctx context.Context, tx store.Tx, snap *org.Snapshot, ev store.InboxEvent, c ingest.ChangeEvent, now time.Time) error {
	ce := &change.Event{
		Service:        ev.Service,
		IntegrationKey: ev.IntegrationKey,
		Summary:        c.Summary,
		Source:         c.Source,
		At:             c.Timestamp,
		ReceivedAt:     ev.ReceivedAt,
		Links:          c.Links,
	}
	if ce.At.IsZero() {
		ce.At = ev.ReceivedAt
	}
	if len(c.Details) > 0 {
		details, err := json.Marshal(c.Details)
		if err != nil {
			return err
		}
		ce.Details = details
	}
	if err := tx.InsertChange(ce); err != nil {
		return err
	}
	return p.flow.mergeOnChange(ctx, tx, snap, ce, now)
}

// trigger adds an event to its open alert, or opens an alert (and an
// incident) for it.
func (f *flow) trigger(ctx context.Context, tx store.Tx, snap *org.Snapshot, svc *catalog.Service, key string, e ingest.Event, now time.Time) error {
	a, err := tx.OpenAlert(key, e.DedupKey)
	switch {
	case err == nil:
		// A repeat: it counts, and pages nobody.
		a.Repeat(e.Summary, e.Timestamp, now)
		return tx.UpdateAlert(&a)
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("look up alert: %w", err)
	}
	a = alert.Alert{
		Service: svc.ID, IntegrationKey: key, DedupKey: e.DedupKey,
		Summary: e.Summary, Source: e.Source, Severity: e.Severity,
		Component: e.Component, Group: e.Group, Class: e.Class,
		Client: e.Client, ClientURL: e.ClientURL, Links: e.Links, Images: e.Images,
		Status: alert.StatusTriggered, Count: 1,
		CreatedAt: now, UpdatedAt: now, LastEventAt: e.Timestamp,
	}
	if len(e.Details) > 0 {
		if a.Details, err = json.Marshal(e.Details); err != nil {
			return err
		}
	}
	if a.Severity == "" {
		a.Severity = alert.SeverityError
	}

	// The alert joins an incident of its service with the same group key,
	// else a correlated incident on a linked service, else opens its own.
	inc, groupKey, err := groupIncident(tx, svc, &a, e, now)
	if err != nil {
		return err
	}
	var pl placement
	if inc == nil && alert.UrgencyOf(a.Severity, svc.Urgency) == alert.UrgencyHigh {
		if pl, err = f.place(tx, snap, svc, now); err != nil {
			return err
		}
		inc = pl.join
	}
	joined := pl.join != nil
	created := false
	if inc == nil {
		inc = newIncident(snap, svc, &a, now)
		inc.GroupKey = groupKey
		// Ranked before the insert, which stores them: the ranking needs
		// the incident's services, not its id.
		f.rankSuspects(ctx, tx, snap, inc)
		if err := tx.QueueIncident(inc); err != nil {
			return fmt.Errorf("insert incident: %w", err)
		}
		created = true
	}
	a.IncidentID = inc.ID
	if err := tx.QueueAlert(&a); err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	if created {
		opened := &incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryTriggered, Actor: "system",
			Message: fmt.Sprintf("incident opened on %s: %s urgency, %s", svc.ID, inc.Urgency, inc.Severity)}
		if err := tx.QueueTimeline(opened); err != nil {
			return err
		}
	}
	entry := &incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryAlert, Actor: "integration:" + key,
		Message: fmt.Sprintf("alert %d triggered on %s: %s", a.ID, svc.ID, a.Summary)}
	if err := tx.QueueTimeline(entry); err != nil {
		return err
	}
	switch {
	case joined:
		if err := f.pullIn(tx, inc, svc, pl, now); err != nil {
			return err
		}
		if err := f.joinIncident(ctx, tx, snap, inc, svc, a.Severity, pl.reason, now); err != nil {
			return err
		}
	case created:
		if err := f.startResponse(tx, snap, svc, inc, now); err != nil {
			return err
		}
	}
	return relateAll(tx, inc, pl, now)
}

// groupIncident returns the open incident of the service that the alert
// joins by the service's grouping rule (nil when none), and the alert's
// group key.
func groupIncident(tx store.Tx, svc *catalog.Service, a *alert.Alert, e ingest.Event, now time.Time) (*incident.Incident, string, error) {
	g := svc.Grouping
	if g == nil || g.Window.Std() <= 0 {
		return nil, "", nil
	}
	groupKey := groupKeyOf(g.By, a, e)
	if groupKey == "" {
		return nil, "", nil
	}
	existing, err := tx.OpenIncidentByGroup(svc.ID, groupKey, now.Add(-g.Window.Std()))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, groupKey, nil
	case err != nil:
		return nil, "", fmt.Errorf("look up group incident: %w", err)
	}
	existing.AlertCount++
	existing.UpdatedAt = now
	if e := incident.RaiseSeverity(&existing, a.Severity.Incident(), fmt.Sprintf("a %s alert on %s was grouped into it", a.Severity, svc.ID), now); e != nil {
		if err := tx.QueueTimeline(e); err != nil {
			return nil, "", err
		}
	}
	if err := tx.UpdateIncident(&existing); err != nil {
		return nil, "", err
	}
	return &existing, groupKey, nil
}

func newIncident(snap *org.Snapshot, svc *catalog.Service, a *alert.Alert, now time.Time) *incident.Incident {
	return &incident.Incident{
		Title:      a.Summary,
		Status:     alert.StatusTriggered,
		Severity:   a.Severity.Incident(),
		Urgency:    alert.UrgencyOf(a.Severity, svc.Urgency),
		Service:    svc.ID,
		Services:   []string{svc.ID},
		Policy:     routing.PolicyOf(snap, svc),
		Suspects:   []incident.Suspect{},
		Responders: []incident.Responder{},
		AlertCount: 1,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
}

func groupKeyOf(by string, a *alert.Alert, e ingest.Event) string {
	switch by {
	case "component":
		return a.Component
	case "group":
		return a.Group
	case "class":
		return a.Class
	case "source":
		return a.Source
	case "summary":
		return a.Summary
	default: // "group_key": the sender's notification group (Alertmanager, Grafana)
		if e.GroupKey != "" {
			return e.GroupKey
		}
		return a.Group
	}
}

// startResponse engages people for a new incident: high urgency starts
// escalation (unless a maintenance window holds paging back); low urgency
// notifies the owner team in its business hours.
func (f *flow) startResponse(tx store.Tx, snap *org.Snapshot, svc *catalog.Service, inc *incident.Incident, now time.Time) error {
	if err := emitEvent(tx, snap, inc, catalog.EventTriggered, "system", "", now); err != nil {
		return err
	}
	windows, err := tx.ActiveMaintenance(svc.ID, now)
	if err != nil {
		return fmt.Errorf("maintenance windows: %w", err)
	}
	if len(windows) > 0 {
		w := windows[0]
		inc.Suppressed = fmt.Sprintf("maintenance window %d until %s", w.ID, w.End.Format(time.RFC3339))
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntrySuppressed, Actor: "system",
			Message: "paging suppressed: service " + svc.ID + " is in a " + inc.Suppressed})
	}
	if inc.Urgency == alert.UrgencyLow {
		return f.notifyLowUrgency(tx, snap, svc, inc, now)
	}
	cov := routing.CoverageOf(snap, svc)
	policy, ok := routing.EffectivePolicy(snap, svc, cov)
	if err := f.engageCoverage(tx, snap, inc, cov, now); err != nil {
		return err
	}
	if inc.Severity == incident.SEV1 {
		if err := f.makeMajor(tx, snap, inc, "declared SEV1", now); err != nil {
			return err
		}
	}
	st := escalation.Start(inc.ID, policy, now)
	if _, due := st.Due(); !ok || !due {
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
	}
	if !ok {
		return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntrySuppressed, Actor: "system",
			Message: fmt.Sprintf("nobody to page: service %s has no escalation policy", svc.ID)})
	}
	// The first step runs in this transaction: the page is on its way as
	// soon as the event is processed. runStep stores the incident with
	// what engaging coverage, a major declaration and the step changed.
	_, err = f.runStep(tx, snap, &st, inc, now)
	return err
}
