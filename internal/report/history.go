package report

import (
	"strings"
	"time"
)

// The history records the reports read. The server's store answers them
// for a period; the simulator makes them from a replayed history.

// Page is the first notification of an incident to a person: one
// interruption, however many notifications and escalation steps the
// incident took to reach them.
type Page struct {
	Incident int64     `json:"incident"`
	User     string    `json:"user"`
	At       time.Time `json:"at"`
	// TimeZone is the person's zone recorded with the notification: a
	// person who moved keeps their old pages in their old zone.
	TimeZone string `json:"time_zone"`
}

// Incident is an incident's record: when it opened, was first
// acknowledged and was resolved, by whom, and who took which part.
type Incident struct {
	ID       int64    `json:"id"`
	Title    string   `json:"title"`
	Service  string   `json:"service"`  // the service it was opened on
	Services []string `json:"services"` // every service with an alert in it
	Severity string   `json:"severity"`
	Urgency  string   `json:"urgency"`
	Major    bool     `json:"major"`
	// CustomerImpact says someone marked it as hurting customers.
	CustomerImpact bool      `json:"customer_impact"`
	CreatedAt      time.Time `json:"created_at"`
	// AcknowledgedAt is the first acknowledgement; later ones (after a
	// reassignment or a snooze) do not move it.
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	// AcknowledgedBy and ResolvedBy are actors: "user:alice", "token:…",
	// "integration:…" (the monitoring that sent the event), "system".
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy     string     `json:"resolved_by,omitempty"`
	// Escalated says an escalation went past its first step.
	Escalated bool `json:"escalated"`
	// Notes counts the notes written on it.
	Notes int `json:"notes"`
	// Engagements are the role history, oldest first.
	Engagements []Engagement `json:"engagements,omitempty"`
}

// Engagement is a person taking a part in an incident at a time: a named
// role (commander, comms, scribe), or "responder" when they acknowledged
// it or were asked to join. A named role handed to someone else leaves the
// previous holder a responder; everyone engaged stays so until the
// incident is resolved.
type Engagement struct {
	At   time.Time `json:"at"`
	User string    `json:"user"`
	Role string    `json:"role"`
}

// RoleResponder is the part of someone engaged without a named role.
const RoleResponder = "responder"

// Shift is a stretch of time one person was on call for a schedule, as it
// was served.
type Shift struct {
	Schedule string    `json:"schedule"`
	User     string    `json:"user"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// RepeatKey counts a service's alerts with one dedup key: alerts opened
// again and again, and triggers repeated on an open alert.
type RepeatKey struct {
	Service  string `json:"service"`
	DedupKey string `json:"dedup_key"`
	// Alerts is how many alerts opened with the key in the period.
	Alerts int `json:"alerts"`
	// Triggers is how many trigger events they received in all.
	Triggers int `json:"triggers"`
}

// Repeats is how many of the triggers were repeats of the first: every
// trigger after one alert's first.
func (k RepeatKey) Repeats() int { return max(k.Triggers-1, 0) }

// userOf reads the user id of a "user:ID" actor, "" for any other.
func userOf(actor string) string {
	id, ok := strings.CutPrefix(actor, "user:")
	if !ok {
		return ""
	}
	return id
}

// byPerson reports whether an actor is a person (a user, or an API token
// acting for one) rather than the monitoring or Vigil itself.
func byPerson(actor string) bool {
	return strings.HasPrefix(actor, "user:") || strings.HasPrefix(actor, "token:")
}
