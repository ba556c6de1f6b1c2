package sqlbackend

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Rows queued in a transaction (QueueTimeline, QueueNotifications) are
// written together, many to a statement: before the transaction's next
// statement that names one of their tables, and before it commits. A storm
// writes three or four timeline entries and a notification for each new
// incident; a statement for each cost as much as the incident itself.

// queuedTable is a table rows are queued for.
type queuedTable struct {
	name    string // statements naming it write the queue first
	insert  string // the INSERT up to VALUES
	columns int
	suffix  string // after the VALUES
	// order is when its rows are written among the tables': rows that
	// others refer to first.
	order int
}

var (
	// Incidents and alerts are queued with the ids they were given (see
	// reserveID). On PostgreSQL their ids are GENERATED ALWAYS; an
	// incident's services follow the incident whose id they name.
	incidentsTable = &queuedTable{name: "incidents", columns: 18, order: 1,
		insert: `INSERT INTO incidents (id, status, service, group_key, created_at, updated_at, body,
			title, acknowledged_at, acknowledged_by, resolved_at, resolved_by, escalated, notes, customer_impact, severity, urgency, major) {{override}}VALUES `}
	incidentServicesTable = &queuedTable{name: "incident_services", columns: 2, order: 2,
		insert: `INSERT INTO incident_services (incident_id, service) VALUES `,
		suffix: ` ON CONFLICT DO NOTHING`}
	alertsTable = &queuedTable{name: "alerts", columns: 11, order: 3,
		insert: `INSERT INTO alerts (id, service, integration_key, dedup_key, status, incident_id, created_at, updated_at, last_event_at, body, triggers) {{override}}VALUES `}
	escalationsTable = &queuedTable{name: "escalations", columns: 4, order: 4,
		insert: `INSERT INTO escalations (incident_id, next_at, done, body) VALUES `,
		suffix: ` ON CONFLICT (incident_id) DO UPDATE SET next_at = excluded.next_at, done = excluded.done, body = excluded.body`}
	// An attempt and the interruption it makes: an incident's first page
	// to a person (a key queues the earliest once; see QueueAttempt).
	attemptsTable = &queuedTable{name: "notification_attempts", columns: 9, order: 5,
		insert: `INSERT INTO notification_attempts (notification_id, incident_id, user_id, method_type, contact_method, at, time_zone, outcome, error) VALUES `}
	reportPagesTable = &queuedTable{name: "report_pages", columns: 4, order: 5,
		insert: `INSERT INTO report_pages (incident_id, user_id, at, time_zone) VALUES `,
		suffix: ` ON CONFLICT (incident_id, user_id) DO UPDATE SET at = excluded.at, time_zone = excluded.time_zone WHERE excluded.at < report_pages.at`}
	timelineTable = &queuedTable{name: "timeline", columns: 7, order: 5,
		insert: `INSERT INTO timeline (incident_id, at, kind, actor, channel, message, data) VALUES `}
	// A notification whose idempotency key is taken is not stored again.
	notificationsTable = &queuedTable{name: "notifications", columns: 9, order: 6,
		insert: `INSERT INTO notifications (incident_id, user_id, kind, status, due_at, claimed_until, idempotency_key, body, lane) VALUES `,
		suffix: ` ON CONFLICT (idempotency_key) DO NOTHING`}
)

// The statements that insert one row at once, reporting its id (0 for a
// notification whose key was taken).
var (
	insertTimeline     = timelineTable.insertRows(SQLite, 1) + ` RETURNING id`
	insertNotification = notificationsTable.insertRows(SQLite, 1) + ` RETURNING id`
)

// maxQueuedRows is the most rows one statement writes. Statements write
// a power of two of rows, so that there are few of them to prepare.
const maxQueuedRows = 64

// queueingConn is a transaction's Conn that holds its queued rows, by
// table in the order they are written.
type queueingConn struct {
	Conn
	d      Dialect
	tables []*queuedRows
	// next is, by table, the id reserveID gives next; none is known once
	// a statement other than the queue's may have written the table.
	next map[*queuedTable]int64
	// reserved are ids taken from a sequence and not given yet; expect
	// how many rows ExpectRows said will come, until their ids are taken.
	reserved map[*queuedTable][]int64
	expect   map[*queuedTable]int
}

