package sqlbackend

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
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
	return checkEach("inbox event", events, func(e store.InboxEvent) error {
		return errors.Join(required("kind", e.Kind), CheckText("integration_key", e.IntegrationKey),
			CheckText("service", e.Service), checkJSONText("payload", e.Payload), checkLane(e.Lane))
	})
}

func checkLane(lane int) error {
	if lane < alert.LaneNormal || lane > alert.LaneCritical {
		return fmt.Errorf("lane %d: want %d to %d", lane, alert.LaneNormal, alert.LaneCritical)
	}
	return nil
}

// EncodeAlert checks an alert and returns it as stored (times in UTC, to
// the microsecond) with its JSON body.
func EncodeAlert(a alert.Alert) (alert.Alert, []byte, error) {
	err := errors.Join(CheckText("service", a.Service), CheckText("integration_key", a.IntegrationKey),
		CheckText("dedup_key", a.DedupKey), required("status", string(a.Status)))
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
	i.FirstAcknowledgedAt = utcPtr(i.FirstAcknowledgedAt)
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
	err := errors.Join(required("idempotency_key", n.IdempotencyKey), CheckText("user_id", n.UserID), CheckText("kind", n.Kind),
		required("status", n.Status), checkJSONText("body", n.Body), checkLane(n.Lane))
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
	err := errors.Join(CheckText("user_id", a.UserID), CheckText("method_type", a.MethodType),
		CheckText("contact_method", a.ContactMethod), CheckText("time_zone", a.TimeZone),
		CheckText("outcome", a.Outcome), CheckText("error", a.Error))
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
	err := errors.Join(required("kind", e.Kind), CheckText("actor", e.Actor), CheckText("channel", e.Channel),
		CheckText("message", e.Message), checkJSONText("data", e.Data))
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
	err := errors.Join(CheckText("service", w.Service), CheckText("reason", w.Reason), CheckText("created_by", w.CreatedBy))
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

// The pipeline's statements. On PostgreSQL the Get* of a transaction lock
// the rows they return, and the queries that hand out work skip rows
// another replica has locked, so that each piece of work goes to one
// replica; SQLite runs one write transaction at a time.

const (
	forUpdate     = " FOR UPDATE"
	forUpdateSkip = " FOR UPDATE SKIP LOCKED"
)

// Tx is a store.Tx on one write transaction of a backend.
type Tx struct {
	ctx      context.Context
	c        Conn
	q        *queueingConn
	db       *DB
	services WrittenServices
}

var _ store.Tx = (*Tx)(nil)

// Tx returns a store.Tx on c, a write transaction the caller commits
// after Flush (Run does both but the commit).
func (db *DB) Tx(ctx context.Context, c Conn) *Tx {
	q := &queueingConn{Conn: c, d: db.d}
	return &Tx{ctx: ctx, c: q, q: q, db: db}
}

// lock returns a locking clause for PostgreSQL (see Dialect.lock).
func (t *Tx) lock(clause string) string { return t.db.d.lock(clause) }

// InboxBacklog counts the events not yet processed.
func (db *DB) InboxBacklog(ctx context.Context) (int, error) {
	var n int
	if err := db.b.Read.QueryRow(ctx, `SELECT count(*) FROM inbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("inbox backlog: %w", err)
	}
	return n, nil
}

func (t *Tx) TakeInbox(limit int) ([]store.InboxEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	// The rows are not locked one by one: skipping a locked row would
	// break the order, and nothing else locks them.
	if t.db.b.InboxLock != "" {
		var ours bool
		if err := t.c.QueryRow(t.ctx, t.db.b.InboxLock).Scan(&ours); err != nil {
			return nil, fmt.Errorf("take inbox: lock: %w", err)
		}
		if !ours {
			return nil, nil
		}
	}
	// The urgent lanes first, highest first: a partial index holds only
	// their events, and one waits while an earlier event about the same
	// alert does. Each lane is read on its own so that the index gives
	// its events in id order and the read stops at the limit; one query
	// ordered by lane and id sorted every urgent event of the backlog on
	// each take, which made draining a high-urgency storm quadratic. The
	// lane is written into the statement: bound, SQLite prepared the
	// statement again at each take to see whether the partial index fits
	// the new value.
	var urgent []store.InboxEvent
	for lane := alert.LaneCritical; lane > alert.LaneNormal && len(urgent) < limit; lane-- {
		taken, err := queryAll(t.ctx, t.c, scanInboxEvent, `
			DELETE FROM inbox WHERE id IN (
				SELECT u.id FROM inbox u
				WHERE u.lane > 0 AND u.lane = `+strconv.Itoa(lane)+` AND NOT EXISTS (
					SELECT 1 FROM inbox e WHERE e.alert_key = u.alert_key AND e.alert_key <> 0 AND e.id < u.id)
				ORDER BY u.id LIMIT $1)
			RETURNING `+inboxColumns, limit-len(urgent))
		if err != nil {
			return nil, fmt.Errorf("take inbox: lane %d: %w", lane, err)
		}
		SortByID(taken)
		urgent = append(urgent, taken...)
	}
	if len(urgent) == limit {
		return urgent, nil
	}
	rest, err := queryAll(t.ctx, t.c, scanInboxEvent, `
		DELETE FROM inbox WHERE id IN (SELECT id FROM inbox ORDER BY id LIMIT $1)
		RETURNING `+inboxColumns, limit-len(urgent))
	if err != nil {
		return nil, fmt.Errorf("take inbox: %w", err)
	}
	SortByID(rest)
	return append(urgent, rest...), nil
}

const inboxColumns = `id, received_at, kind, integration_key, service, payload, lane`

// AlertKey is what the inbox keeps of the alert an event is about: a
// hash of its integration and dedup keys, never 0; 0 for an event about
// no alert. Two alerts that share a hash only wait for each other.
func AlertKey(e store.InboxEvent) int64 {
	if e.DedupKey == "" {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(e.IntegrationKey))
	h.Write([]byte{0})
	h.Write([]byte(e.DedupKey))
	return int64(h.Sum64()>>1) | 1
}

// scanBody returns a function that scans a row of (id, body) into a T
// decoded from the body, with the id set by setID.
func scanBody[T any](what string, setID func(*T, int64)) func(Row) (T, error) {
	return func(row Row) (T, error) {
		var v T
		var id int64
		var body []byte // not json.RawMessage: see scanObject
		if err := row.Scan(&id, &body); err != nil {
			return v, err
		}
		err := DecodeBody(what, id, body, &v)
		setID(&v, id)
		return v, err
	}
}

func scanInboxEvent(row Row) (store.InboxEvent, error) {
	var e store.InboxEvent
	var payload []byte // not json.RawMessage: see scanObject
	err := row.Scan(&e.ID, instant{&e.ReceivedAt}, &e.Kind, &e.IntegrationKey, &e.Service, &payload, &e.Lane)
	e.Payload = payload
	return e, err
}

// Readers of the tables that keep a domain value as a JSON body.
var (
	scanAlert    = scanBody("alert", func(a *alert.Alert, id int64) { a.ID = id })
	scanIncident = scanBody("incident", func(i *incident.Incident, id int64) { i.ID = id })
	// An incident's head decodes only its fields of the body.
	scanIncidentHead = scanBody("incident", func(h *store.IncidentHead, id int64) { h.ID = id })
	scanEscalation   = scanBody("escalation of incident", func(st *escalation.State, id int64) { st.IncidentID = id })
	scanChange       = scanBody("change event", func(c *change.Event, id int64) { c.ID = id })
)

const (
	selectAlert    = `SELECT id, body FROM alerts WHERE id = $1`
	selectIncident = `SELECT id, body FROM incidents WHERE id = $1`
)

// Alerts.

// GetAlert returns one alert or store.ErrNotFound.
func (db *DB) GetAlert(ctx context.Context, id int64) (alert.Alert, error) {
	return byID(ctx, db.b.Read, scanAlert, "alert", selectAlert, id)
}

// ListAlerts returns the alerts matching q, newest first.
func (db *DB) ListAlerts(ctx context.Context, q store.AlertQuery) ([]alert.Alert, error) {
	if err := errors.Join(CheckTexts("service", q.Service), CheckTexts("dedup_key", q.DedupKey),
		CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	w := db.d.where().text("service", q.Service).in("status", Texts(q.Statuses)).text("dedup_key", q.DedupKey).
		id("incident_id", q.IncidentID).time("created_at >=", q.From).time("created_at <", q.To).before(q.BeforeID)
	alerts, err := queryAll(ctx, db.b.Read, scanAlert, `SELECT id, body FROM alerts`+w.page("id DESC", ListLimit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return alerts, nil
}

func (t *Tx) GetAlert(id int64) (alert.Alert, error) {
	return byID(t.ctx, t.c, scanAlert, "alert", selectAlert+t.lock(forUpdate), id)
}

func (t *Tx) OpenAlert(integrationKey, dedupKey string) (alert.Alert, error) {
	if err := errors.Join(CheckText("integration_key", integrationKey), CheckText("dedup_key", dedupKey)); err != nil {
		return alert.Alert{}, fmt.Errorf("open alert: %w", err)
	}
	a, err := scanAlert(t.c.QueryRow(t.ctx, `SELECT id, body FROM alerts
		WHERE integration_key = $1 AND dedup_key = $2 AND status <> 'resolved'`+t.lock(forUpdate), integrationKey, dedupKey))
	return a, oneRow(err, "open alert %q/%q", integrationKey, dedupKey)
}

func (t *Tx) OpenDedupKeys(integrationKey string, dedupKeys []string) ([]string, error) {
	if err := errors.Join(CheckText("integration_key", integrationKey), CheckTexts("dedup_key", dedupKeys...)); err != nil {
		return nil, fmt.Errorf("open dedup keys: %w", err)
	}
	if len(dedupKeys) == 0 {
		return nil, nil
	}
	d := t.db.d
	keys, err := queryAll(t.ctx, t.c, func(row Row) (string, error) {
		var k string
		return k, row.Scan(&k)
	}, `SELECT dedup_key FROM alerts WHERE integration_key = $1 AND `+d.in("dedup_key", "$2", "text")+` AND status <> 'resolved'`,
		integrationKey, list(d, dedupKeys))
	if err != nil {
		return nil, fmt.Errorf("open dedup keys of %q: %w", integrationKey, err)
	}
	return keys, nil
}

func (t *Tx) InsertAlert(a *alert.Alert) error {
	stored, body, err := EncodeAlert(*a)
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	a.ID, err = t.c.Insert(t.ctx, `
		INSERT INTO alerts (service, integration_key, dedup_key, status, incident_id, created_at, updated_at, last_event_at, body, triggers)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		RETURNING id`, alertRow(stored, body)[1:]...)
	if t.db.b.IsUniqueViolation(err) {
		return fmt.Errorf("insert alert %q/%q: an open alert has this key: %w", a.IntegrationKey, a.DedupKey, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	return nil
}

func (t *Tx) QueueAlert(a *alert.Alert) error {
	id, err := t.q.reserveID(t.ctx, alertsTable)
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	a.ID = id
	stored, body, err := EncodeAlert(*a)
	if err != nil {
		a.ID = 0
		return fmt.Errorf("insert alert: %w", err)
	}
	t.q.queue(alertsTable, alertRow(stored, body))
	return nil
}

// alertRow is an alert's values in alertsTable's columns.
func alertRow(stored alert.Alert, body []byte) []any {
	return []any{stored.ID, stored.Service, stored.IntegrationKey, stored.DedupKey, string(stored.Status), stored.IncidentID,
		stored.CreatedAt, stored.UpdatedAt, stored.LastEventAt, string(body), max(stored.Count, 1)}
}

func (t *Tx) UpdateAlert(a *alert.Alert) error {
	stored, body, err := EncodeAlert(*a)
	if err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	n, err := t.c.Exec(t.ctx, `
		UPDATE alerts SET service = $1, integration_key = $2, dedup_key = $3, status = $4, incident_id = $5,
			created_at = $6, updated_at = $7, last_event_at = $8, body = $9, triggers = $10
		WHERE id = $11`,
		stored.Service, stored.IntegrationKey, stored.DedupKey, string(stored.Status), stored.IncidentID,
		stored.CreatedAt, stored.UpdatedAt, stored.LastEventAt, string(body), max(stored.Count, 1), a.ID)
	if t.db.b.IsUniqueViolation(err) {
		return fmt.Errorf("update alert %d: another open alert has key %q/%q: %w", a.ID, a.IntegrationKey, a.DedupKey, store.ErrConflict)
	}
	return affectedOne(n, err, fmt.Sprintf("update alert %d", a.ID))
}

func (t *Tx) AlertsOfIncident(incidentID int64) ([]alert.Alert, error) {
	alerts, err := queryAll(t.ctx, t.c, scanAlert, `SELECT id, body FROM alerts WHERE incident_id = $1 ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("alerts of incident %d: %w", incidentID, err)
	}
	return alerts, nil
}

func (t *Tx) QuietAlerts(integrationKey string, cutoff time.Time, limit int) ([]alert.Alert, error) {
	if limit <= 0 {
		return nil, nil
	}
	if err := CheckText("integration_key", integrationKey); err != nil {
		return nil, fmt.Errorf("quiet alerts: %w", err)
	}
	alerts, err := queryAll(t.ctx, t.c, scanAlert, `SELECT id, body FROM alerts
		WHERE integration_key = $1 AND status <> 'resolved' AND last_event_at < $2
		ORDER BY last_event_at, id LIMIT $3`+t.lock(forUpdateSkip), integrationKey, UTC(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("quiet alerts of %q: %w", integrationKey, err)
	}
	return alerts, nil
}

// Incidents.

// GetIncident returns one incident or store.ErrNotFound.
func (db *DB) GetIncident(ctx context.Context, id int64) (incident.Incident, error) {
	return byID(ctx, db.b.Read, scanIncident, "incident", selectIncident, id)
}

// ListIncidents returns the incidents matching q, newest first.
func (db *DB) ListIncidents(ctx context.Context, q store.IncidentQuery) ([]incident.Incident, error) {
	if err := errors.Join(CheckTexts("service", q.Service), CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	w := db.d.where()
	if q.Service != "" {
		w.add("id IN (SELECT incident_id FROM incident_services WHERE service = " + w.arg(q.Service) + ")")
	}
	w.in("status", Texts(q.Statuses)).before(q.BeforeID)
	incidents, err := queryAll(ctx, db.b.Read, scanIncident,
		`SELECT id, body FROM incidents`+w.page("id DESC", ListLimit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return incidents, nil
}

func (t *Tx) GetIncident(id int64) (incident.Incident, error) {
	return byID(t.ctx, t.c, scanIncident, "incident", selectIncident+t.lock(forUpdate), id)
}

func (t *Tx) OpenIncidentByGroup(service, groupKey string, since time.Time) (incident.Incident, error) {
	if err := errors.Join(CheckText("service", service), CheckText("group_key", groupKey)); err != nil {
		return incident.Incident{}, fmt.Errorf("open incident by group: %w", err)
	}
	// Locked: the caller adds the alert to it and writes it back.
	i, err := scanIncident(t.c.QueryRow(t.ctx, `SELECT id, body FROM incidents
		WHERE service = $1 AND group_key = $2 AND status <> 'resolved' AND created_at >= $3
		ORDER BY created_at DESC, id DESC LIMIT 1`+t.lock(forUpdate), service, groupKey, UTC(since)))
	return i, oneRow(err, "open incident of %q grouped by %q", service, groupKey)
}

func (t *Tx) OpenIncidentHeads(since time.Time, limit int) ([]store.IncidentHead, error) {
	if limit <= 0 {
		return nil, nil
	}
	heads, err := queryAll(t.ctx, t.c, scanIncidentHead, `SELECT id, body FROM incidents
		WHERE status <> 'resolved' AND created_at >= $1 AND (urgency = 'high' OR major <> 0)
		ORDER BY created_at DESC, id DESC LIMIT $2`, UTC(since), limit)
	if err != nil {
		return nil, fmt.Errorf("open incidents since %s: %w", UTC(since).Format(time.RFC3339Nano), err)
	}
	return heads, nil
}

func (t *Tx) AlertingServices(since time.Time) ([]string, error) {
	services, err := queryAll(t.ctx, t.c, func(row Row) (string, error) {
		var s string
		return s, row.Scan(&s)
	}, `SELECT DISTINCT service FROM alerts WHERE created_at >= $1 ORDER BY service`, UTC(since))
	if err != nil {
		return nil, fmt.Errorf("services alerting since %s: %w", UTC(since).Format(time.RFC3339Nano), err)
	}
	return services, nil
}

func (t *Tx) InsertIncident(i *incident.Incident) error {
	stored, body, err := EncodeIncident(*i)
	if err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	id, err := t.c.Insert(t.ctx, `
		INSERT INTO incidents (status, service, group_key, created_at, updated_at, body,
			title, acknowledged_at, acknowledged_by, resolved_at, resolved_by, escalated, notes, customer_impact, severity, urgency, major)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		RETURNING id`, incidentRow(stored, body)[1:]...)
	if err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	if err := t.syncIncidentServices(id, stored, true); err != nil {
		return fmt.Errorf("insert incident %d: %w", id, err)
	}
	i.ID = id
	return nil
}

func (t *Tx) QueueIncident(i *incident.Incident) error {
	id, err := t.q.reserveID(t.ctx, incidentsTable)
	if err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	i.ID = id
	if err := t.queueIncident(i, nil); err != nil {
		i.ID = 0
		return fmt.Errorf("insert incident: %w", err)
	}
	return nil
}

// queueIncident queues the incident's row and its services in place of
// what was queued for it before (was, when there is one), keeping what an
// update keeps of the row written first.
func (t *Tx) queueIncident(i *incident.Incident, was []any) error {
	stored, body, err := EncodeIncident(*i)
	if err != nil {
		return err
	}
	row := incidentRow(stored, body)
	if was != nil {
		// As UpdateIncident's statement does: the first acknowledgement
		// stays, escalated and notes never go back.
		if was[incidentAcknowledgedAt] != nil {
			row[incidentAcknowledgedAt], row[incidentAcknowledgedBy] = was[incidentAcknowledgedAt], was[incidentAcknowledgedBy]
		}
		for _, c := range []int{incidentEscalated, incidentNotes} {
			row[c] = max(row[c].(int), was[c].(int))
		}
	}
	t.q.queueAs(incidentsTable, stored.ID, row)
	services := IncidentServices(stored)
	rows := make([][]any, len(services))
	for k, s := range services {
		rows[k] = []any{stored.ID, s}
	}
	t.q.queueAs(incidentServicesTable, stored.ID, rows...)
	t.services.Wrote(stored.ID, services)
	return nil
}

// The columns of incidentRow that an update keeps of the row before it.
const (
	incidentAcknowledgedAt = 8
	incidentAcknowledgedBy = 9
	incidentEscalated      = 12
	incidentNotes          = 13
)

// incidentRow is an incident's values in incidentsTable's columns.
func incidentRow(stored incident.Incident, body []byte) []any {
	h := historyOf(stored)
	return []any{stored.ID, string(stored.Status), stored.Service, stored.GroupKey, stored.CreatedAt, stored.UpdatedAt, string(body),
		h.title, h.acknowledgedAt, h.acknowledgedBy, h.resolvedAt, h.resolvedBy, h.escalated, h.notes, h.customerImpact, h.severity, h.urgency, h.major}
}

// The first acknowledgement never moves once stored, nor does an
// escalation or a note count go back: an incident stored before it kept
// them has them from its timeline (migration 8).
func (t *Tx) UpdateIncident(i *incident.Incident) error {
	if was, ok := t.q.queued(incidentsTable, i.ID); ok {
		if err := t.queueIncident(i, was); err != nil {
			return fmt.Errorf("update incident: %w", err)
		}
		return nil
	}
	stored, body, err := EncodeIncident(*i)
	if err != nil {
		return fmt.Errorf("update incident: %w", err)
	}
	row := incidentRow(stored, body)
	n, err := t.c.Exec(t.ctx, `
		UPDATE incidents SET status = $1, service = $2, group_key = $3, created_at = $4, updated_at = $5, body = $6,
			title = $7,
			acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN $9 ELSE acknowledged_by END,
			acknowledged_at = COALESCE(acknowledged_at, $8),
			resolved_at = $10, resolved_by = $11,
			escalated = CASE WHEN $12 > escalated THEN $12 ELSE escalated END,
			notes = CASE WHEN $13 > notes THEN $13 ELSE notes END,
			customer_impact = $14, severity = $15, urgency = $16, major = $17
		WHERE id = $18`, append(row[1:], i.ID)...)
	if err := affectedOne(n, err, fmt.Sprintf("update incident %d", i.ID)); err != nil {
		return err
	}
	if err := t.syncIncidentServices(i.ID, stored, false); err != nil {
		return fmt.Errorf("update incident %d: %w", i.ID, err)
	}
	return nil
}

// history is what the incidents table keeps of an incident beside its
// body, for the reports.
type history struct {
	title, severity, urgency         string
	acknowledgedAt, resolvedAt       any
	acknowledgedBy, resolvedBy       string
	escalated, notes, customerImpact int
	major                            int
}

func historyOf(i incident.Incident) history {
	return history{
		title:          ColumnText(i.Title),
		acknowledgedAt: nullTime(i.FirstAcknowledgedAt), acknowledgedBy: ColumnText(i.FirstAcknowledgedBy),
		resolvedAt: nullTime(i.ResolvedAt), resolvedBy: ColumnText(i.ResolvedBy),
		escalated: b2i(i.Escalated), notes: i.Notes, customerImpact: b2i(i.CustomerImpact),
		severity: ColumnText(string(i.Severity)), urgency: ColumnText(string(i.Urgency)), major: b2i(i.Major),
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ColumnText makes text that the JSON body keeps whole fit a text column
// of either database: invalid UTF-8 replaced, NUL bytes dropped.
func ColumnText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// syncIncidentServices makes incident_services list exactly the
// incident's services. A new incident (fresh) has no rows to delete, and
// most have one service: a storm opens thousands, each saving a statement
// and a JSON list.
func (t *Tx) syncIncidentServices(id int64, i incident.Incident, fresh bool) error {
	services := IncidentServices(i)
	if t.services.Unchanged(id, services) {
		return nil
	}
	d := t.db.d
	names := list(d, services)
	var stmts []Stmt
	if !fresh {
		stmts = append(stmts, Stmt{`DELETE FROM incident_services WHERE incident_id = $1 AND ` + d.notIn("service", "$2", "text"), []any{id, names}})
	}
	if fresh && len(services) == 1 {
		stmts = append(stmts, Stmt{`INSERT INTO incident_services (incident_id, service) VALUES ($1, $2)`, []any{id, services[0]}})
	} else {
		// "WHERE true" tells SQLite's parser that ON CONFLICT is not a
		// join clause.
		stmts = append(stmts, Stmt{`INSERT INTO incident_services (incident_id, service) SELECT $1, value FROM ` + d.listTable("$2", "text") +
			` WHERE true ON CONFLICT DO NOTHING`, []any{id, names}})
	}
	if _, err := t.c.Batch(t.ctx, stmts, nil); err != nil {
		return fmt.Errorf("services: %w", err)
	}
	t.services.Wrote(id, services)
	return nil
}

// Timeline.

func (t *Tx) AppendTimeline(entries ...*incident.TimelineEntry) error {
	err := insertEach(t, entries, func(e *incident.TimelineEntry) (Stmt, error) {
		row, err := timelineRow(e)
		return Stmt{insertTimeline, row}, err
	}, func(e *incident.TimelineEntry, id int64) { e.ID = id })
	if err != nil {
		return fmt.Errorf("append timeline: %w", err)
	}
	return nil
}

// insertEach inserts a row for each item with one Batch and gives each
// item its id; row checks an item and returns its INSERT … RETURNING id.
func insertEach[T any](t *Tx, items []*T, row func(*T) (Stmt, error), setID func(*T, int64)) error {
	stmts := make([]Stmt, len(items))
	for k, item := range items {
		var err error
		if stmts[k], err = row(item); err != nil {
			return err
		}
	}
	ids := make([]int64, len(items))
	if k, err := t.c.Batch(t.ctx, stmts, ids); err != nil {
		return fmt.Errorf("row %d: %w", k, err)
	}
	for k, item := range items {
		setID(item, ids[k])
	}
	return nil
}

// Timeline lists an incident's entries oldest first (by time, then id).
func (db *DB) Timeline(ctx context.Context, incidentID int64) ([]incident.TimelineEntry, error) {
	byID, err := db.Timelines(ctx, []int64{incidentID})
	return byID[incidentID], err
}

// Timelines is Timeline for many incidents in one query.
func (db *DB) Timelines(ctx context.Context, incidentIDs []int64) (map[int64][]incident.TimelineEntry, error) {
	byID := map[int64][]incident.TimelineEntry{}
	if len(incidentIDs) == 0 {
		return byID, nil
	}
	entries, err := queryAll(ctx, db.b.Read, scanTimelineEntry, `
		SELECT id, incident_id, at, kind, actor, channel, message, data FROM timeline
		WHERE `+db.d.in("incident_id", "$1", "bigint")+` ORDER BY incident_id, at, id`, list(db.d, incidentIDs))
	if err != nil {
		return nil, fmt.Errorf("timelines of %d incidents: %w", len(incidentIDs), err)
	}
	for _, e := range entries {
		byID[e.IncidentID] = append(byID[e.IncidentID], e)
	}
	return byID, nil
}

func scanTimelineEntry(row Row) (incident.TimelineEntry, error) {
	var e incident.TimelineEntry
	var data []byte // not json.RawMessage: see scanObject
	err := row.Scan(&e.ID, &e.IncidentID, instant{&e.At}, &e.Kind, &e.Actor, &e.Channel, &e.Message, &data)
	e.Data = data
	return e, err
}

// Escalations.

// PutEscalation queues the state: escalation rounds put many, and
// statements that read escalations write the queue first.
func (t *Tx) PutEscalation(st escalation.State) error {
	stored, body, err := EncodeEscalation(st)
	if err != nil {
		return fmt.Errorf("put escalation: %w", err)
	}
	t.q.queueAs(escalationsTable, stored.IncidentID, []any{stored.IncidentID, stored.NextAt, stored.Done, string(body)})
	return nil
}

func (t *Tx) GetEscalation(incidentID int64) (escalation.State, error) {
	return byID(t.ctx, t.c, scanEscalation, "escalation of incident",
		`SELECT incident_id, body FROM escalations WHERE incident_id = $1`+t.lock(forUpdate), incidentID)
}

func (t *Tx) DueEscalations(now time.Time, limit int) ([]escalation.State, error) {
	if limit <= 0 {
		return nil, nil
	}
	// The incident is locked with its state: running a step writes to it,
	// and waiting for it here, while holding the state, would deadlock
	// with an acknowledgement that holds the incident and stops the
	// escalation. A state whose incident is busy waits for the next round.
	states, err := queryAll(t.ctx, t.c, scanEscalation, `
		SELECT e.incident_id, e.body FROM escalations e JOIN incidents i ON i.id = e.incident_id
		WHERE `+t.db.d.isFalse("e.done")+` AND e.next_at <= $1
		ORDER BY e.next_at, e.incident_id LIMIT $2`+t.lock(" FOR UPDATE OF e, i SKIP LOCKED"), UTC(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due escalations: %w", err)
	}
	return states, nil
}

// Notifications.

const notificationColumns = `id, status, claimed_until, body`

func scanNotification(row Row) (notify.Notification, error) {
	var id int64
	var status string
	var claimedUntil *time.Time
	var body []byte
	if err := row.Scan(&id, &status, nullInstant{&claimedUntil}, &body); err != nil {
		return notify.Notification{}, err
	}
	var n notify.Notification
	if err := DecodeBody("notification", id, body, &n); err != nil {
		return notify.Notification{}, err
	}
	// Claims and cancellations change these columns only.
	n.ID, n.Status, n.ClaimedUntil = id, status, claimedUntil
	return n, nil
}

func (t *Tx) InsertNotifications(ns ...*notify.Notification) error {
	err := insertEach(t, ns, func(n *notify.Notification) (Stmt, error) {
		// DO NOTHING, not an error: an error would end the transaction.
		row, err := notificationRow(n)
		return Stmt{insertNotification, row}, err
	}, func(n *notify.Notification, id int64) { n.ID = id }) // 0 when the key was taken
	if err != nil {
		return fmt.Errorf("insert notifications: %w", err)
	}
	return nil
}

func (t *Tx) GetNotification(id int64) (notify.Notification, error) {
	return byID(t.ctx, t.c, scanNotification, "notification",
		`SELECT `+notificationColumns+` FROM notifications WHERE id = $1`+t.lock(forUpdate), id)
}

func (t *Tx) ClaimNotifications(now time.Time, lease time.Duration, limit int) ([]notify.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	// Due pages of the critical lane first, from a partial index that
	// holds only those pending. Left to itself, SQLite's planner read the
	// claim index instead, through every pending page of a storm's
	// backlog, at each claim.
	claimed, err := queryAll(t.ctx, t.c, scanNotification, `
		UPDATE notifications SET status = 'sending', claimed_until = $1
		WHERE id IN (
			SELECT id FROM notifications`+t.db.d.indexedBy("notifications_lane")+`
			WHERE lane > 0 AND status = 'pending' AND due_at <= $2
			ORDER BY due_at, id LIMIT $3`+t.lock(forUpdateSkip)+`)
		RETURNING `+notificationColumns,
		UTC(now.Add(lease)), UTC(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim notifications: critical lane: %w", err)
	}
	SortByDue(claimed)
	if len(claimed) == limit {
		return claimed, nil
	}
	// Then the rest, oldest due first, whether pending or claimed by a
	// replica that stopped renewing its claims. Each of the two is read
	// on its own, so that the claim index gives its rows in order and the
	// read stops at the limit, and only those are merged: one condition
	// for both sorted every pending row of the outbox at each claim, which
	// a storm's backlog made slow.
	lock := t.lock(forUpdateSkip)
	ns, err := queryAll(t.ctx, t.c, scanNotification, `
		UPDATE notifications SET status = 'sending', claimed_until = $1
		WHERE id IN (
			SELECT id FROM (
				SELECT id, due_at FROM (
					SELECT id, due_at FROM notifications WHERE status = 'pending' AND due_at <= $2
					ORDER BY due_at, id LIMIT $3`+lock+`) pending
				UNION ALL
				SELECT id, due_at FROM (
					SELECT id, due_at FROM notifications WHERE status = 'sending' AND claimed_until < $2
					ORDER BY due_at, id LIMIT $3`+lock+`) expired
			) claimable ORDER BY due_at, id LIMIT $3)
		RETURNING `+notificationColumns,
		UTC(now.Add(lease)), UTC(now), limit-len(claimed))
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	SortByDue(ns)
	return append(claimed, ns...), nil
}

func (t *Tx) RenewClaims(ids []int64, now, until time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := t.c.Exec(t.ctx, `
		UPDATE notifications SET claimed_until = $1
		WHERE `+t.db.d.in("id", "$2", "bigint")+` AND status = 'sending' AND claimed_until >= $3`,
		UTC(until), list(t.db.d, ids), UTC(now))
	if err != nil {
		return 0, fmt.Errorf("renew claims of %d notifications: %w", len(ids), err)
	}
	return int(n), nil
}

func (t *Tx) UpdateNotification(n *notify.Notification) error {
	stored, body, err := EncodeNotification(*n)
	if err != nil {
		return fmt.Errorf("update notification: %w", err)
	}
	rows, err := t.c.Exec(t.ctx, `
		UPDATE notifications SET incident_id = $1, user_id = $2, kind = $3, status = $4, due_at = $5, claimed_until = $6,
			idempotency_key = $7, body = $8
		WHERE id = $9`,
		stored.IncidentID, stored.UserID, stored.Kind, stored.Status, stored.DueAt, nullTime(stored.ClaimedUntil),
		stored.IdempotencyKey, string(body), n.ID)
	if t.db.b.IsUniqueViolation(err) {
		return fmt.Errorf("update notification %d: idempotency key %q taken: %w", n.ID, n.IdempotencyKey, store.ErrConflict)
	}
	return affectedOne(rows, err, fmt.Sprintf("update notification %d", n.ID))
}

func (t *Tx) CancelNotifications(incidentID int64, kinds ...string) (int, error) {
	if err := CheckTexts("kind", kinds...); err != nil {
		return 0, fmt.Errorf("cancel notifications: %w", err)
	}
	w := t.db.d.where()
	w.add("incident_id = "+w.arg(incidentID)).add("status = 'pending'").in("kind", kinds)
	n, err := t.c.Exec(t.ctx, `UPDATE notifications SET status = 'cancelled'`+w.sql(), w.args...)
	if err != nil {
		return 0, fmt.Errorf("cancel notifications of incident %d: %w", incidentID, err)
	}
	return int(n), nil
}

// ListNotifications returns the notifications matching q, newest first.
func (db *DB) ListNotifications(ctx context.Context, q store.NotificationQuery) ([]notify.Notification, error) {
	if err := errors.Join(CheckTexts("user_id", q.UserID), CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	w := db.d.where().id("incident_id", q.IncidentID).text("user_id", q.UserID).in("status", q.Statuses).before(q.BeforeID)
	ns, err := queryAll(ctx, db.b.Read, scanNotification,
		`SELECT `+notificationColumns+` FROM notifications`+w.page("id DESC", ListLimit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return ns, nil
}

func (t *Tx) InsertAttempt(a *notify.Attempt) error {
	stored, err := CheckAttempt(*a)
	if err != nil {
		return fmt.Errorf("insert attempt: %w", err)
	}
	a.ID, err = t.c.Insert(t.ctx, attemptsTable.insertRows(t.db.d, 1)+` RETURNING id`, attemptRow(stored)...)
	if err != nil {
		return fmt.Errorf("insert attempt of notification %d: %w", a.NotificationID, err)
	}
	// The first page of an incident to a person is one interruption.
	_, err = t.c.Exec(t.ctx, `
		INSERT INTO report_pages (incident_id, user_id, at, time_zone)
		SELECT n.incident_id, n.user_id, a.at, a.time_zone FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
		WHERE a.id = $1 AND n.kind = 'page' AND n.incident_id <> 0
		ON CONFLICT (incident_id, user_id) DO UPDATE SET at = excluded.at, time_zone = excluded.time_zone
		WHERE excluded.at < report_pages.at`, a.ID)
	if err != nil {
		return fmt.Errorf("insert attempt of notification %d: the page it makes: %w", a.NotificationID, err)
	}
	return nil
}

func (t *Tx) QueueAttempt(a *notify.Attempt, kind string) error {
	stored, err := CheckAttempt(*a)
	if err != nil {
		return fmt.Errorf("insert attempt: %w", err)
	}
	t.q.queue(attemptsTable, attemptRow(stored))
	if kind != notify.KindPage || stored.IncidentID == 0 {
		return nil
	}
	key := [2]any{stored.IncidentID, stored.UserID}
	if was, ok := t.q.queued(reportPagesTable, key); ok && !stored.At.Before(was[reportPageAt].(time.Time)) {
		return nil
	}
	t.q.queueAs(reportPagesTable, key, []any{stored.IncidentID, stored.UserID, stored.At, stored.TimeZone})
	return nil
}

// attemptRow is an attempt's values in attemptsTable's columns.
func attemptRow(stored notify.Attempt) []any {
	return []any{stored.NotificationID, stored.IncidentID, stored.UserID, stored.MethodType, stored.ContactMethod,
		stored.At, stored.TimeZone, stored.Outcome, stored.Error}
}

// reportPageAt is the column of a report_pages row that holds its time.
const reportPageAt = 2

func scanAttempt(row Row) (notify.Attempt, error) {
	var a notify.Attempt
	err := row.Scan(&a.ID, &a.NotificationID, &a.IncidentID, &a.UserID, &a.MethodType, &a.ContactMethod,
		instant{&a.At}, &a.TimeZone, &a.Outcome, &a.Error)
	return a, err
}

// ListAttempts returns a notification's delivery attempts, oldest first.
func (db *DB) ListAttempts(ctx context.Context, notificationID int64) ([]notify.Attempt, error) {
	attempts, err := queryAll(ctx, db.b.Read, scanAttempt, `
		SELECT id, notification_id, incident_id, user_id, method_type, contact_method, at, time_zone, outcome, error
		FROM notification_attempts WHERE notification_id = $1 ORDER BY id`, notificationID)
	if err != nil {
		return nil, fmt.Errorf("attempts of notification %d: %w", notificationID, err)
	}
	return attempts, nil
}

// Change events.

func (t *Tx) InsertChange(c *change.Event) error {
	stored, body, err := EncodeChange(*c)
	if err != nil {
		return fmt.Errorf("insert change: %w", err)
	}
	c.ID, err = t.c.Insert(t.ctx, `INSERT INTO change_events (service, at, received_at, body) VALUES ($1, $2, $3, $4) RETURNING id`,
		stored.Service, stored.At, stored.ReceivedAt, string(body))
	if err != nil {
		return fmt.Errorf("insert change of %q: %w", c.Service, err)
	}
	return nil
}

// GetChange returns one change event or store.ErrNotFound.
func (db *DB) GetChange(ctx context.Context, id int64) (change.Event, error) {
	return byID(ctx, db.b.Read, scanChange, "change event", `SELECT id, body FROM change_events WHERE id = $1`, id)
}

// ListChanges returns the change events matching q, newest first.
func (db *DB) ListChanges(ctx context.Context, q store.ChangeQuery) ([]change.Event, error) {
	return db.listChanges(ctx, db.b.Read, q)
}

func (t *Tx) ListChanges(q store.ChangeQuery) ([]change.Event, error) {
	return t.db.listChanges(t.ctx, t.c, q)
}

func (db *DB) listChanges(ctx context.Context, c Conn, q store.ChangeQuery) ([]change.Event, error) {
	if err := CheckTexts("service", q.Services...); err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	w := db.d.where().in("service", q.Services).time("at >=", q.Since).time("at <", q.Until).before(q.BeforeID)
	changes, err := queryAll(ctx, c, scanChange, `SELECT id, body FROM change_events`+w.page("id DESC", ListLimit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return changes, nil
}

// Heartbeats.

const heartbeatColumns = `key, service, interval_ms, last_beat_at, alerting`

func scanHeartbeat(row Row) (store.Heartbeat, error) {
	var h store.Heartbeat
	var intervalMS int64
	err := row.Scan(&h.Key, &h.Service, &intervalMS, instant{&h.LastBeatAt}, &h.Alerting)
	h.Interval = time.Duration(intervalMS) * time.Millisecond
	return h, err
}

func (t *Tx) GetHeartbeat(key string) (store.Heartbeat, error) {
	if err := CheckText("key", key); err != nil {
		return store.Heartbeat{}, fmt.Errorf("get heartbeat: %w", err)
	}
	h, err := scanHeartbeat(t.c.QueryRow(t.ctx, `SELECT `+heartbeatColumns+` FROM heartbeats WHERE key = $1`+t.lock(forUpdate), key))
	return h, oneRow(err, "heartbeat %q", key)
}

func (t *Tx) PutHeartbeat(h store.Heartbeat) error {
	stored, overdueAt, err := EncodeHeartbeat(h)
	if err != nil {
		return fmt.Errorf("put heartbeat: %w", err)
	}
	_, err = t.c.Exec(t.ctx, `
		INSERT INTO heartbeats (key, service, interval_ms, last_beat_at, overdue_at, alerting) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (key) DO UPDATE SET service = excluded.service, interval_ms = excluded.interval_ms,
			last_beat_at = excluded.last_beat_at, overdue_at = excluded.overdue_at, alerting = excluded.alerting`,
		stored.Key, stored.Service, stored.Interval.Milliseconds(), stored.LastBeatAt, overdueAt, stored.Alerting)
	if err != nil {
		return fmt.Errorf("put heartbeat %q: %w", h.Key, err)
	}
	return nil
}

func (t *Tx) OverdueHeartbeats(now time.Time, limit int) ([]store.Heartbeat, error) {
	if limit <= 0 {
		return nil, nil
	}
	hs, err := queryAll(t.ctx, t.c, scanHeartbeat, `SELECT `+heartbeatColumns+` FROM heartbeats
		WHERE `+t.db.d.isFalse("alerting")+` AND overdue_at < $1 ORDER BY overdue_at, key LIMIT $2`+t.lock(forUpdateSkip), UTC(now), limit)
	if err != nil {
		return nil, fmt.Errorf("overdue heartbeats: %w", err)
	}
	return hs, nil
}

// Maintenance windows.

const maintenanceColumns = `id, service, start_at, end_at, reason, created_by`

func scanMaintenance(row Row) (store.MaintenanceWindow, error) {
	var w store.MaintenanceWindow
	err := row.Scan(&w.ID, &w.Service, instant{&w.Start}, instant{&w.End}, &w.Reason, &w.CreatedBy)
	return w, err
}

func (t *Tx) InsertMaintenance(w *store.MaintenanceWindow) error {
	stored, err := CheckMaintenance(*w)
	if err != nil {
		return fmt.Errorf("insert maintenance: %w", err)
	}
	w.ID, err = t.c.Insert(t.ctx, `
		INSERT INTO maintenance_windows (service, start_at, end_at, reason, created_by) VALUES ($1, $2, $3, $4, $5)
		RETURNING id`,
		stored.Service, stored.Start, stored.End, stored.Reason, stored.CreatedBy)
	if err != nil {
		return fmt.Errorf("insert maintenance of %q: %w", w.Service, err)
	}
	return nil
}

func (t *Tx) DeleteMaintenance(id int64) error {
	n, err := t.c.Exec(t.ctx, `DELETE FROM maintenance_windows WHERE id = $1`, id)
	return affectedOne(n, err, fmt.Sprintf("delete maintenance window %d", id))
}

func (t *Tx) ActiveMaintenance(service string, at time.Time) ([]store.MaintenanceWindow, error) {
	if err := CheckText("service", service); err != nil {
		return nil, fmt.Errorf("active maintenance: %w", err)
	}
	ws, err := queryAll(t.ctx, t.c, scanMaintenance, `SELECT `+maintenanceColumns+` FROM maintenance_windows
		WHERE service = $1 AND start_at <= $2 AND end_at > $2 ORDER BY start_at, id`, service, UTC(at))
	if err != nil {
		return nil, fmt.Errorf("active maintenance of %q: %w", service, err)
	}
	return ws, nil
}

// ListMaintenance returns the maintenance windows of a service (of every
// service for ""), by start time.
func (db *DB) ListMaintenance(ctx context.Context, service string) ([]store.MaintenanceWindow, error) {
	if err := CheckText("service", service); err != nil {
		return nil, fmt.Errorf("list maintenance: %w", err)
	}
	w := db.d.where().text("service", service)
	ws, err := queryAll(ctx, db.b.Read, scanMaintenance, `SELECT `+maintenanceColumns+` FROM maintenance_windows`+w.sql()+` ORDER BY start_at, id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list maintenance of %q: %w", service, err)
	}
	return ws, nil
}

// Nonces and audit.

func (t *Tx) UseOnce(nonce string, at time.Time) (bool, error) {
	if err := Required("nonce", nonce); err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	n, err := t.c.Exec(t.ctx, `INSERT INTO used_nonces (nonce, used_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING`, nonce, UTC(at))
	if err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	return n == 1, nil
}

func (t *Tx) Audit(entries ...store.AuditEntry) error {
	if err := CheckAudit(entries...); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return t.db.insertAudit(t.ctx, t.c, entries...)
}
