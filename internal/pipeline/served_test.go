package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
)

// The served-shift tests run in November 2026, when Berlin is on UTC+1:
// the daily rota hands off at 09:00 Berlin, 08:00 UTC. From its start on
// Monday 2 November alice has the even days (2, 4, 6 ...) and bob the odd
// ones.
var rotaStart = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// nov is an instant of November 2026 in UTC.
func nov(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC)
}

func dailyRota(users ...string) schedule.Schedule {
	return schedule.Schedule{ID: "rota", TimeZone: "Europe/Berlin", Layers: []schedule.Layer{
		{ID: "daily", Users: users, Rotation: schedule.Rotation{Every: "1d"}, Start: rotaStart},
	}}
}

// servedBundle is the harness's organisation (its hook at hook) with carol
// and the given schedules beside shop-oncall.
func servedBundle(hook string, schedules ...schedule.Schedule) *config.Bundle {
	b := testBundle(hook)
	b.Users = append(b.Users, catalog.User{ID: "carol", Name: "Carol", TimeZone: "America/New_York"})
	b.Schedules = append(b.Schedules, schedules...)
	return b
}

// apply makes b the organisation.
func (h *harness) apply(b *config.Bundle) {
	h.t.Helper()
	if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
		h.t.Fatalf("apply: %v", err)
	}
}

// shiftHarness is the harness with what the served-shift tests read and
// check.
type shiftHarness struct{ *harness }

// record runs the recorder at the given instant and returns how many
// shifts it added, of every schedule.
func (h shiftHarness) record(at time.Time) int {
	h.t.Helper()
	h.clock.mu.Lock()
	h.clock.t = at
	h.clock.mu.Unlock()
	n, err := h.p.Shifts.RunOnce(h.ctx)
	if err != nil {
		h.t.Fatalf("RecordServedShifts at %s: %v", at.Format(time.RFC3339), err)
	}
	return n
}

