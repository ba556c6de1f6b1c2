package org

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/sqlite/sqlitetest"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func rotaBundle() *config.Bundle {
	return &config.Bundle{
		Users: []catalog.User{{ID: "alice", TimeZone: "UTC"}, {ID: "bob", TimeZone: "UTC"}, {ID: "carol", TimeZone: "UTC"}},
		Teams: []catalog.Team{
			{ID: "payments", Kind: catalog.KindDev, Members: []string{"alice", "bob"}, Schedule: "primary"},
			{ID: "irt", Kind: catalog.KindGlobalIRT, Members: []string{"carol"}},
		},
		Schedules: []schedule.Schedule{{
			ID: "primary", TimeZone: "UTC",
			Layers:    []schedule.Layer{{ID: "weekly", Users: []string{"alice", "bob"}, Rotation: schedule.Rotation{Every: "1w"}, Start: at("2026-11-02T09:00:00Z")}},
			Overrides: []schedule.Override{{ID: "from-files", User: "carol", Start: at("2026-11-27T00:00:00Z"), End: at("2026-11-28T00:00:00Z")}},
		}},
	}
}

// newManager applies rotaBundle to a fresh SQLite store. Its clock moves
// a minute on every reading, so that overrides get distinct creation times.
func newManager(t *testing.T) *Manager {
	t.Helper()
	ctx := context.Background()
	st := sqlitetest.Open(t)
	clock := at("2026-11-26T12:00:00Z")
	m := NewManager(st, func() time.Time { clock = clock.Add(time.Minute); return clock })
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(ctx, rotaBundle(), "test", false); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOnCallScheduleAppendsAPIOverridesInOrderMade(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	first, err := m.AddScheduleOverride(ctx, ScheduleOverride{Schedule: "primary", User: "bob", Replaces: "alice", Start: at("2026-12-01T00:00:00Z"), End: at("2026-12-02T00:00:00Z")}, "user:bob")
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.AddScheduleOverride(ctx, ScheduleOverride{Schedule: "primary", User: "alice", Start: at("2026-11-30T00:00:00Z"), End: at("2026-12-01T00:00:00Z")}, "user:alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.ID, "ovr-") || first.ID == second.ID || !first.CreatedAt.Before(second.CreatedAt) || first.CreatedBy != "user:bob" {
		t.Errorf("made %+v and %+v", first, second)
	}
	snap := m.Snapshot()
	var ids []string
	for _, o := range snap.OnCallSchedule("primary").Overrides {
		ids = append(ids, o.ID)
	}
	if want := []string{"from-files", first.ID, second.ID}; !slices.Equal(ids, want) {
		t.Errorf("overrides the engine compiles = %q, want %q", ids, want)
	}
	if n := len(snap.Schedule("primary").Overrides); n != 1 {
		t.Errorf("the schedule as configured has %d overrides, want its 1", n)
	}
	if got := snap.ScheduleOverrides("primary"); len(got) != 2 || got[0].ID != first.ID {
		t.Errorf("ScheduleOverrides = %+v", got)
	}
	if snap.Source(KindScheduleOverride, first.ID) != store.SourceAPI {
		t.Errorf("source = %q, want api", snap.Source(KindScheduleOverride, first.ID))
	}
	if snap.ScheduleOverride(second.ID) == nil || snap.ScheduleOverride("ovr-none") != nil {
		t.Error("ScheduleOverride finds the wrong overrides")
	}

	// A fresh manager on the same store reads them back the same.
	again := NewManager(m.store, m.now)
	if err := again.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := again.Snapshot().OnCallSchedule("primary").Overrides; len(got) != 3 || got[2].ID != second.ID || !got[2].Start.Equal(second.Start) {
		t.Errorf("reloaded overrides = %+v", got)
	}

	if err := m.Delete(ctx, KindScheduleOverride, first.ID, "user:bob"); err != nil {
		t.Fatal(err)
	}
	if got := m.Snapshot().OnCallSchedule("primary").Overrides; len(got) != 2 || got[1].ID != second.ID {
		t.Errorf("after delete = %+v", got)
	}
}

func TestApplyKeepsOverridesUntilWhatTheyNameGoes(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	o, err := m.AddScheduleOverride(ctx, ScheduleOverride{Schedule: "primary", User: "carol", Start: at("2026-12-01T00:00:00Z"), End: at("2026-12-02T00:00:00Z")}, "test")
	if err != nil {
		t.Fatal(err)
	}
	changes, err := m.Apply(ctx, rotaBundle(), "test", false)
	if err != nil || len(changes) != 0 {
		t.Fatalf("re-apply = %+v, %v; want no change", changes, err)
	}
	if m.Snapshot().ScheduleOverride(o.ID) == nil {
		t.Fatal("apply of the files removed an API-made override")
	}

	// carol leaves the files: her override goes with her.
	b := rotaBundle()
	b.Users = b.Users[:2]
	b.Teams[1].Members = []string{"alice"}
	b.Schedules[0].Overrides = nil
	changes, err = m.Apply(ctx, b, "test", false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.Action+" "+c.Kind+" "+c.ID)
	}
	want := []string{"delete user carol", "update schedule primary", "update team irt", "delete schedule_override " + o.ID}
	if !slices.Equal(got, want) {
		t.Errorf("changes = %q\nwant %q", got, want)
	}
	if len(m.Snapshot().ScheduleOverrides("primary")) != 0 {
		t.Error("the override of a removed user survived")
	}
}

