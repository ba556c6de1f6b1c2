// Package alert holds alerts — what monitoring says is wrong, deduplicated by
// key — and the pure rules that turn an incoming event into a change of an
// alert, and an alert's severity into its incident's severity and urgency.
// Alerts flow into incidents: this package speaks the incident package's
// statuses and urgencies, never the other way round.
package alert

import (
	"encoding/json"
	"time"

	"github.com/vigil-oncall/vigil/internal/incident"
)

// Status is where an alert stands, in the words of its incident's.
type Status = incident.Status

// Statuses of an alert (and of an incident).
const (
	StatusTriggered    = incident.StatusTriggered
	StatusAcknowledged = incident.StatusAcknowledged
	StatusResolved     = incident.StatusResolved
)

// Severity is how bad monitoring says a problem is, as PagerDuty names it.
type Severity string

// Severities, as PagerDuty names them.
const (
	SeverityCritical Severity = "critical"
	SeverityError    Severity = "error"
	SeverityWarning  Severity = "warning"
	SeverityInfo     Severity = "info"
)

// Urgency says whether a problem pages now: an incident's urgency.
type Urgency = incident.Urgency

// Urgencies: high pages now; low never pages and waits for business hours.
const (
	UrgencyHigh = incident.UrgencyHigh
	UrgencyLow  = incident.UrgencyLow
)

// Link is a hyperlink attached to an alert.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Image is an image attached to an alert.
type Image struct {
	Src  string `json:"src"`
	Href string `json:"href,omitempty"`
	Alt  string `json:"alt,omitempty"`
}

// Alert is one deduplicated problem on a service. While it is open
// (triggered or acknowledged) further events with the same integration key
// and dedup key add to it.
type Alert struct {
	ID             int64           `json:"id"`
	Service        string          `json:"service"`
	IntegrationKey string          `json:"integration_key"`
	DedupKey       string          `json:"dedup_key"`
	Summary        string          `json:"summary"`
	Source         string          `json:"source,omitempty"`
	Severity       Severity        `json:"severity"`
	Component      string          `json:"component,omitempty"`
	Group          string          `json:"group,omitempty"`
	Class          string          `json:"class,omitempty"`
	Details        json.RawMessage `json:"details,omitempty"`
	Links          []Link          `json:"links,omitempty"`
	Images         []Image         `json:"images,omitempty"`
	Client         string          `json:"client,omitempty"`
	ClientURL      string          `json:"client_url,omitempty"`
	Status         Status          `json:"status"`
	Count          int             `json:"count"` // events merged into this alert, the first included
	IncidentID     int64           `json:"incident_id"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	LastEventAt    time.Time       `json:"last_event_at"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at,omitempty"`
	ResolvedAt     *time.Time      `json:"resolved_at,omitempty"`
}

// Open reports whether further events with the alert's key add to it.
func (a *Alert) Open() bool { return a.Status != StatusResolved }

// The rules of an alert's life. Each changes the alert as of now and
// reports whether it changed.

// Repeat adds an event with the alert's key to the open alert: it counts,
// and a summary it brings replaces the alert's. An acknowledged alert
// stays acknowledged: a repeat pages nobody.
func (a *Alert) Repeat(summary string, eventAt, now time.Time) {
	a.Count++
	a.LastEventAt, a.UpdatedAt = eventAt, now
	if summary != "" {
		a.Summary = summary
	}
}

// Acknowledge acknowledges a triggered alert; an acknowledged or resolved
// one stays as it is.
func (a *Alert) Acknowledge(now time.Time) bool {
	if a.Status != StatusTriggered {
		return false
	}
	a.Status, a.AcknowledgedAt, a.UpdatedAt = StatusAcknowledged, &now, now
	return true
}

// Resolve resolves an open alert; a resolved one stays as it is.
func (a *Alert) Resolve(now time.Time) bool {
	if !a.Open() {
		return false
	}
	a.Status, a.ResolvedAt, a.UpdatedAt = StatusResolved, &now, now
	return true
}

// Settled reports whether none of the alerts is triggered (then their
// incident may be acknowledged) and whether none is open (then it may be
// resolved).
func Settled(alerts []Alert) (acknowledged, resolved bool) {
	acknowledged, resolved = true, true
	for i := range alerts {
		if alerts[i].Status == StatusTriggered {
			acknowledged = false
		}
		if alerts[i].Open() {
			resolved = false
		}
	}
	return acknowledged, resolved
}

// Processing lanes of triggers: an event of a higher lane is processed
// before those of lower lanes that arrived earlier, so that the page that
// matters is not queued behind a storm of noise.
const (
	LaneNormal   = 0 // low urgency, and every event that is not a trigger
	LaneUrgent   = 1 // a high-urgency trigger
	LaneCritical = 2 // a high-urgency trigger on a critical service
)

// Lane is the processing lane of a trigger of this severity on a service
// with these urgency overrides, critical or not.
func Lane(severity Severity, overrides map[string]string, critical bool) int {
	switch {
	case UrgencyOf(severity, overrides) != UrgencyHigh:
		return LaneNormal
	case critical:
		return LaneCritical
	default:
		return LaneUrgent
	}
}

// UrgencyOf derives an incident's urgency from its alert's severity:
// critical and error page now (high), warning and info never page (low).
// A service's overrides (severity -> "high"|"low") win.
func UrgencyOf(severity Severity, overrides map[string]string) Urgency {
	if u := Urgency(overrides[string(severity)]); u == UrgencyHigh || u == UrgencyLow {
		return u
	}
	switch severity {
	case SeverityWarning, SeverityInfo:
		return UrgencyLow
	default:
		return UrgencyHigh
	}
}

// Incident maps an alert severity to the severity of its incident:
// critical is SEV2, error SEV3, warning and info SEV4. No alert alone makes
// a SEV1: that is declared by people, since a SEV1 is a major incident that
// pages the global IRT.
func (s Severity) Incident() incident.Severity {
	switch s {
	case SeverityCritical:
		return incident.SEV2
	case SeverityError:
		return incident.SEV3
	default:
		return incident.SEV4
	}
}
