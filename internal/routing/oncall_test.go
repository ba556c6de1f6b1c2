package routing

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

// weekly: ana and ben rotate weekly from Monday 2026-03-02 09:00 UTC, so
// ana is on call that week and ben the next. Team web pages its schedule,
// team db (no schedule) its members; checkout runs web's policy, which
// pages the schedule, then cho.
func routingSnapshot() *org.Snapshot {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	user := func(id string) catalog.User { return catalog.User{ID: id, Name: id, TimeZone: "UTC"} }
	return org.SnapshotOf(&config.Bundle{
		Users: []catalog.User{user("ana"), user("ben"), user("cho"), user("dov")},
		Teams: []catalog.Team{
			{ID: "web", Kind: "dev", Members: []string{"ana", "ben"}, Schedule: "weekly", EscalationPolicy: "web-policy"},
			{ID: "db", Kind: "dev", Members: []string{"cho", "dov"}},
		},
		Schedules: []schedule.Schedule{{ID: "weekly", TimeZone: "UTC", Layers: []schedule.Layer{
			{ID: "l1", Users: []string{"ana", "ben"}, Rotation: schedule.Rotation{Every: "1w"}, Start: start},
		}}},
		EscalationPolicies: []escalation.Policy{{ID: "web-policy", Steps: []escalation.Step{
			{Targets: []escalation.Target{{Schedule: "weekly"}, {User: "cho"}}},
		}}},
		Services: []catalog.Service{{ID: "checkout", Owner: "web"}, {ID: "orphan", Owner: "db"}},
	})
}

func TestTargets(t *testing.T) {
	snap := routingSnapshot()
	week1 := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	week2 := week1.AddDate(0, 0, 7)
	tests := []struct {
		name    string
		targets []escalation.Target
		at      time.Time
		want    []Paged
		notes   []string
	}{
		{"a schedule: whoever is on call then", []escalation.Target{{Schedule: "weekly"}}, week1,
			[]Paged{{"ana", "on call for schedule weekly"}}, nil},
		{"the next week", []escalation.Target{{Schedule: "weekly"}}, week2,
			[]Paged{{"ben", "on call for schedule weekly"}}, nil},
		{"a team with a schedule, and a user named twice", []escalation.Target{{Team: "web"}, {User: "ana"}, {User: "cho"}}, week1,
			[]Paged{{"ana", "on call for team web"}, {"cho", "named in the escalation policy"}}, nil},
		{"a team without a schedule: every member", []escalation.Target{{Team: "db"}}, week1,
			[]Paged{{"cho", "on call for team db"}, {"dov", "on call for team db"}}, nil},
		{"before the rotation starts nobody is on call", []escalation.Target{{Schedule: "weekly"}}, week1.AddDate(0, -1, 0),
			nil, []string{"nobody is on call for schedule weekly"}},
		{"what no longer exists is a note", []escalation.Target{{User: "eve"}, {Team: "ops"}, {Schedule: "gone"}}, week1,
			nil, []string{`user "eve" no longer exists`, `team "ops" no longer exists`, `schedule gone: unknown schedule "gone"`}},
	}
	// A cache over a range answers the same inside it (week1) and outside
	// it (the rest).
	caches := map[string]*OnCall{"instant by instant": NewOnCall(),
		"over week 1": NewOnCallOver(week1.AddDate(0, 0, -2), week1.AddDate(0, 0, 5))}
	for name, o := range caches {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				got, notes := o.Targets(snap, tt.targets, tt.at)
				if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(notes, tt.notes) {
					t.Errorf("Targets = %v, notes %q; want %v, notes %q", got, notes, tt.want, tt.notes)
				}
			})
		}
	}
	if a, err := caches["over week 1"].Answers(snap, "weekly"); err != nil || a == nil || len(a.Shifts()) != 2 {
		t.Errorf("answers over week 1: %v, %v", a, err)
	}
}

func TestForService(t *testing.T) {
	snap := routingSnapshot()
	at := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	o := NewOnCall()
	policy, users, notes, err := o.ForService(snap, "checkout", at)
	want := []Paged{{"ana", "on call for schedule weekly"}, {"cho", "named in the escalation policy"}}
	if err != nil || policy != "web-policy" || !reflect.DeepEqual(users, want) || len(notes) != 0 {
		t.Errorf("checkout: %s %v %q %v; want web-policy %v", policy, users, notes, err, want)
	}
	if _, users, notes, err := o.ForService(snap, "orphan", at); err != nil || len(users) != 0 || !reflect.DeepEqual(notes, []string{"service orphan has no escalation policy: nobody is paged"}) {
		t.Errorf("orphan: %v %q %v", users, notes, err)
	}
	if _, _, _, err := o.ForService(snap, "nope", at); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("unknown service: %v, want org.ErrNotFound", err)
	}
}

// Past a handful of people the users are found through a map: each is
// still paged once, in target order.
func TestTargetsManyUsersOnce(t *testing.T) {
	var users []catalog.User
	var members []string
	for i := range 20 {
		id := fmt.Sprintf("u%02d", i)
		users = append(users, catalog.User{ID: id, Name: id, TimeZone: "UTC"})
		members = append(members, id)
	}
	snap := org.SnapshotOf(&config.Bundle{Users: users, Teams: []catalog.Team{{ID: "all", Kind: "dev", Members: members}}})
	got, notes := NewOnCall().Targets(snap, []escalation.Target{{User: "u03"}, {Team: "all"}, {User: "u19"}, {Team: "all"}}, time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC))
	var ids []string
	for _, p := range got {
		ids = append(ids, p.User)
	}
	want := append([]string{"u03"}, slices.Delete(slices.Clone(members), 3, 4)...)
	if !slices.Equal(ids, want) || notes != nil {
		t.Errorf("Targets = %v, notes %q; want %v", ids, notes, want)
	}
}
