package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/phone"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Actor says who acts on an incident and through which channel (api, cli,
// link, ...), for the timeline.
type Actor struct {
	Name    string // "user:alice", "token:tok-1"
	Channel string
}

// ErrInvalid wraps a refused request (bad duration, unknown user), and
// ErrNotFound one that names what does not exist; they are the phone
// verifier's too.
var (
	ErrInvalid  = phone.ErrInvalid
	ErrNotFound = phone.ErrNotFound
)

// auditState is what an incident's audit entries show before and after an
// action: the fields people change. The full story is in the timeline.
type auditState struct {
	Status      alert.Status             `json:"status"`
	Severity    incident.Severity        `json:"severity"`
	Major       bool                     `json:"major"`
	Services    []string                 `json:"services"`
	Policy      string                   `json:"escalation_policy,omitempty"`
	Roles       map[incident.Role]string `json:"roles,omitempty"`
	Subscribers []string                 `json:"subscribers,omitempty"`
}

func stateOf(inc *incident.Incident) json.RawMessage {
	roles := make(map[incident.Role]string, len(inc.Roles))
	for k, v := range inc.Roles {
		roles[k] = v
	}
	b, _ := json.Marshal(auditState{Status: inc.Status, Severity: inc.Severity, Major: inc.Major, Services: inc.Services,
		Policy: inc.Policy, Roles: roles, Subscribers: inc.Subscribers}) // plain strings and maps always encode
	return b
}

// maxAuditDetails bounds the text copied into an audit entry (a note can
// be ten thousand characters; the timeline keeps all of it).
const maxAuditDetails = 500

// auditIncident records an action that a person (a user or an API token)
// took on an incident, with the incident's state before and after.
// Actions of the pipeline itself (system, integrations) are only on the
// timeline.
func auditIncident(tx store.Tx, now time.Time, by Actor, action string, inc *incident.Incident, before json.RawMessage, details string) error {
	if !strings.HasPrefix(by.Name, "user:") && !strings.HasPrefix(by.Name, "token:") {
		return nil
	}
	if len(details) > maxAuditDetails {
		cut := maxAuditDetails
		for cut > 0 && !utf8.RuneStart(details[cut]) {
			cut-- // never split a character: the store refuses invalid UTF-8
		}
		details = details[:cut] + "…"
	}
	if by.Channel != "" {
		details += " (via " + by.Channel + ")"
	}
	return tx.Audit(store.AuditEntry{At: now, Actor: by.Name, Action: "incident." + action, Kind: "incident",
		ObjID: fmt.Sprint(inc.ID), Before: before, After: stateOf(inc), Details: details})
}

// recordAction finishes a person's action on an incident: it writes the
// action's entry on the timeline, stores the incident and audits the
// action with the entry's message.
func recordAction(tx store.Tx, inc *incident.Incident, entry *incident.TimelineEntry, by Actor, action string, before json.RawMessage, now time.Time) error {
	if err := tx.QueueTimeline(entry); err != nil {
		return err
	}
	if err := tx.UpdateIncident(inc); err != nil {
		return err
	}
	return auditIncident(tx, now, by, action, inc, before, entry.Message)
}

// Acknowledge stops an incident's escalation.
func (ic *Incidents) Acknowledge(ctx context.Context, id int64, by Actor) (incident.Incident, error) {
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		return ic.flow.acknowledge(tx, inc, by.Name, by.Channel, now)
	})
}

// Resolve closes an incident and its alerts.
func (ic *Incidents) Resolve(ctx context.Context, id int64, by Actor, note string) (incident.Incident, error) {
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		if note != "" && inc.Open() {
			inc.Notes++ // a note on the resolution is a note
		}
		return ic.flow.resolve(tx, inc, by.Name, by.Channel, note, now)
	})
}

