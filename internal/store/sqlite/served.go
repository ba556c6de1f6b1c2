package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// Served shifts. SQLite has one writer, so the transaction that reads a
// schedule's record and appends to it is never interleaved with another.

const servedShiftColumns = `id, schedule, user_id, layer, start_at, end_at, time_zone`

func scanServedShift(row scanner) (store.ServedShift, error) {
	var sh store.ServedShift
	var start, end string
	if err := row.Scan(&sh.ID, &sh.Schedule, &sh.User, &sh.Layer, &start, &end, &sh.TimeZone); err != nil {
		return store.ServedShift{}, err
	}
	var err error
	if sh.Start, err = parseTime(start); err != nil {
		return store.ServedShift{}, err
	}
	sh.End, err = parseTime(end)
	return sh, err
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
		w.add("schedule = ?", q.Schedule)
	}
	if !q.From.IsZero() {
		w.add("end_at > ?", timeText(q.From))
	}
	if !q.To.IsZero() {
		w.add("start_at < ?", timeText(q.To))
	}
	if q.AfterID > 0 {
		w.add("(start_at, id) > (SELECT start_at, id FROM served_shifts WHERE id = ?)", q.AfterID)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+servedShiftColumns+` FROM served_shifts`+w.sql()+
		` ORDER BY start_at, id LIMIT ?`, append(w.args, sqlbackend.ListLimit(q.Limit))...)
	shifts, err := collect(rows, err, scanServedShift)
	if err != nil {
		return nil, fmt.Errorf("list served shifts of %q: %w", q.Schedule, err)
	}
	return shifts, nil
}

// ServedUntil reports how far a schedule's shifts are recorded.
func (s *Store) ServedUntil(ctx context.Context, schedule string) (time.Time, error) {
	return servedUntil(ctx, s.read, schedule)
}

func servedUntil(ctx context.Context, q querier, schedule string) (time.Time, error) {
	if err := sqlbackend.Required("schedule", schedule); err != nil {
		return time.Time{}, fmt.Errorf("served until: %w", err)
	}
	var until string
	err := q.QueryRowContext(ctx, `SELECT recorded_until FROM served_until WHERE schedule = ?`, schedule).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("served shifts of %q: %w", schedule, store.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("served until of %q: %w", schedule, err)
	}
	return parseTime(until)
}

func (t *writeTx) LockServedUntil(schedule string, start time.Time) (time.Time, error) {
	if err := sqlbackend.CheckServedStart(schedule, start); err != nil {
		return time.Time{}, fmt.Errorf("lock served until: %w", err)
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO served_until (schedule, recorded_until) VALUES (?, ?)
		ON CONFLICT (schedule) DO NOTHING`, schedule, timeText(start))
	if err != nil {
		return time.Time{}, fmt.Errorf("lock served until of %q: %w", schedule, err)
	}
	return servedUntil(t.ctx, t.tx, schedule)
}

func (t *writeTx) SetServedUntil(schedule string, until time.Time) error {
	if err := sqlbackend.Required("schedule", schedule); err != nil {
		return fmt.Errorf("set served until: %w", err)
	}
	_, err := t.tx.ExecContext(t.ctx, `UPDATE served_until SET recorded_until = ?1 WHERE schedule = ?2 AND recorded_until < ?1`,
		timeText(until), schedule)
	if err != nil {
		return fmt.Errorf("set served until of %q: %w", schedule, err)
	}
	return nil
}

func (t *writeTx) AdvanceServedUntil(until time.Time, keep []string) error {
	if err := sqlbackend.CheckTexts("schedule", keep...); err != nil {
		return fmt.Errorf("advance served until: %w", err)
	}
	list, err := json.Marshal(append([]string{}, keep...))
	if err != nil {
		return fmt.Errorf("advance served until: %w", err)
	}
	_, err = t.tx.ExecContext(t.ctx, `UPDATE served_until SET recorded_until = ?1
		WHERE recorded_until < ?1 AND schedule NOT IN (SELECT value FROM json_each(?2))`, timeText(until), string(list))
	if err != nil {
		return fmt.Errorf("advance served until: %w", err)
	}
	return nil
}

func (t *writeTx) LastServedShift(schedule string) (store.ServedShift, error) {
	if err := sqlbackend.Required("schedule", schedule); err != nil {
		return store.ServedShift{}, fmt.Errorf("last served shift: %w", err)
	}
	sh, err := scanServedShift(t.tx.QueryRowContext(t.ctx, `SELECT `+servedShiftColumns+` FROM served_shifts
		WHERE schedule = ? ORDER BY start_at DESC, id DESC LIMIT 1`, schedule))
	if errors.Is(err, sql.ErrNoRows) {
		return store.ServedShift{}, fmt.Errorf("last served shift of %q: %w", schedule, store.ErrNotFound)
	}
	if err != nil {
		return store.ServedShift{}, fmt.Errorf("last served shift of %q: %w", schedule, err)
	}
	return sh, nil
}

func (t *writeTx) InsertServedShifts(shifts ...*store.ServedShift) error {
	for _, sh := range shifts {
		stored, err := sqlbackend.CheckServedShift(*sh)
		if err != nil {
			return fmt.Errorf("insert served shift: %w", err)
		}
		err = t.tx.QueryRowContext(t.ctx, `INSERT INTO served_shifts (schedule, user_id, layer, start_at, end_at, time_zone)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, stored.Schedule, stored.User, stored.Layer,
			timeText(stored.Start), timeText(stored.End), stored.TimeZone).Scan(&sh.ID)
		if err != nil {
			return fmt.Errorf("insert served shift of %q: %w", sh.Schedule, err)
		}
	}
	return nil
}

func (t *writeTx) ExtendServedShift(id int64, end time.Time) error {
	if err := sqlbackend.CheckServedEnd(end); err != nil {
		return fmt.Errorf("extend served shift %d: %w", id, err)
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE served_shifts SET end_at = ? WHERE id = ?`, timeText(end), id)
	return affectedOne(res, err, fmt.Sprintf("extend served shift %d", id))
}
