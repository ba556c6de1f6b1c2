package sqlbackend

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

// The pipeline's tables keep each domain value whole as a JSON body beside
// the columns that queries filter and sort on. The helpers below build those
// bodies and apply the same input rules on both backends.

// ListLimit turns a requested page size of a pipeline list into the one to
// use: the same bounds as the audit log's.
func ListLimit(requested int) int { return AuditLimit(requested) }

// UTC is an instant as both backends store it: in UTC, cut to the
// microsecond PostgreSQL keeps.
func UTC(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := UTC(*t)
	return &u
}

// CheckJSON applies CheckText's rule to a JSON document; whether it is
// JSON at all is left to the database, which checks it on write.
func CheckJSON(field string, doc []byte) error { return checkJSONText(field, doc) }

// CheckInbox validates events before they are appended.
func CheckInbox(events []store.InboxEvent) error {
	for i, e := range events {
		err := errors.Join(
			required("kind", e.Kind),
			CheckText("integration_key", e.IntegrationKey),
			CheckText("service", e.Service),
			checkJSONText("payload", e.Payload),
		)
		if err != nil {
			return fmt.Errorf("inbox event %d: %w", i, err)
		}
	}
	return nil
}

// EncodeAlert checks an alert and returns it as stored (times in UTC, to
// the microsecond) with its JSON body.
func EncodeAlert(a alert.Alert) (alert.Alert, []byte, error) {
	err := errors.Join(
		CheckText("service", a.Service),
		CheckText("integration_key", a.IntegrationKey),
		CheckText("dedup_key", a.DedupKey),
		required("status", string(a.Status)),
	)
	if err != nil {
		return alert.Alert{}, nil, fmt.Errorf("alert %d: %w", a.ID, err)
	}
	a.CreatedAt, a.UpdatedAt, a.LastEventAt = UTC(a.CreatedAt), UTC(a.UpdatedAt), UTC(a.LastEventAt)
	a.AcknowledgedAt, a.ResolvedAt = utcPtr(a.AcknowledgedAt), utcPtr(a.ResolvedAt)
	body, err := marshalBody("alert", a.ID, a)
	return a, body, err
}

// EncodeIncident checks an incident and returns it as stored with its JSON
// body.
func EncodeIncident(i incident.Incident) (incident.Incident, []byte, error) {
	errs := []error{
		required("status", string(i.Status)),
		CheckText("service", i.Service),
		CheckText("group_key", i.GroupKey),
	}
	for _, s := range i.Services {
		errs = append(errs, CheckText("services", s))
	}
	if err := errors.Join(errs...); err != nil {
		return incident.Incident{}, nil, fmt.Errorf("incident %d: %w", i.ID, err)
	}
	i.CreatedAt, i.UpdatedAt = UTC(i.CreatedAt), UTC(i.UpdatedAt)
	i.AcknowledgedAt, i.ResolvedAt, i.SnoozedUntil = utcPtr(i.AcknowledgedAt), utcPtr(i.ResolvedAt), utcPtr(i.SnoozedUntil)
	if i.Responders != nil {
		// A copy: the caller's slice is not the store's to change.
		responders := make([]incident.Responder, len(i.Responders))
		for k, r := range i.Responders {
			r.AddedAt = UTC(r.AddedAt)
			responders[k] = r
		}
		i.Responders = responders
	}
	body, err := marshalBody("incident", i.ID, i)
	return i, body, err
}

// IncidentServices lists the services an incident is found under: the one
// it was opened on and every one with an alert in it, sorted, without
// repeats.
func IncidentServices(i incident.Incident) []string {
	services := append([]string{i.Service}, i.Services...)
	slices.Sort(services)
	services = slices.Compact(services)
	if len(services) > 0 && services[0] == "" {
		services = services[1:]
	}
	return services
}

// WrittenServices remembers, by incident, the services one transaction
// last wrote to incident_services. An incident is often written several
// times in one transaction (opened, then updated by its first escalation
// step; updated again for each alert grouped into it), mostly with the
// same services, and only a change needs the table rewritten. The zero
// value remembers nothing; a transaction that rolls back takes it along.
type WrittenServices struct {
	byIncident map[int64][]string
}

// Unchanged reports whether services (as IncidentServices lists them) are
// what was last written for the incident.
func (w *WrittenServices) Unchanged(id int64, services []string) bool {
	last, ok := w.byIncident[id]
	return ok && slices.Equal(last, services)
}

// Wrote records that services were written for the incident.
func (w *WrittenServices) Wrote(id int64, services []string) {
	if w.byIncident == nil {
		w.byIncident = map[int64][]string{}
	}
	w.byIncident[id] = services
}

// EncodeEscalation returns an escalation state as stored with its JSON body.
func EncodeEscalation(s escalation.State) (escalation.State, []byte, error) {
	s.NextAt, s.StartedAt = UTC(s.NextAt), UTC(s.StartedAt)
	body, err := marshalBody("escalation of incident", s.IncidentID, s)
	return s, body, err
}

