package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

func servedShift(schedule, user string, start, end int) *store.ServedShift {
	return &store.ServedShift{Schedule: schedule, User: user, Layer: "weekly", Start: at(start), End: at(end), TimeZone: "Europe/Berlin"}
}

// servedLabel shows a shift as "user@start-end", in minutes after t0.
func servedLabel(sh store.ServedShift) string {
	return fmt.Sprintf("%s@%d-%d", sh.User, int(sh.Start.Sub(t0)/time.Minute), int(sh.End.Sub(t0)/time.Minute))
}

// testServedUntil covers a schedule's record: made at the first lock,
// moved forward only, and moved along for schedules no longer configured.
func testServedUntil(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.ServedUntil(ctx, "rota"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ServedUntil of a schedule never recorded = %v, want ErrNotFound", err)
	}
	lock := func(schedule string, start int) time.Time {
		t.Helper()
		var until time.Time
		update(t, s, func(tx store.Tx) error {
			var err error
			until, err = tx.LockServedUntil(schedule, at(start))
			return err
		})
		return until
	}
	assertTime(t, "first LockServedUntil", lock("rota", 10), at(10))
	assertTime(t, "second LockServedUntil", lock("rota", 20), at(10))
	assertTime(t, "ServedUntil", query(t, s.ServedUntil, "rota"), at(10))

	// A rolled-back first lock leaves no record.
	err := s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.LockServedUntil("gone", at(0)); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v, want the deliberate rollback", err)
	}
	if _, err := s.ServedUntil(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ServedUntil after a rolled-back first lock = %v, want ErrNotFound", err)
	}

	set := func(schedule string, until int) {
		t.Helper()
		update(t, s, func(tx store.Tx) error { return tx.SetServedUntil(schedule, at(until)) })
	}
	set("rota", 30)
	assertTime(t, "ServedUntil after moving forward", query(t, s.ServedUntil, "rota"), at(30))
	set("rota", 25)
	assertTime(t, "ServedUntil after moving back", query(t, s.ServedUntil, "rota"), at(30))

	lock("kept", 0)
	lock("deleted", 0)
	lock("ahead", 100)
	update(t, s, func(tx store.Tx) error { return tx.AdvanceServedUntil(at(50), []string{"kept", "rota"}) })
	for _, c := range []struct {
		schedule string
		want     int
	}{
		{"kept", 0},     // configured: the recorder moves it with its shifts
		{"rota", 30},    // likewise
		{"deleted", 50}, // no longer configured: nobody served it
		{"ahead", 100},  // never moved back
	} {
		assertTime(t, "ServedUntil of "+c.schedule+" after AdvanceServedUntil", query(t, s.ServedUntil, c.schedule), at(c.want))
	}
	update(t, s, func(tx store.Tx) error { return tx.AdvanceServedUntil(at(60), nil) })
	assertTime(t, "ServedUntil of kept after AdvanceServedUntil keeping none", query(t, s.ServedUntil, "kept"), at(60))
}

