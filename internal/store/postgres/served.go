package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// Served shifts. The recorder of each replica reads a schedule's record
// and appends to it in one transaction; locking the record makes the
// replicas take turns, so that each stretch of time is appended once.

const servedShiftColumns = `id, schedule, user_id, layer, start_at, end_at, time_zone`

func scanServedShift(row pgx.Row) (store.ServedShift, error) {
	var sh store.ServedShift
	if err := row.Scan(&sh.ID, &sh.Schedule, &sh.User, &sh.Layer, &sh.Start, &sh.End, &sh.TimeZone); err != nil {
		return store.ServedShift{}, err
	}
	sh.Start, sh.End = sh.Start.UTC(), sh.End.UTC()
	return sh, nil
}

// ListServedShifts returns recorded shifts, oldest first.
func (s *Store) ListServedShifts(ctx context.Context, q store.ServedShiftQuery) ([]store.ServedShift, error) {
	empty, err := sqlbackend.CheckServedShiftQuery(q)
	if err != nil {
		return nil, fmt.Errorf("list served shifts: %w", err)
	}
	if empty {
		return nil, nil
	}
	var w where
	if q.Schedule != "" {
		w.add("schedule = " + w.arg(q.Schedule))
	}
	if !q.From.IsZero() {
		w.add("end_at > " + w.arg(sqlbackend.UTC(q.From)))
	}
	if !q.To.IsZero() {
		w.add("start_at < " + w.arg(sqlbackend.UTC(q.To)))
	}
	if q.AfterID > 0 {
		w.add("(start_at, id) > (SELECT start_at, id FROM served_shifts WHERE id = " + w.arg(q.AfterID) + ")")
	}
	query := `SELECT ` + servedShiftColumns + ` FROM served_shifts` + w.sql() +
		` ORDER BY start_at, id LIMIT ` + w.arg(sqlbackend.ListLimit(q.Limit))
	rows, err := s.pool.Query(ctx, query, w.args...)
	shifts, err := collect(rows, err, func(row pgx.CollectableRow) (store.ServedShift, error) { return scanServedShift(row) })
	if err != nil {
		return nil, fmt.Errorf("list served shifts of %q: %w", q.Schedule, err)
	}
	return shifts, nil
}

// ServedUntil reports how far a schedule's shifts are recorded.
func (s *Store) ServedUntil(ctx context.Context, schedule string) (time.Time, error) {
	return servedUntil(ctx, s.pool, schedule, noLock)
}

func servedUntil(ctx context.Context, q querier, schedule, lock string) (time.Time, error) {
	if err := sqlbackend.Required("schedule", schedule); err != nil {
		return time.Time{}, fmt.Errorf("served until: %w", err)
	}
	var until time.Time
	err := q.QueryRow(ctx, `SELECT recorded_until FROM served_until WHERE schedule = $1`+lock, schedule).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("served shifts of %q: %w", schedule, store.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("served until of %q: %w", schedule, err)
	}
	return until.UTC(), nil
}

func (t *writeTx) LockServedUntil(schedule string, start time.Time) (time.Time, error) {
	if err := sqlbackend.CheckServedStart(schedule, start); err != nil {
		return time.Time{}, fmt.Errorf("lock served until: %w", err)
	}
	// Two statements: the INSERT waits for a racing replica's insert of
	// the same schedule to commit, and only a statement started after that
	// sees (and locks) its row.
	_, err := t.tx.Exec(t.ctx, `INSERT INTO served_until (schedule, recorded_until) VALUES ($1, $2)
		ON CONFLICT (schedule) DO NOTHING`, schedule, sqlbackend.UTC(start))
	if err != nil {
		return time.Time{}, fmt.Errorf("lock served until of %q: %w", schedule, err)
	}
	return servedUntil(t.ctx, t.tx, schedule, lock)
}

func (t *writeTx) SetServedUntil(schedule string, until time.Time) error {
	if err := sqlbackend.Required("schedule", schedule); err != nil {
		return fmt.Errorf("set served until: %w", err)
	}
	_, err := t.tx.Exec(t.ctx, `UPDATE served_until SET recorded_until = $1 WHERE schedule = $2 AND recorded_until < $1`,
		sqlbackend.UTC(until), schedule)
	if err != nil {
		return fmt.Errorf("set served until of %q: %w", schedule, err)
	}
	return nil
}

func (t *writeTx) AdvanceServedUntil(until time.Time, keep []string) error {
	if err := sqlbackend.CheckTexts("schedule", keep...); err != nil {
		return fmt.Errorf("advance served until: %w", err)
	}
	_, err := t.tx.Exec(t.ctx, `UPDATE served_until SET recorded_until = $1
		WHERE recorded_until < $1 AND schedule <> ALL($2::text[])`, sqlbackend.UTC(until), append([]string{}, keep...))
	if err != nil {
		return fmt.Errorf("advance served until: %w", err)
	}
	return nil
}

func (t *writeTx) LastServedShift(schedule string) (store.ServedShift, error) {
	if err := sqlbackend.Required("schedule", schedule); err != nil {
		return store.ServedShift{}, fmt.Errorf("last served shift: %w", err)
	}
	// No row lock: only a transaction holding the schedule's record
	// (LockServedUntil) writes its shifts.
	sh, err := scanServedShift(t.tx.QueryRow(t.ctx, `SELECT `+servedShiftColumns+` FROM served_shifts
		WHERE schedule = $1 ORDER BY start_at DESC, id DESC LIMIT 1`, schedule))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ServedShift{}, fmt.Errorf("last served shift of %q: %w", schedule, store.ErrNotFound)
	}
	if err != nil {
		return store.ServedShift{}, fmt.Errorf("last served shift of %q: %w", schedule, err)
	}
	return sh, nil
}

func (t *writeTx) InsertServedShifts(shifts ...*store.ServedShift) error {
	batch := &pgx.Batch{}
	for _, sh := range shifts {
		stored, err := sqlbackend.CheckServedShift(*sh)
		if err != nil {
			return fmt.Errorf("insert served shift: %w", err)
		}
		batch.Queue(`INSERT INTO served_shifts (schedule, user_id, layer, start_at, end_at, time_zone)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, stored.Schedule, stored.User, stored.Layer, stored.Start, stored.End, stored.TimeZone)
	}
	ids, err := insertBatch(t.ctx, t.tx, batch)
	if err != nil {
		return fmt.Errorf("insert served shifts: %w", err)
	}
	for i, sh := range shifts {
		sh.ID = ids[i]
	}
	return nil
}

func (t *writeTx) ExtendServedShift(id int64, end time.Time) error {
	if err := sqlbackend.CheckServedEnd(end); err != nil {
		return fmt.Errorf("extend served shift %d: %w", id, err)
	}
	tag, err := t.tx.Exec(t.ctx, `UPDATE served_shifts SET end_at = $1 WHERE id = $2`, sqlbackend.UTC(end), id)
	return affectedOne(tag.RowsAffected(), err, fmt.Sprintf("extend served shift %d", id))
}
