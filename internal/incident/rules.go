package incident

import (
	"fmt"
	"regexp"
	"time"
)

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

// SetSeverity gives the incident severity s and returns the timeline entry
// that records the change (why says what changed it), or nil when it
// already had that severity.
func SetSeverity(inc *Incident, s Severity, actor, channel, why string, now time.Time) *TimelineEntry {
	if inc.Severity == s {
		return nil
	}
	msg := fmt.Sprintf("severity changed from %s to %s", inc.Severity, s)
	if why != "" {
		msg += ": " + why
	}
	inc.Severity, inc.UpdatedAt = s, now
	return &TimelineEntry{IncidentID: inc.ID, At: now, Kind: EntrySeverity, Actor: actor, Channel: channel, Message: msg}
}

// severityMessage reads SetSeverity's message: the severity before (empty
// when it had none) and after.
var severityMessage = regexp.MustCompile(`^severity changed from (\S*) to (\S+?)(?::|$)`)

// SeverityAt returns the severity an incident that has severity current
// now had at at, from its timeline: the severity the first change after
// at changed from, or current when it has not changed since.
func SeverityAt(current Severity, timeline []TimelineEntry, at time.Time) Severity {
	var first *TimelineEntry
	for i, e := range timeline {
		if e.Kind != EntrySeverity || !e.At.After(at) || first != nil && !e.At.Before(first.At) {
			continue
		}
		if severityMessage.MatchString(e.Message) {
			first = &timeline[i]
		}
	}
	if first == nil {
		return current
	}
	return Severity(severityMessage.FindStringSubmatch(first.Message)[1])
}

// RaiseSeverity makes the incident at least as severe as s, as when a worse
// alert joins it; it returns the timeline entry of the change, or nil when
// the incident was as bad already.
func RaiseSeverity(inc *Incident, s Severity, why string, now time.Time) *TimelineEntry {
	if !s.Worse(inc.Severity) {
		return nil
	}
	return SetSeverity(inc, s, "system", "", why, now)
}
