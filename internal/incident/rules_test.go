package incident

import "testing"

func TestUrgency(t *testing.T) {
	tests := []struct {
		severity  string
		overrides map[string]string
		want      string
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
	tests := map[string]string{"critical": "SEV2", "error": "SEV3", "warning": "SEV4", "info": "SEV4", "": "SEV4"}
	for in, want := range tests {
		if got := SeverityOf(in); got != want {
			t.Errorf("SeverityOf(%q) = %q, want %q", in, got, want)
		}
	}
	if !Worse("SEV1", "SEV2") || Worse("SEV3", "SEV2") || Worse("SEV9", "SEV1") {
		t.Error("Worse ordering wrong")
	}
}
