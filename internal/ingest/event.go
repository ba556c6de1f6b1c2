// Package ingest turns every wire format Vigil accepts — PagerDuty Events
// API v2 and change events, the Alertmanager webhook (version 4), Grafana's
// alerting webhook and Vigil's own generic JSON shape — into one normalised
// Event. It only parses and validates: no HTTP, no storage.
//
// Every parser refuses a body larger than MaxBodyBytes with ErrTooLarge
// (the HTTP layer answers 413) and answers any other problem with a
// *ValidationError listing every problem found (the HTTP layer answers 400
// with PagerDuty's "invalid event" shape).
package ingest

import (
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
)

// Action is what an event asks of the alert its dedup key names.
type Action string

// Actions.
const (
	ActionTrigger     Action = "trigger"
	ActionAcknowledge Action = "acknowledge"
	ActionResolve     Action = "resolve"
)

// Severities, the four PagerDuty values: an event's severity is its
// alert's.
const (
	SeverityCritical = alert.SeverityCritical
	SeverityError    = alert.SeverityError
	SeverityWarning  = alert.SeverityWarning
	SeverityInfo     = alert.SeverityInfo
)

// Limits every parser enforces.
const (
	// MaxBodyBytes is the largest body accepted (PagerDuty's 512 KB).
	MaxBodyBytes = 512 << 10
	// MaxSummaryLen is the longest summary, in characters.
	MaxSummaryLen = 1024
	// MaxDedupKeyLen is the longest dedup key, in characters.
	MaxDedupKeyLen = 255
	// RoutingKeyLen is the length of a PagerDuty routing (integration) key.
	RoutingKeyLen = 32
	// MaxDetailsDepth bounds the nesting of details objects (the details
	// object itself is level 1), which end up in the store and the UI.
	MaxDetailsDepth = 32
	// MaxDocumentDepth bounds the nesting of a whole body, checked before
	// decoding so that hostile input costs nothing to refuse.
	MaxDocumentDepth = 64
)

// Event is one alert event in Vigil's normalised form, whatever the wire
// format it arrived in.
type Event struct {
	Action Action `json:"action"`
	// DedupKey names the alert the event is about. It is never empty and at
	// most MaxDedupKeyLen characters: as given, or generated for a
	// PagerDuty trigger without one, or derived (see each parser).
	DedupKey string `json:"dedup_key"`
	// Summary is the alert's title, at most MaxSummaryLen characters. It is
	// empty on PagerDuty acknowledge and resolve events, which carry no
	// payload.
	Summary string `json:"summary,omitempty"`
	// Source is the affected system; it may be empty except on PagerDuty
	// triggers.
	Source string `json:"source,omitempty"`
	// Severity is one of the four Severity values; empty only on PagerDuty
	// acknowledge and resolve events.
	Severity alert.Severity `json:"severity,omitempty"`
	// Timestamp is when the event happened, in UTC; zero when the sender
	// gave none, and the caller then uses the receive time.
	Timestamp time.Time `json:"timestamp,omitzero"`
	Component string    `json:"component,omitempty"`
	Group     string    `json:"group,omitempty"`
	Class     string    `json:"class,omitempty"`
	// Details holds free-form context as decoded JSON (numbers are
	// json.Number): PagerDuty custom_details, Alertmanager labels and
	// annotations, the generic details.
	Details   map[string]any `json:"details,omitempty"`
	Links     []Link         `json:"links,omitempty"`
	Images    []Image        `json:"images,omitempty"`
	Client    string         `json:"client,omitempty"`
	ClientURL string         `json:"client_url,omitempty"`
	// Fingerprint is the alert's identity as Alertmanager or Grafana gave
	// it; empty for other formats or when the sender left it out.
	Fingerprint string `json:"fingerprint,omitempty"`
	// GroupKey is the Alertmanager or Grafana notification group.
	GroupKey string `json:"group_key,omitempty"`
}

// ChangeEvent is a PagerDuty change event: a deploy, a configuration change,
// a flag flip, shown beside incidents of the service.
type ChangeEvent struct {
	Summary   string         `json:"summary"`
	Source    string         `json:"source,omitempty"`
	Timestamp time.Time      `json:"timestamp,omitzero"` // UTC; zero: use the receive time
	Details   map[string]any `json:"details,omitempty"`
	Links     []Link         `json:"links,omitempty"`
}

// Link is a hyperlink attached to an event; the alert keeps it as it is.
// Hrefs are passed through as sent: whoever renders them must check the
// scheme.
type Link = alert.Link

// Image is an image attached to an event, optionally itself a link.
type Image = alert.Image

// severityWords maps the severity words monitoring tools use, lower case,
// to Vigil's four severities. Alertmanager setups often page on "page" and
// file tickets on "ticket".
var severityWords = map[string]alert.Severity{
	"critical":      SeverityCritical,
	"crit":          SeverityCritical,
	"page":          SeverityCritical,
	"fatal":         SeverityCritical,
	"error":         SeverityError,
	"err":           SeverityError,
	"warning":       SeverityWarning,
	"warn":          SeverityWarning,
	"ticket":        SeverityWarning,
	"info":          SeverityInfo,
	"informational": SeverityInfo,
	"notice":        SeverityInfo,
}

// NormalizeSeverity maps a severity word (any case, surrounding spaces
// ignored) to one of the four severities: the four themselves, plus
// page/crit/fatal → critical, err → error, ticket/warn → warning,
// informational/notice → info. It reports false for any other word.
func NormalizeSeverity(word string) (alert.Severity, bool) {
	s, ok := severityWords[lowerTrim(word)]
	return s, ok
}

// defaultSeverity is the severity for events that carry no usable one: the
// integration's default when it names a severity, else error (what
// Alertmanager's own PagerDuty integration sends by default).
func defaultSeverity(configured string) alert.Severity {
	if s, ok := NormalizeSeverity(configured); ok {
		return s
	}
	return SeverityError
}
