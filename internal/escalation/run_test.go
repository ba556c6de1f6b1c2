package escalation

import (
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
)

func TestAdvance(t *testing.T) {
	minutes := func(n int) duration.Duration { return duration.Duration(time.Duration(n) * time.Minute) }
	twoSteps := Policy{ID: "p", Repeat: 1, Steps: []Step{
		{Targets: []Target{{User: "a"}}, EscalateAfter: minutes(10)},
		{Targets: []Target{{User: "b"}}, EscalateAfter: minutes(15)},
	}}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		policy      Policy
		step, round int
		// want: the step and round due next and when, or done
		wantStep, wantRound int
		wantAfter           time.Duration
		wantDone            bool
	}{
		{"first step: the second is due after the first's delay", twoSteps, 0, 0, 1, 0, 10 * time.Minute, false},
		{"last step: the policy again, after the last step's delay", twoSteps, 1, 0, 0, 1, 15 * time.Minute, false},
		{"last step of the last round: done", twoSteps, 1, 1, 0, 0, 0, true},
		{"no repeat: done after the last step", Policy{Steps: twoSteps.Steps}, 1, 0, 0, 0, 0, true},
		{"a policy without steps is done at once", Policy{ID: "empty", Repeat: 3}, 0, 0, 0, 0, 0, true},
		{"a step past the end (the policy lost steps) is done", Policy{Steps: twoSteps.Steps[:1]}, 1, 0, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Start(42, tt.policy, now.Add(-time.Hour))
			st.Step, st.Round = tt.step, tt.round
			got := st.Advance(now)
			if got.Done != tt.wantDone {
				t.Fatalf("done = %v, want %v (%+v)", got.Done, tt.wantDone, got)
			}
			if tt.wantDone {
				if !got.NextAt.IsZero() {
					t.Errorf("a finished run is due at %s", got.NextAt)
				}
				return
			}
			if got.Step != tt.wantStep || got.Round != tt.wantRound || !got.NextAt.Equal(now.Add(tt.wantAfter)) {
				t.Errorf("next = step %d round %d at %s, want step %d round %d at %s",
					got.Step, got.Round, got.NextAt, tt.wantStep, tt.wantRound, now.Add(tt.wantAfter))
			}
			if got.IncidentID != 42 || !got.StartedAt.Equal(now.Add(-time.Hour)) {
				t.Errorf("the run changed identity: %+v", got)
			}
		})
	}
}

func TestDueAndStart(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	p := Policy{Steps: []Step{{Targets: []Target{{Team: "irt"}}}}}
	st := Start(7, p, at)
	if st.IncidentID != 7 || !st.NextAt.Equal(at) || !st.StartedAt.Equal(at) || st.Step != 0 || st.Round != 0 || st.Done {
		t.Fatalf("Start = %+v", st)
	}
	if step, ok := st.Due(); !ok || step.Targets[0].Team != "irt" {
		t.Fatalf("Due = %+v, %v", step, ok)
	}
	if _, ok := st.Stop().Due(); ok {
		t.Fatal("a stopped run has a step due")
	}
}
