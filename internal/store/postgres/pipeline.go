package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/change"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

var _ store.Pipeline = (*Store)(nil)

// querier is what a query needs: the pool, or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Row locks taken by the queries of a transaction. Get* lock the rows they
// return; the queries that hand out work skip rows another replica has
// locked, so that each piece of work goes to one replica.
const (
	noLock     = ""
	lock       = " FOR UPDATE"
	lockOrSkip = " FOR UPDATE SKIP LOCKED"
)

// appendInbox inserts a batch in one statement. It draws the ids from the
// sequence first and hands them out in increasing order along the batch,
// so that processing in id order keeps the order of the batch.
const appendInbox = `
	WITH ids AS (SELECT nextval('inbox_id_seq') AS id FROM generate_series(1, $1)),
	numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS ord FROM ids)
	INSERT INTO inbox (id, received_at, kind, integration_key, service, payload)
	SELECT n.id, e.received_at, e.kind, e.integration_key, e.service, e.payload::json
	FROM numbered n
	JOIN unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
		WITH ORDINALITY AS e(received_at, kind, integration_key, service, payload, ord) ON e.ord = n.ord
	RETURNING id`

// AppendInbox stores the events with one statement, which is one
// transaction, and sets their IDs in the order given.
func (s *Store) AppendInbox(ctx context.Context, events []store.InboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := sqlbackend.CheckInbox(events); err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	receivedAt := make([]time.Time, len(events))
	kinds := make([]string, len(events))
	keys := make([]string, len(events))
	services := make([]string, len(events))
	payloads := make([]string, len(events))
	for i, e := range events {
		receivedAt[i], kinds[i], keys[i], services[i], payloads[i] = sqlbackend.UTC(e.ReceivedAt), e.Kind, e.IntegrationKey, e.Service, string(e.Payload)
	}
	rows, err := s.pool.Query(ctx, appendInbox, len(events), receivedAt, kinds, keys, services, payloads)
	if err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	if len(ids) != len(events) {
		return fmt.Errorf("append inbox: %d rows inserted for %d events", len(ids), len(events))
	}
	slices.Sort(ids)
	for i := range events {
		events[i].ID = ids[i]
	}
	return nil
}

// InboxBacklog counts the events not yet processed.
func (s *Store) InboxBacklog(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM inbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("inbox backlog: %w", err)
	}
	return n, nil
}

// Update runs fn in one transaction (READ COMMITTED: the row locks taken
// by the Tx make its reads safe to write back), committed when fn returns
// nil. An error from fn is returned as it is, after the rollback.
//
// Paths driven by senders lock an alert and then its incident, while
// people's actions lock the incident and then its alerts; when two such
// transactions meet, PostgreSQL aborts one as a deadlock. fn holds no
// state outside the transaction, so it is simply run again.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	var err error
	for attempt := 0; attempt < maxUpdateAttempts; attempt++ {
		if err = s.update(ctx, fn); !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return err
}

// maxUpdateAttempts bounds the reruns of a transaction aborted as a
// deadlock or serialization failure.
const maxUpdateAttempts = 5

// retryable reports whether PostgreSQL aborted a transaction in a way that
// running it again resolves.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

func (s *Store) update(ctx context.Context, fn func(store.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin update: %w", err)
	}
	// A no-op after Commit; otherwise it frees the connection, also when fn
	// panics.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(&writeTx{ctx: ctx, tx: tx, s: s}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit update: %w", err)
	}
	return nil
}

// writeTx is a store.Tx on one PostgreSQL transaction.
type writeTx struct {
	ctx      context.Context
	tx       pgx.Tx
	s        *Store
	services sqlbackend.WrittenServices
}