func TestAddScheduleOverrideRefusesInvalid(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	base := ScheduleOverride{Schedule: "primary", User: "alice", Start: at("2026-12-01T00:00:00Z"), End: at("2026-12-02T00:00:00Z")}
	cases := []struct {
		name  string
		edit  func(*ScheduleOverride)
		field string
	}{
		{"unknown schedule", func(o *ScheduleOverride) { o.Schedule = "nope" }, "schedule"},
		{"no user", func(o *ScheduleOverride) { o.User = "" }, "user"},
		{"unknown user", func(o *ScheduleOverride) { o.User = "zed" }, "user"},
		{"unknown replaced user", func(o *ScheduleOverride) { o.Replaces = "zed" }, "replaces"},
		{"replaces themself", func(o *ScheduleOverride) { o.Replaces = "alice" }, "replaces"},
		{"no start", func(o *ScheduleOverride) { o.Start = time.Time{} }, "start"},
		{"no end", func(o *ScheduleOverride) { o.End = time.Time{} }, "end"},
		{"end at start", func(o *ScheduleOverride) { o.End = o.Start }, "end"},
		{"end before start", func(o *ScheduleOverride) { o.Start, o.End = o.End, o.Start }, "end"},
		{"year zero", func(o *ScheduleOverride) { o.Start = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) }, "start"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := base
			c.edit(&o)
			_, err := m.AddScheduleOverride(ctx, o, "test")
			var invalid *InvalidError
			if !errors.As(err, &invalid) || len(invalid.Problems) != 1 || !strings.HasSuffix(invalid.Problems[0].Path, "."+c.field) {
				t.Fatalf("err = %v, want one problem at .%s", err, c.field)
			}
		})
	}
	beyond := base
	beyond.End = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := m.AddScheduleOverride(ctx, beyond, "test"); err == nil {
		t.Error("an override ending in the year 10000 was stored")
	}
	if len(m.Snapshot().ScheduleOverrides("primary")) != 0 {
		t.Error("a refused override was stored")
	}
}

func TestCheckOverridesCapsPerSchedule(t *testing.T) {
	b := rotaBundle()
	overrides := make([]ScheduleOverride, MaxScheduleOverrides+1)
	for i := range overrides {
		overrides[i] = ScheduleOverride{ID: "o", Schedule: "primary", User: "alice", Start: at("2026-12-01T00:00:00Z"), End: at("2026-12-02T00:00:00Z")}
	}
	if p := checkOverrides(b, overrides[:MaxScheduleOverrides]); len(p) != 0 {
		t.Errorf("%d overrides: %v, want none", MaxScheduleOverrides, p)
	}
	if p := checkOverrides(b, overrides); len(p) != 1 {
		t.Errorf("%d overrides: %v, want one problem", len(overrides), p)
	}
}

func TestSnapshotOfAnswersFromABundle(t *testing.T) {
	snap := SnapshotOf(rotaBundle())
	if snap.Schedule("primary") == nil || snap.OnCallSchedule("primary") != snap.Schedule("primary") || snap.User("bob") == nil {
		t.Error("SnapshotOf does not index the bundle")
	}
	if snap.OnCallSchedule("nope") != nil {
		t.Error("an unknown schedule is not nil")
	}
}
