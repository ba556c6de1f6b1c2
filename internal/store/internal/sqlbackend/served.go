package sqlbackend

import (
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

// CheckServedShift validates a recorded shift and returns it as stored.
func CheckServedShift(sh store.ServedShift) (store.ServedShift, error) {
	err := errors.Join(
		required("schedule", sh.Schedule),
		required("user", sh.User),
		CheckText("layer", sh.Layer),
		required("time_zone", sh.TimeZone),
		checkSpan(sh.Start, sh.End),
	)
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
