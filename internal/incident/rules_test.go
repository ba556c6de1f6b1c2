package incident

import (
	"testing"

	"github.com/vigil-oncall/vigil/internal/alert"
)

func TestUrgency(t *testing.T) {
	tests := []struct {
		severity  alert.Severity
		overrides map[string]string
		want      alert.Urgency
	}{
		{"critical", nil, "high"},
		{"error", nil, "high"},
		{"warning", nil, "low"},
		{"info", nil, "low"},
		{"warning", map[string]string{"warning": "high"}, "high"},
		{"critical", map[string]string{"critical": "low"}, "low"},
		{"error", map[string]string{"error": "urgent"}, "high"}, // invalid override ignored
		{"", nil, "high"},
	}
	for _, tt := range tests {
		if got := Urgency(tt.severity, tt.overrides); got != tt.want {
			t.Errorf("Urgency(%q, %v) = %q, want %q", tt.severity, tt.overrides, got, tt.want)
		}
	}
}

func TestSeverityOf(t *testing.T) {
	tests := map[alert.Severity]Severity{"critical": "SEV2", "error": "SEV3", "warning": "SEV4", "info": "SEV4", "": "SEV4"}
	for in, want := range tests {
		if got := SeverityOf(in); got != want {
			t.Errorf("SeverityOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSeverityWorse(t *testing.T) {
	tests := []struct {
		a, b Severity
		want bool
	}{
		{SEV1, SEV2, true},
		{SEV2, SEV1, false},
		{SEV3, SEV4, true},
		{SEV2, SEV2, false},
		{"SEV9", SEV1, false}, // not a severity
		{SEV1, "SEV0", false},
		{"sev1", SEV2, false}, // severities are spelt in capitals
		{"", SEV4, false},
	}
	for _, tt := range tests {
		if got := tt.a.Worse(tt.b); got != tt.want {
			t.Errorf("%q.Worse(%q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestRoleValid(t *testing.T) {
	for r, want := range map[Role]bool{"commander": true, "comms": true, "scribe": true, "": false, "Commander": false, "admin": false} {
		if got := r.Valid(); got != want {
			t.Errorf("%q.Valid() = %v, want %v", r, got, want)
		}
	}
}
