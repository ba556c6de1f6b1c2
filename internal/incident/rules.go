package incident

import "github.com/vigil-oncall/vigil/internal/alert"

// Urgency derives an incident's urgency from its alert's severity:
// critical and error page now (high), warning and info never page (low).
// A service's overrides (severity -> "high"|"low") win.
func Urgency(severity alert.Severity, overrides map[string]string) alert.Urgency {
	if u := alert.Urgency(overrides[string(severity)]); u == alert.UrgencyHigh || u == alert.UrgencyLow {
		return u
	}
	switch severity {
	case alert.SeverityWarning, alert.SeverityInfo:
		return alert.UrgencyLow
	default:
		return alert.UrgencyHigh
	}
}

// SeverityOf maps an alert severity to an incident severity: critical is
// SEV2, error SEV3, warning and info SEV4. No alert alone makes a SEV1:
// that is declared by people, since a SEV1 is a major incident that pages
// the global IRT.
func SeverityOf(alertSeverity alert.Severity) Severity {
	switch alertSeverity {
	case alert.SeverityCritical:
		return SEV2
	case alert.SeverityError:
		return SEV3
	default:
		return SEV4
	}
}

// severityRank orders the severities, the worst first.
var severityRank = map[Severity]int{SEV1: 1, SEV2: 2, SEV3: 3, SEV4: 4}

// Valid reports whether s is SEV1..SEV4.
func (s Severity) Valid() bool { return severityRank[s] != 0 }

// Worse reports whether s is worse than other (SEV1 worst); an invalid
// severity is worse than nothing and nothing is worse than it.
func (s Severity) Worse(other Severity) bool {
	return s.Valid() && other.Valid() && severityRank[s] < severityRank[other]
}

// Valid reports whether r is one of the incident roles.
func (r Role) Valid() bool { return r == RoleCommander || r == RoleComms || r == RoleScribe }