// Snooze acknowledges an incident for a while; when the time is up it is
// triggered again and escalation starts over.
func (ic *Incidents) Snooze(ctx context.Context, id int64, d time.Duration, by Actor) (incident.Incident, error) {
	if d <= 0 || d > 7*duration.Day {
		return incident.Incident{}, fmt.Errorf("%w: snooze between 1s and 7d", ErrInvalid)
	}
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		if !inc.Open() {
			return ErrIncidentClosed
		}
		before := stateOf(inc)
		if err := ic.flow.acknowledge(tx, inc, by.Name, by.Channel, now); err != nil {
			return err
		}
		until := now.Add(d)
		msg := fmt.Sprintf("snoozed for %s, until %s", duration.Format(d), until.Format(time.RFC3339))
		entry, err := incident.Snooze(inc, until, by.Name, by.Channel, msg, now)
		if err != nil {
			return err
		}
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		policy := ic.org.Snapshot().Policy(inc.Policy)
		if policy != nil {
			if err := tx.PutEscalation(escalation.Start(inc.ID, *policy, until)); err != nil {
				return err
			}
		}
		if err := tx.QueueTimeline(entry); err != nil {
			return err
		}
		return auditIncident(tx, now, by, "snooze", inc, before, msg)
	})
}

// Reassign hands an open incident to a user or an escalation policy:
// escalation starts over on the new target, now.
func (ic *Incidents) Reassign(ctx context.Context, id int64, userID, policyID string, by Actor) (incident.Incident, error) {
	snap := ic.org.Snapshot()
	var policy escalation.Policy
	var target string
	switch {
	case userID != "" && policyID == "":
		if snap.User(userID) == nil {
			return incident.Incident{}, fmt.Errorf("%w: unknown user %q", ErrInvalid, userID)
		}
		policy = escalation.Policy{ID: "reassign-" + userID, Steps: []escalation.Step{{Targets: []escalation.Target{{User: userID}}}}}
		target = "user " + userID
	case policyID != "" && userID == "":
		pol := snap.Policy(policyID)
		if pol == nil {
			return incident.Incident{}, fmt.Errorf("%w: unknown escalation policy %q", ErrInvalid, policyID)
		}
		policy = *pol
		target = "escalation policy " + policyID
	default:
		return incident.Incident{}, fmt.Errorf("%w: give exactly one of user and escalation_policy", ErrInvalid)
	}
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		before := stateOf(inc)
		entry, err := incident.Reassign(inc, target, by.Name, by.Channel, now)
		if err != nil {
			return err
		}
		if _, err := tx.CancelNotifications(inc.ID, notify.KindPage); err != nil {
			return err
		}
		if policyID != "" {
			inc.Policy = policyID
		}
		if err := tx.QueueTimeline(entry); err != nil {
			return err
		}
		earlier := pagedUsers(inc)
		st := escalation.Start(inc.ID, policy, now)
		paged, err := ic.flow.runStep(tx, snap, &st, inc, now)
		if err != nil {
			return err
		}
		n := notice{Event: NoticeReassigned, By: by.Name, Text: fmt.Sprintf("Incident #%d reassigned to %s by %s: %s", inc.ID, target, actorName(by.Name), inc.Title)}
		if err := tellOthers(tx, snap, inc, without(earlier, paged), n, now); err != nil {
			return err
		}
		return auditIncident(tx, now, by, "reassign", inc, before, "reassigned to "+target)
	})
}

// AddNote adds a note to the timeline.
func (ic *Incidents) AddNote(ctx context.Context, id int64, text string, by Actor) (incident.Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 10000 {
		return incident.Incident{}, fmt.Errorf("%w: a note needs 1 to 10000 characters", ErrInvalid)
	}
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		before := stateOf(inc)
		inc.UpdatedAt = now
		inc.Notes++
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryNote, Actor: by.Name, Channel: by.Channel, Message: text}); err != nil {
			return err
		}
		if err := emitEvent(tx, ic.org.Snapshot(), inc, catalog.EventNote, by.Name, text, now); err != nil {
			return err
		}
		return auditIncident(tx, now, by, "note", inc, before, "note: "+text)
	})
}

