package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

var _ store.Pipeline = (*Store)(nil)

// inboxChunk is how many events one INSERT statement appends: five
// parameters a row stays far below SQLite's limit of 32766 parameters.
const inboxChunk = 512

// querier is what a query needs: the read pool, or a write transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// AppendInbox stores the events in one transaction and sets their IDs, in
// the order given.
func (s *Store) AppendInbox(ctx context.Context, events []store.InboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := sqlbackend.CheckInbox(events); err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	ids := make([]int64, len(events))
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(events); start += inboxChunk {
			chunk := events[start:min(start+inboxChunk, len(events))]
			args := make([]any, 0, 5*len(chunk))
			for _, e := range chunk {
				args = append(args, timeText(e.ReceivedAt), e.Kind, e.IntegrationKey, e.Service, string(e.Payload))
			}
			query := `INSERT INTO inbox (received_at, kind, integration_key, service, payload) VALUES (?, ?, ?, ?, ?)` +
				strings.Repeat(`, (?, ?, ?, ?, ?)`, len(chunk)-1)
			res, err := tx.ExecContext(ctx, query, args...)
			if err != nil {
				return err
			}
			last, err := res.LastInsertId()
			if err != nil {
				return err
			}
			// One statement on the only writer: its rows took consecutive
			// ids, in the order of its VALUES.
			for i := range chunk {
				ids[start+i] = last - int64(len(chunk)-1-i)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	for i := range events {
		events[i].ID = ids[i]
	}
	return nil
}

// InboxBacklog counts the events not yet processed.
func (s *Store) InboxBacklog(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM inbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("inbox backlog: %w", err)
	}
	return n, nil
}

// Update runs fn in a transaction on the write connection (BEGIN
// IMMEDIATE), committed when fn returns nil. An error from fn is returned
// as it is, after the rollback. fn must not read through the Store's own
// methods: on an in-memory database they wait for the connection fn holds.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin update: %w", err)
	}
	finished := false
	defer func() {
		if !finished {
			// fn panicked: free the write connection for the next writer.
			_ = tx.Rollback()
		}
	}()
	err = fn(&writeTx{ctx: ctx, tx: tx})
	finished = true
	if err != nil {
		if rbErr := rollback(tx); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit update: %w", err)
	}
	return nil
}

// writeTx is a store.Tx on the write connection.
type writeTx struct {
	ctx      context.Context
	tx       *sql.Tx
	services sqlbackend.WrittenServices
}

func (t *writeTx) TakeInbox(limit int) ([]store.InboxEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.tx.QueryContext(t.ctx, `
		DELETE FROM inbox WHERE id IN (SELECT id FROM inbox ORDER BY id LIMIT ?)
		RETURNING id, received_at, kind, integration_key, service, payload`, limit)
	events, err := collect(rows, err, scanInbox)
	if err != nil {
		return nil, fmt.Errorf("take inbox: %w", err)
	}
	// RETURNING promises no order.
	sqlbackend.SortByID(events)
	return events, nil
}

func scanInbox(row scanner) (store.InboxEvent, error) {
	var e store.InboxEvent
	var receivedAt, payload string
	if err := row.Scan(&e.ID, &receivedAt, &e.Kind, &e.IntegrationKey, &e.Service, &payload); err != nil {
		return store.InboxEvent{}, err
	}
	e.Payload = []byte(payload)
	var err error
	e.ReceivedAt, err = parseTime(receivedAt)
	return e, err
}

// Alerts.

const alertColumns = `id, body`

func scanAlert(row scanner) (alert.Alert, error) {
	var id int64
	var body string
	if err := row.Scan(&id, &body); err != nil {
		return alert.Alert{}, err
	}
	var a alert.Alert
	err := sqlbackend.DecodeBody("alert", id, []byte(body), &a)
	a.ID = id
	return a, err
}

func getAlert(ctx context.Context, q querier, id int64) (alert.Alert, error) {
	a, err := scanAlert(q.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Alert{}, fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return alert.Alert{}, fmt.Errorf("get alert %d: %w", id, err)
	}
	return a, nil
}

// GetAlert returns one alert or store.ErrNotFound.
func (s *Store) GetAlert(ctx context.Context, id int64) (alert.Alert, error) {
	return getAlert(ctx, s.read, id)
}