// queuedRows are a table's queued rows, in groups: a row queued with a
// key replaces the group queued before with the same key.
type queuedRows struct {
	table  *queuedTable
	groups [][][]any
	byKey  map[any]int
}

func (q *queueingConn) rowsOf(t *queuedTable) *queuedRows {
	for _, r := range q.tables {
		if r.table == t {
			return r
		}
	}
	r := &queuedRows{table: t}
	at := len(q.tables)
	for at > 0 && q.tables[at-1].table.order > t.order {
		at--
	}
	q.tables = slices.Insert(q.tables, at, r)
	return r
}

func (q *queueingConn) queue(t *queuedTable, row []any) {
	r := q.rowsOf(t)
	r.groups = append(r.groups, [][]any{row})
}

// queueAs queues rows under key, in place of those queued under it before.
func (q *queueingConn) queueAs(t *queuedTable, key any, rows ...[]any) {
	r := q.rowsOf(t)
	if i, ok := r.byKey[key]; ok {
		r.groups[i] = rows
		return
	}
	if r.byKey == nil {
		r.byKey = map[any]int{}
	}
	r.byKey[key] = len(r.groups)
	r.groups = append(r.groups, rows)
}

// queued returns the row queued under key, if any.
func (q *queueingConn) queued(t *queuedTable, key any) ([]any, bool) {
	for _, r := range q.tables {
		if r.table == t {
			if i, ok := r.byKey[key]; ok && len(r.groups[i]) == 1 {
				return r.groups[i][0], true
			}
		}
	}
	return nil, false
}

