package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Declaration opens an incident by hand.
type Declaration struct {
	Title    string
	Services []string          // the first is where the incident is opened
	Severity incident.Severity // SEV1..SEV4; default SEV2
	Major    bool
	Message  string
}

// Declare opens an incident that no alert opened: it pages the first
// service's policy (with IRT coverage) and, when major or SEV1, the global
// IRT.
func (ic *Incidents) Declare(ctx context.Context, d Declaration, by Actor) (incident.Incident, error) {
	snap := ic.org.Snapshot()
	d.Title = strings.TrimSpace(d.Title)
	if d.Title == "" || len(d.Title) > 1024 {
		return incident.Incident{}, fmt.Errorf("%w: a title of 1 to 1024 characters is required", ErrInvalid)
	}
	if len(d.Services) == 0 {
		return incident.Incident{}, fmt.Errorf("%w: name at least one service", ErrInvalid)
	}
	for _, s := range d.Services {
		if snap.Service(s) == nil {
			return incident.Incident{}, fmt.Errorf("%w: unknown service %q", ErrInvalid, s)
		}
	}
	if d.Severity == "" {
		d.Severity = incident.SEV2
	}
	if !d.Severity.Valid() {
		return incident.Incident{}, fmt.Errorf("%w: severity must be SEV1, SEV2, SEV3 or SEV4", ErrInvalid)
	}
	svc := snap.Service(d.Services[0])
	now := ic.now().UTC()
	inc := &incident.Incident{
		Title: d.Title, Status: alert.StatusTriggered, Severity: d.Severity, Urgency: alert.UrgencyHigh,
		Service: svc.ID, Services: dedupe(d.Services), Policy: routing.PolicyOf(snap, svc),
		Suspects: []incident.Suspect{}, Responders: []incident.Responder{}, CreatedAt: now, UpdatedAt: now,
	}
	err := ic.update(ctx, func(tx store.Tx) error {
		if err := tx.InsertIncident(inc); err != nil {
			return err
		}
		msg := fmt.Sprintf("declared by %s: %s on %s", by.Name, inc.Severity, strings.Join(inc.Services, ", "))
		if d.Message != "" {
			msg += ": " + d.Message
		}
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryTriggered, Actor: by.Name, Channel: by.Channel, Message: msg}); err != nil {
			return err
		}
		ic.flow.rankSuspects(ctx, tx, snap, inc)
		if d.Major && inc.Severity != incident.SEV1 {
			if err := ic.flow.makeMajor(tx, snap, inc, "declared major by "+by.Name, now); err != nil {
				return err
			}
		}
		if err := ic.flow.startResponse(tx, snap, svc, inc, now); err != nil {
			return err
		}
		return auditIncident(tx, now, by, "declare", inc, nil, msg)
	})
	if err != nil {
		return incident.Incident{}, err
	}
	return *inc, nil
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// MakeMajor marks an open incident major by hand.
func (ic *Incidents) MakeMajor(ctx context.Context, id int64, reason string, by Actor) (incident.Incident, error) {
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		if !inc.Open() {
			return ErrIncidentClosed
		}
		why := "declared major by " + by.Name
		if reason != "" {
			why += ": " + reason
		}
		before := stateOf(inc)
		if err := ic.flow.makeMajor(tx, ic.org.Snapshot(), inc, why, now); err != nil {
			return err
		}
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		return auditIncident(tx, now, by, "major", inc, before, why)
	})
}

// SetSeverity changes an incident's severity; SEV1 makes it major.
func (ic *Incidents) SetSeverity(ctx context.Context, id int64, severity incident.Severity, by Actor) (incident.Incident, error) {
	if !severity.Valid() {
		return incident.Incident{}, fmt.Errorf("%w: severity must be SEV1, SEV2, SEV3 or SEV4", ErrInvalid)
	}
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		before := stateOf(inc)
		entry := incident.SetSeverity(inc, severity, by.Name, by.Channel, "", now)
		if entry == nil {
			return nil // it has that severity: nothing changes
		}
		if err := tx.QueueTimeline(entry); err != nil {
			return err
		}
		if severity == incident.SEV1 && inc.Open() {
			if err := ic.flow.makeMajor(tx, ic.org.Snapshot(), inc, "raised to SEV1 by "+by.Name, now); err != nil {
				return err
			}
		}
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		return auditIncident(tx, now, by, "severity", inc, before, entry.Message)
	})
}

