package sqlbackend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/ops"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/store"
)

var runStatuses = []string{ops.StatusPending, ops.StatusRunning, ops.StatusSucceeded, ops.StatusFailed}

// EncodeRun checks a run of an operation and returns it as stored (times
// in UTC, to the microsecond) with its JSON body.
func EncodeRun(r ops.Run) (ops.Run, []byte, error) {
	errs := []error{required("operation", r.Operation), required("service", r.Service), required("actor", r.Actor),
		CheckText("channel", r.Channel), CheckText("claim", r.Claim), CheckText("request", r.Request), CheckText("output", r.Output),
		CheckText("error", r.Error)}
	if !slices.Contains(runStatuses, r.Status) {
		errs = append(errs, fmt.Errorf("status %.20q is not one of %v", r.Status, runStatuses))
	}
	if r.RequestedAt.IsZero() {
		errs = append(errs, errors.New("requested_at is required"))
	}
	if r.Incident < 0 {
		errs = append(errs, fmt.Errorf("incident %d is negative", r.Incident))
	}
	for k, v := range r.Params {
		errs = append(errs, CheckText("parameter name", k), CheckText("parameter "+k, v))
	}
	if err := errors.Join(errs...); err != nil {
		return ops.Run{}, nil, fmt.Errorf("operation run %d: %w", r.ID, err)
	}
	r.RequestedAt = UTC(r.RequestedAt)
	r.StartedAt, r.FinishedAt, r.ClaimedUntil = utcPtr(r.StartedAt), utcPtr(r.FinishedAt), utcPtr(r.ClaimedUntil)
	body, err := marshalBody("operation run", r.ID, r)
	return r, body, err
}

func scanRun(row Row) (ops.Run, error) {
	var id int64
	var body []byte
	if err := row.Scan(&id, &body); err != nil {
		return ops.Run{}, err
	}
	var r ops.Run
	err := DecodeBody("operation run", id, body, &r)
	r.ID = id
	return r, err
}

const selectRun = `SELECT id, body FROM operation_runs`

// GetOperationRun returns one run or store.ErrNotFound.
func (db *DB) GetOperationRun(ctx context.Context, id int64) (ops.Run, error) {
	return byID(ctx, db.b.Read, scanRun, "operation run", selectRun+` WHERE id = $1`, id)
}

// ListOperationRuns returns the runs q selects, newest first.
func (db *DB) ListOperationRuns(ctx context.Context, q store.OperationRunQuery) ([]ops.Run, error) {
	if err := errors.Join(CheckText("service", q.Service), CheckText("operation", q.Operation), CheckTexts("status", q.Statuses...)); err != nil {
		return nil, fmt.Errorf("list operation runs: %w", err)
	}
	w := db.d.where().text("service", q.Service).text("operation", q.Operation).id("incident_id", q.IncidentID).in("status", q.Statuses).
		time("requested_at >=", q.From).time("requested_at <", q.To).before(q.BeforeID)
	runs, err := queryAll(ctx, db.b.Read, scanRun, selectRun+w.page("id DESC", ListLimit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list operation runs: %w", err)
	}
	return runs, nil
}

// ReportOperations returns the operations people ran in [from, to), for
// the toil report: every run requested then, however it went.
func (db *DB) ReportOperations(ctx context.Context, from, to time.Time) ([]report.ManualOperation, error) {
	runs, err := queryAll(ctx, db.b.Read, scanRun, selectRun+` WHERE requested_at >= $1 AND requested_at < $2 ORDER BY requested_at, id`,
		UTC(from), UTC(to))
	if err != nil {
		return nil, fmt.Errorf("operations from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	out := make([]report.ManualOperation, len(runs))
	for i, r := range runs {
		out[i] = report.ManualOperation{Service: r.Service, Operation: r.Operation, Actor: r.Actor, At: r.RequestedAt}
	}
	return out, nil
}

func (t *Tx) InsertOperationRun(r *ops.Run) error {
	stored, body, err := EncodeRun(*r)
	if err != nil {
		return fmt.Errorf("insert operation run: %w", err)
	}
	id, err := t.c.Insert(t.ctx, `
		INSERT INTO operation_runs (operation, service, incident_id, actor, status, requested_at, claimed_until, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		stored.Operation, stored.Service, stored.Incident, stored.Actor, stored.Status, stored.RequestedAt, nullTime(stored.ClaimedUntil), string(body))
	if t.db.b.IsUniqueViolation(err) {
		return fmt.Errorf("insert operation run: %s on %s is already waiting or running: %w", r.Operation, r.Service, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert operation run: %w", err)
	}
	r.ID = id
	return nil
}

func (t *Tx) GetOperationRun(id int64) (ops.Run, error) {
	return byID(t.ctx, t.c, scanRun, "operation run", selectRun+` WHERE id = $1`+t.lock(forUpdate), id)
}

func (t *Tx) PendingOperationRuns(limit int) ([]ops.Run, error) {
	return t.openRuns("pending operation runs", ops.StatusPending, time.Time{}, limit)
}

func (t *Tx) AbandonedOperationRuns(now time.Time, limit int) ([]ops.Run, error) {
	return t.openRuns("abandoned operation runs", ops.StatusRunning, now, limit)
}

// openRuns returns up to limit runs of a status, oldest first, those with
// a claim ending before claimedBefore when it is set, locked and skipping
// those locked elsewhere.
func (t *Tx) openRuns(what, status string, claimedBefore time.Time, limit int) ([]ops.Run, error) {
	if limit <= 0 {
		return nil, nil
	}
	w := t.db.d.where().text("status", status).time("claimed_until <", claimedBefore)
	runs, err := queryAll(t.ctx, t.c, scanRun, selectRun+w.page("requested_at, id", limit)+t.lock(forUpdateSkip), w.args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return runs, nil
}

func (t *Tx) UpdateOperationRun(r *ops.Run) error {
	stored, body, err := EncodeRun(*r)
	if err != nil {
		return fmt.Errorf("update operation run: %w", err)
	}
	n, err := t.c.Exec(t.ctx, `
		UPDATE operation_runs SET operation = $1, service = $2, incident_id = $3, actor = $4, status = $5, requested_at = $6,
			claimed_until = $7, body = $8
		WHERE id = $9`,
		stored.Operation, stored.Service, stored.Incident, stored.Actor, stored.Status, stored.RequestedAt, nullTime(stored.ClaimedUntil), string(body), r.ID)
	if t.db.b.IsUniqueViolation(err) {
		return fmt.Errorf("update operation run %d: %s on %s is already waiting or running: %w", r.ID, r.Operation, r.Service, store.ErrConflict)
	}
	return affectedOne(n, err, fmt.Sprintf("update operation run %d", r.ID))
}