// reserveID returns an id for a new row of t that no other row has or
// will have. On SQLite the transaction holds the only writer, and ids
// follow the table's AUTOINCREMENT counter; on PostgreSQL they come from
// the column's sequence, as the database would take them, as many at once
// as ExpectRows said.
func (q *queueingConn) reserveID(ctx context.Context, t *queuedTable) (int64, error) {
	if id, ok := q.next[t]; ok {
		q.next[t] = id + 1
		return id, nil
	}
	if q.d == PostgreSQL {
		if len(q.reserved[t]) == 0 {
			// The ids expected are all taken at once; those after them
			// one at a time.
			n := max(q.expect[t], 1)
			delete(q.expect, t)
			if err := q.reserveIDs(ctx, t, n); err != nil {
				return 0, err
			}
		}
		id := q.reserved[t][0]
		q.reserved[t] = q.reserved[t][1:]
		return id, nil
	}
	var last int64
	err := q.Conn.QueryRow(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = $1), 0)`, t.name).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", t.name, err)
	}
	if q.next == nil {
		q.next = map[*queuedTable]int64{}
	}
	q.next[t] = last + 2
	return last + 1, nil
}

// reserveIDs takes n ids of t's sequence.
func (q *queueingConn) reserveIDs(ctx context.Context, t *queuedTable, n int) error {
	ids, err := queryAll(ctx, q.Conn, func(row Row) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, t.name, n)
	if err != nil {
		return fmt.Errorf("next %d %s ids: %w", n, t.name, err)
	}
	if q.reserved == nil {
		q.reserved = map[*queuedTable][]int64{}
	}
	q.reserved[t] = append(q.reserved[t], ids...)
	return nil
}

// ExpectRows says that the transaction will queue up to incidents new
// incidents and alerts new alerts, so that a backend that takes ids from
// a sequence takes them in one round trip (ids taken and not used are
// skipped, as after a rollback).
func (t *Tx) ExpectRows(incidents, alerts int) {
	if t.q.expect == nil {
		t.q.expect = map[*queuedTable]int{}
	}
	t.q.expect[incidentsTable] = min(incidents, maxExpected)
	t.q.expect[alertsTable] = min(alerts, maxExpected)
}

// maxExpected bounds the ids one ExpectRows takes.
const maxExpected = 1024

// QueueTimeline stores entries with the transaction, without reporting
// their IDs: for writers that do not need them, and that write many.
func (t *Tx) QueueTimeline(entries ...*incident.TimelineEntry) error {
	for _, e := range entries {
		row, err := timelineRow(e)
		if err != nil {
			return fmt.Errorf("append timeline: %w", err)
		}
		t.q.queue(timelineTable, row)
	}
	return nil
}

// QueueNotifications is InsertNotifications without reporting IDs, nor
// which idempotency keys were taken already.
func (t *Tx) QueueNotifications(ns ...*notify.Notification) error {
	for _, n := range ns {
		row, err := notificationRow(n)
		if err != nil {
			return fmt.Errorf("insert notifications: %w", err)
		}
		t.q.queue(notificationsTable, row)
	}
	return nil
}

// timelineRow is an entry's values in timelineTable's columns.
func timelineRow(e *incident.TimelineEntry) ([]any, error) {
	stored, err := CheckTimeline(*e)
	return []any{stored.IncidentID, stored.At, stored.Kind, stored.Actor, stored.Channel, stored.Message, nullJSON(stored.Data)}, err
}

// notificationRow is a notification's values in notificationsTable's
// columns.
func notificationRow(n *notify.Notification) ([]any, error) {
	stored, body, err := EncodeNotification(*n)
	return []any{stored.IncidentID, stored.UserID, stored.Kind, stored.Status, stored.DueAt,
		nullTime(stored.ClaimedUntil), stored.IdempotencyKey, string(body), stored.Lane}, err
}

// Flush writes what the transaction queued. Run calls it before the commit.
func (t *Tx) Flush() error { return t.q.flush(t.ctx) }

func (q *queueingConn) flush(ctx context.Context) error {
	tables := q.tables
	q.tables = nil
	for _, r := range tables {
		t := r.table
		var rows [][]any
		for _, g := range r.groups {
			rows = append(rows, g...)
		}
		for len(rows) > 0 {
			n := maxQueuedRows
			for n > len(rows) {
				n /= 2
			}
			args := make([]any, 0, n*t.columns)
			for _, r := range rows[:n] {
				args = append(args, r...)
			}
			if _, err := q.Conn.Exec(ctx, t.insertRows(q.d, n), args...); err != nil {
				return fmt.Errorf("write queued %s: %w", t.name, err)
			}
			rows = rows[n:]
		}
	}
	return nil
}

func (t *queuedTable) insertRows(d Dialect, n int) string {
	var b strings.Builder
	override := ""
	if d == PostgreSQL {
		override = "OVERRIDING SYSTEM VALUE "
	}
	b.WriteString(strings.Replace(t.insert, "{{override}}", override, 1))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range t.columns {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*t.columns + c + 1))
		}
		b.WriteByte(')')
	}
	b.WriteString(t.suffix)
	return b.String()
}

// before writes the queued rows first when query names one of their
// tables, and forgets the next id of each table it names: the statement
// may insert a row that takes it.
func (q *queueingConn) before(ctx context.Context, query string) error {
	for t := range q.next {
		if strings.Contains(query, t.name) {
			delete(q.next, t)
		}
	}
	for _, r := range q.tables {
		if strings.Contains(query, r.table.name) {
			return q.flush(ctx)
		}
	}
	return nil
}

func (q *queueingConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := q.before(ctx, query); err != nil {
		return 0, err
	}
	return q.Conn.Exec(ctx, query, args...)
}

func (q *queueingConn) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	if err := q.before(ctx, query); err != nil {
		return nil, err
	}
	return q.Conn.Query(ctx, query, args...)
}

func (q *queueingConn) QueryRow(ctx context.Context, query string, args ...any) Row {
	if err := q.before(ctx, query); err != nil {
		return errRow{err}
	}
	return q.Conn.QueryRow(ctx, query, args...)
}

func (q *queueingConn) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	if err := q.before(ctx, query); err != nil {
		return 0, err
	}
	return q.Conn.Insert(ctx, query, args...)
}

func (q *queueingConn) Batch(ctx context.Context, stmts []Stmt, ids []int64) (int, error) {
	for _, s := range stmts {
		if err := q.before(ctx, s.SQL); err != nil {
			return 0, err
		}
	}
	return q.Conn.Batch(ctx, stmts, ids)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// Run runs fn in the write transaction on c and writes what it queued; the
// caller commits when it returns nil.
func (db *DB) Run(ctx context.Context, c Conn, fn func(store.Tx) error) error {
	t := db.Tx(ctx, c)
	if err := fn(t); err != nil {
		return err
	}
	return t.Flush()
}