// MarkCustomerImpact records whether an incident hurt customers, which
// the unclear-value report weighs SLO alerts against.
func (ic *Incidents) MarkCustomerImpact(ctx context.Context, id int64, impact bool, by Actor) (incident.Incident, error) {
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		before := stateOf(inc)
		entry := incident.MarkCustomerImpact(inc, impact, by.Name, by.Channel, now)
		if entry == nil {
			return nil
		}
		return recordAction(tx, inc, entry, by, "customer_impact", before, now)
	})
}

// PageRequest adds responders: a user or a team's on-call, with a message.
type PageRequest struct {
	User, Team string
	Message    string
}

// Page adds responders to an incident by paging them now.
func (ic *Incidents) Page(ctx context.Context, id int64, r PageRequest, by Actor) (incident.Incident, error) {
	snap := ic.org.Snapshot()
	var target escalation.Target
	switch {
	case r.User != "" && r.Team == "":
		if snap.User(r.User) == nil {
			return incident.Incident{}, fmt.Errorf("%w: unknown user %q", ErrInvalid, r.User)
		}
		target.User = r.User
	case r.Team != "" && r.User == "":
		if snap.Team(r.Team) == nil {
			return incident.Incident{}, fmt.Errorf("%w: unknown team %q", ErrInvalid, r.Team)
		}
		target.Team = r.Team
	default:
		return incident.Incident{}, fmt.Errorf("%w: page exactly one of a user and a team", ErrInvalid)
	}
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		if !inc.Open() {
			return ErrIncidentClosed
		}
		why := "paged by " + by.Name
		if r.Message != "" {
			why += ": " + r.Message
		}
		before := stateOf(inc)
		if err := ic.flow.pageOnce(tx, snap, inc, []escalation.Target{target}, fmt.Sprintf("page-%d-%s%s", now.UnixNano(), target.User, target.Team), why, now, false); err != nil {
			return err
		}
		if target.Team != "" {
			inc.AddResponder(incident.Responder{Team: target.Team, Reason: why, AddedAt: now})
		}
		inc.UpdatedAt = now
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		return auditIncident(tx, now, by, "page", inc, before, fmt.Sprintf("paged %s%s: %s", target.User, target.Team, why))
	})
}

// AssignRole hands a role to a user (a handover when someone held it).
func (ic *Incidents) AssignRole(ctx context.Context, id int64, role incident.Role, user string, by Actor) (incident.Incident, error) {
	if !role.Valid() {
		return incident.Incident{}, fmt.Errorf("%w: %w", ErrInvalid, incident.ErrInvalidRole)
	}
	if ic.org.Snapshot().User(user) == nil {
		return incident.Incident{}, fmt.Errorf("%w: unknown user %q", ErrInvalid, user)
	}
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		before := stateOf(inc)
		entry, err := incident.AssignRole(inc, role, user, by.Name, by.Channel, now)
		if err != nil || entry == nil {
			return err
		}
		return recordAction(tx, inc, entry, by, "role", before, now)
	})
}

// Update audiences.
const (
	AudienceInternal     = "internal"     // the responders
	AudienceStakeholders = "stakeholders" // the responders and the subscribers
)

// Subscribe adds a stakeholder who receives status updates.
func (ic *Incidents) Subscribe(ctx context.Context, id int64, user string, by Actor) (incident.Incident, error) {
	if ic.org.Snapshot().User(user) == nil {
		return incident.Incident{}, fmt.Errorf("%w: unknown user %q", ErrInvalid, user)
	}
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		if contains(inc.Subscribers, user) {
			return nil
		}
		before := stateOf(inc)
		inc.Subscribers = append(inc.Subscribers, user)
		return recordAction(tx, inc, &incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryNote, Actor: by.Name, Channel: by.Channel,
			Message: user + " subscribed to status updates"}, by, "subscribe", before, now)
	})
}

