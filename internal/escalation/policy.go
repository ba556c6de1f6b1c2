// Package escalation defines escalation policies and runs them: who is paged,
// in which order, and when the next step is due.
package escalation

import "github.com/vigil-oncall/vigil/internal/duration"

// Policy is an ordered list of steps, run again Repeat times after the last.
type Policy struct {
	ID     string `json:"id" yaml:"id"`
	Name   string `json:"name,omitempty" yaml:"name,omitempty"`
	Repeat int    `json:"repeat" yaml:"repeat"`
	Steps  []Step `json:"steps" yaml:"steps"`
}

// Step pages its targets, then escalates when unacknowledged for EscalateAfter.
type Step struct {
	Targets       []Target          `json:"targets" yaml:"targets"`
	EscalateAfter duration.Duration `json:"escalate_after" yaml:"escalate_after"`
}

// Target is exactly one of a user, a schedule (whoever is on call on it) or
// a team (whoever is on call on the team's schedule).
type Target struct {
	User     string `json:"user,omitempty" yaml:"user,omitempty"`
	Schedule string `json:"schedule,omitempty" yaml:"schedule,omitempty"`
	Team     string `json:"team,omitempty" yaml:"team,omitempty"`
}