// ListAlerts returns the alerts matching q, newest first.
func (s *Store) ListAlerts(ctx context.Context, q store.AlertQuery) ([]alert.Alert, error) {
	if err := errors.Join(sqlbackend.CheckTexts("service", q.Service), sqlbackend.CheckTexts("dedup_key", q.DedupKey),
		sqlbackend.CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	var w where
	if q.Service != "" {
		w.add("service = ?", q.Service)
	}
	w.in("status", sqlbackend.Texts(q.Statuses))
	if q.DedupKey != "" {
		w.add("dedup_key = ?", q.DedupKey)
	}
	if q.IncidentID != 0 {
		w.add("incident_id = ?", q.IncidentID)
	}
	if q.BeforeID > 0 {
		w.add("id < ?", q.BeforeID)
	}
	query := `SELECT ` + alertColumns + ` FROM alerts` + w.sql() + ` ORDER BY id DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, query, append(w.args, sqlbackend.ListLimit(q.Limit))...)
	alerts, err := collect(rows, err, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return alerts, nil
}

func (t *writeTx) GetAlert(id int64) (alert.Alert, error) { return getAlert(t.ctx, t.tx, id) }

func (t *writeTx) OpenAlert(integrationKey, dedupKey string) (alert.Alert, error) {
	if err := errors.Join(sqlbackend.CheckText("integration_key", integrationKey), sqlbackend.CheckText("dedup_key", dedupKey)); err != nil {
		return alert.Alert{}, fmt.Errorf("open alert: %w", err)
	}
	row := t.tx.QueryRowContext(t.ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE integration_key = ? AND dedup_key = ? AND status <> 'resolved'`, integrationKey, dedupKey)
	a, err := scanAlert(row)
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Alert{}, fmt.Errorf("open alert %q/%q: %w", integrationKey, dedupKey, store.ErrNotFound)
	}
	if err != nil {
		return alert.Alert{}, fmt.Errorf("open alert %q/%q: %w", integrationKey, dedupKey, err)
	}
	return a, nil
}

func (t *writeTx) InsertAlert(a *alert.Alert) error {
	stored, body, err := sqlbackend.EncodeAlert(*a)
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `
		INSERT INTO alerts (service, integration_key, dedup_key, status, incident_id, created_at, updated_at, last_event_at, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		stored.Service, stored.IntegrationKey, stored.DedupKey, stored.Status, stored.IncidentID,
		timeText(stored.CreatedAt), timeText(stored.UpdatedAt), timeText(stored.LastEventAt), string(body))
	if isUniqueViolation(err) {
		return fmt.Errorf("insert alert %q/%q: an open alert has this key: %w", a.IntegrationKey, a.DedupKey, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	a.ID = id
	return nil
}

func (t *writeTx) UpdateAlert(a *alert.Alert) error {
	stored, body, err := sqlbackend.EncodeAlert(*a)
	if err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `
		UPDATE alerts SET service = ?, integration_key = ?, dedup_key = ?, status = ?, incident_id = ?,
			created_at = ?, updated_at = ?, last_event_at = ?, body = ?
		WHERE id = ?`,
		stored.Service, stored.IntegrationKey, stored.DedupKey, stored.Status, stored.IncidentID,
		timeText(stored.CreatedAt), timeText(stored.UpdatedAt), timeText(stored.LastEventAt), string(body), a.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("update alert %d: another open alert has key %q/%q: %w", a.ID, a.IntegrationKey, a.DedupKey, store.ErrConflict)
	}
	return affectedOne(res, err, fmt.Sprintf("alert %d", a.ID))
}

func (t *writeTx) AlertsOfIncident(incidentID int64) ([]alert.Alert, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+alertColumns+` FROM alerts WHERE incident_id = ? ORDER BY id`, incidentID)
	alerts, err := collect(rows, err, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("alerts of incident %d: %w", incidentID, err)
	}
	return alerts, nil
}

func (t *writeTx) QuietAlerts(integrationKey string, cutoff time.Time, limit int) ([]alert.Alert, error) {
	if limit <= 0 {
		return nil, nil
	}
	if err := sqlbackend.CheckText("integration_key", integrationKey); err != nil {
		return nil, fmt.Errorf("quiet alerts: %w", err)
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE integration_key = ? AND status <> 'resolved' AND last_event_at < ?
		ORDER BY last_event_at, id LIMIT ?`, integrationKey, timeText(cutoff), limit)
	alerts, err := collect(rows, err, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("quiet alerts of %q: %w", integrationKey, err)
	}
	return alerts, nil
}