// PostUpdate records a status update and sends it through the notification
// channels: to the responders, and for stakeholder updates to the
// subscribers too.
func (ic *Incidents) PostUpdate(ctx context.Context, id int64, message, audience string, by Actor) (incident.Incident, error) {
	message = strings.TrimSpace(message)
	if message == "" || len(message) > 10000 {
		return incident.Incident{}, fmt.Errorf("%w: an update needs 1 to 10000 characters", ErrInvalid)
	}
	if audience == "" {
		audience = AudienceInternal
	}
	if audience != AudienceInternal && audience != AudienceStakeholders {
		return incident.Incident{}, fmt.Errorf("%w: audience must be internal or stakeholders", ErrInvalid)
	}
	snap := ic.org.Snapshot()
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		before := stateOf(inc)
		recipients := []string{}
		for _, r := range inc.Responders {
			if r.User != "" && !contains(recipients, r.User) {
				recipients = append(recipients, r.User)
			}
		}
		if audience == AudienceStakeholders {
			for _, u := range inc.Subscribers {
				if !contains(recipients, u) {
					recipients = append(recipients, u)
				}
			}
		}
		run := fmt.Sprintf("update-%d-%08x", now.UnixNano(), crc32.ChecksumIEEE([]byte(message)))
		for _, u := range recipients {
			ns := pageNotifications(snap, inc.ID, u, notify.KindUpdate, run, 0, 0, now)
			if len(ns) == 0 {
				continue
			}
			ns[0].Body = updateBody(message)
			if err := tx.InsertNotifications(ns[0]); err != nil {
				return err
			}
		}
		inc.UpdatedAt = now
		return recordAction(tx, inc, &incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryUpdate, Actor: by.Name, Channel: by.Channel,
			Message: fmt.Sprintf("%s update to %s: %s", audience, strings.Join(recipients, ", "), message)}, by, "update", before, now)
	})
}

// Merge moves every alert of the other incident into this one and resolves
// the other as merged.
func (ic *Incidents) Merge(ctx context.Context, id, other int64, by Actor) (incident.Incident, error) {
	if id == other {
		return incident.Incident{}, fmt.Errorf("%w: an incident cannot be merged into itself", ErrInvalid)
	}
	snap := ic.org.Snapshot()
	return ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		if !inc.Open() {
			return ErrIncidentClosed
		}
		before := stateOf(inc)
		src, err := tx.GetIncident(other)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: no incident %d", ErrInvalid, other)
		}
		if err != nil {
			return err
		}
		moved, err := absorb(tx, inc, &src, by, "", now)
		if err != nil {
			return err
		}
		ic.flow.rankSuspects(ctx, tx, snap, inc)
		return recordAction(tx, inc, &incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryMerged, Actor: by.Name, Channel: by.Channel,
			Message: fmt.Sprintf("incident %d merged into this one by %s (%d alerts)", src.ID, by.Name, moved)}, by, "merge", before, now)
	})
}

// absorb moves every alert of src into inc, with its services and
// responders, and resolves src as merged into inc (why, when set, says
// why on src's timeline). The caller ranks inc's suspects, writes inc's
// timeline and stores inc. It reports how many alerts moved.
func absorb(tx store.Tx, inc, src *incident.Incident, by Actor, why string, now time.Time) (int, error) {
	alerts, err := tx.AlertsOfIncident(src.ID)
	if err != nil {
		return 0, err
	}
	for i := range alerts {
		alerts[i].IncidentID = inc.ID
		alerts[i].UpdatedAt = now
		if err := tx.UpdateAlert(&alerts[i]); err != nil {
			return 0, err
		}
	}
	inc.AlertCount += len(alerts)
	for _, s := range src.Services {
		if !contains(inc.Services, s) {
			inc.Services = append(inc.Services, s)
		}
	}
	for _, r := range src.Responders {
		inc.AddResponder(r)
	}
	if e := incident.RaiseSeverity(inc, src.Severity, fmt.Sprintf("incident %d (%s) was merged into it", src.ID, src.Severity), now); e != nil {
		if err := tx.QueueTimeline(e); err != nil {
			return 0, err
		}
	}
	inc.Unrelate(src.ID)
	inc.UpdatedAt = now
	if src.Open() {
		src.Status, src.ResolvedAt, src.ResolvedBy, src.UpdatedAt = alert.StatusResolved, &now, by.Name, now
		src.AlertCount = 0
		src.Unrelate(inc.ID)
		if err := stopEscalation(tx, src.ID); err != nil {
			return 0, err
		}
		if err := tx.UpdateIncident(src); err != nil {
			return 0, err
		}
	}
	msg := fmt.Sprintf("merged into incident %d by %s", inc.ID, by.Name)
	if why != "" {
		msg += ": " + why
	}
	if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: src.ID, At: now, Kind: incident.EntryMerged, Actor: by.Name, Channel: by.Channel, Message: msg}); err != nil {
		return 0, err
	}
	return len(alerts), nil
}

