package pipeline

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/eventrules"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Audit log kinds of the events of org-wide integrations that no rule
// routed: the unrouted and suppressed lists.
const (
	AuditUnrouted   = "unrouted_event"
	AuditSuppressed = "suppressed_event"
)

// Outcomes of org-wide events, as counted and listed.
const (
	OutcomeRouted     = "routed"
	OutcomeSuppressed = "suppressed"
	OutcomeUnrouted   = "unrouted"
)

// RuledEvent is an event of an org-wide integration that no rule routed to
// a service: what the unrouted and suppressed lists show.
type RuledEvent struct {
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// Integration is the type of the org-wide integration it came through.
	Integration string `json:"integration"`
	Outcome     string `json:"outcome"`
	// Rule is the index in org.event_rules of the rule that matched, if any.
	Rule *int `json:"rule,omitempty"`
	// Reason says, in words, why the event went where it went.
	Reason string `json:"reason"`
	// Service is the service that took an unrouted event (and pages).
	Service string            `json:"service,omitempty"`
	Labels  map[string]string `json:"labels"`
	Event   ingest.Event      `json:"event"`
}

// labelSources says where each org-wide integration type's labels come
// from.
var labelSources = map[string]ingest.LabelSource{
	catalog.IntegrationAlertmanager: ingest.AlertLabels,
	catalog.IntegrationGrafana:      ingest.AlertLabels,
	catalog.IntegrationPagerDuty:    ingest.CustomDetails,
	catalog.IntegrationGeneric:      ingest.GenericLabels,
}

// RouteOrgEvent decides where an alert event of the org-wide integration
// in (of key) goes by the org's event rules, and answers the inbox event
// that takes it there with the outcome to count. Acknowledge and resolve
// events are not routed: they act on the open alert of their dedup key,
// wherever a trigger took it. A rule that names a service that does not
// exist leaves the event unrouted; so does a severity that names no
// severity leave the event's own.
func RouteOrgEvent(snap *org.Snapshot, key string, in *catalog.Integration, ev ingest.Event) (store.InboxEvent, string) {
	if ev.Action != ingest.ActionTrigger {
		e := NewInboxEvent(store.InboxAlert, key, "", ev)
		e.DedupKey = ev.DedupKey
		return e, OutcomeRouted
	}
	from := labelSources[in.Type]
	d := snap.EventRules().Route(func(name string) (string, bool) { return ingest.Label(from, &ev, name) })
	rec := RuledEvent{Integration: in.Type}
	switch d.Outcome {
	case eventrules.Suppressed:
		rec.Outcome, rec.Rule, rec.Event, rec.Labels = OutcomeSuppressed, &d.Rule, ev, ingest.Labels(from, &ev)
		rec.Reason = fmt.Sprintf("suppressed by org.event_rules[%d]", d.Rule)
		e := NewInboxEvent(store.InboxEventRule, key, "", rec)
		e.DedupKey = ev.DedupKey
		return e, OutcomeSuppressed
	case eventrules.Routed:
		if sev, ok := ingest.NormalizeSeverity(d.Severity); ok {
			ev.Severity = sev
		}
		if svc := snap.Service(d.Service); svc != nil {
			return AlertEvent(snap, key, svc, ev), OutcomeRouted
		}
		rec.Rule = &d.Rule
		rec.Reason = fmt.Sprintf("org.event_rules[%d] names service %s, which does not exist", d.Rule, strconv.Quote(d.Service))
	default:
		rec.Reason = "no rule of org.event_rules matched"
	}
	svc := snap.Service(snap.UnroutedService())
	if svc == nil { // a stored configuration that validation would refuse
		svc = &catalog.Service{ID: snap.UnroutedService()}
	}
	if svc.ID != eventrules.UnroutedService {
		return AlertEvent(snap, key, svc, ev), OutcomeUnrouted
	}
	rec.Outcome, rec.Service, rec.Event, rec.Labels = OutcomeUnrouted, svc.ID, ev, ingest.Labels(from, &ev)
	e := AlertEvent(snap, key, svc, ev)
	e.Kind, e.Payload = store.InboxEventRule, NewInboxEvent(store.InboxEventRule, key, svc.ID, rec).Payload
	return e, OutcomeUnrouted
}

// RouteOrgChange decides which service a change event of an org-wide
// integration belongs to, by the rules over its custom details; ok is
// false when none takes it (suppressed, or unrouted without
// org.unrouted_service): a change pages nobody, so it is counted and
// dropped.
func RouteOrgChange(snap *org.Snapshot, c *ingest.ChangeEvent) (service, outcome string, ok bool) {
	d := snap.EventRules().Route(func(name string) (string, bool) {
		return ingest.Label(ingest.CustomDetails, &ingest.Event{Details: c.Details}, name)
	})
	switch {
	case d.Outcome == eventrules.Suppressed:
		return "", OutcomeSuppressed, false
	case d.Outcome == eventrules.Routed && snap.Service(d.Service) != nil:
		return d.Service, OutcomeRouted, true
	}
	if id := snap.Bundle.Org.UnroutedService; id != "" {
		return id, OutcomeUnrouted, true
	}
	return "", OutcomeUnrouted, false
}

// NewInboxEvent is an inbox event of kind with payload as JSON.
func NewInboxEvent(kind, key, service string, payload any) store.InboxEvent {
	body, _ := json.Marshal(payload) // the ingest parsers' values always encode
	return store.InboxEvent{Kind: kind, IntegrationKey: key, Service: service, Payload: body}
}

// keepRuled keeps an event no rule routed in the audit log, for the
// unrouted and suppressed lists.
func keepRuled(tx store.Tx, ev store.InboxEvent, now time.Time) (RuledEvent, error) {
	var rec RuledEvent
	if err := json.Unmarshal(ev.Payload, &rec); err != nil {
		return rec, &unreadableError{fmt.Errorf("decode ruled event: %w", err)}
	}
	rec.ReceivedAt = ev.ReceivedAt
	body, err := json.Marshal(rec)
	if err != nil {
		return rec, err
	}
	kind := AuditUnrouted
	if rec.Outcome == OutcomeSuppressed {
		kind = AuditSuppressed
	}
	msg := rec.Reason
	if rec.Service != "" {
		msg += "; taken by service " + rec.Service
	}
	err = tx.Audit(store.AuditEntry{At: now, Actor: "event_rules", Action: kind, Kind: kind, ObjID: rec.Event.DedupKey, After: body, Details: msg})
	if err != nil {
		return rec, fmt.Errorf("keep %s event: %w", rec.Outcome, err)
	}
	return rec, nil
}