// Incidents.

const incidentColumns = `id, body`

func scanIncident(row scanner) (incident.Incident, error) {
	var id int64
	var body string
	if err := row.Scan(&id, &body); err != nil {
		return incident.Incident{}, err
	}
	var i incident.Incident
	err := sqlbackend.DecodeBody("incident", id, []byte(body), &i)
	i.ID = id
	return i, err
}

func getIncident(ctx context.Context, q querier, id int64) (incident.Incident, error) {
	i, err := scanIncident(q.QueryRowContext(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Incident{}, fmt.Errorf("incident %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return incident.Incident{}, fmt.Errorf("get incident %d: %w", id, err)
	}
	return i, nil
}

// GetIncident returns one incident or store.ErrNotFound.
func (s *Store) GetIncident(ctx context.Context, id int64) (incident.Incident, error) {
	return getIncident(ctx, s.read, id)
}

// ListIncidents returns the incidents matching q, newest first.
func (s *Store) ListIncidents(ctx context.Context, q store.IncidentQuery) ([]incident.Incident, error) {
	if err := errors.Join(sqlbackend.CheckTexts("service", q.Service), sqlbackend.CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	var w where
	if q.Service != "" {
		w.add("id IN (SELECT incident_id FROM incident_services WHERE service = ?)", q.Service)
	}
	w.in("status", sqlbackend.Texts(q.Statuses))
	if q.BeforeID > 0 {
		w.add("id < ?", q.BeforeID)
	}
	query := `SELECT ` + incidentColumns + ` FROM incidents` + w.sql() + ` ORDER BY id DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, query, append(w.args, sqlbackend.ListLimit(q.Limit))...)
	incidents, err := collect(rows, err, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return incidents, nil
}

func (t *writeTx) GetIncident(id int64) (incident.Incident, error) {
	return getIncident(t.ctx, t.tx, id)
}

func (t *writeTx) OpenIncidentByGroup(service, groupKey string, since time.Time) (incident.Incident, error) {
	if err := errors.Join(sqlbackend.CheckText("service", service), sqlbackend.CheckText("group_key", groupKey)); err != nil {
		return incident.Incident{}, fmt.Errorf("open incident by group: %w", err)
	}
	row := t.tx.QueryRowContext(t.ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE service = ? AND group_key = ? AND status <> 'resolved' AND created_at >= ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, service, groupKey, timeText(since))
	i, err := scanIncident(row)
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Incident{}, fmt.Errorf("open incident of %q grouped by %q: %w", service, groupKey, store.ErrNotFound)
	}
	if err != nil {
		return incident.Incident{}, fmt.Errorf("open incident of %q grouped by %q: %w", service, groupKey, err)
	}
	return i, nil
}

func (t *writeTx) OpenIncidentsSince(since time.Time, limit int) ([]incident.Incident, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE status <> 'resolved' AND created_at >= ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, timeText(since), limit)
	incidents, err := collect(rows, err, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("open incidents since %s: %w", timeText(since), err)
	}
	return incidents, nil
}

func (t *writeTx) InsertIncident(i *incident.Incident) error {
	stored, body, err := sqlbackend.EncodeIncident(*i)
	if err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `
		INSERT INTO incidents (status, service, group_key, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?)`,
		stored.Status, stored.Service, stored.GroupKey, timeText(stored.CreatedAt), timeText(stored.UpdatedAt), string(body))
	if err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	if err := t.syncIncidentServices(id, stored); err != nil {
		return fmt.Errorf("insert incident %d: %w", id, err)
	}
	i.ID = id
	return nil
}

func (t *writeTx) UpdateIncident(i *incident.Incident) error {
	stored, body, err := sqlbackend.EncodeIncident(*i)
	if err != nil {
		return fmt.Errorf("update incident: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `
		UPDATE incidents SET status = ?, service = ?, group_key = ?, created_at = ?, updated_at = ?, body = ?
		WHERE id = ?`,
		stored.Status, stored.Service, stored.GroupKey, timeText(stored.CreatedAt), timeText(stored.UpdatedAt), string(body), i.ID)
	if err := affectedOne(res, err, fmt.Sprintf("incident %d", i.ID)); err != nil {
		return fmt.Errorf("update incident: %w", err)
	}
	if err := t.syncIncidentServices(i.ID, stored); err != nil {
		return fmt.Errorf("update incident %d: %w", i.ID, err)
	}
	return nil
}

// syncIncidentServices makes incident_services list exactly the
// incident's services.
func (t *writeTx) syncIncidentServices(id int64, i incident.Incident) error {
	services := sqlbackend.IncidentServices(i)
	if t.services.Unchanged(id, services) {
		return nil
	}
	list, err := json.Marshal(services)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, `
		DELETE FROM incident_services
		WHERE incident_id = ? AND service NOT IN (SELECT value FROM json_each(?))`, id, string(list)); err != nil {
		return fmt.Errorf("services: %w", err)
	}
	// "WHERE true" tells the parser that ON CONFLICT is not a join clause.
	if _, err := t.tx.ExecContext(t.ctx, `
		INSERT INTO incident_services (incident_id, service)
		SELECT ?, value FROM json_each(?) WHERE true
		ON CONFLICT DO NOTHING`, id, string(list)); err != nil {
		return fmt.Errorf("services: %w", err)
	}
	t.services.Wrote(id, services)
	return nil
}

// Timeline.

func (t *writeTx) AppendTimeline(entries ...*incident.TimelineEntry) error {
	stored := make([]incident.TimelineEntry, len(entries))
	for k, e := range entries {
		var err error
		if stored[k], err = sqlbackend.CheckTimeline(*e); err != nil {
			return fmt.Errorf("append timeline: %w", err)
		}
	}
	for k, e := range stored {
		res, err := t.tx.ExecContext(t.ctx, `
			INSERT INTO timeline (incident_id, at, kind, actor, channel, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.IncidentID, timeText(e.At), e.Kind, e.Actor, e.Channel, e.Message, nullJSON(e.Data))
		if err != nil {
			return fmt.Errorf("append timeline of incident %d: %w", e.IncidentID, err)
		}
		if entries[k].ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("append timeline of incident %d: %w", e.IncidentID, err)
		}
	}
	return nil
}

// Timeline lists an incident's entries oldest first (by time, then id).
func (s *Store) Timeline(ctx context.Context, incidentID int64) ([]incident.TimelineEntry, error) {
	byID, err := s.Timelines(ctx, []int64{incidentID})
	return byID[incidentID], err
}

func (s *Store) Timelines(ctx context.Context, incidentIDs []int64) (map[int64][]incident.TimelineEntry, error) {
	byID := map[int64][]incident.TimelineEntry{}
	if len(incidentIDs) == 0 {
		return byID, nil
	}
	ids, err := json.Marshal(incidentIDs)
	if err != nil {
		return nil, fmt.Errorf("timelines: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT id, incident_id, at, kind, actor, channel, message, data FROM timeline
		WHERE incident_id IN (SELECT value FROM json_each(?)) ORDER BY incident_id, at, id`, string(ids))
	entries, err := collect(rows, err, func(row scanner) (incident.TimelineEntry, error) {
		var e incident.TimelineEntry
		var at string
		var data sql.NullString
		if err := row.Scan(&e.ID, &e.IncidentID, &at, &e.Kind, &e.Actor, &e.Channel, &e.Message, &data); err != nil {
			return e, err
		}
		if data.Valid {
			e.Data = []byte(data.String)
		}
		var err error
		e.At, err = parseTime(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("timelines of %d incidents: %w", len(incidentIDs), err)
	}
	for _, e := range entries {
		byID[e.IncidentID] = append(byID[e.IncidentID], e)
	}
	return byID, nil
}

// Escalations.

func scanEscalation(row scanner) (escalation.State, error) {
	var incidentID int64
	var body string
	if err := row.Scan(&incidentID, &body); err != nil {
		return escalation.State{}, err
	}
	var st escalation.State
	err := sqlbackend.DecodeBody("escalation of incident", incidentID, []byte(body), &st)
	st.IncidentID = incidentID
	return st, err
}

func (t *writeTx) PutEscalation(st escalation.State) error {
	stored, body, err := sqlbackend.EncodeEscalation(st)
	if err != nil {
		return fmt.Errorf("put escalation: %w", err)
	}
	_, err = t.tx.ExecContext(t.ctx, `
		INSERT INTO escalations (incident_id, next_at, done, body) VALUES (?, ?, ?, ?)
		ON CONFLICT (incident_id) DO UPDATE SET next_at = excluded.next_at, done = excluded.done, body = excluded.body`,
		stored.IncidentID, timeText(stored.NextAt), stored.Done, string(body))
	if err != nil {
		return fmt.Errorf("put escalation of incident %d: %w", st.IncidentID, err)
	}
	return nil
}

func (t *writeTx) GetEscalation(incidentID int64) (escalation.State, error) {
	st, err := scanEscalation(t.tx.QueryRowContext(t.ctx, `SELECT incident_id, body FROM escalations WHERE incident_id = ?`, incidentID))
	if errors.Is(err, sql.ErrNoRows) {
		return escalation.State{}, fmt.Errorf("escalation of incident %d: %w", incidentID, store.ErrNotFound)
	}
	if err != nil {
		return escalation.State{}, fmt.Errorf("get escalation of incident %d: %w", incidentID, err)
	}
	return st, nil
}

func (t *writeTx) DueEscalations(now time.Time, limit int) ([]escalation.State, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.tx.QueryContext(t.ctx, `
		SELECT e.incident_id, e.body FROM escalations e JOIN incidents i ON i.id = e.incident_id
		WHERE e.done = 0 AND e.next_at <= ?
		ORDER BY e.next_at, e.incident_id LIMIT ?`, timeText(now), limit)
	states, err := collect(rows, err, scanEscalation)
	if err != nil {
		return nil, fmt.Errorf("due escalations: %w", err)
	}
	return states, nil
}

// Notifications.

const notificationColumns = `id, status, claimed_until, body`

func scanNotification(row scanner) (notify.Notification, error) {
	var id int64
	var status, body string
	var claimedUntil sql.NullString
	if err := row.Scan(&id, &status, &claimedUntil, &body); err != nil {
		return notify.Notification{}, err
	}
	var n notify.Notification
	if err := sqlbackend.DecodeBody("notification", id, []byte(body), &n); err != nil {
		return notify.Notification{}, err
	}
	// Claims and cancellations change these columns only.
	n.ID, n.Status, n.ClaimedUntil = id, status, nil
	if claimedUntil.Valid {
		until, err := parseTime(claimedUntil.String)
		if err != nil {
			return notify.Notification{}, err
		}
		n.ClaimedUntil = &until
	}
	return n, nil
}

func (t *writeTx) InsertNotifications(ns ...*notify.Notification) error {
	type row struct {
		n    notify.Notification
		body []byte
	}
	rows := make([]row, len(ns))
	for k, n := range ns {
		var err error
		if rows[k].n, rows[k].body, err = sqlbackend.EncodeNotification(*n); err != nil {
			return fmt.Errorf("insert notifications: %w", err)
		}
	}
	for k, r := range rows {
		n := r.n
		var id int64
		err := t.tx.QueryRowContext(t.ctx, `
			INSERT INTO notifications (incident_id, user_id, kind, status, due_at, claimed_until, idempotency_key, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (idempotency_key) DO NOTHING
			RETURNING id`,
			n.IncidentID, n.UserID, n.Kind, n.Status, timeText(n.DueAt), nullTime(n.ClaimedUntil), n.IdempotencyKey, string(r.body),
		).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("insert notification %q: %w", n.IdempotencyKey, err)
		}
		ns[k].ID = id // 0 when the key was taken
	}
	return nil
}

func (t *writeTx) GetNotification(id int64) (notify.Notification, error) {
	n, err := scanNotification(t.tx.QueryRowContext(t.ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return notify.Notification{}, fmt.Errorf("notification %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return notify.Notification{}, fmt.Errorf("get notification %d: %w", id, err)
	}
	return n, nil
}

func (t *writeTx) ClaimNotifications(now time.Time, lease time.Duration, limit int) ([]notify.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.tx.QueryContext(t.ctx, `
		UPDATE notifications SET status = 'sending', claimed_until = ?
		WHERE id IN (
			SELECT id FROM notifications
			WHERE (status = 'pending' AND due_at <= ?) OR (status = 'sending' AND claimed_until < ?)
			ORDER BY due_at, id LIMIT ?)
		RETURNING `+notificationColumns,
		timeText(now.Add(lease)), timeText(now), timeText(now), limit)
	ns, err := collect(rows, err, scanNotification)
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	sqlbackend.SortByDue(ns)
	return ns, nil
}

func (t *writeTx) UpdateNotification(n *notify.Notification) error {
	stored, body, err := sqlbackend.EncodeNotification(*n)
	if err != nil {
		return fmt.Errorf("update notification: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `
		UPDATE notifications SET incident_id = ?, user_id = ?, kind = ?, status = ?, due_at = ?, claimed_until = ?,
			idempotency_key = ?, body = ?
		WHERE id = ?`,
		stored.IncidentID, stored.UserID, stored.Kind, stored.Status, timeText(stored.DueAt), nullTime(stored.ClaimedUntil),
		stored.IdempotencyKey, string(body), n.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("update notification %d: idempotency key %q taken: %w", n.ID, n.IdempotencyKey, store.ErrConflict)
	}
	if err := affectedOne(res, err, fmt.Sprintf("notification %d", n.ID)); err != nil {
		return fmt.Errorf("update notification: %w", err)
	}
	return nil
}

func (t *writeTx) CancelNotifications(incidentID int64, kinds ...string) (int, error) {
	if err := sqlbackend.CheckTexts("kind", kinds...); err != nil {
		return 0, fmt.Errorf("cancel notifications: %w", err)
	}
	var w where
	w.add("incident_id = ?", incidentID)
	w.add("status = 'pending'")
	w.in("kind", kinds)
	res, err := t.tx.ExecContext(t.ctx, `UPDATE notifications SET status = 'cancelled'`+w.sql(), w.args...)
	if err != nil {
		return 0, fmt.Errorf("cancel notifications of incident %d: %w", incidentID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("cancel notifications of incident %d: %w", incidentID, err)
	}
	return int(n), nil
}

// ListNotifications returns the notifications matching q, newest first.
func (s *Store) ListNotifications(ctx context.Context, q store.NotificationQuery) ([]notify.Notification, error) {
	if err := errors.Join(sqlbackend.CheckTexts("user_id", q.UserID), sqlbackend.CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	var w where
	if q.IncidentID != 0 {
		w.add("incident_id = ?", q.IncidentID)
	}
	if q.UserID != "" {
		w.add("user_id = ?", q.UserID)
	}
	w.in("status", q.Statuses)
	if q.BeforeID > 0 {
		w.add("id < ?", q.BeforeID)
	}
	query := `SELECT ` + notificationColumns + ` FROM notifications` + w.sql() + ` ORDER BY id DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, query, append(w.args, sqlbackend.ListLimit(q.Limit))...)
	ns, err := collect(rows, err, scanNotification)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return ns, nil
}

func (t *writeTx) InsertAttempt(a *notify.Attempt) error {
	stored, err := sqlbackend.CheckAttempt(*a)
	if err != nil {
		return fmt.Errorf("insert attempt: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `
		INSERT INTO notification_attempts
			(notification_id, incident_id, user_id, method_type, contact_method, at, time_zone, outcome, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		stored.NotificationID, stored.IncidentID, stored.UserID, stored.MethodType, stored.ContactMethod,
		timeText(stored.At), stored.TimeZone, stored.Outcome, stored.Error)
	if err != nil {
		return fmt.Errorf("insert attempt of notification %d: %w", a.NotificationID, err)
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert attempt of notification %d: %w", a.NotificationID, err)
	}
	return nil
}

// ListAttempts returns a notification's delivery attempts, oldest first.
func (s *Store) ListAttempts(ctx context.Context, notificationID int64) ([]notify.Attempt, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT id, notification_id, incident_id, user_id, method_type, contact_method, at, time_zone, outcome, error
		FROM notification_attempts WHERE notification_id = ? ORDER BY id`, notificationID)
	attempts, err := collect(rows, err, func(row scanner) (notify.Attempt, error) {
		var a notify.Attempt
		var at string
		if err := row.Scan(&a.ID, &a.NotificationID, &a.IncidentID, &a.UserID, &a.MethodType, &a.ContactMethod,
			&at, &a.TimeZone, &a.Outcome, &a.Error); err != nil {
			return a, err
		}
		var err error
		a.At, err = parseTime(at)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("attempts of notification %d: %w", notificationID, err)
	}
	return attempts, nil
}

// Change events.

func scanChange(row scanner) (change.Event, error) {
	var id int64
	var body string
	if err := row.Scan(&id, &body); err != nil {
		return change.Event{}, err
	}
	var c change.Event
	err := sqlbackend.DecodeBody("change event", id, []byte(body), &c)
	c.ID = id
	return c, err
}

func (t *writeTx) InsertChange(c *change.Event) error {
	stored, body, err := sqlbackend.EncodeChange(*c)
	if err != nil {
		return fmt.Errorf("insert change: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO change_events (service, at, received_at, body) VALUES (?, ?, ?, ?)`,
		stored.Service, timeText(stored.At), timeText(stored.ReceivedAt), string(body))
	if err != nil {
		return fmt.Errorf("insert change of %q: %w", c.Service, err)
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert change of %q: %w", c.Service, err)
	}
	return nil
}

// GetChange returns one change event or store.ErrNotFound.
func (s *Store) GetChange(ctx context.Context, id int64) (change.Event, error) {
	c, err := scanChange(s.read.QueryRowContext(ctx, `SELECT id, body FROM change_events WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return change.Event{}, fmt.Errorf("change event %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return change.Event{}, fmt.Errorf("get change event %d: %w", id, err)
	}
	return c, nil
}

// ListChanges returns the change events matching q, newest first.
func (s *Store) ListChanges(ctx context.Context, q store.ChangeQuery) ([]change.Event, error) {
	if err := sqlbackend.CheckTexts("service", q.Services...); err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	var w where
	w.in("service", q.Services)
	if !q.Since.IsZero() {
		w.add("at >= ?", timeText(q.Since))
	}
	if !q.Until.IsZero() {
		w.add("at < ?", timeText(q.Until))
	}
	if q.BeforeID > 0 {
		w.add("id < ?", q.BeforeID)
	}
	query := `SELECT id, body FROM change_events` + w.sql() + ` ORDER BY id DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, query, append(w.args, sqlbackend.ListLimit(q.Limit))...)
	changes, err := collect(rows, err, scanChange)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return changes, nil
}

// Heartbeats.

const heartbeatColumns = `key, service, interval_ms, last_beat_at, alerting`

func scanHeartbeat(row scanner) (store.Heartbeat, error) {
	var h store.Heartbeat
	var intervalMS int64
	var lastBeatAt string
	if err := row.Scan(&h.Key, &h.Service, &intervalMS, &lastBeatAt, &h.Alerting); err != nil {
		return store.Heartbeat{}, err
	}
	h.Interval = time.Duration(intervalMS) * time.Millisecond
	var err error
	h.LastBeatAt, err = parseTime(lastBeatAt)
	return h, err
}

func (t *writeTx) GetHeartbeat(key string) (store.Heartbeat, error) {
	if err := sqlbackend.CheckText("key", key); err != nil {
		return store.Heartbeat{}, fmt.Errorf("get heartbeat: %w", err)
	}
	h, err := scanHeartbeat(t.tx.QueryRowContext(t.ctx, `SELECT `+heartbeatColumns+` FROM heartbeats WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Heartbeat{}, fmt.Errorf("heartbeat %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return store.Heartbeat{}, fmt.Errorf("get heartbeat %q: %w", key, err)
	}
	return h, nil
}

func (t *writeTx) PutHeartbeat(h store.Heartbeat) error {
	stored, overdueAt, err := sqlbackend.EncodeHeartbeat(h)
	if err != nil {
		return fmt.Errorf("put heartbeat: %w", err)
	}
	_, err = t.tx.ExecContext(t.ctx, `
		INSERT INTO heartbeats (key, service, interval_ms, last_beat_at, overdue_at, alerting) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET service = excluded.service, interval_ms = excluded.interval_ms,
			last_beat_at = excluded.last_beat_at, overdue_at = excluded.overdue_at, alerting = excluded.alerting`,
		stored.Key, stored.Service, stored.Interval.Milliseconds(), timeText(stored.LastBeatAt), timeText(overdueAt), stored.Alerting)
	if err != nil {
		return fmt.Errorf("put heartbeat %q: %w", h.Key, err)
	}
	return nil
}

func (t *writeTx) OverdueHeartbeats(now time.Time, limit int) ([]store.Heartbeat, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+heartbeatColumns+` FROM heartbeats
		WHERE alerting = 0 AND overdue_at < ? ORDER BY overdue_at, key LIMIT ?`, timeText(now), limit)
	hs, err := collect(rows, err, scanHeartbeat)
	if err != nil {
		return nil, fmt.Errorf("overdue heartbeats: %w", err)
	}
	return hs, nil
}

// Maintenance windows.

const maintenanceColumns = `id, service, start_at, end_at, reason, created_by`

func scanMaintenance(row scanner) (store.MaintenanceWindow, error) {
	var w store.MaintenanceWindow
	var start, end string
	if err := row.Scan(&w.ID, &w.Service, &start, &end, &w.Reason, &w.CreatedBy); err != nil {
		return store.MaintenanceWindow{}, err
	}
	var err error
	if w.Start, err = parseTime(start); err != nil {
		return store.MaintenanceWindow{}, err
	}
	w.End, err = parseTime(end)
	return w, err
}

func (t *writeTx) InsertMaintenance(w *store.MaintenanceWindow) error {
	stored, err := sqlbackend.CheckMaintenance(*w)
	if err != nil {
		return fmt.Errorf("insert maintenance: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `
		INSERT INTO maintenance_windows (service, start_at, end_at, reason, created_by) VALUES (?, ?, ?, ?, ?)`,
		stored.Service, timeText(stored.Start), timeText(stored.End), stored.Reason, stored.CreatedBy)
	if err != nil {
		return fmt.Errorf("insert maintenance of %q: %w", w.Service, err)
	}
	if w.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert maintenance of %q: %w", w.Service, err)
	}
	return nil
}

func (t *writeTx) DeleteMaintenance(id int64) error {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM maintenance_windows WHERE id = ?`, id)
	if err := affectedOne(res, err, fmt.Sprintf("maintenance window %d", id)); err != nil {
		return fmt.Errorf("delete maintenance: %w", err)
	}
	return nil
}

func (t *writeTx) ActiveMaintenance(service string, at time.Time) ([]store.MaintenanceWindow, error) {
	if err := sqlbackend.CheckText("service", service); err != nil {
		return nil, fmt.Errorf("active maintenance: %w", err)
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+maintenanceColumns+` FROM maintenance_windows
		WHERE service = ? AND start_at <= ? AND end_at > ? ORDER BY start_at, id`, service, timeText(at), timeText(at))
	ws, err := collect(rows, err, scanMaintenance)
	if err != nil {
		return nil, fmt.Errorf("active maintenance of %q: %w", service, err)
	}
	return ws, nil
}

// ListMaintenance returns the maintenance windows of a service (of every
// service for ""), by start time.
func (s *Store) ListMaintenance(ctx context.Context, service string) ([]store.MaintenanceWindow, error) {
	if err := sqlbackend.CheckText("service", service); err != nil {
		return nil, fmt.Errorf("list maintenance: %w", err)
	}
	var w where
	if service != "" {
		w.add("service = ?", service)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+maintenanceColumns+` FROM maintenance_windows`+w.sql()+` ORDER BY start_at, id`, w.args...)
	ws, err := collect(rows, err, scanMaintenance)
	if err != nil {
		return nil, fmt.Errorf("list maintenance of %q: %w", service, err)
	}
	return ws, nil
}

// Nonces, audit and secrets.

func (t *writeTx) UseOnce(nonce string, at time.Time) (bool, error) {
	if err := sqlbackend.Required("nonce", nonce); err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx,
		`INSERT INTO used_nonces (nonce, used_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING`, nonce, timeText(at))
	if err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	return n == 1, nil
}

func (t *writeTx) Audit(entries ...store.AuditEntry) error {
	if err := sqlbackend.CheckAudit(entries...); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return insertAudit(t.ctx, t.tx, entries...)
}

// Secret returns the named secret, storing generate's value first when
// there is none. When two processes race, both return the value stored
// first.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	if err := sqlbackend.Required("secret name", name); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	var value []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&value)
	if err == nil {
		return value, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("secret %q: generate: %w", name, err)
	}
	if len(fresh) == 0 {
		return nil, fmt.Errorf("secret %q: generated an empty value", name)
	}
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&value)
	})
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return value, nil
}

// Helpers.

// collect scans every row of a query; it takes the query's error too, so
// that callers check once.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// affectedOne turns an UPDATE or DELETE that matched no row into
// store.ErrNotFound.
func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// where builds a WHERE clause from conditions joined by AND.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "column IN (values)"; no values add no condition. The values
// travel as one JSON array, so that no list is too long for SQLite's
// limit on parameters.
func (w *where) in(column string, values []string) {
	if len(values) == 0 {
		return
	}
	list, err := json.Marshal(values)
	if err != nil {
		panic(err) // a []string always marshals
	}
	w.add(column+" IN (SELECT value FROM json_each(?))", string(list))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