// EncodeNotification checks a notification and returns it as stored with
// its JSON body.
func EncodeNotification(n notify.Notification) (notify.Notification, []byte, error) {
	err := errors.Join(
		required("idempotency_key", n.IdempotencyKey),
		CheckText("user_id", n.UserID),
		CheckText("kind", n.Kind),
		required("status", n.Status),
		checkJSONText("body", n.Body),
	)
	if err != nil {
		return notify.Notification{}, nil, fmt.Errorf("notification %d: %w", n.ID, err)
	}
	n.DueAt, n.CreatedAt = UTC(n.DueAt), UTC(n.CreatedAt)
	n.ClaimedUntil, n.SentAt = utcPtr(n.ClaimedUntil), utcPtr(n.SentAt)
	body, err := marshalBody("notification", n.ID, n)
	return n, body, err
}

// CheckAttempt validates a delivery attempt and returns it as stored.
func CheckAttempt(a notify.Attempt) (notify.Attempt, error) {
	err := errors.Join(
		CheckText("user_id", a.UserID),
		CheckText("method_type", a.MethodType),
		CheckText("contact_method", a.ContactMethod),
		CheckText("time_zone", a.TimeZone),
		CheckText("outcome", a.Outcome),
		CheckText("error", a.Error),
	)
	if err != nil {
		return notify.Attempt{}, fmt.Errorf("attempt of notification %d: %w", a.NotificationID, err)
	}
	a.At = UTC(a.At)
	return a, nil
}

// EncodeChange checks a change event and returns it as stored with its
// JSON body.
func EncodeChange(c change.Event) (change.Event, []byte, error) {
	if err := CheckText("service", c.Service); err != nil {
		return change.Event{}, nil, fmt.Errorf("change event: %w", err)
	}
	c.At, c.ReceivedAt = UTC(c.At), UTC(c.ReceivedAt)
	body, err := marshalBody("change event", c.ID, c)
	return c, body, err
}

// CheckTimeline validates a timeline entry and returns it as stored.
func CheckTimeline(e incident.TimelineEntry) (incident.TimelineEntry, error) {
	err := errors.Join(
		required("kind", e.Kind),
		CheckText("actor", e.Actor),
		CheckText("channel", e.Channel),
		CheckText("message", e.Message),
		checkJSONText("data", e.Data),
	)
	if err != nil {
		return incident.TimelineEntry{}, fmt.Errorf("timeline entry of incident %d: %w", e.IncidentID, err)
	}
	e.At = UTC(e.At)
	return e, nil
}

// EncodeHeartbeat checks a heartbeat and returns it as stored, with the
// instant after which it is overdue. The interval is kept to the
// millisecond.
func EncodeHeartbeat(h store.Heartbeat) (store.Heartbeat, time.Time, error) {
	err := errors.Join(required("key", h.Key), CheckText("service", h.Service))
	if err == nil && h.Interval < 0 {
		err = fmt.Errorf("interval %s is negative", h.Interval)
	}
	if err != nil {
		return store.Heartbeat{}, time.Time{}, fmt.Errorf("heartbeat %q: %w", h.Key, err)
	}
	h.Interval = h.Interval.Truncate(time.Millisecond)
	h.LastBeatAt = UTC(h.LastBeatAt)
	return h, h.LastBeatAt.Add(h.Interval), nil
}

// CheckMaintenance validates a maintenance window and returns it as stored.
func CheckMaintenance(w store.MaintenanceWindow) (store.MaintenanceWindow, error) {
	err := errors.Join(
		CheckText("service", w.Service),
		CheckText("reason", w.Reason),
		CheckText("created_by", w.CreatedBy),
	)
	if err != nil {
		return store.MaintenanceWindow{}, fmt.Errorf("maintenance window: %w", err)
	}
	w.Start, w.End = UTC(w.Start), UTC(w.End)
	return w, nil
}

// Required is CheckText for a string that must not be empty.
func Required(field, s string) error { return required(field, s) }

// Texts spells typed values (statuses) as the strings a query compares.
func Texts[S ~string](values []S) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// CheckTexts applies CheckText to the filter values of a query, so that a
// value PostgreSQL could not compare fails on both backends alike.
func CheckTexts[S ~string](field string, values ...S) error {
	for _, v := range values {
		if err := CheckText(field, string(v)); err != nil {
			return err
		}
	}
	return nil
}

func marshalBody(what string, id int64, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s %d: %w", what, id, err)
	}
	// Marshal passes embedded raw JSON through without checking its
	// encoding.
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("encode %s %d: not valid UTF-8", what, id)
	}
	return body, nil
}

// DecodeBody reads a stored JSON body.
func DecodeBody(what string, id int64, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s %d: %w", what, id, err)
	}
	return nil
}

// SortByID puts events taken from the inbox in id order, which RETURNING
// does not promise.
func SortByID(events []store.InboxEvent) {
	slices.SortFunc(events, func(a, b store.InboxEvent) int { return cmp.Compare(a.ID, b.ID) })
}

// SortByDue puts claimed notifications oldest DueAt first, then by id,
// which RETURNING does not promise.
func SortByDue(ns []notify.Notification) {
	slices.SortFunc(ns, func(a, b notify.Notification) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID))
	})
}
