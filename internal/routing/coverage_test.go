package routing

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
)

func TestEffectivePolicyBackupSplitsTheStep(t *testing.T) {
	steps := []escalation.Step{
		{Targets: []escalation.Target{{User: "a"}}, EscalateAfter: duration.Duration(10 * time.Minute)},
		{Targets: []escalation.Target{{User: "b"}}, EscalateAfter: duration.Duration(10 * time.Minute)},
	}
	irt := escalation.Target{Team: "irt"}
	tests := []struct {
		after time.Duration
		want  string
	}{
		{5 * time.Minute, "a/5m irt/5m b/10m"},
		{10 * time.Minute, "a/10m b/0s irt/10m"}, // at the boundary: b and the IRT together
		{15 * time.Minute, "a/10m b/5m irt/5m"},
		{30 * time.Minute, "a/10m b/20m irt/0s"},
	}
	for _, tt := range tests {
		got := insertAt(steps, tt.after, irt)
		var parts []string
		for _, s := range got {
			who := s.Targets[0].User + s.Targets[0].Team
			parts = append(parts, who+"/"+s.EscalateAfter.String())
		}
		if strings.Join(parts, " ") != tt.want {
			t.Errorf("after %s: %s, want %s", tt.after, strings.Join(parts, " "), tt.want)
		}
	}
}
