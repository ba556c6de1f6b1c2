// Package routing holds the rules that decide who is paged: who is on
// call on a schedule or a team at an instant, the escalation policy a
// service runs, and how the IRT that covers a critical service is woven
// into it. It reads a configuration snapshot and nothing else — no store,
// no clock — so the server, "vigil oncall --config" offline, the reports
// and the simulator run the same code.
package routing

import (
	"fmt"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/holiday"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

// OnCall answers who is on call, compiling each schedule once per
// configuration version.
type OnCall struct {
	mu      sync.Mutex
	version int64
	engines map[string]*schedule.Engine
	errs    map[string]error
}

// NewOnCall returns an empty cache.
func NewOnCall() *OnCall { return &OnCall{version: -2} }

// Engine returns the compiled schedule of the snapshot.
func (o *OnCall) Engine(snap *org.Snapshot, scheduleID string) (*schedule.Engine, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.version != snap.Version {
		o.version = snap.Version
		o.engines = map[string]*schedule.Engine{}
		o.errs = map[string]error{}
	}
	if e, ok := o.engines[scheduleID]; ok {
		return e, o.errs[scheduleID]
	}
	// API-made overrides count: they are how people swap shifts at short
	// notice.
	s := snap.OnCallSchedule(scheduleID)
	if s == nil {
		err := fmt.Errorf("unknown schedule %q", scheduleID)
		o.engines[scheduleID], o.errs[scheduleID] = nil, err
		return nil, err
	}
	e, err := schedule.Compile(*s, schedule.Options{Holiday: holiday.IsHoliday, HolidaySupported: holiday.Supported})
	o.engines[scheduleID], o.errs[scheduleID] = e, err
	return e, err
}

// Paged is one user a step pages, and why.
type Paged struct {
	User   string
	Reason string // "user", "on call for schedule X", "on call for team X"
}

// Targets resolves an escalation step's targets to users at an instant,
// each user once, in target order. Problems (a schedule that does not
// compile, nobody on call) are returned as notes for the timeline.
func (o *OnCall) Targets(snap *org.Snapshot, targets []escalation.Target, at time.Time) (users []Paged, notes []string) {
	seen := map[string]bool{}
	add := func(user, reason string) {
		if user == "" || seen[user] {
			return
		}
		seen[user] = true
		users = append(users, Paged{User: user, Reason: reason})
	}
	for _, t := range targets {
		switch {
		case t.User != "":
			if snap.User(t.User) == nil {
				notes = append(notes, fmt.Sprintf("user %q no longer exists", t.User))
				continue
			}
			add(t.User, "named in the escalation policy")
		case t.Schedule != "":
			who, err := o.onCall(snap, t.Schedule, at)
			if err != nil {
				notes = append(notes, err.Error())
				continue
			}
			if len(who) == 0 {
				notes = append(notes, fmt.Sprintf("nobody is on call for schedule %s", t.Schedule))
			}
			for _, u := range who {
				add(u, "on call for schedule "+t.Schedule)
			}
		case t.Team != "":
			team := snap.Team(t.Team)
			if team == nil {
				notes = append(notes, fmt.Sprintf("team %q no longer exists", t.Team))
				continue
			}
			for _, u := range o.TeamOnCall(snap, team, at) {
				add(u, "on call for team "+t.Team)
			}
		}
	}
	return users, notes
}

// TeamOnCall is whoever is on call on the team's schedule, or every member
// when the team has no schedule.
func (o *OnCall) TeamOnCall(snap *org.Snapshot, team *catalog.Team, at time.Time) []string {
	if team.Schedule == "" {
		return team.Members
	}
	who, err := o.onCall(snap, team.Schedule, at)
	if err != nil {
		return nil
	}
	return who
}

func (o *OnCall) onCall(snap *org.Snapshot, scheduleID string, at time.Time) ([]string, error) {
	e, err := o.Engine(snap, scheduleID)
	if err != nil {
		return nil, fmt.Errorf("schedule %s: %w", scheduleID, err)
	}
	return e.OnCall(at), nil
}
