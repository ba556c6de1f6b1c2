// Package incident holds incidents — what people respond to — with their
// responders, roles and timeline.
package incident

import (
	"encoding/json"
	"slices"
	"time"
)

// Status is where an incident (or an alert) stands.
type Status string

// Statuses of an incident and of its alerts.
const (
	StatusTriggered    Status = "triggered"
	StatusAcknowledged Status = "acknowledged"
	StatusResolved     Status = "resolved"
)

// Urgency says whether an incident pages now.
type Urgency string

// Urgencies: high pages now; low never pages and waits for business hours.
const (
	UrgencyHigh Urgency = "high"
	UrgencyLow  Urgency = "low"
)

// Severity is how bad an incident is, SEV1 the worst.
type Severity string

// Severities of an incident, SEV1 the worst.
const (
	SEV1 Severity = "SEV1"
	SEV2 Severity = "SEV2"
	SEV3 Severity = "SEV3"
	SEV4 Severity = "SEV4"
)

// Role is a part someone takes in an incident.
type Role string

// Roles people take in an incident.
const (
	RoleCommander Role = "commander"
	RoleComms     Role = "comms"
	RoleScribe    Role = "scribe"
)

// Incident groups alerts that people respond to together.
type Incident struct {
	ID         int64       `json:"id"`
	Title      string      `json:"title"`
	Status     Status      `json:"status"`
	Severity   Severity    `json:"severity"`
	Urgency    Urgency     `json:"urgency"`
	Major      bool        `json:"major"`
	Service    string      `json:"service"`  // the service it was opened on
	Services   []string    `json:"services"` // every service with an alert in it
	GroupKey   string      `json:"group_key,omitempty"`
	Policy     string      `json:"escalation_policy,omitempty"`
	Suspects   []Suspect   `json:"suspects"`
	Responders []Responder `json:"responders"`
	// Roles maps a role to the user holding it.
	Roles          map[Role]string `json:"roles,omitempty"`
	AlertCount     int             `json:"alert_count"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string          `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time      `json:"resolved_at,omitempty"`
	ResolvedBy     string          `json:"resolved_by,omitempty"`
	SnoozedUntil   *time.Time      `json:"snoozed_until,omitempty"`
	// Suppressed says why paging was held back (a maintenance window).
	Suppressed string `json:"suppressed,omitempty"`
	// Subscribers are stakeholders who receive status updates.
	Subscribers []string `json:"subscribers,omitempty"`

	// What the reports read of its history. FirstAcknowledgedAt and
	// FirstAcknowledgedBy keep the first acknowledgement, which a
	// reassignment or the end of a snooze does not undo.
	FirstAcknowledgedAt *time.Time `json:"first_acknowledged_at,omitempty"`
	FirstAcknowledgedBy string     `json:"first_acknowledged_by,omitempty"`
	// Escalated says an escalation went past its first step.
	Escalated bool `json:"escalated,omitempty"`
	// Notes counts the notes people wrote on it (a resolution's note too).
	Notes int `json:"notes,omitempty"`
	// CustomerImpact says someone marked it as hurting customers.
	CustomerImpact bool `json:"customer_impact,omitempty"`

	// Related are other incidents whose services share a dependency with
	// this one's, without evidence that it fails: a responder may merge
	// them.
	Related []Related `json:"related"`
}

// Related names another incident and the dependencies shared with it.
type Related struct {
	Incident int64    `json:"incident"`
	Via      []string `json:"via"`
	Reason   string   `json:"reason"`
}

// Relate records that the incident is related to another, and reports
// whether it was not yet: a second relation to the same incident is not
// recorded.
func (i *Incident) Relate(r Related) bool {
	for _, have := range i.Related {
		if have.Incident == r.Incident {
			return false
		}
	}
	i.Related = append(i.Related, r)
	return true
}

// Unrelate forgets the relation to another incident (merged into this one,
// or this one into it).
func (i *Incident) Unrelate(other int64) {
	i.Related = slices.DeleteFunc(i.Related, func(r Related) bool { return r.Incident == other })
}

// Open reports whether the incident still needs someone.
func (i *Incident) Open() bool { return i.Status != StatusResolved }

// Responder is someone engaged on the incident.
type Responder struct {
	User    string    `json:"user,omitempty"`
	Team    string    `json:"team,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	AddedAt time.Time `json:"added_at"`
}

// Suspect is a service that may cause the incident, with why.
type Suspect struct {
	Service string   `json:"service"`
	Reasons []string `json:"reasons"`
	Changes []int64  `json:"changes"`
}

// Timeline entry kinds.
const (
	EntryAlert        = "alert"        // an alert opened, repeated, acknowledged or resolved
	EntryTriggered    = "triggered"    // the incident opened
	EntryEscalated    = "escalated"    // an escalation step ran
	EntryNotified     = "notified"     // a notification was sent (or failed)
	EntryAcknowledged = "acknowledged" // someone acknowledged
	EntryResolved     = "resolved"
	EntryReassigned   = "reassigned"
	EntrySnoozed      = "snoozed"
	EntryNote         = "note"
	EntrySuppressed   = "suppressed" // paging held back (maintenance, low urgency)
	EntryRole         = "role"
	EntryMajor        = "major"
	EntryUpdate       = "status_update"
	EntryMerged       = "merged"
	EntrySeverity     = "severity" // the severity changed, by hand or because a worse alert joined
	EntryImpact       = "customer_impact"
	EntryRelated      = "related"    // another incident shares a dependency with this one
	EntryPostmortem   = "postmortem" // its post-mortem was drafted, reviewed or published; its action items' reminders
)

// TimelineEntry is one thing that happened to an incident: who did what,
// through which channel, when.
type TimelineEntry struct {
	ID         int64           `json:"id"`
	IncidentID int64           `json:"incident_id"`
	At         time.Time       `json:"at"`
	Kind       string          `json:"kind"`
	Actor      string          `json:"actor"`             // "user:alice", "system", "integration:am-payments"
	Channel    string          `json:"channel,omitempty"` // api, cli, link, email, webhook, ...
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data,omitempty"`
}