func (h shiftHarness) served(scheduleID string) []store.ServedShift {
	h.t.Helper()
	shifts, err := h.store.ListServedShifts(h.ctx, store.ServedShiftQuery{Schedule: scheduleID, Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	return shifts
}

// servedLabel shows a shift as "user layer start-end" in UTC, with the
// schedule and zone when they are not rota's.
func servedLabel(sh store.ServedShift) string {
	const layout = "Jan 2 15:04"
	label := fmt.Sprintf("%s %s %s-%s", sh.User, sh.Layer, sh.Start.UTC().Format(layout), sh.End.UTC().Format(layout))
	if sh.Schedule != "rota" || sh.TimeZone != "Europe/Berlin" {
		label += fmt.Sprintf(" (%s in %s)", sh.Schedule, sh.TimeZone)
	}
	return label
}

// expectServed checks a schedule's whole recorded history.
func (h shiftHarness) expectServed(scheduleID string, want ...string) {
	h.t.Helper()
	var got []string
	for _, sh := range h.served(scheduleID) {
		got = append(got, servedLabel(sh))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Errorf("served shifts of %s:\n  %s\nwant\n  %s", scheduleID, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func (h shiftHarness) expectServedUntil(scheduleID string, want time.Time) {
	h.t.Helper()
	got, err := h.store.ServedUntil(h.ctx, scheduleID)
	if err != nil {
		h.t.Fatalf("ServedUntil(%s): %v", scheduleID, err)
	}
	if !got.Equal(want) {
		h.t.Errorf("%s recorded until %s, want %s", scheduleID, got.Format(time.RFC3339), want.Format(time.RFC3339))
	}
}

func TestRecordServedShifts(t *testing.T) {
	h := shiftHarness{newHarness(t, nov(5, 10, 0))}
	h.apply(servedBundle(h.recv.srv.URL, dailyRota("alice", "bob")))

	// First sight: the history starts now, however long the rota has run.
	if n := h.record(nov(5, 10, 0)); n != 0 {
		t.Errorf("the first run added %d shifts", n)
	}
	h.expectServed("rota")
	h.expectServedUntil("rota", nov(5, 10, 0))

	steps := []struct {
		at    time.Time
		added int // shifts added, shop-oncall's included
		want  []string
	}{
		{nov(5, 10, 30), 2, []string{"bob daily Nov 5 10:00-Nov 5 10:30"}},
		// The shift goes on: the same row grows.
		{nov(5, 16, 0), 0, []string{"bob daily Nov 5 10:00-Nov 5 16:00"}},
		// Across the handoff at 08:00 UTC.
		{nov(6, 9, 0), 1, []string{"bob daily Nov 5 10:00-Nov 6 08:00", "alice daily Nov 6 08:00-Nov 6 09:00"}},
		// Again at the same instant: nothing to do.
		{nov(6, 9, 0), 0, []string{"bob daily Nov 5 10:00-Nov 6 08:00", "alice daily Nov 6 08:00-Nov 6 09:00"}},
		// The recorder never records ahead of the clock.
		{nov(7, 12, 0).Add(999 * time.Millisecond), 1, []string{
			"bob daily Nov 5 10:00-Nov 6 08:00", "alice daily Nov 6 08:00-Nov 7 08:00", "bob daily Nov 7 08:00-Nov 7 12:00"}},
	}
	for _, s := range steps {
		if n := h.record(s.at); n != s.added {
			t.Errorf("the run at %s added %d shifts, want %d", s.at.Format(time.RFC3339), n, s.added)
		}
		h.expectServed("rota", s.want...)
	}
	h.expectServedUntil("rota", nov(7, 12, 0))
	// shop-oncall, configured from the start, is recorded beside it: bob's
	// week began on Monday 2 November at 09:00 Berlin.
	h.expectServed("shop-oncall", "bob weekly Nov 5 10:00-Nov 7 12:00 (shop-oncall in Europe/Berlin)")
}

// A changed rotation applies from the change on: what was recorded before
// stays as it was.
func TestRecordServedShiftsAfterAConfigChange(t *testing.T) {
	h := shiftHarness{newHarness(t, nov(5, 10, 0))}
	h.apply(servedBundle(h.recv.srv.URL, dailyRota("alice", "bob")))
	h.record(nov(5, 10, 0))
	h.record(nov(6, 9, 0))
	before := h.served("rota")
	h.expectServed("rota", "bob daily Nov 5 10:00-Nov 6 08:00", "alice daily Nov 6 08:00-Nov 6 09:00")

	// From 09:00 on carol and alice take twelve hours each, carol first
	// from midnight UTC, and the schedule moves to New York.
	changed := schedule.Schedule{ID: "rota", TimeZone: "America/New_York", Layers: []schedule.Layer{
		{ID: "half-day", Users: []string{"carol", "alice"}, Rotation: schedule.Rotation{Every: "12h"}, Start: nov(1, 0, 0)},
	}}
	h.apply(servedBundle(h.recv.srv.URL, changed))
	h.record(nov(7, 1, 0))

	after := h.served("rota")
	if len(after) < len(before) {
		t.Fatalf("%d shifts after the change, %d before", len(after), len(before))
	}
	for i := range before {
		if after[i] != before[i] {
			t.Errorf("shift %d recorded before the change became %+v, was %+v", i, after[i], before[i])
		}
	}
	h.expectServed("rota",
		"bob daily Nov 5 10:00-Nov 6 08:00",
		"alice daily Nov 6 08:00-Nov 6 09:00",
		"carol half-day Nov 6 09:00-Nov 6 12:00 (rota in America/New_York)",
		"alice half-day Nov 6 12:00-Nov 7 00:00 (rota in America/New_York)",
		"carol half-day Nov 7 00:00-Nov 7 01:00 (rota in America/New_York)",
	)
}

// An override made through the API shows as its own shift, and the
// rotation goes on after it.
func TestRecordServedShiftsWithAnOverride(t *testing.T) {
	h := shiftHarness{newHarness(t, nov(5, 10, 0))}
	h.apply(servedBundle(h.recv.srv.URL, dailyRota("alice", "bob")))
	h.record(nov(5, 10, 0))
	if _, err := h.org.AddScheduleOverride(h.ctx, org.ScheduleOverride{Schedule: "rota", User: "carol", Replaces: "bob",
		Start: nov(5, 12, 0), End: nov(5, 14, 0)}, "test"); err != nil {
		t.Fatal(err)
	}
	h.record(nov(5, 13, 0))
	h.expectServed("rota", "bob daily Nov 5 10:00-Nov 5 12:00", "carol override Nov 5 12:00-Nov 5 13:00")
	h.record(nov(5, 16, 0))
	h.expectServed("rota",
		"bob daily Nov 5 10:00-Nov 5 12:00",
		"carol override Nov 5 12:00-Nov 5 14:00",
		"bob daily Nov 5 14:00-Nov 5 16:00",
	)
}

// A deleted schedule keeps its history. Configured again, it records from
// the recorder's run after the deletion: nobody was on call for it while
// it did not exist.
func TestRecordServedShiftsOfADeletedSchedule(t *testing.T) {
	h := shiftHarness{newHarness(t, nov(5, 10, 0))}
	h.apply(servedBundle(h.recv.srv.URL, dailyRota("alice", "bob")))
	h.record(nov(5, 10, 0))
	h.record(nov(5, 11, 0))
	h.apply(servedBundle(h.recv.srv.URL))
	h.record(nov(5, 18, 0))
	h.expectServed("rota", "bob daily Nov 5 10:00-Nov 5 11:00")
	h.expectServedUntil("rota", nov(5, 18, 0))

	h.apply(servedBundle(h.recv.srv.URL, dailyRota("alice", "bob")))
	h.record(nov(5, 19, 0))
	h.expectServed("rota", "bob daily Nov 5 10:00-Nov 5 11:00", "bob daily Nov 5 18:00-Nov 5 19:00")
}

// After a long downtime only the last MaxServedCatchUp is recorded, and the
// shift before the gap is not stretched across it.
func TestRecordServedShiftsCatchUpIsBounded(t *testing.T) {
	h := shiftHarness{newHarness(t, nov(5, 10, 0))}
	h.apply(servedBundle(h.recv.srv.URL, dailyRota("alice", "bob")))
	h.record(nov(5, 10, 0))
	h.record(nov(5, 10, 30))
	down := nov(15, 10, 30)
	if down.Sub(nov(5, 10, 30)) <= MaxServedCatchUp {
		t.Fatal("the downtime must be longer than the catch-up bound")
	}
	h.record(down)
	h.expectServed("rota",
		"bob daily Nov 5 10:00-Nov 5 10:30",
		"alice daily Nov 8 10:30-Nov 9 08:00", // down minus seven days
		"bob daily Nov 9 08:00-Nov 10 08:00",
		"alice daily Nov 10 08:00-Nov 11 08:00",
		"bob daily Nov 11 08:00-Nov 12 08:00",
		"alice daily Nov 12 08:00-Nov 13 08:00",
		"bob daily Nov 13 08:00-Nov 14 08:00",
		"alice daily Nov 14 08:00-Nov 15 08:00",
		"bob daily Nov 15 08:00-Nov 15 10:30",
	)
	h.expectServedUntil("rota", down)

	// A gap of exactly the bound is recorded whole: the shift running at
	// the last run goes on to its handoff.
	h.record(down.Add(MaxServedCatchUp))
	got := h.served("rota")
	if len(got) != 16 {
		t.Fatalf("%d shifts after a gap of the bound, want 16", len(got))
	}
	if label := servedLabel(got[8]); label != "bob daily Nov 15 08:00-Nov 16 08:00" {
		t.Errorf("the shift running at the last run became %q", label)
	}
	if label := servedLabel(got[15]); label != "alice daily Nov 22 08:00-Nov 22 10:30" {
		t.Errorf("the last shift is %q", label)
	}
}

// Replicas recording at the same instant, each with its own pipeline on
// the shared store, record each shift once.
func TestRecordServedShiftsReplicas(t *testing.T) {
	h := shiftHarness{newHarness(t, nov(5, 10, 0))}
	h.apply(servedBundle(h.recv.srv.URL, dailyRota("alice", "bob")))
	h.record(nov(5, 10, 0))
	other := New(Options{Store: h.store, Org: h.org, Now: h.clock.Now, Logger: h.p.env.log})
	h.clock.Add(26 * time.Hour)
	var wg sync.WaitGroup
	added := make([]int, 2)
	for i, p := range []*Pipeline{h.p, other} {
		wg.Go(func() {
			n, err := p.Shifts.RunOnce(context.Background())
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
			added[i] = n
		})
	}
	wg.Wait()
	// Two schedules: rota's two shifts and shop-oncall's one.
	if added[0]+added[1] != 3 {
		t.Errorf("replicas added %v shifts, want 3 in all", added)
	}
	h.expectServed("rota", "bob daily Nov 5 10:00-Nov 6 08:00", "alice daily Nov 6 08:00-Nov 6 12:00")
}

func TestServedUntilOfAScheduleNeverRecorded(t *testing.T) {
	h := shiftHarness{newHarness(t, nov(5, 10, 0))}
	if _, err := h.store.ServedUntil(h.ctx, "rota"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ServedUntil before the first run = %v, want ErrNotFound", err)
	}
}