func (t *writeTx) TakeInbox(limit int) ([]store.InboxEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	// One replica at a time takes events, until its transaction ends:
	// events of one key are then applied in order even when replicas
	// share the inbox. The others find nothing to do meanwhile. The rows
	// are not locked one by one: skipping a locked row would break the
	// order, and nothing else locks them.
	var ours bool
	if err := t.tx.QueryRow(t.ctx, `SELECT pg_try_advisory_xact_lock($1)`, t.s.inboxLock).Scan(&ours); err != nil {
		return nil, fmt.Errorf("take inbox: lock: %w", err)
	}
	if !ours {
		return nil, nil
	}
	rows, err := t.tx.Query(t.ctx, `
		DELETE FROM inbox WHERE id IN (SELECT id FROM inbox ORDER BY id LIMIT $1)
		RETURNING id, received_at, kind, integration_key, service, payload`, limit)
	events, err := collect(rows, err, func(row pgx.CollectableRow) (store.InboxEvent, error) {
		var e store.InboxEvent
		var payload []byte // not json.RawMessage: see scanObject
		err := row.Scan(&e.ID, &e.ReceivedAt, &e.Kind, &e.IntegrationKey, &e.Service, &payload)
		e.ReceivedAt, e.Payload = e.ReceivedAt.UTC(), payload
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("take inbox: %w", err)
	}
	sqlbackend.SortByID(events)
	return events, nil
}

// Alerts.

const alertColumns = `id, body`

func scanAlert(row pgx.Row) (alert.Alert, error) {
	var id int64
	var body []byte
	if err := row.Scan(&id, &body); err != nil {
		return alert.Alert{}, err
	}
	var a alert.Alert
	err := sqlbackend.DecodeBody("alert", id, body, &a)
	a.ID = id
	return a, err
}

func collectAlerts(rows pgx.Rows, err error) ([]alert.Alert, error) {
	return collect(rows, err, func(row pgx.CollectableRow) (alert.Alert, error) { return scanAlert(row) })
}

func getAlert(ctx context.Context, q querier, id int64, lock string) (alert.Alert, error) {
	a, err := scanAlert(q.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return alert.Alert{}, fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return alert.Alert{}, fmt.Errorf("get alert %d: %w", id, err)
	}
	return a, nil
}

// GetAlert returns one alert or store.ErrNotFound.
func (s *Store) GetAlert(ctx context.Context, id int64) (alert.Alert, error) {
	return getAlert(ctx, s.pool, id, noLock)
}

// ListAlerts returns the alerts matching q, newest first.
func (s *Store) ListAlerts(ctx context.Context, q store.AlertQuery) ([]alert.Alert, error) {
	if err := errors.Join(sqlbackend.CheckTexts("service", q.Service), sqlbackend.CheckTexts("dedup_key", q.DedupKey),
		sqlbackend.CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	var w where
	if q.Service != "" {
		w.add("service = " + w.arg(q.Service))
	}
	w.in("status", sqlbackend.Texts(q.Statuses))
	if q.DedupKey != "" {
		w.add("dedup_key = " + w.arg(q.DedupKey))
	}
	if q.IncidentID != 0 {
		w.add("incident_id = " + w.arg(q.IncidentID))
	}
	if q.BeforeID > 0 {
		w.add("id < " + w.arg(q.BeforeID))
	}
	query := `SELECT ` + alertColumns + ` FROM alerts` + w.sql() + ` ORDER BY id DESC LIMIT ` + w.arg(sqlbackend.ListLimit(q.Limit))
	alerts, err := collectAlerts(s.pool.Query(ctx, query, w.args...))
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return alerts, nil
}

func (t *writeTx) GetAlert(id int64) (alert.Alert, error) { return getAlert(t.ctx, t.tx, id, lock) }

func (t *writeTx) OpenAlert(integrationKey, dedupKey string) (alert.Alert, error) {
	if err := errors.Join(sqlbackend.CheckText("integration_key", integrationKey), sqlbackend.CheckText("dedup_key", dedupKey)); err != nil {
		return alert.Alert{}, fmt.Errorf("open alert: %w", err)
	}
	row := t.tx.QueryRow(t.ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE integration_key = $1 AND dedup_key = $2 AND status <> 'resolved'`+lock, integrationKey, dedupKey)
	a, err := scanAlert(row)
	if errors.Is(err, pgx.ErrNoRows) {
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
	var id int64
	err = t.tx.QueryRow(t.ctx, `
		INSERT INTO alerts (service, integration_key, dedup_key, status, incident_id, created_at, updated_at, last_event_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`,
		stored.Service, stored.IntegrationKey, stored.DedupKey, stored.Status, stored.IncidentID,
		stored.CreatedAt, stored.UpdatedAt, stored.LastEventAt, string(body)).Scan(&id)
	if isUniqueViolation(err) {
		return fmt.Errorf("insert alert %q/%q: an open alert has this key: %w", a.IntegrationKey, a.DedupKey, store.ErrConflict)
	}
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
	tag, err := t.tx.Exec(t.ctx, `
		UPDATE alerts SET service = $1, integration_key = $2, dedup_key = $3, status = $4, incident_id = $5,
			created_at = $6, updated_at = $7, last_event_at = $8, body = $9
		WHERE id = $10`,
		stored.Service, stored.IntegrationKey, stored.DedupKey, stored.Status, stored.IncidentID,
		stored.CreatedAt, stored.UpdatedAt, stored.LastEventAt, string(body), a.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("update alert %d: another open alert has key %q/%q: %w", a.ID, a.IntegrationKey, a.DedupKey, store.ErrConflict)
	}
	return affectedOne(tag.RowsAffected(), err, fmt.Sprintf("update alert %d", a.ID))
}

func (t *writeTx) AlertsOfIncident(incidentID int64) ([]alert.Alert, error) {
	alerts, err := collectAlerts(t.tx.Query(t.ctx, `SELECT `+alertColumns+` FROM alerts WHERE incident_id = $1 ORDER BY id`, incidentID))
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
	alerts, err := collectAlerts(t.tx.Query(t.ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE integration_key = $1 AND status <> 'resolved' AND last_event_at < $2
		ORDER BY last_event_at, id LIMIT $3`+lockOrSkip, integrationKey, sqlbackend.UTC(cutoff), limit))
	if err != nil {
		return nil, fmt.Errorf("quiet alerts of %q: %w", integrationKey, err)
	}
	return alerts, nil
}

// Incidents.

const incidentColumns = `id, body`

func scanIncident(row pgx.Row) (incident.Incident, error) {
	var id int64
	var body []byte
	if err := row.Scan(&id, &body); err != nil {
		return incident.Incident{}, err
	}
	var i incident.Incident
	err := sqlbackend.DecodeBody("incident", id, body, &i)
	i.ID = id
	return i, err
}

func collectIncidents(rows pgx.Rows, err error) ([]incident.Incident, error) {
	return collect(rows, err, func(row pgx.CollectableRow) (incident.Incident, error) { return scanIncident(row) })
}

func getIncident(ctx context.Context, q querier, id int64, lock string) (incident.Incident, error) {
	i, err := scanIncident(q.QueryRow(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return incident.Incident{}, fmt.Errorf("incident %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return incident.Incident{}, fmt.Errorf("get incident %d: %w", id, err)
	}
	return i, nil
}

// GetIncident returns one incident or store.ErrNotFound.
func (s *Store) GetIncident(ctx context.Context, id int64) (incident.Incident, error) {
	return getIncident(ctx, s.pool, id, noLock)
}

// ListIncidents returns the incidents matching q, newest first.
func (s *Store) ListIncidents(ctx context.Context, q store.IncidentQuery) ([]incident.Incident, error) {
	if err := errors.Join(sqlbackend.CheckTexts("service", q.Service), sqlbackend.CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	var w where
	if q.Service != "" {
		w.add("id IN (SELECT incident_id FROM incident_services WHERE service = " + w.arg(q.Service) + ")")
	}
	w.in("status", sqlbackend.Texts(q.Statuses))
	if q.BeforeID > 0 {
		w.add("id < " + w.arg(q.BeforeID))
	}
	query := `SELECT ` + incidentColumns + ` FROM incidents` + w.sql() + ` ORDER BY id DESC LIMIT ` + w.arg(sqlbackend.ListLimit(q.Limit))
	incidents, err := collectIncidents(s.pool.Query(ctx, query, w.args...))
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return incidents, nil
}

func (t *writeTx) GetIncident(id int64) (incident.Incident, error) {
	return getIncident(t.ctx, t.tx, id, lock)
}

func (t *writeTx) OpenIncidentByGroup(service, groupKey string, since time.Time) (incident.Incident, error) {
	if err := errors.Join(sqlbackend.CheckText("service", service), sqlbackend.CheckText("group_key", groupKey)); err != nil {
		return incident.Incident{}, fmt.Errorf("open incident by group: %w", err)
	}
	// Locked: the caller adds the alert to it and writes it back.
	row := t.tx.QueryRow(t.ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE service = $1 AND group_key = $2 AND status <> 'resolved' AND created_at >= $3
		ORDER BY created_at DESC, id DESC LIMIT 1`+lock, service, groupKey, sqlbackend.UTC(since))
	i, err := scanIncident(row)
	if errors.Is(err, pgx.ErrNoRows) {
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
	incidents, err := collectIncidents(t.tx.Query(t.ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE status <> 'resolved' AND created_at >= $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, sqlbackend.UTC(since), limit))
	if err != nil {
		return nil, fmt.Errorf("open incidents since %s: %w", sqlbackend.UTC(since).Format(time.RFC3339Nano), err)
	}
	return incidents, nil
}

func (t *writeTx) InsertIncident(i *incident.Incident) error {
	stored, body, err := sqlbackend.EncodeIncident(*i)
	if err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	var id int64
	err = t.tx.QueryRow(t.ctx, `
		INSERT INTO incidents (status, service, group_key, created_at, updated_at, body) VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id`,
		stored.Status, stored.Service, stored.GroupKey, stored.CreatedAt, stored.UpdatedAt, string(body)).Scan(&id)
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
	tag, err := t.tx.Exec(t.ctx, `
		UPDATE incidents SET status = $1, service = $2, group_key = $3, created_at = $4, updated_at = $5, body = $6
		WHERE id = $7`,
		stored.Status, stored.Service, stored.GroupKey, stored.CreatedAt, stored.UpdatedAt, string(body), i.ID)
	if err := affectedOne(tag.RowsAffected(), err, fmt.Sprintf("update incident %d", i.ID)); err != nil {
		return err
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
	var batch pgx.Batch
	batch.Queue(`DELETE FROM incident_services WHERE incident_id = $1 AND service <> ALL($2::text[])`, id, services)
	batch.Queue(`INSERT INTO incident_services (incident_id, service) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, id, services)
	if err := runBatch(t.ctx, t.tx, &batch, func(int) string { return "services" }); err != nil {
		return err
	}
	t.services.Wrote(id, services)
	return nil
}

// Timeline.

func (t *writeTx) AppendTimeline(entries ...*incident.TimelineEntry) error {
	var batch pgx.Batch
	for _, e := range entries {
		stored, err := sqlbackend.CheckTimeline(*e)
		if err != nil {
			return fmt.Errorf("append timeline: %w", err)
		}
		batch.Queue(`
			INSERT INTO timeline (incident_id, at, kind, actor, channel, message, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
			RETURNING id`,
			stored.IncidentID, stored.At, stored.Kind, stored.Actor, stored.Channel, stored.Message, nullJSON(stored.Data))
	}
	ids, err := insertBatch(t.ctx, t.tx, &batch)
	if err != nil {
		return fmt.Errorf("append timeline: %w", err)
	}
	for k, e := range entries {
		e.ID = ids[k]
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
	rows, err := s.pool.Query(ctx, `
		SELECT id, incident_id, at, kind, actor, channel, message, data FROM timeline
		WHERE incident_id = ANY($1::bigint[]) ORDER BY incident_id, at, id`, incidentIDs)
	entries, err := collect(rows, err, func(row pgx.CollectableRow) (incident.TimelineEntry, error) {
		var e incident.TimelineEntry
		var data []byte // not json.RawMessage: see scanObject
		err := row.Scan(&e.ID, &e.IncidentID, &e.At, &e.Kind, &e.Actor, &e.Channel, &e.Message, &data)
		e.At, e.Data = e.At.UTC(), data
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

func scanEscalation(row pgx.Row) (escalation.State, error) {
	var incidentID int64
	var body []byte
	if err := row.Scan(&incidentID, &body); err != nil {
		return escalation.State{}, err
	}
	var st escalation.State
	err := sqlbackend.DecodeBody("escalation of incident", incidentID, body, &st)
	st.IncidentID = incidentID
	return st, err
}

func (t *writeTx) PutEscalation(st escalation.State) error {
	stored, body, err := sqlbackend.EncodeEscalation(st)
	if err != nil {
		return fmt.Errorf("put escalation: %w", err)
	}
	_, err = t.tx.Exec(t.ctx, `
		INSERT INTO escalations (incident_id, next_at, done, body) VALUES ($1, $2, $3, $4)
		ON CONFLICT (incident_id) DO UPDATE SET next_at = excluded.next_at, done = excluded.done, body = excluded.body`,
		stored.IncidentID, stored.NextAt, stored.Done, string(body))
	if err != nil {
		return fmt.Errorf("put escalation of incident %d: %w", st.IncidentID, err)
	}
	return nil
}

func (t *writeTx) GetEscalation(incidentID int64) (escalation.State, error) {
	st, err := scanEscalation(t.tx.QueryRow(t.ctx, `SELECT incident_id, body FROM escalations WHERE incident_id = $1`+lock, incidentID))
	if errors.Is(err, pgx.ErrNoRows) {
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
	// The incident is locked with its state: running a step writes to it,
	// and waiting for it here, while holding the state, would deadlock
	// with an acknowledgement that holds the incident and stops the
	// escalation. A state whose incident is busy waits for the next round.
	rows, err := t.tx.Query(t.ctx, `
		SELECT e.incident_id, e.body FROM escalations e JOIN incidents i ON i.id = e.incident_id
		WHERE NOT e.done AND e.next_at <= $1
		ORDER BY e.next_at, e.incident_id LIMIT $2
		FOR UPDATE OF e, i SKIP LOCKED`, sqlbackend.UTC(now), limit)
	states, err := collect(rows, err, func(row pgx.CollectableRow) (escalation.State, error) { return scanEscalation(row) })
	if err != nil {
		return nil, fmt.Errorf("due escalations: %w", err)
	}
	return states, nil
}

// Notifications.

const notificationColumns = `id, status, claimed_until, body`

func scanNotification(row pgx.Row) (notify.Notification, error) {
	var id int64
	var status string
	var claimedUntil *time.Time
	var body []byte
	if err := row.Scan(&id, &status, &claimedUntil, &body); err != nil {
		return notify.Notification{}, err
	}
	var n notify.Notification
	if err := sqlbackend.DecodeBody("notification", id, body, &n); err != nil {
		return notify.Notification{}, err
	}
	// Claims and cancellations change these columns only.
	n.ID, n.Status, n.ClaimedUntil = id, status, nil
	if claimedUntil != nil {
		until := claimedUntil.UTC()
		n.ClaimedUntil = &until
	}
	return n, nil
}

func collectNotifications(rows pgx.Rows, err error) ([]notify.Notification, error) {
	return collect(rows, err, func(row pgx.CollectableRow) (notify.Notification, error) { return scanNotification(row) })
}

func (t *writeTx) InsertNotifications(ns ...*notify.Notification) error {
	var batch pgx.Batch
	for _, n := range ns {
		stored, body, err := sqlbackend.EncodeNotification(*n)
		if err != nil {
			return fmt.Errorf("insert notifications: %w", err)
		}
		// DO NOTHING, not an error: an error would end the transaction.
		batch.Queue(`
			INSERT INTO notifications (incident_id, user_id, kind, status, due_at, claimed_until, idempotency_key, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (idempotency_key) DO NOTHING
			RETURNING id`,
			stored.IncidentID, stored.UserID, stored.Kind, stored.Status, stored.DueAt, stored.ClaimedUntil,
			stored.IdempotencyKey, string(body))
	}
	ids, err := insertBatch(t.ctx, t.tx, &batch)
	if err != nil {
		return fmt.Errorf("insert notifications: %w", err)
	}
	for k, n := range ns {
		n.ID = ids[k] // 0 when the key was taken
	}
	return nil
}

func (t *writeTx) GetNotification(id int64) (notify.Notification, error) {
	n, err := scanNotification(t.tx.QueryRow(t.ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = $1`+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	ns, err := collectNotifications(t.tx.Query(t.ctx, `
		UPDATE notifications SET status = 'sending', claimed_until = $1
		WHERE id IN (
			SELECT id FROM notifications
			WHERE (status = 'pending' AND due_at <= $2) OR (status = 'sending' AND claimed_until < $2)
			ORDER BY due_at, id LIMIT $3`+lockOrSkip+`)
		RETURNING `+notificationColumns,
		sqlbackend.UTC(now.Add(lease)), sqlbackend.UTC(now), limit))
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
	tag, err := t.tx.Exec(t.ctx, `
		UPDATE notifications SET incident_id = $1, user_id = $2, kind = $3, status = $4, due_at = $5, claimed_until = $6,
			idempotency_key = $7, body = $8
		WHERE id = $9`,
		stored.IncidentID, stored.UserID, stored.Kind, stored.Status, stored.DueAt, stored.ClaimedUntil,
		stored.IdempotencyKey, string(body), n.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("update notification %d: idempotency key %q taken: %w", n.ID, n.IdempotencyKey, store.ErrConflict)
	}
	return affectedOne(tag.RowsAffected(), err, fmt.Sprintf("update notification %d", n.ID))
}

func (t *writeTx) CancelNotifications(incidentID int64, kinds ...string) (int, error) {
	if err := sqlbackend.CheckTexts("kind", kinds...); err != nil {
		return 0, fmt.Errorf("cancel notifications: %w", err)
	}
	var w where
	w.add("incident_id = " + w.arg(incidentID))
	w.add("status = 'pending'")
	w.in("kind", kinds)
	tag, err := t.tx.Exec(t.ctx, `UPDATE notifications SET status = 'cancelled'`+w.sql(), w.args...)
	if err != nil {
		return 0, fmt.Errorf("cancel notifications of incident %d: %w", incidentID, err)
	}
	return int(tag.RowsAffected()), nil
}

// ListNotifications returns the notifications matching q, newest first.
func (s *Store) ListNotifications(ctx context.Context, q store.NotificationQuery) ([]notify.Notification, error) {
	if err := errors.Join(sqlbackend.CheckTexts("user_id", q.UserID), sqlbackend.CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	var w where
	if q.IncidentID != 0 {
		w.add("incident_id = " + w.arg(q.IncidentID))
	}
	if q.UserID != "" {
		w.add("user_id = " + w.arg(q.UserID))
	}
	w.in("status", q.Statuses)
	if q.BeforeID > 0 {
		w.add("id < " + w.arg(q.BeforeID))
	}
	query := `SELECT ` + notificationColumns + ` FROM notifications` + w.sql() + ` ORDER BY id DESC LIMIT ` + w.arg(sqlbackend.ListLimit(q.Limit))
	ns, err := collectNotifications(s.pool.Query(ctx, query, w.args...))
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
	err = t.tx.QueryRow(t.ctx, `
		INSERT INTO notification_attempts
			(notification_id, incident_id, user_id, method_type, contact_method, at, time_zone, outcome, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`,
		stored.NotificationID, stored.IncidentID, stored.UserID, stored.MethodType, stored.ContactMethod,
		stored.At, stored.TimeZone, stored.Outcome, stored.Error).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("insert attempt of notification %d: %w", a.NotificationID, err)
	}
	return nil
}

// ListAttempts returns a notification's delivery attempts, oldest first.
func (s *Store) ListAttempts(ctx context.Context, notificationID int64) ([]notify.Attempt, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, notification_id, incident_id, user_id, method_type, contact_method, at, time_zone, outcome, error
		FROM notification_attempts WHERE notification_id = $1 ORDER BY id`, notificationID)
	attempts, err := collect(rows, err, func(row pgx.CollectableRow) (notify.Attempt, error) {
		var a notify.Attempt
		err := row.Scan(&a.ID, &a.NotificationID, &a.IncidentID, &a.UserID, &a.MethodType, &a.ContactMethod,
			&a.At, &a.TimeZone, &a.Outcome, &a.Error)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("attempts of notification %d: %w", notificationID, err)
	}
	return attempts, nil
}

// Change events.

func scanChange(row pgx.Row) (change.Event, error) {
	var id int64
	var body []byte
	if err := row.Scan(&id, &body); err != nil {
		return change.Event{}, err
	}
	var c change.Event
	err := sqlbackend.DecodeBody("change event", id, body, &c)
	c.ID = id
	return c, err
}

func (t *writeTx) InsertChange(c *change.Event) error {
	stored, body, err := sqlbackend.EncodeChange(*c)
	if err != nil {
		return fmt.Errorf("insert change: %w", err)
	}
	err = t.tx.QueryRow(t.ctx, `INSERT INTO change_events (service, at, received_at, body) VALUES ($1, $2, $3, $4) RETURNING id`,
		stored.Service, stored.At, stored.ReceivedAt, string(body)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("insert change of %q: %w", c.Service, err)
	}
	return nil
}

// GetChange returns one change event or store.ErrNotFound.
func (s *Store) GetChange(ctx context.Context, id int64) (change.Event, error) {
	c, err := scanChange(s.pool.QueryRow(ctx, `SELECT id, body FROM change_events WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
		w.add("at >= " + w.arg(sqlbackend.UTC(q.Since)))
	}
	if !q.Until.IsZero() {
		w.add("at < " + w.arg(sqlbackend.UTC(q.Until)))
	}
	if q.BeforeID > 0 {
		w.add("id < " + w.arg(q.BeforeID))
	}
	query := `SELECT id, body FROM change_events` + w.sql() + ` ORDER BY id DESC LIMIT ` + w.arg(sqlbackend.ListLimit(q.Limit))
	rows, err := s.pool.Query(ctx, query, w.args...)
	changes, err := collect(rows, err, func(row pgx.CollectableRow) (change.Event, error) { return scanChange(row) })
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return changes, nil
}

// Heartbeats.

const heartbeatColumns = `key, service, interval_ms, last_beat_at, alerting`

func scanHeartbeat(row pgx.Row) (store.Heartbeat, error) {
	var h store.Heartbeat
	var intervalMS int64
	if err := row.Scan(&h.Key, &h.Service, &intervalMS, &h.LastBeatAt, &h.Alerting); err != nil {
		return store.Heartbeat{}, err
	}
	h.Interval = time.Duration(intervalMS) * time.Millisecond
	h.LastBeatAt = h.LastBeatAt.UTC()
	return h, nil
}

func (t *writeTx) GetHeartbeat(key string) (store.Heartbeat, error) {
	if err := sqlbackend.CheckText("key", key); err != nil {
		return store.Heartbeat{}, fmt.Errorf("get heartbeat: %w", err)
	}
	h, err := scanHeartbeat(t.tx.QueryRow(t.ctx, `SELECT `+heartbeatColumns+` FROM heartbeats WHERE key = $1`+lock, key))
	if errors.Is(err, pgx.ErrNoRows) {
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
	_, err = t.tx.Exec(t.ctx, `
		INSERT INTO heartbeats (key, service, interval_ms, last_beat_at, overdue_at, alerting) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (key) DO UPDATE SET service = excluded.service, interval_ms = excluded.interval_ms,
			last_beat_at = excluded.last_beat_at, overdue_at = excluded.overdue_at, alerting = excluded.alerting`,
		stored.Key, stored.Service, stored.Interval.Milliseconds(), stored.LastBeatAt, overdueAt, stored.Alerting)
	if err != nil {
		return fmt.Errorf("put heartbeat %q: %w", h.Key, err)
	}
	return nil
}

func (t *writeTx) OverdueHeartbeats(now time.Time, limit int) ([]store.Heartbeat, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(t.ctx, `SELECT `+heartbeatColumns+` FROM heartbeats
		WHERE NOT alerting AND overdue_at < $1 ORDER BY overdue_at, key LIMIT $2`+lockOrSkip, sqlbackend.UTC(now), limit)
	hs, err := collect(rows, err, func(row pgx.CollectableRow) (store.Heartbeat, error) { return scanHeartbeat(row) })
	if err != nil {
		return nil, fmt.Errorf("overdue heartbeats: %w", err)
	}
	return hs, nil
}

// Maintenance windows.

const maintenanceColumns = `id, service, start_at, end_at, reason, created_by`

func collectMaintenance(rows pgx.Rows, err error) ([]store.MaintenanceWindow, error) {
	return collect(rows, err, func(row pgx.CollectableRow) (store.MaintenanceWindow, error) {
		var w store.MaintenanceWindow
		err := row.Scan(&w.ID, &w.Service, &w.Start, &w.End, &w.Reason, &w.CreatedBy)
		w.Start, w.End = w.Start.UTC(), w.End.UTC()
		return w, err
	})
}

func (t *writeTx) InsertMaintenance(w *store.MaintenanceWindow) error {
	stored, err := sqlbackend.CheckMaintenance(*w)
	if err != nil {
		return fmt.Errorf("insert maintenance: %w", err)
	}
	err = t.tx.QueryRow(t.ctx, `
		INSERT INTO maintenance_windows (service, start_at, end_at, reason, created_by) VALUES ($1, $2, $3, $4, $5)
		RETURNING id`,
		stored.Service, stored.Start, stored.End, stored.Reason, stored.CreatedBy).Scan(&w.ID)
	if err != nil {
		return fmt.Errorf("insert maintenance of %q: %w", w.Service, err)
	}
	return nil
}

func (t *writeTx) DeleteMaintenance(id int64) error {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM maintenance_windows WHERE id = $1`, id)
	return affectedOne(tag.RowsAffected(), err, fmt.Sprintf("delete maintenance window %d", id))
}

func (t *writeTx) ActiveMaintenance(service string, at time.Time) ([]store.MaintenanceWindow, error) {
	if err := sqlbackend.CheckText("service", service); err != nil {
		return nil, fmt.Errorf("active maintenance: %w", err)
	}
	ws, err := collectMaintenance(t.tx.Query(t.ctx, `SELECT `+maintenanceColumns+` FROM maintenance_windows
		WHERE service = $1 AND start_at <= $2 AND end_at > $2 ORDER BY start_at, id`, service, sqlbackend.UTC(at)))
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
		w.add("service = " + w.arg(service))
	}
	ws, err := collectMaintenance(s.pool.Query(ctx, `SELECT `+maintenanceColumns+` FROM maintenance_windows`+w.sql()+` ORDER BY start_at, id`, w.args...))
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
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO used_nonces (nonce, used_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING`, nonce, sqlbackend.UTC(at))
	if err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (t *writeTx) Audit(entries ...store.AuditEntry) error {
	if err := sqlbackend.CheckAudit(entries...); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return t.s.insertAudit(t.ctx, t.tx, entries...)
}

// Secret returns the named secret, storing generate's value first when
// there is none. When replicas race, all return the value stored first.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	if err := sqlbackend.Required("secret name", name); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	const read = `SELECT value FROM secrets WHERE name = $1`
	var value []byte
	err := s.pool.QueryRow(ctx, read, name).Scan(&value)
	if err == nil {
		return value, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("secret %q: generate: %w", name, err)
	}
	if len(fresh) == 0 {
		return nil, fmt.Errorf("secret %q: generated an empty value", name)
	}
	// Two statements: the INSERT waits for a racing replica's insert to
	// commit, and only a statement started after that sees its row.
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	if err := s.pool.QueryRow(ctx, read, name).Scan(&value); err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return value, nil
}

// Helpers.

// collect scans every row of a query; it takes the query's error too, so
// that callers check once.
func collect[T any](rows pgx.Rows, err error, scan pgx.RowToFunc[T]) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scan)
}

// insertBatch runs INSERT ... RETURNING id statements in one round trip
// and returns their ids, 0 for a row not inserted (ON CONFLICT DO NOTHING).
func insertBatch(ctx context.Context, tx pgx.Tx, batch *pgx.Batch) ([]int64, error) {
	ids := make([]int64, batch.Len())
	if batch.Len() == 0 {
		return ids, nil
	}
	results := tx.SendBatch(ctx, batch)
	for k := range ids {
		err := results.QueryRow().Scan(&ids[k])
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, errors.Join(fmt.Errorf("row %d: %w", k, err), results.Close())
		}
	}
	return ids, results.Close()
}

// affectedOne turns an UPDATE or DELETE that matched no row into
// store.ErrNotFound.
func affectedOne(rows int64, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if rows == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// where builds a WHERE clause from conditions joined by AND, numbering
// the parameters.
type where struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

// in adds "column is one of values"; no values add no condition.
func (w *where) in(column string, values []string) {
	if len(values) > 0 {
		w.add(column + " = ANY(" + w.arg(values) + "::text[])")
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
