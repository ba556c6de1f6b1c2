package escalation

import "time"

// Start is a new run of the policy for an incident, its first step due at
// at: now for a new incident or a reassignment, the end of a snooze for a
// snoozed one.
func Start(incidentID int64, p Policy, at time.Time) State {
	return State{IncidentID: incidentID, Policy: p, NextAt: at, StartedAt: at}
}

// Due returns the step the run pages next, or false when there is none
// (a policy without steps, or a run past its end).
func (s State) Due() (Step, bool) {
	if s.Done || s.Step < 0 || s.Step >= len(s.Policy.Steps) {
		return Step{}, false
	}
	return s.Policy.Steps[s.Step], true
}

// Advance is the run after its due step was paged at now: the next step
// is due once the paged step's escalate_after has passed; after the last
// step the policy runs again from the first, Repeat times, and then the
// run is done. A run with no step due is done.
func (s State) Advance(now time.Time) State {
	step, ok := s.Due()
	if !ok {
		return s.Stop()
	}
	s.Step++
	if s.Step >= len(s.Policy.Steps) {
		if s.Round >= s.Policy.Repeat {
			return s.Stop()
		}
		s.Round++
		s.Step = 0
	}
	s.NextAt = now.Add(step.EscalateAfter.Std())
	return s
}

// Stop ends the run: nothing more is due.
func (s State) Stop() State {
	s.Done, s.NextAt = true, time.Time{}
	return s
}