// act runs fn on the locked incident in one transaction (see update) and
// returns the incident as it is afterwards.
func (ic *Incidents) act(ctx context.Context, id int64, fn func(tx store.Tx, inc *incident.Incident, now time.Time) error) (incident.Incident, error) {
	now := ic.now().UTC()
	var out incident.Incident
	err := ic.update(ctx, func(tx store.Tx) error {
		inc, err := tx.GetIncident(id)
		if err != nil {
			return err
		}
		if err := fn(tx, &inc, now); err != nil {
			return err
		}
		out = inc
		return nil
	})
	return out, err
}

// UseLink acts on a signed link: verifies it, spends its nonce and
// acknowledges or resolves the incident as the link's user.
func (ib *Inbound) UseLink(ctx context.Context, token string) (links.Action, incident.Incident, error) {
	if ib.signer == nil {
		return links.Action{}, incident.Incident{}, errors.New("links are not configured")
	}
	a, err := ib.signer.Verify(token)
	if err != nil {
		return a, incident.Incident{}, err
	}
	by := Actor{Name: "user:" + a.UserID, Channel: "link"}
	now := ib.now().UTC()
	var out incident.Incident
	err = ib.store.Update(ctx, func(tx store.Tx) error {
		first, err := tx.UseOnce("link:"+a.Nonce, now)
		if err != nil {
			return err
		}
		if !first {
			return ErrLinkUsed
		}
		inc, err := tx.GetIncident(a.IncidentID)
		if err != nil {
			return err
		}
		switch a.Verb {
		case links.VerbAcknowledge:
			err = ib.flow.acknowledge(tx, &inc, by.Name, by.Channel, now)
		case links.VerbResolve:
			err = ib.flow.resolve(tx, &inc, by.Name, by.Channel, "", now)
		}
		out = inc
		return err
	})
	return a, out, err
}

// ErrLinkUsed is returned for a link that was used before.
var ErrLinkUsed = errors.New("this link was already used")

// AddMaintenance schedules a maintenance window for a service.
func (ic *Incidents) AddMaintenance(ctx context.Context, w *store.MaintenanceWindow, by Actor) error {
	if ic.org.Snapshot().Service(w.Service) == nil {
		return fmt.Errorf("%w: unknown service %q", ErrInvalid, w.Service)
	}
	if !w.End.After(w.Start) {
		return fmt.Errorf("%w: end must be after start", ErrInvalid)
	}
	w.CreatedBy = by.Name
	return ic.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertMaintenance(w); err != nil {
			return err
		}
		after, _ := json.Marshal(w) // strings and times always encode
		return tx.Audit(store.AuditEntry{At: ic.now().UTC(), Actor: by.Name, Action: "maintenance.create", Kind: "maintenance",
			ObjID: fmt.Sprint(w.ID), After: after, Details: fmt.Sprintf("%s from %s to %s", w.Service, w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))})
	})
}

// DeleteMaintenance removes a maintenance window of a service;
// store.ErrNotFound when the service has no window with that id, so that
// the right to change one service's windows reaches no other's.
func (ic *Incidents) DeleteMaintenance(ctx context.Context, service string, id int64, by Actor) error {
	windows, err := ic.store.ListMaintenance(ctx, service)
	if err != nil {
		return fmt.Errorf("maintenance windows of %s: %w", service, err)
	}
	var found *store.MaintenanceWindow
	for i := range windows {
		if windows[i].ID == id {
			found = &windows[i]
		}
	}
	if service == "" || found == nil {
		return fmt.Errorf("maintenance window %d of %s: %w", id, service, store.ErrNotFound)
	}
	before, _ := json.Marshal(found) // strings and times always encode
	return ic.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteMaintenance(id); err != nil {
			return err
		}
		return tx.Audit(store.AuditEntry{At: ic.now().UTC(), Actor: by.Name, Action: "maintenance.delete", Kind: "maintenance",
			ObjID: fmt.Sprint(id), Before: before, Details: service})
	})
}