// testServedShifts covers appending, extending and listing recorded shifts.
func testServedShifts(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	ctx := context.Background()
	update(t, s, func(tx store.Tx) error {
		if _, err := tx.LastServedShift("rota"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("LastServedShift with none recorded = %v, want ErrNotFound", err)
		}
		return nil
	})

	// Stored out of order, so that the list shows it sorts by start.
	late := servedShift("rota", "bob", 60, 120)
	early := servedShift("rota", "alice", 0, 60)
	late.Start = late.Start.In(time.FixedZone("CET", 3600))
	other := servedShift("other", "carol", 30, 90)
	override := servedShift("rota", "dave", 120, 130)
	override.Layer = "override"
	update(t, s, func(tx store.Tx) error { return tx.InsertServedShifts(late, early, other) })
	update(t, s, func(tx store.Tx) error { return tx.InsertServedShifts(override) })
	for i, sh := range []*store.ServedShift{late, early, other, override} {
		if sh.ID == 0 {
			t.Fatalf("shift %d got no ID", i)
		}
	}
	if late.ID >= early.ID || early.ID >= other.ID || other.ID >= override.ID {
		t.Errorf("IDs %d %d %d %d do not increase in the order stored", late.ID, early.ID, other.ID, override.ID)
	}

	var last store.ServedShift
	update(t, s, func(tx store.Tx) error {
		var err error
		last, err = tx.LastServedShift("rota")
		return err
	})
	want := *override
	assertSame(t, "LastServedShift", last, want)

	update(t, s, func(tx store.Tx) error { return tx.ExtendServedShift(override.ID, at(150)) })
	want.End = at(150)
	all := query(t, s.ListServedShifts, store.ServedShiftQuery{Schedule: "rota"})
	if got := labels(all, servedLabel); got != "alice@0-60 bob@60-120 dave@120-150" {
		t.Errorf("ListServedShifts = %q", got)
	}
	assertSame(t, "extended shift", all[2], want)
	for _, sh := range all {
		assertTime(t, "start", sh.Start, sh.Start.UTC())
	}
	if all[0].TimeZone != "Europe/Berlin" || all[0].Layer != "weekly" || all[0].Schedule != "rota" || all[0].ID != early.ID {
		t.Errorf("first shift = %+v", all[0])
	}

	err := s.Update(ctx, func(tx store.Tx) error { return tx.ExtendServedShift(override.ID+100, at(200)) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ExtendServedShift of an unknown shift = %v, want ErrNotFound", err)
	}

	for _, c := range []struct {
		name string
		q    store.ServedShiftQuery
		want string
	}{
		{"every schedule", store.ServedShiftQuery{}, "alice@0-60 carol@30-90 bob@60-120 dave@120-150"},
		{"other schedule", store.ServedShiftQuery{Schedule: "other"}, "carol@30-90"},
		{"unknown schedule", store.ServedShiftQuery{Schedule: "nope"}, ""},
		// Overlap: a shift ending at From or starting at To is outside.
		{"window on the edges", store.ServedShiftQuery{Schedule: "rota", From: at(60), To: at(120)}, "bob@60-120"},
		{"window inside shifts", store.ServedShiftQuery{Schedule: "rota", From: at(59), To: at(61)}, "alice@0-60 bob@60-120"},
		{"from only", store.ServedShiftQuery{Schedule: "rota", From: at(125)}, "dave@120-150"},
		{"to only", store.ServedShiftQuery{Schedule: "rota", To: at(60)}, "alice@0-60"},
		{"window after the history", store.ServedShiftQuery{Schedule: "rota", From: at(200), To: at(300)}, ""},
		{"empty window inside a shift", store.ServedShiftQuery{Schedule: "rota", From: at(30), To: at(30)}, ""},
		{"first page", store.ServedShiftQuery{Schedule: "rota", Limit: 2}, "alice@0-60 bob@60-120"},
		{"after the first page", store.ServedShiftQuery{Schedule: "rota", AfterID: late.ID, Limit: 2}, "dave@120-150"},
		// The cursor follows the order by start, not the order of IDs.
		{"after the earliest", store.ServedShiftQuery{Schedule: "rota", AfterID: early.ID}, "bob@60-120 dave@120-150"},
		{"after another schedule's shift", store.ServedShiftQuery{AfterID: other.ID}, "bob@60-120 dave@120-150"},
		{"after the last", store.ServedShiftQuery{Schedule: "rota", AfterID: override.ID}, ""},
		{"paged window", store.ServedShiftQuery{Schedule: "rota", From: at(30), AfterID: early.ID, Limit: 1}, "bob@60-120"},
	} {
		if got := labels(query(t, s.ListServedShifts, c.q), servedLabel); got != c.want {
			t.Errorf("%s: ListServedShifts = %q, want %q", c.name, got, c.want)
		}
	}
}

// testServedRejected covers input the served-shift methods refuse; nothing
// of the transaction is kept.
func testServedRejected(t *testing.T, newStore func(t *testing.T) store.Store) {
	cases := []struct {
		name  string
		write func(tx store.Tx) error
	}{
		{"shift without a schedule", func(tx store.Tx) error { return tx.InsertServedShifts(servedShift("", "alice", 0, 1)) }},
		{"shift without a user", func(tx store.Tx) error { return tx.InsertServedShifts(servedShift("rota", "", 0, 1)) }},
		{"shift without a time zone", func(tx store.Tx) error {
			sh := servedShift("rota", "alice", 0, 1)
			sh.TimeZone = ""
			return tx.InsertServedShifts(sh)
		}},
		{"empty shift", func(tx store.Tx) error { return tx.InsertServedShifts(servedShift("rota", "alice", 1, 1)) }},
		{"shift ending before it starts", func(tx store.Tx) error { return tx.InsertServedShifts(servedShift("rota", "alice", 2, 1)) }},
		{"shift without a start", func(tx store.Tx) error {
			sh := servedShift("rota", "alice", 0, 1)
			sh.Start = time.Time{}
			return tx.InsertServedShifts(sh)
		}},
		{"NUL in a shift's user", func(tx store.Tx) error { return tx.InsertServedShifts(servedShift("rota", "a\x00", 0, 1)) }},
		{"invalid UTF-8 in a shift's layer", func(tx store.Tx) error {
			sh := servedShift("rota", "alice", 0, 1)
			sh.Layer = "\xff"
			return tx.InsertServedShifts(sh)
		}},
		{"lock without a schedule", func(tx store.Tx) error { _, err := tx.LockServedUntil("", t0); return err }},
		{"lock without a start", func(tx store.Tx) error { _, err := tx.LockServedUntil("rota", time.Time{}); return err }},
		{"NUL in a locked schedule", func(tx store.Tx) error { _, err := tx.LockServedUntil("r\x00", t0); return err }},
		{"invalid UTF-8 in a kept schedule", func(tx store.Tx) error { return tx.AdvanceServedUntil(t0, []string{"ok", "\xfe"}) }},
		{"extend to no end", func(tx store.Tx) error { return tx.ExtendServedShift(1, time.Time{}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			err := s.Update(context.Background(), func(tx store.Tx) error {
				if err := tx.InsertServedShifts(servedShift("kept", "alice", 0, 1)); err != nil {
					return err
				}
				return c.write(tx)
			})
			if err == nil {
				t.Fatal("the write was accepted")
			}
			if got := query(t, s.ListServedShifts, store.ServedShiftQuery{}); len(got) != 0 {
				t.Errorf("the transaction's other write was kept: %q", labels(got, servedLabel))
			}
		})
	}
	t.Run("reads", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := context.Background()
		if _, err := s.ListServedShifts(ctx, store.ServedShiftQuery{Schedule: "a\x00"}); err == nil {
			t.Error("ListServedShifts accepted a NUL in the schedule")
		}
		if _, err := s.ServedUntil(ctx, "\xff"); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("ServedUntil of invalid UTF-8 = %v, want a refusal", err)
		}
	})
}

