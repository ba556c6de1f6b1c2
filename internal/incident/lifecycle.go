package incident

import (
	"errors"
	"fmt"
	"time"
)

// The rules of an incident's life: each takes the incident, what happens
// and when, changes the incident and returns the timeline entry that
// records it (nil when nothing changed). Callers store both.

// ErrClosed is returned when acting on a resolved incident.
var ErrClosed = errors.New("incident is resolved")

// ErrInvalidRole is returned for a role that is not an incident role.
var ErrInvalidRole = errors.New("role must be commander, comms or scribe")

// Acknowledge: someone has the incident, so escalation stops. An
// acknowledged incident stays as it is (nil), unless it was snoozed: then
// the acknowledgement ends the snooze.
func Acknowledge(inc *Incident, actor, channel string, now time.Time) (*TimelineEntry, error) {
	if !inc.Open() {
		return nil, ErrClosed
	}
	if inc.Status == StatusAcknowledged && inc.SnoozedUntil == nil {
		return nil, nil
	}
	inc.Status, inc.AcknowledgedAt, inc.AcknowledgedBy, inc.SnoozedUntil, inc.UpdatedAt = StatusAcknowledged, &now, actor, nil, now
	if inc.FirstAcknowledgedAt == nil {
		inc.FirstAcknowledgedAt, inc.FirstAcknowledgedBy = &now, actor
	}
	return inc.entry(EntryAcknowledged, actor, channel, "acknowledged by "+actor, now), nil
}

// Resolve closes the incident; why, when given, says how.
func Resolve(inc *Incident, actor, channel, why string, now time.Time) (*TimelineEntry, error) {
	if !inc.Open() {
		return nil, ErrClosed
	}
	inc.Status, inc.ResolvedAt, inc.ResolvedBy, inc.SnoozedUntil, inc.UpdatedAt = StatusResolved, &now, actor, nil, now
	msg := "resolved by " + actor
	if why != "" {
		msg += ": " + why
	}
	return inc.entry(EntryResolved, actor, channel, msg, now), nil
}

// Snooze holds an acknowledged incident until until, when it is triggered
// again (EndSnooze).
func Snooze(inc *Incident, until time.Time, actor, channel, why string, now time.Time) (*TimelineEntry, error) {
	if inc.Status != StatusAcknowledged {
		return nil, fmt.Errorf("snooze an incident that is %s: acknowledge it first", inc.Status)
	}
	inc.SnoozedUntil, inc.UpdatedAt = &until, now
	return inc.entry(EntrySnoozed, actor, channel, why, now), nil
}

// EndSnooze triggers a snoozed incident again once its snooze is over at
// now; nil while it lasts, or for an incident that is not snoozed.
func EndSnooze(inc *Incident, now time.Time) *TimelineEntry {
	if inc.Status != StatusAcknowledged || inc.SnoozedUntil == nil || now.Before(*inc.SnoozedUntil) {
		return nil
	}
	inc.Status, inc.SnoozedUntil, inc.AcknowledgedAt, inc.AcknowledgedBy, inc.UpdatedAt = StatusTriggered, nil, nil, "", now
	return inc.entry(EntryTriggered, "system", "", "snooze ended: the incident is triggered again", now)
}

// Reassign hands an open incident to target ("user alice", "escalation
// policy p"): it needs someone again, so it is triggered.
func Reassign(inc *Incident, target, actor, channel string, now time.Time) (*TimelineEntry, error) {
	if !inc.Open() {
		return nil, ErrClosed
	}
	inc.Status, inc.AcknowledgedAt, inc.AcknowledgedBy, inc.SnoozedUntil, inc.UpdatedAt = StatusTriggered, nil, "", nil, now
	return inc.entry(EntryReassigned, actor, channel, "reassigned to "+target, now), nil
}

// AssignRole gives role to user, handing it over from whoever held it;
// the user becomes a responder. Nil when the user holds it already.
func AssignRole(inc *Incident, role Role, user, actor, channel string, now time.Time) (*TimelineEntry, error) {
	if !role.Valid() {
		return nil, ErrInvalidRole
	}
	prev := inc.Roles[role]
	if prev == user {
		return nil, nil
	}
	inc.SetRole(role, user)
	inc.AddResponder(Responder{User: user, Reason: string(role), AddedAt: now})
	inc.UpdatedAt = now
	msg := fmt.Sprintf("%s: %s", role, user)
	if prev != "" {
		msg = fmt.Sprintf("%s handed over from %s to %s", role, prev, user)
	}
	e := inc.entry(EntryRole, actor, channel, msg, now)
	e.Data = RoleData(role, user)
	return e, nil
}

// MarkCustomerImpact records whether the incident hurts customers; nil
// when it is marked so already.
func MarkCustomerImpact(inc *Incident, impact bool, actor, channel string, now time.Time) *TimelineEntry {
	if inc.CustomerImpact == impact {
		return nil
	}
	inc.CustomerImpact, inc.UpdatedAt = impact, now
	msg := "marked customer-impacting by " + actor
	if !impact {
		msg = "marked not customer-impacting by " + actor
	}
	return inc.entry(EntryImpact, actor, channel, msg, now)
}

// SetRole records who holds a role.
func (i *Incident) SetRole(role Role, user string) {
	if i.Roles == nil {
		i.Roles = map[Role]string{}
	}
	i.Roles[role] = user
}

// AddResponder adds someone engaged on the incident, once.
func (i *Incident) AddResponder(r Responder) {
	for _, existing := range i.Responders {
		if existing.User == r.User && existing.Team == r.Team {
			return
		}
	}
	i.Responders = append(i.Responders, r)
}

// Responding reports whether a user, or a team when user is "", responds
// to the incident.
func (i *Incident) Responding(user, team string) bool {
	for _, r := range i.Responders {
		if user != "" && r.User == user || user == "" && r.Team == team {
			return true
		}
	}
	return false
}

func (i *Incident) entry(kind, actor, channel, msg string, now time.Time) *TimelineEntry {
	return &TimelineEntry{IncidentID: i.ID, At: now, Kind: kind, Actor: actor, Channel: channel, Message: msg}
}
