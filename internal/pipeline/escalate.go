package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// escalationBatch is how many due escalations one transaction runs.
const escalationBatch = 64

// RunEscalations runs every escalation step that is due, and reports how
// many it ran.
func (es *Escalator) RunOnce(ctx context.Context) (int, error) {
	now := es.now().UTC()
	var n int
	err := es.update(ctx, func(tx store.Tx) error {
		due, err := tx.DueEscalations(now, escalationBatch)
		if err != nil {
			return fmt.Errorf("due escalations: %w", err)
		}
		// As for processing: the configuration is read once the writer is
		// ours, so that a step is not taken by a policy changed while the
		// round waited for it.
		snap := es.org.Snapshot()
		n = len(due)
		for i := range due {
			st := &due[i]
			inc, err := tx.GetIncident(st.IncidentID)
			if err != nil {
				return fmt.Errorf("incident %d: %w", st.IncidentID, err)
			}
			if entry := incident.EndSnooze(&inc, now); entry != nil {
				// The snooze is over: the incident needs someone again.
				if err := tx.UpdateIncident(&inc); err != nil {
					return err
				}
				if err := tx.QueueTimeline(entry); err != nil {
					return err
				}
			}
			if inc.Status != alert.StatusTriggered {
				if err := tx.PutEscalation(st.Stop()); err != nil {
					return err
				}
				continue
			}
			if _, err := es.flow.runStep(tx, snap, st, &inc, now); err != nil {
				return fmt.Errorf("incident %d: %w", inc.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// runStep pages the targets of the state's current step, records it on the
// timeline and advances the state; it returns the users it paged. Past the
// first step, those paged before and not now are told it escalated past
// them.
func (f *flow) runStep(tx store.Tx, snap *org.Snapshot, st *escalation.State, inc *incident.Incident, now time.Time) ([]string, error) {
	policy := st.Policy
	step, ok := st.Due()
	if !ok {
		return nil, tx.PutEscalation(st.Stop())
	}
	before := pagedUsers(inc)
	users, notes := f.oncall.Targets(snap, step.Targets, now)
	var paged, pagedIDs []string
	for _, u := range users {
		ns := inLane(snap, inc, pageNotifications(snap, inc.ID, u.User, notify.KindPage, fmt.Sprint(st.StartedAt.UnixMilli()), st.Step, st.Round, now))
		if len(ns) == 0 {
			notes = append(notes, fmt.Sprintf("user %s has no contact method to page", u.User))
			continue
		}
		if err := tx.QueueNotifications(ns...); err != nil {
			return nil, fmt.Errorf("queue notifications: %w", err)
		}
		paged = append(paged, fmt.Sprintf("%s (%s)", u.User, u.Reason))
		pagedIDs = append(pagedIDs, u.User)
		inc.AddResponder(incident.Responder{User: u.User, Reason: u.Reason, AddedAt: now})
	}
	if st.Step > 0 || st.Round > 0 {
		inc.Escalated = true // past the first step: the reports' escalation rate
		if err := emitEvent(tx, snap, inc, catalog.EventEscalated, "system", strings.Join(paged, ", "), now); err != nil {
			return nil, err
		}
		if len(pagedIDs) > 0 {
			n := notice{Event: NoticeEscalated, By: "system",
				Text: fmt.Sprintf("Incident #%d escalated past you to %s: %s", inc.ID, strings.Join(pagedIDs, ", "), inc.Title)}
			if err := tellOthers(tx, snap, inc, without(before, pagedIDs), n, now); err != nil {
				return nil, err
			}
		}
	}
	msg := fmt.Sprintf("escalation policy %s step %d", policy.ID, st.Step+1)
	if st.Round > 0 {
		msg += fmt.Sprintf(" (repeat %d)", st.Round)
	}
	if len(paged) > 0 {
		msg += ": paged " + strings.Join(paged, ", ")
	} else {
		msg += ": nobody paged"
	}
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryEscalated, Actor: "system", Message: msg}); err != nil {
		return nil, err
	}
	inc.UpdatedAt = now
	if err := tx.UpdateIncident(inc); err != nil {
		return nil, err
	}
	*st = st.Advance(now)
	if err := tx.PutEscalation(*st); err != nil {
		return nil, err
	}
	f.metrics.steps.Inc()
	return pagedIDs, nil
}

// pageNotifications makes the outbox rows for paging one user: one per
// notification rule, each due after its delay; a user without rules is
// paged at once on the first contact method.
// run names what paged (an escalation run, a major declaration, a
// responder request) so that each page has its own idempotency key.
func pageNotifications(snap *org.Snapshot, incidentID int64, userID, kind, run string, step, round int, now time.Time) []*notify.Notification {
	u := snap.User(userID)
	if u == nil {
		return nil
	}
	rules := u.NotificationRules
	if len(rules) == 0 && len(u.ContactMethods) > 0 {
		rules = []catalog.NotificationRule{{ContactMethod: u.ContactMethods[0].ID}}
	}
	var out []*notify.Notification
	for i, r := range rules {
		cm := u.ContactMethod(r.ContactMethod)
		if cm == nil {
			continue
		}
		out = append(out, &notify.Notification{
			IncidentID: incidentID, Kind: kind, UserID: u.ID,
			ContactMethod: cm.ID, MethodType: cm.Type, RuleIndex: i,
			Step: step, Round: round, TimeZone: u.TimeZone,
			IdempotencyKey: fmt.Sprintf("vigil-%d-%s-%s-r%d-s%d-%s-%d", incidentID, kind, run, round, step, u.ID, i),
			Status:         notify.StatusPending,
			DueAt:          now.Add(r.Delay.Std()),
			CreatedAt:      now,
		})
	}
	return out
}

// inLane puts pages about an incident on a critical service in the
// critical lane: the dispatcher sends them ahead of the pages of a storm
// queued before them.
func inLane(snap *org.Snapshot, inc *incident.Incident, pages []*notify.Notification) []*notify.Notification {
	if critical, _ := snap.Graph.Criticality(inc.Service); critical {
		for _, n := range pages {
			n.Lane = alert.LaneCritical
		}
	}
	return pages
}

// notifyLowUrgency queues a notice to the owner team's on-call for the
// next business hours in the team's zone; nobody is woken.
func (f *flow) notifyLowUrgency(tx store.Tx, snap *org.Snapshot, svc *catalog.Service, inc *incident.Incident, now time.Time) error {
	team := snap.Team(svc.Owner)
	if team == nil {
		return nil
	}
	loc := time.UTC
	if team.TimeZone != "" {
		if l, err := time.LoadLocation(team.TimeZone); err == nil {
			loc = l
		}
	}
	due := snap.Hours().NextBusiness(now, loc)
	recipients := f.oncall.TeamOnCall(snap, team, due)
	var names []string
	for _, user := range recipients {
		ns := pageNotifications(snap, inc.ID, user, notify.KindLowUrgency, "low", 0, 0, due)
		if len(ns) == 0 {
			continue
		}
		// A low-urgency notice goes once, on the first method: it must
		// not chase anyone.
		ns[0].CreatedAt = now
		if err := tx.QueueNotifications(ns[0]); err != nil {
			return err
		}
		names = append(names, user)
	}
	msg := fmt.Sprintf("low urgency: nobody is paged; team %s (%s) is notified at %s, in business hours", team.ID, strings.Join(names, ", "), due.In(loc).Format("Mon 2006-01-02 15:04 MST"))
	if len(names) == 0 {
		msg = fmt.Sprintf("low urgency: nobody is paged, and team %s has nobody on call to notify", team.ID)
	}
	return tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntrySuppressed, Actor: "system", Message: msg})
}

// ErrIncidentClosed is returned when acting on a resolved incident.
var ErrIncidentClosed = incident.ErrClosed

// acknowledgeAlert acknowledges one alert (an integration's acknowledge
// event); the incident follows when none of its alerts is still triggered.
func (f *flow) acknowledgeAlert(tx store.Tx, key, dedupKey, actor string, now time.Time) error {
	a, err := tx.OpenAlert(key, dedupKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil // nothing open: dropped, as PagerDuty does
	}
	if err != nil {
		return err
	}
	if !a.Acknowledge(now) {
		return nil
	}
	acknowledged, _, err := storeAlert(tx, &a, actor, "acknowledged by its source", now)
	if err != nil || !acknowledged {
		return err
	}
	inc, err := tx.GetIncident(a.IncidentID)
	if err != nil {
		return err
	}
	return f.acknowledge(tx, &inc, actor, "integration", now)
}

// resolveAlert resolves one alert; the incident follows when all its
// alerts are resolved.
func (f *flow) resolveAlert(tx store.Tx, key, dedupKey, actor string, now time.Time) error {
	a, err := tx.OpenAlert(key, dedupKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.closeAlert(tx, &a, actor, "resolved by its source", now)
}

func (f *flow) closeAlert(tx store.Tx, a *alert.Alert, actor, why string, now time.Time) error {
	a.Resolve(now)
	_, resolved, err := storeAlert(tx, a, actor, why, now)
	if err != nil || !resolved {
		return err
	}
	inc, err := tx.GetIncident(a.IncidentID)
	if err != nil {
		return err
	}
	if !inc.Open() {
		return nil
	}
	return f.resolve(tx, &inc, actor, "integration", "every alert resolved", now)
}

// storeAlert writes a, says what happened to it (why) on its incident's
// timeline and reports what the incident's alerts now allow (see
// alert.Settled): acknowledging it, resolving it.
func storeAlert(tx store.Tx, a *alert.Alert, actor, why string, now time.Time) (acknowledged, resolved bool, err error) {
	if err := tx.UpdateAlert(a); err != nil {
		return false, false, err
	}
	if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: a.IncidentID, At: now, Kind: incident.EntryAlert, Actor: actor,
		Message: fmt.Sprintf("alert %d %s", a.ID, why)}); err != nil {
		return false, false, err
	}
	alerts, err := tx.AlertsOfIncident(a.IncidentID)
	if err != nil {
		return false, false, err
	}
	acknowledged, resolved = alert.Settled(alerts)
	return acknowledged, resolved, nil
}

// acknowledge marks the incident acknowledged: escalation stops and
// pending pages are cancelled.
func (f *flow) acknowledge(tx store.Tx, inc *incident.Incident, actor, channel string, now time.Time) error {
	before := stateOf(inc)
	entry, err := incident.Acknowledge(inc, actor, channel, now)
	if err != nil || entry == nil {
		return err
	}
	if err := settle(tx, inc, entry, (*alert.Alert).Acknowledge, now); err != nil {
		return err
	}
	if err := tellResponders(tx, f.org.Snapshot(), inc, NoticeAcknowledged, actor, now); err != nil {
		return err
	}
	return auditIncident(tx, now, Actor{Name: actor, Channel: channel}, "acknowledge", inc, before, "acknowledged")
}

// resolve closes the incident and every alert in it.
func (f *flow) resolve(tx store.Tx, inc *incident.Incident, actor, channel, why string, now time.Time) error {
	before := stateOf(inc)
	entry, err := incident.Resolve(inc, actor, channel, why, now)
	if err != nil {
		return err
	}
	if err := settle(tx, inc, entry, (*alert.Alert).Resolve, now); err != nil {
		return err
	}
	if err := tellResponders(tx, f.org.Snapshot(), inc, NoticeResolved, actor, now); err != nil {
		return err
	}
	return auditIncident(tx, now, Actor{Name: actor, Channel: channel}, "resolve", inc, before, entry.Message)
}

// tellResponders tells everyone the incident paged, except who acted,
// that it was acknowledged or resolved.
// It also goes to the event webhooks.
func tellResponders(tx store.Tx, snap *org.Snapshot, inc *incident.Incident, event, actor string, now time.Time) error {
	n := notice{Event: event, By: actor, Text: fmt.Sprintf("Incident #%d %s by %s: %s", inc.ID, event, actorName(actor), inc.Title)}
	if err := tellOthers(tx, snap, inc, pagedUsers(inc), n, now); err != nil {
		return err
	}
	return emitEvent(tx, snap, inc, "incident."+event, actor, "", now)
}

// settle stores what acknowledging or resolving did to an incident: the
// incident, its alerts as change leaves them, its escalation stopped and
// the timeline entry.
func settle(tx store.Tx, inc *incident.Incident, entry *incident.TimelineEntry, change func(*alert.Alert, time.Time) bool, now time.Time) error {
	if err := tx.UpdateIncident(inc); err != nil {
		return err
	}
	alerts, err := tx.AlertsOfIncident(inc.ID)
	if err != nil {
		return err
	}
	for i := range alerts {
		if change(&alerts[i], now) {
			if err := tx.UpdateAlert(&alerts[i]); err != nil {
				return err
			}
		}
	}
	if err := stopEscalation(tx, inc.ID); err != nil {
		return err
	}
	return tx.QueueTimeline(entry)
}

func stopEscalation(tx store.Tx, incidentID int64) error {
	st, err := tx.GetEscalation(incidentID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	case !st.Done:
		if err := tx.PutEscalation(st.Stop()); err != nil {
			return err
		}
	}
	_, err = tx.CancelNotifications(incidentID, notify.KindPage, notify.KindLowUrgency)
	return err
}
