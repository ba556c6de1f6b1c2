package escalation

import "time"

// State is the durable progress of one incident through its policy. The
// policy is copied in when escalation starts, so that editing a policy does
// not change incidents already running it.
type State struct {
	IncidentID int64  `json:"incident_id"`
	Policy     Policy `json:"policy"`
	// Step is the index of the next step to run; Round counts completed
	// passes over the whole policy (at most Policy.Repeat).
	Step  int `json:"step"`
	Round int `json:"round"`
	// NextAt is when the next step runs; zero when Done.
	NextAt time.Time `json:"next_at"`
	Done   bool      `json:"done"`
	// StartedAt is when this run of the policy began (a reassignment or
	// snooze starts a new run); it keeps the pages of each run distinct.
	StartedAt time.Time `json:"started_at"`
}
