package sqlbackend

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Timeline entries queued in a transaction (QueueTimeline) are written
// together, many rows to a statement: before the transaction's next
// statement that names the timeline table, and before it commits. A storm
// writes three or four entries for each new incident; one statement for
// each costs as much as the incident itself.

// timelineColumns is how many values one timeline row takes.
const timelineColumns = 7

// maxQueuedRows is the most rows one statement writes. Statements write
// a power of two of rows, so that there are few of them to prepare.
const maxQueuedRows = 64

// queueingConn is a transaction's Conn that holds its queued timeline rows.
type queueingConn struct {
	Conn
	rows [][]any
}

// QueueTimeline stores entries with the transaction, without reporting
// their IDs: for writers that do not need them, and that write many.
func (t *Tx) QueueTimeline(entries ...*incident.TimelineEntry) error {
	for _, e := range entries {
		stored, err := CheckTimeline(*e)
		if err != nil {
			return fmt.Errorf("append timeline: %w", err)
		}
		t.q.rows = append(t.q.rows, []any{stored.IncidentID, stored.At, stored.Kind, stored.Actor, stored.Channel, stored.Message, nullJSON(stored.Data)})
	}
	return nil
}

// Flush writes what the transaction queued. Run calls it before the commit.
func (t *Tx) Flush() error { return t.q.flush(t.ctx) }

func (q *queueingConn) flush(ctx context.Context) error {
	for len(q.rows) > 0 {
		n := maxQueuedRows
		for n > len(q.rows) {
			n /= 2
		}
		args := make([]any, 0, n*timelineColumns)
		for _, r := range q.rows[:n] {
			args = append(args, r...)
		}
		if _, err := q.Conn.Exec(ctx, insertTimelineRows(n), args...); err != nil {
			return fmt.Errorf("append timeline: %w", err)
		}
		q.rows = q.rows[n:]
	}
	q.rows = nil
	return nil
}

func insertTimelineRows(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO timeline (incident_id, at, kind, actor, channel, message, data) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range timelineColumns {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*timelineColumns + c + 1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// before writes the queued rows first when query reads or writes the
// timeline.
func (q *queueingConn) before(ctx context.Context, query string) error {
	if len(q.rows) == 0 || !strings.Contains(query, "timeline") {
		return nil
	}
	return q.flush(ctx)
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
