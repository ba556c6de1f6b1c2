package routing

import (
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/org"
)

// ForService is who the service's escalation policy (its own, else its
// owner team's) pages first at an instant: the first step's targets, with
// schedules and teams resolved. Notes say why someone who might be
// expected is missing. An unknown service is org.ErrNotFound.
func (o *OnCall) ForService(snap *org.Snapshot, serviceID string, at time.Time) (policy string, users []Paged, notes []string, err error) {
	svc := snap.Service(serviceID)
	if svc == nil {
		return "", nil, nil, fmt.Errorf("service %q: %w", serviceID, org.ErrNotFound)
	}
	policy = PolicyOf(snap, svc)
	if policy == "" {
		return "", nil, []string{fmt.Sprintf("service %s has no escalation policy: nobody is paged", serviceID)}, nil
	}
	p := snap.Policy(policy)
	switch {
	case p == nil:
		return policy, nil, []string{fmt.Sprintf("escalation policy %q no longer exists", policy)}, nil
	case len(p.Steps) == 0:
		return policy, nil, []string{fmt.Sprintf("escalation policy %s has no steps", policy)}, nil
	}
	users, notes = o.Targets(snap, p.Steps[0].Targets, at)
	return policy, users, notes, nil
}

// ForTeam is who a {team: ...} target pages at an instant: whoever is on
// call on the team's schedule, or every member when it has none. An
// unknown team is org.ErrNotFound.
func (o *OnCall) ForTeam(snap *org.Snapshot, teamID string, at time.Time) (users []Paged, notes []string, err error) {
	team := snap.Team(teamID)
	if team == nil {
		return nil, nil, fmt.Errorf("team %q: %w", teamID, org.ErrNotFound)
	}
	if team.Schedule != "" {
		return o.ForSchedule(snap, team.Schedule, at)
	}
	for _, m := range team.Members {
		users = append(users, Paged{User: m, Reason: "member of team " + teamID})
	}
	if len(users) == 0 {
		notes = append(notes, fmt.Sprintf("team %s has neither a schedule nor members", teamID))
	}
	return users, notes, nil
}

// ForSchedule is who is on call on a schedule at an instant. A schedule
// that does not compile, or a gap, leaves a note. An unknown schedule is
// org.ErrNotFound.
func (o *OnCall) ForSchedule(snap *org.Snapshot, scheduleID string, at time.Time) (users []Paged, notes []string, err error) {
	if snap.Schedule(scheduleID) == nil {
		return nil, nil, fmt.Errorf("schedule %q: %w", scheduleID, org.ErrNotFound)
	}
	who, err := o.onCall(snap, scheduleID, at)
	if err != nil {
		return nil, []string{err.Error()}, nil
	}
	if len(who) == 0 {
		notes = append(notes, fmt.Sprintf("nobody is on call for schedule %s", scheduleID))
	}
	for _, u := range who {
		users = append(users, Paged{User: u, Reason: "on call for schedule " + scheduleID})
	}
	return users, notes, nil
}

// Answer says who would be paged first, and why: what GET /api/v1/oncall
// answers and what `vigil oncall` prints, online or from the files.
type Answer struct {
	At               time.Time     `json:"at"`
	Service          string        `json:"service,omitempty"`
	Team             string        `json:"team,omitempty"`
	Schedule         string        `json:"schedule,omitempty"`
	EscalationPolicy string        `json:"escalation_policy,omitempty"`
	OnCall           []PagedPerson `json:"oncall"`
	Notes            []string      `json:"notes"`
}

// PagedPerson is one person in an Answer, named from the snapshot.
type PagedPerson struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Ask answers for the service, team or schedule id, as kind says
// ("service", "team", else a schedule), at an instant. An unknown id is
// org.ErrNotFound.
func (o *OnCall) Ask(snap *org.Snapshot, kind, id string, at time.Time) (Answer, error) {
	a := Answer{At: at, OnCall: []PagedPerson{}}
	var users []Paged
	var err error
	switch kind {
	case "service":
		a.Service = id
		a.EscalationPolicy, users, a.Notes, err = o.ForService(snap, id, at)
	case "team":
		a.Team = id
		users, a.Notes, err = o.ForTeam(snap, id, at)
	default:
		a.Schedule = id
		users, a.Notes, err = o.ForSchedule(snap, id, at)
	}
	if err != nil {
		return a, err
	}
	for _, u := range users {
		p := PagedPerson{ID: u.User, Reason: u.Reason}
		if user := snap.User(u.User); user != nil {
			p.Name = user.Name
		}
		a.OnCall = append(a.OnCall, p)
	}
	if a.Notes == nil {
		a.Notes = []string{}
	}
	return a, nil
}