// testServedConcurrentRecorders has recorders append to one schedule's
// history at once, each round in its own transaction, as the replicas'
// recorders do: each reads how far the history goes and appends from
// there to its now. Every stretch of time is recorded exactly once.
func testServedConcurrentRecorders(t *testing.T, newStore func(t *testing.T) store.Store) {
	const recorders, rounds = 2, 40
	s := newStore(t)
	ctx := context.Background()
	// The time each recording runs to: the recorders' shared clock, read
	// while the schedule's record is held, so that it moves forward from
	// one holder to the next.
	var minutes atomic.Int64
	var wg sync.WaitGroup
	for r := range recorders {
		wg.Go(func() {
			for range rounds {
				err := s.Update(ctx, func(tx store.Tx) error {
					from, err := tx.LockServedUntil("rota", t0)
					if err != nil {
						return err
					}
					now := at(int(minutes.Add(1)))
					if !now.After(from) {
						return fmt.Errorf("recorded until %v, after the clock's %v", from, now)
					}
					sh := &store.ServedShift{Schedule: "rota", User: fmt.Sprintf("r%d", r), Layer: "weekly", Start: from, End: now, TimeZone: "UTC"}
					if err := tx.InsertServedShifts(sh); err != nil {
						return err
					}
					return tx.SetServedUntil("rota", now)
				})
				if err != nil {
					t.Errorf("recorder %d: %v", r, err)
					return
				}
			}
		})
	}
	wg.Wait()

	var shifts []store.ServedShift
	for q := (store.ServedShiftQuery{Schedule: "rota", Limit: 1000}); ; {
		page := query(t, s.ListServedShifts, q)
		shifts = append(shifts, page...)
		if len(page) < q.Limit {
			break
		}
		q.AfterID = page[len(page)-1].ID
	}
	if len(shifts) != recorders*rounds {
		t.Errorf("%d shifts recorded in %d rounds", len(shifts), recorders*rounds)
	}
	end := t0
	for _, sh := range shifts {
		if !sh.Start.Equal(end) {
			t.Errorf("shift %s starts at minute %d, where the one before ends at minute %d: recorded twice or left out",
				servedLabel(sh), int(sh.Start.Sub(t0)/time.Minute), int(end.Sub(t0)/time.Minute))
		}
		end = sh.End
	}
	assertTime(t, "end of the history", end, at(int(minutes.Load())))
	assertTime(t, "ServedUntil", query(t, s.ServedUntil, "rota"), end)
}
