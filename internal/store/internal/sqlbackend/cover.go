package sqlbackend

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-oncall/vigil/internal/cover"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Cover requests keep their body as JSON beside the columns lists filter
// on; the status column is what a concurrent acceptance is decided on.

// encodeCoverRequest checks a request and returns its stored body (times
// in UTC, to the microsecond).
func encodeCoverRequest(r *cover.Request) ([]byte, error) {
	err := errors.Join(required("schedule", r.Schedule), required("requester", r.Requester), required("status", string(r.Status)),
		CheckText("schedule", r.Schedule), CheckText("requester", r.Requester), CheckText("accepted by", r.AcceptedBy),
		CheckText("message", r.Message), CheckText("created by", r.CreatedBy), CheckText("cancelled by", r.CancelledBy),
		CheckText("override", r.OverrideID), CheckTexts("candidate", r.Candidates...))
	if r.Start.IsZero() || r.End.IsZero() || r.CreatedAt.IsZero() {
		err = errors.Join(err, errors.New("start, end and created_at are required"))
	}
	if err != nil {
		return nil, fmt.Errorf("cover request %d: %w", r.ID, err)
	}
	r.Start, r.End, r.CreatedAt = UTC(r.Start), UTC(r.End), UTC(r.CreatedAt)
	r.AcceptedAt, r.CancelledAt = utcPtr(r.AcceptedAt), utcPtr(r.CancelledAt)
	if r.Candidates == nil {
		r.Candidates = []string{}
	}
	return marshalBody("cover request", r.ID, r)
}

var scanCoverRequest = scanBody("cover request", func(r *cover.Request, id int64) { r.ID = id })

// GetCoverRequest returns one request, or store.ErrNotFound.
func (db *DB) GetCoverRequest(ctx context.Context, id int64) (cover.Request, error) {
	return byID(ctx, db.b.Read, scanCoverRequest, "cover request", `SELECT id, body FROM cover_requests WHERE id = $1`, id)
}

// ListCoverRequests returns requests, newest first.
func (db *DB) ListCoverRequests(ctx context.Context, q store.CoverRequestQuery) ([]cover.Request, error) {
	if err := errors.Join(CheckText("schedule", q.Schedule), CheckText("user", q.User), CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list cover requests: %w", err)
	}
	w := db.d.where().text("schedule", q.Schedule).in("status", q.Statuses).before(q.BeforeID)
	if q.User != "" {
		u := w.arg(q.User)
		w.add("(requester = " + u + " OR accepted_by = " + u + ")")
	}
	rs, err := queryAll(ctx, db.b.Read, scanCoverRequest, `SELECT id, body FROM cover_requests`+w.page("id DESC", ListLimit(q.Limit)), w.args...)
	return rs, wrapErr("list cover requests", err)
}

func (t *Tx) InsertCoverRequest(r *cover.Request) error {
	body, err := encodeCoverRequest(r)
	if err != nil {
		return fmt.Errorf("insert cover request: %w", err)
	}
	id, err := t.c.Insert(t.ctx, `INSERT INTO cover_requests (schedule, requester, accepted_by, status, start_at, end_at, created_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		r.Schedule, r.Requester, r.AcceptedBy, string(r.Status), r.Start, r.End, r.CreatedAt, string(body))
	if err != nil {
		return fmt.Errorf("insert cover request: %w", err)
	}
	r.ID = id // the body keeps 0: reads take the id from its column
	return nil
}

func (t *Tx) UpdateCoverRequest(r *cover.Request, from cover.Status) error {
	body, err := encodeCoverRequest(r)
	if err != nil {
		return fmt.Errorf("update cover request: %w", err)
	}
	n, err := t.c.Exec(t.ctx, `UPDATE cover_requests SET accepted_by = $1, status = $2, body = $3 WHERE id = $4 AND status = $5`,
		r.AcceptedBy, string(r.Status), string(body), r.ID, string(from))
	return t.updatedOrStale(n, err, fmt.Sprintf("update cover request %d", r.ID), "status",
		`SELECT status FROM cover_requests WHERE id = $1`, r.ID, string(from))
}

// updatedOrStale answers an UPDATE of row id made only while its field
// still held expected: nil when it changed n > 0 rows, store.ErrNotFound
// when the row is gone, else store.ErrConflict naming what the field holds
// now (read by query).
func (t *Tx) updatedOrStale(n int64, err error, what, field, query string, id int64, expected any) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n > 0 {
		return nil
	}
	var stored any
	if err := oneRow(t.c.QueryRow(t.ctx, query, id).Scan(&stored), "%s", what); err != nil {
		return err
	}
	if b, ok := stored.([]byte); ok {
		stored = string(b)
	}
	return fmt.Errorf("%s: it is at %s %v, not %v: %w", what, field, stored, expected, store.ErrConflict)
}

func (t *Tx) ApplyChanges(changes []store.Change, audit []store.AuditEntry) error {
	if len(changes) == 0 && len(audit) == 0 {
		return nil
	}
	if err := errors.Join(CheckChanges(changes), CheckAudit(audit...)); err != nil {
		return fmt.Errorf("apply changes: %w", err)
	}
	return t.db.applyChanges(t.ctx, t.c, changes, audit)
}

func (t *Tx) CancelNoticesByKey(kind, prefix string) (int, error) {
	if err := errors.Join(required("kind", kind), required("prefix", prefix), CheckText("kind", kind), CheckText("prefix", prefix)); err != nil {
		return 0, fmt.Errorf("cancel notices: %w", err)
	}
	n, err := t.c.Exec(t.ctx, `UPDATE notifications SET status = 'cancelled'
		WHERE status = 'pending' AND incident_id = 0 AND kind = $1 AND substr(idempotency_key, 1, $2) = $3`, kind, len(prefix), prefix)
	if err != nil {
		return 0, fmt.Errorf("cancel %s notices %s*: %w", kind, prefix, err)
	}
	return int(n), nil
}
