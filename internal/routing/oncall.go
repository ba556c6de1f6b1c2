// Package routing holds the rules that decide who is paged: who is on
// call on a schedule or a team at an instant, the escalation policy a
// service runs, and how the IRT that covers a critical service is woven
// into it. It reads a configuration snapshot and nothing else — no store,
// no clock — so the server, "vigil oncall --config" offline, the reports
// and the simulator run the same code.
package routing

import (
	"fmt"
	"slices"
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
	// from and to, when set, are a range whose answers each schedule
	// works out once (answers).
	from, to time.Time
	answers  map[string]*schedule.Answers
}

// NewOnCall returns an empty cache.
func NewOnCall() *OnCall { return &OnCall{version: -2} }

// NewOnCallOver returns an empty cache that answers instants in [from, to)
// from each schedule's shifts over that range, worked out on its first
// use: for callers that ask about many instants of one period, as the
// simulator does. The answers are the engine's; a range the engine
// refuses (longer than schedule.MaxRange) is asked instant by instant.
func NewOnCallOver(from, to time.Time) *OnCall {
	return &OnCall{version: -2, from: from, to: to}
}

// Engine returns the compiled schedule of the snapshot.
func (o *OnCall) Engine(snap *org.Snapshot, scheduleID string) (*schedule.Engine, error) {
	e, _, err := o.compiled(snap, scheduleID)
	return e, err
}

// Answers returns the schedule's answers over the cache's range, nil
// when it has none.
func (o *OnCall) Answers(snap *org.Snapshot, scheduleID string) (*schedule.Answers, error) {
	_, a, err := o.compiled(snap, scheduleID)
	return a, err
}

func (o *OnCall) compiled(snap *org.Snapshot, scheduleID string) (*schedule.Engine, *schedule.Answers, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.version != snap.Version {
		o.version = snap.Version
		o.engines = map[string]*schedule.Engine{}
		o.errs = map[string]error{}
		o.answers = map[string]*schedule.Answers{}
	}
	if e, ok := o.engines[scheduleID]; ok {
		return e, o.answers[scheduleID], o.errs[scheduleID]
	}
	e, err := o.compile(snap, scheduleID)
	o.engines[scheduleID], o.errs[scheduleID] = e, err
	if err == nil && o.from.Before(o.to) {
		if a, err := e.Answers(o.from, o.to); err == nil {
			o.answers[scheduleID] = a
		}
	}
	return e, o.answers[scheduleID], err
}

func (o *OnCall) compile(snap *org.Snapshot, scheduleID string) (*schedule.Engine, error) {
	// API-made overrides count: they are how people swap shifts at short
	// notice.
	s := snap.OnCallSchedule(scheduleID)
	if s == nil {
		return nil, fmt.Errorf("unknown schedule %q", scheduleID)
	}
	return schedule.Compile(*s, schedule.Options{Holiday: holiday.IsHoliday, HolidaySupported: holiday.Supported})
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
	// A step pages a handful of people, found faster by a scan than a
	// map until they are many.
	var seen map[string]bool
	add := func(user, reason string) {
		if user == "" || seen[user] || seen == nil && slices.ContainsFunc(users, func(p Paged) bool { return p.User == user }) {
			return
		}
		users = append(users, Paged{User: user, Reason: reason})
		switch {
		case seen != nil:
			seen[user] = true
		case len(users) > 16:
			seen = make(map[string]bool, 2*len(users))
			for _, p := range users {
				seen[p.User] = true
			}
		}
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
			reason := "on call for schedule " + t.Schedule
			for _, u := range who {
				add(u, reason)
			}
		case t.Team != "":
			team := snap.Team(t.Team)
			if team == nil {
				notes = append(notes, fmt.Sprintf("team %q no longer exists", t.Team))
				continue
			}
			reason := "on call for team " + t.Team
			for _, u := range o.TeamOnCall(snap, team, at) {
				add(u, reason)
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
	e, a, err := o.compiled(snap, scheduleID)
	if err != nil {
		return nil, fmt.Errorf("schedule %s: %w", scheduleID, err)
	}
	if a != nil {
		return a.OnCall(at), nil
	}
	return e.OnCall(at), nil
}
