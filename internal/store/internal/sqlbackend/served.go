package sqlbackend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

// CheckServedShift validates a recorded shift and returns it as stored.
func CheckServedShift(sh store.ServedShift) (store.ServedShift, error) {
	err := errors.Join(required("schedule", sh.Schedule), required("user", sh.User), CheckText("layer", sh.Layer),
		required("time_zone", sh.TimeZone), checkSpan(sh.Start, sh.End))
	if err != nil {
		return store.ServedShift{}, fmt.Errorf("served shift of %q: %w", sh.Schedule, err)
	}
	sh.Start, sh.End = UTC(sh.Start), UTC(sh.End)
	return sh, nil
}

// CheckServedStart validates where a schedule's record begins when
// nothing is recorded for it yet.
func CheckServedStart(schedule string, start time.Time) error {
	if err := required("schedule", schedule); err != nil {
		return err
	}
	if start.IsZero() {
		return fmt.Errorf("no start for %q", schedule)
	}
	return nil
}

// CheckServedShiftQuery validates a query and reports whether its window
// is empty: it overlaps no shift, so the database need not be asked.
func CheckServedShiftQuery(q store.ServedShiftQuery) (empty bool, err error) {
	if err := CheckText("schedule", q.Schedule); err != nil {
		return false, err
	}
	return !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From), nil
}

// CheckServedEnd validates the new end of a recorded shift.
func CheckServedEnd(end time.Time) error {
	if end.IsZero() {
		return errors.New("end is required")
	}
	return nil
}

func checkSpan(start, end time.Time) error {
	switch {
	case start.IsZero() || end.IsZero():
		return errors.New("start and end are required")
	case !UTC(end).After(UTC(start)):
		return fmt.Errorf("end %s is not after start %s", end.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano))
	}
	return nil
}

// Served shifts. The recorder reads a schedule's record and appends to it
// in one transaction; on PostgreSQL it locks the record, so that replicas
// take turns and each stretch of time is appended once.

const servedShiftColumns = `id, schedule, user_id, layer, start_at, end_at, time_zone`

func scanServedShift(row Row) (store.ServedShift, error) {
	var sh store.ServedShift
	err := row.Scan(&sh.ID, &sh.Schedule, &sh.User, &sh.Layer, instant{&sh.Start}, instant{&sh.End}, &sh.TimeZone)
	return sh, err
}

// ListServedShifts returns recorded shifts, oldest first.
func (db *DB) ListServedShifts(ctx context.Context, q store.ServedShiftQuery) ([]store.ServedShift, error) {
	empty, err := CheckServedShiftQuery(q)
	if err != nil {
		return nil, fmt.Errorf("list served shifts: %w", err)
	}
	if empty {
		return nil, nil
	}
	w := db.d.where().text("schedule", q.Schedule).time("end_at >", q.From).time("start_at <", q.To)
	if q.AfterID > 0 {
		w.add("(start_at, id) > (SELECT start_at, id FROM served_shifts WHERE id = " + w.arg(q.AfterID) + ")")
	}
	shifts, err := queryAll(ctx, db.b.Read, scanServedShift,
		`SELECT `+servedShiftColumns+` FROM served_shifts`+w.page("start_at, id", ListLimit(q.Limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list served shifts of %q: %w", q.Schedule, err)
	}
	return shifts, nil
}

// ServedUntil reports how far a schedule's shifts are recorded.
func (db *DB) ServedUntil(ctx context.Context, schedule string) (time.Time, error) {
	return servedUntil(ctx, db.b.Read, schedule, "")
}

func servedUntil(ctx context.Context, c Conn, schedule, lock string) (time.Time, error) {
	if err := Required("schedule", schedule); err != nil {
		return time.Time{}, fmt.Errorf("served until: %w", err)
	}
	var until time.Time
	err := c.QueryRow(ctx, `SELECT recorded_until FROM served_until WHERE schedule = $1`+lock, schedule).Scan(instant{&until})
	return until, oneRow(err, "served shifts of %q", schedule)
}

func (t *Tx) LockServedUntil(schedule string, start time.Time) (time.Time, error) {
	if err := CheckServedStart(schedule, start); err != nil {
		return time.Time{}, fmt.Errorf("lock served until: %w", err)
	}
	// Two statements: the INSERT waits for a racing replica's insert of
	// the same schedule to commit, and only a statement started after that
	// sees (and locks) its row.
	_, err := t.c.Exec(t.ctx, `INSERT INTO served_until (schedule, recorded_until) VALUES ($1, $2)
		ON CONFLICT (schedule) DO NOTHING`, schedule, UTC(start))
	if err != nil {
		return time.Time{}, fmt.Errorf("lock served until of %q: %w", schedule, err)
	}
	return servedUntil(t.ctx, t.c, schedule, t.lock(forUpdate))
}

func (t *Tx) SetServedUntil(schedule string, until time.Time) error {
	if err := Required("schedule", schedule); err != nil {
		return fmt.Errorf("set served until: %w", err)
	}
	_, err := t.c.Exec(t.ctx, `UPDATE served_until SET recorded_until = $1 WHERE schedule = $2 AND recorded_until < $1`,
		UTC(until), schedule)
	if err != nil {
		return fmt.Errorf("set served until of %q: %w", schedule, err)
	}
	return nil
}

func (t *Tx) AdvanceServedUntil(until time.Time, keep []string) error {
	if err := CheckTexts("schedule", keep...); err != nil {
		return fmt.Errorf("advance served until: %w", err)
	}
	_, err := t.c.Exec(t.ctx, `UPDATE served_until SET recorded_until = $1
		WHERE recorded_until < $1 AND `+t.db.d.notIn("schedule", "$2", "text"), UTC(until), list(t.db.d, keep))
	if err != nil {
		return fmt.Errorf("advance served until: %w", err)
	}
	return nil
}

func (t *Tx) LastServedShift(schedule string) (store.ServedShift, error) {
	if err := Required("schedule", schedule); err != nil {
		return store.ServedShift{}, fmt.Errorf("last served shift: %w", err)
	}
	// No row lock: only a transaction holding the schedule's record
	// (LockServedUntil) writes its shifts.
	sh, err := scanServedShift(t.c.QueryRow(t.ctx, `SELECT `+servedShiftColumns+` FROM served_shifts
		WHERE schedule = $1 ORDER BY start_at DESC, id DESC LIMIT 1`, schedule))
	return sh, oneRow(err, "last served shift of %q", schedule)
}

func (t *Tx) InsertServedShifts(shifts ...*store.ServedShift) error {
	err := insertEach(t, shifts, func(sh *store.ServedShift) (Stmt, error) {
		stored, err := CheckServedShift(*sh)
		return Stmt{`INSERT INTO served_shifts (schedule, user_id, layer, start_at, end_at, time_zone)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, []any{stored.Schedule, stored.User, stored.Layer, stored.Start, stored.End, stored.TimeZone}}, err
	}, func(sh *store.ServedShift, id int64) { sh.ID = id })
	if err != nil {
		return fmt.Errorf("insert served shifts: %w", err)
	}
	return nil
}

func (t *Tx) ExtendServedShift(id int64, end time.Time) error {
	if err := CheckServedEnd(end); err != nil {
		return fmt.Errorf("extend served shift %d: %w", id, err)
	}
	n, err := t.c.Exec(t.ctx, `UPDATE served_shifts SET end_at = $1 WHERE id = $2`, UTC(end), id)
	return affectedOne(n, err, fmt.Sprintf("extend served shift %d", id))
}
