package incident

// Alert severities and urgencies, spelled as in the alert package (which
// this package does not import, to keep the flow one-way).
const (
	severityCritical = "critical"
	severityError    = "error"
	severityWarning  = "warning"
	severityInfo     = "info"
	urgencyHigh      = "high"
	urgencyLow       = "low"
)

// Urgency derives an incident's urgency from its alert's severity:
// critical and error page now (high), warning and info never page (low).
// A service's overrides (severity -> "high"|"low") win.
func Urgency(severity string, overrides map[string]string) string {
	if u, ok := overrides[severity]; ok && (u == urgencyHigh || u == urgencyLow) {
		return u
	}
	switch severity {
	case severityWarning, severityInfo:
		return urgencyLow
	default:
		return urgencyHigh
	}
}

// SeverityOf maps an alert severity to an incident severity. No alert alone
// makes a SEV1: that is declared by people, since a SEV1 is a major
// incident that pages the global IRT.
func SeverityOf(alertSeverity string) string {
	switch alertSeverity {
	case severityCritical:
		return SEV2
	case severityError:
		return SEV3
	default:
		return SEV4
	}
}

// ValidSeverity reports whether s is SEV1..SEV4.
func ValidSeverity(s string) bool { return s == SEV1 || s == SEV2 || s == SEV3 || s == SEV4 }

// Worse reports whether severity a is worse than b (SEV1 worst).
func Worse(a, b string) bool { return ValidSeverity(a) && ValidSeverity(b) && a < b }
