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
// a service: what the unrouted and suppressed lists show. It holds an
// alert event (Event) or a change event (Change), never both.
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
	Service string              `json:"service,omitempty"`
	Labels  map[string]string   `json:"labels"`
	Event   ingest.Event        `json:"event,omitzero"`
	Change  *ingest.ChangeEvent `json:"change,omitempty"`
}

// ruledReason says why a decision routed an event to no service, and the
// index of the rule that matched, if any. ok is true when it routed the
// event to svc, a service of the snapshot.
func ruledReason(snap *org.Snapshot, d eventrules.Decision) (svc *catalog.Service, rule *int, reason string, ok bool) {
	switch d.Outcome {
	case eventrules.Suppressed:
		return nil, &d.Rule, fmt.Sprintf("suppressed by org.event_rules[%d]", d.Rule), false
	case eventrules.Routed:
		if svc := snap.Service(d.Service); svc != nil {
			return svc, &d.Rule, "", true
		}
		return nil, &d.Rule, fmt.Sprintf("org.event_rules[%d] names service %s, which does not exist", d.Rule, strconv.Quote(d.Service)), false
	}
	return nil, nil, "no rule of org.event_rules matched", false
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
	routed, rule, reason, ok := ruledReason(snap, d)
	rec := RuledEvent{Integration: in.Type, Rule: rule, Reason: reason}
	switch {
	case ok:
		if sev, ok := ingest.NormalizeSeverity(d.Severity); ok {
			ev.Severity = sev
		}
		return AlertEvent(snap, key, routed, ev), OutcomeRouted
	case d.Outcome == eventrules.Suppressed:
		rec.Outcome, rec.Event, rec.Labels = OutcomeSuppressed, ev, ingest.Labels(from, &ev)
		e := NewInboxEvent(store.InboxEventRule, key, "", rec)
		e.DedupKey = ev.DedupKey
		return e, OutcomeSuppressed
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

// RouteOrgChange decides which service a change event of the org-wide
// integration in (of key) belongs to, by the rules over its custom
// details. When none takes it (suppressed, or unrouted without
// org.unrouted_service) service is empty and kept is the inbox event that
// stores it in the suppressed or unrouted list: a change pages nobody, so
// it is kept, counted and shown, never opened as an alert.
func RouteOrgChange(snap *org.Snapshot, key string, in *catalog.Integration, c *ingest.ChangeEvent) (service, outcome string, kept store.InboxEvent) {
	ev := ingest.Event{Details: c.Details}
	d := snap.EventRules().Route(func(name string) (string, bool) { return ingest.Label(ingest.CustomDetails, &ev, name) })
	routed, rule, reason, ok := ruledReason(snap, d)
	switch {
	case ok:
		return routed.ID, OutcomeRouted, kept
	case d.Outcome != eventrules.Suppressed && snap.Bundle.Org.UnroutedService != "":
		return snap.Bundle.Org.UnroutedService, OutcomeUnrouted, kept
	}
	outcome = OutcomeUnrouted
	if d.Outcome == eventrules.Suppressed {
		outcome = OutcomeSuppressed
	}
	rec := RuledEvent{Integration: in.Type, Outcome: outcome, Rule: rule, Reason: reason, Labels: ingest.Labels(ingest.CustomDetails, &ev), Change: c}
	return "", outcome, NewInboxEvent(store.InboxEventRule, key, "", rec)
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
	// A change has no dedup key: it is named by its summary.
	obj := rec.Event.DedupKey
	if rec.Change != nil {
		obj = "change: " + rec.Change.Summary
	}
	err = tx.Audit(store.AuditEntry{At: now, Actor: "event_rules", Action: kind, Kind: kind, ObjID: obj, After: body, Details: msg})
	if err != nil {
		return rec, fmt.Errorf("keep %s event: %w", rec.Outcome, err)
	}
	return rec, nil
}
