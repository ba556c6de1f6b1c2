package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// pollServedShifts is how often the recorder appends the time served since
// its last run: the history is at most this far behind.
const pollServedShifts = time.Minute

// MaxServedCatchUp bounds how far back the recorder goes when it last ran
// long ago, after every server was down: of a longer gap only the last
// MaxServedCatchUp are recorded, from the configuration as it is when the
// recorder runs again; the rest of the gap stays unrecorded. Computing
// further back would present today's configuration as what was served.
const MaxServedCatchUp = 7 * 24 * time.Hour

// servedBatch is how many schedules one recording transaction covers.
const servedBatch = 64

// RecordServedShifts records every configured schedule's shifts as they
// are served. For each schedule it appends the shifts from where its
// history ends up to now, computed from the configuration as it is now;
// as it runs every minute, that is the configuration that decided who was
// paged, and later edits of the schedule never rewrite what is recorded.
// A schedule seen for the first time starts its history now. A shift that
// goes on where the last recorded one ends (same user and layer) extends
// it. It reports how many shifts it added.
//
// The schedules' histories are locked one by one, in id order, while they
// are appended to, so that replicas running it at once record each stretch
// of time once.
func (sr *ShiftRecorder) RunOnce(ctx context.Context) (int, error) {
	snap := sr.org.Snapshot()
	// Whole seconds: the stored history reads as people expect, and a run
	// within the same second as the last finds nothing to do.
	now := sr.now().UTC().Truncate(time.Second)
	ids := make([]string, 0, len(snap.Bundle.Schedules))
	for _, s := range snap.Bundle.Schedules {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	if err := sr.store.Update(ctx, func(tx store.Tx) error { return tx.AdvanceServedUntil(now, ids) }); err != nil {
		return 0, fmt.Errorf("record served shifts: %w", err)
	}
	added := 0
	for start := 0; start < len(ids); start += servedBatch {
		batch := make([]servedSchedule, 0, servedBatch)
		for _, id := range ids[start:min(start+servedBatch, len(ids))] {
			e, err := sr.oncall.Engine(snap, id)
			if err != nil {
				// Nobody is paged through a schedule that does not compile,
				// and so nobody is recorded on call for it.
				sr.log.Error("served shifts: schedule does not compile", "schedule", id, "err", err)
			}
			batch = append(batch, servedSchedule{id: id, timeZone: snap.Schedule(id).TimeZone, engine: e})
		}
		var n int
		err := sr.store.Update(ctx, func(tx store.Tx) error {
			n = 0 // the transaction may run again
			for _, s := range batch {
				k, err := sr.recordServed(tx, s, now)
				if err != nil {
					return fmt.Errorf("schedule %s: %w", s.id, err)
				}
				n += k
			}
			return nil
		})
		if err != nil {
			return added, fmt.Errorf("record served shifts: %w", err)
		}
		added += n
	}
	return added, nil
}

// servedSchedule is what recording needs of one schedule; engine is nil
// when it does not compile.
type servedSchedule struct {
	id, timeZone string
	engine       *schedule.Engine
}

// recordServed appends one schedule's shifts up to now and reports how many
// it added.
func (sr *ShiftRecorder) recordServed(tx store.Tx, s servedSchedule, now time.Time) (int, error) {
	until, err := tx.LockServedUntil(s.id, now)
	if err != nil {
		return 0, err
	}
	// Nothing to do when the schedule was seen for the first time just
	// now, or another replica (whose clock may run ahead) recorded it.
	if !now.After(until) {
		return 0, nil
	}
	if s.engine == nil {
		return 0, tx.SetServedUntil(s.id, now)
	}
	from := until
	if now.Sub(from) > MaxServedCatchUp {
		from = now.Add(-MaxServedCatchUp)
		sr.log.Warn("served shifts: the recorder last ran too long ago; a part of the history is not recorded",
			"schedule", s.id, "from", until, "to", from)
	}
	shifts, err := s.engine.Shifts(from, now)
	if err != nil {
		return 0, err
	}
	if len(shifts) > 0 && from.Equal(until) && shifts[0].Start.Equal(from) {
		last, err := tx.LastServedShift(s.id)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return 0, err
		case last.End.Equal(from) && last.User == shifts[0].User && last.Layer == shifts[0].Layer:
			if err := tx.ExtendServedShift(last.ID, shifts[0].End); err != nil {
				return 0, err
			}
			shifts = shifts[1:]
		}
	}
	rows := make([]*store.ServedShift, len(shifts))
	for i, sh := range shifts {
		rows[i] = &store.ServedShift{Schedule: s.id, User: sh.User, Layer: sh.Layer, Start: sh.Start, End: sh.End, TimeZone: s.timeZone}
	}
	if err := tx.InsertServedShifts(rows...); err != nil {
		return 0, err
	}
	return len(rows), tx.SetServedUntil(s.id, now)
}
