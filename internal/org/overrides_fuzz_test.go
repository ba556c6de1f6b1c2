package org

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/schedule"
)

// FuzzCheckOverrides holds that an override the checks accept never breaks
// its schedule, and that the latest API-made override has the last word
// where it applies.
func FuzzCheckOverrides(f *testing.F) {
	f.Add("carol", "", int64(1796083200), int64(1796169600))
	f.Add("alice", "bob", int64(1796083200), int64(1796083201))
	f.Add("bob", "bob", int64(0), int64(1))
	f.Add("", "alice", int64(-62135596800), int64(253402300799))
	f.Add("alice", "", int64(-62135596801), int64(253402300800))
	f.Add("zed\x00", "alice\n", int64(1<<62), int64(-1<<62))
	f.Fuzz(func(t *testing.T, user, replaces string, start, end int64) {
		o := ScheduleOverride{ID: "ovr-fuzz", Schedule: "primary", User: user, Replaces: replaces,
			Start: time.Unix(start, 0).UTC(), End: time.Unix(end, 0).UTC()}
		b := rotaBundle()
		if len(checkOverrides(b, []ScheduleOverride{o})) > 0 {
			return
		}
		snap := SnapshotOf(b).withOverrides([]ScheduleOverride{o})
		e, err := schedule.Compile(*snap.OnCallSchedule("primary"), schedule.Options{})
		if err != nil {
			t.Fatalf("accepted override %+v breaks its schedule: %v", o, err)
		}
		if o.Replaces != "" {
			return
		}
		for _, at := range []time.Time{o.Start, o.Start.Add(o.End.Sub(o.Start) / 2), o.End.Add(-time.Second)} {
			if got := e.OnCall(at); !slices.Equal(got, []string{o.User}) {
				t.Fatalf("on call at %s = %q, want the override's %q", at, got, o.User)
			}
		}
	})
}
