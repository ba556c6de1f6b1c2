package sqlbackend

import (
	"context"
	"fmt"
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
}

var (
	timelineTable = &queuedTable{name: "timeline", columns: 7,
		insert: `INSERT INTO timeline (incident_id, at, kind, actor, channel, message, data) VALUES `}
	// A notification whose idempotency key is taken is not stored again.
	notificationsTable = &queuedTable{name: "notifications", columns: 9,
		insert: `INSERT INTO notifications (incident_id, user_id, kind, status, due_at, claimed_until, idempotency_key, body, lane) VALUES `,
		suffix: ` ON CONFLICT (idempotency_key) DO NOTHING`}
)

// The statements that insert one row at once, reporting its id (0 for a
// notification whose key was taken).
var (
	insertTimeline     = timelineTable.insertRows(1) + ` RETURNING id`
	insertNotification = notificationsTable.insertRows(1) + ` RETURNING id`
)

// maxQueuedRows is the most rows one statement writes. Statements write
// a power of two of rows, so that there are few of them to prepare.
const maxQueuedRows = 64

// queueingConn is a transaction's Conn that holds its queued rows, by
// table in the order first queued.
type queueingConn struct {
	Conn
	tables []*queuedTable
	rows   [][][]any
}

func (q *queueingConn) queue(t *queuedTable, row []any) {
	for i, qt := range q.tables {
		if qt == t {
			q.rows[i] = append(q.rows[i], row)
			return
		}
	}
	q.tables = append(q.tables, t)
	q.rows = append(q.rows, [][]any{row})
}

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
	for i, t := range q.tables {
		rows := q.rows[i]
		for len(rows) > 0 {
			n := maxQueuedRows
			for n > len(rows) {
				n /= 2
			}
			args := make([]any, 0, n*t.columns)
			for _, r := range rows[:n] {
				args = append(args, r...)
			}
			if _, err := q.Conn.Exec(ctx, t.insertRows(n), args...); err != nil {
				return fmt.Errorf("write queued %s: %w", t.name, err)
			}
			rows = rows[n:]
		}
	}
	q.tables, q.rows = nil, nil
	return nil
}

func (t *queuedTable) insertRows(n int) string {
	var b strings.Builder
	b.WriteString(t.insert)
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
// tables.
func (q *queueingConn) before(ctx context.Context, query string) error {
	for _, t := range q.tables {
		if strings.Contains(query, t.name) {
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