// Split moves some alerts of an incident into a new incident of their own,
// which starts its own response.
func (ic *Incidents) Split(ctx context.Context, id int64, alertIDs []int64, by Actor) (incident.Incident, error) {
	if len(alertIDs) == 0 {
		return incident.Incident{}, fmt.Errorf("%w: name the alerts to split off", ErrInvalid)
	}
	snap := ic.org.Snapshot()
	var created incident.Incident
	_, err := ic.act(ctx, id, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		before := stateOf(inc)
		alerts, err := tx.AlertsOfIncident(inc.ID)
		if err != nil {
			return err
		}
		byID := map[int64]*alert.Alert{}
		for i := range alerts {
			byID[alerts[i].ID] = &alerts[i]
		}
		var moving []*alert.Alert
		for _, aid := range alertIDs {
			a, ok := byID[aid]
			if !ok {
				return fmt.Errorf("%w: alert %d is not in incident %d", ErrInvalid, aid, inc.ID)
			}
			moving = append(moving, a)
		}
		if len(moving) == len(alerts) {
			return fmt.Errorf("%w: keep at least one alert in incident %d", ErrInvalid, inc.ID)
		}
		first := moving[0]
		svc := snap.Service(first.Service)
		if svc == nil {
			return fmt.Errorf("%w: service %q no longer exists", ErrInvalid, first.Service)
		}
		n := newIncident(snap, svc, first, now)
		n.AlertCount = len(moving)
		for _, a := range moving[1:] {
			if !contains(n.Services, a.Service) {
				n.Services = append(n.Services, a.Service)
			}
		}
		if err := tx.InsertIncident(n); err != nil {
			return err
		}
		for _, a := range moving {
			a.IncidentID, a.UpdatedAt = n.ID, now
			if err := tx.UpdateAlert(a); err != nil {
				return err
			}
		}
		// The services left in the old incident are those of its
		// remaining alerts.
		inc.Services = nil
		for _, a := range alerts {
			if a.IncidentID == inc.ID && !contains(inc.Services, a.Service) {
				inc.Services = append(inc.Services, a.Service)
			}
		}
		inc.AlertCount -= len(moving)
		inc.UpdatedAt = now
		ic.flow.rankSuspects(ctx, tx, snap, inc)
		ic.flow.rankSuspects(ctx, tx, snap, n)
		msg := fmt.Sprintf("%d alert(s) split off into incident %d by %s", len(moving), n.ID, by.Name)
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: incident.EntryMerged, Actor: by.Name, Channel: by.Channel, Message: msg}); err != nil {
			return err
		}
		if err := tx.QueueTimeline(&incident.TimelineEntry{IncidentID: n.ID, At: now, Kind: incident.EntryTriggered, Actor: by.Name, Channel: by.Channel,
			Message: fmt.Sprintf("split off from incident %d by %s", inc.ID, by.Name)}); err != nil {
			return err
		}
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		if err := auditIncident(tx, now, by, "split", inc, before, msg); err != nil {
			return err
		}
		err = ic.flow.startResponse(tx, snap, svc, n, now)
		created = *n
		return err
	})
	return created, err
}

// updateBody is what a status-update notification says.
type updateMessage struct {
	Message string `json:"message"`
}

func updateBody(message string) []byte {
	b, _ := json.Marshal(updateMessage{Message: message}) // a struct of one string always encodes
	return b
}
