// Package notify delivers notifications to people through their contact
// methods. The outbox rows (Notification) are written by the escalation
// engine in the same transaction as the step that causes them; a dispatcher
// claims due rows and hands each to the Channel of its contact method type.
package notify

import (
	"context"
	"encoding/json"
	"time"
)

// Notification kinds.
const (
	KindPage       = "page"          // a high-urgency page from an escalation step
	KindLowUrgency = "low_urgency"   // a low-urgency notice, sent in business hours
	KindUpdate     = "status_update" // an incident status update
	KindTest       = "test"          // a "send test notification" request
	// KindReminder tells an action item's owner team, in its business
	// hours, that the item is overdue.
	KindReminder = "reminder"
	// KindCoverRequest asks a teammate to cover someone's shifts, and
	// KindCoverAccepted tells both people that a swap is made; both are
	// sent in the person's business hours.
	KindCoverRequest  = "cover_request"
	KindCoverAccepted = "cover_accepted"
	// KindVerification carries a phone verification code; it is sent at
	// once and never stored in the outbox, so that the code is not kept.
	KindVerification = "verification"
	// KindNotice tells a responder that someone else acknowledged,
	// resolved, reassigned or escalated past an incident they were paged
	// for: low urgency, without action links, never a phone call.
	KindNotice = "notice"
	// KindEvent is an incident event for an event webhook
	// (org.event_webhooks): ContactMethod names the hook, UserID is empty
	// and Body is the payload, sent as it is.
	KindEvent = "event"
)

// Notification statuses.
const (
	StatusPending   = "pending"   // waiting for DueAt
	StatusSending   = "sending"   // claimed by a dispatcher until ClaimedUntil
	StatusSent      = "sent"      // the provider accepted it
	StatusFailed    = "failed"    // gave up after retries (failover may follow)
	StatusCancelled = "cancelled" // no longer needed (acknowledged, resolved)
)

// Notification is one message to one person through one contact method.
type Notification struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id,omitempty"`
	Kind       string `json:"kind"`
	UserID     string `json:"user_id"`
	// ContactMethod is the user's contact method id; MethodType its type.
	ContactMethod string `json:"contact_method"`
	MethodType    string `json:"method_type"`
	// RuleIndex is the position of the notification rule that caused it,
	// -1 when none did; failover moves on to the next method.
	RuleIndex int `json:"rule_index"`
	// Step and Round identify the escalation step that paged (for
	// exactly-once-per-step checks).
	Step  int `json:"step"`
	Round int `json:"round"`
	// TimeZone is the person's zone when the notification was made, kept
	// for reports on night interruptions.
	TimeZone string `json:"time_zone"`
	// Lane is alert.LaneCritical for a page about an incident on a
	// critical service: due pages of that lane are claimed first.
	Lane int `json:"lane,omitempty"`
	// IdempotencyKey is sent with every attempt so that receivers drop
	// duplicates of an at-least-once delivery.
	IdempotencyKey string     `json:"idempotency_key"`
	Status         string     `json:"status"`
	DueAt          time.Time  `json:"due_at"`
	Attempts       int        `json:"attempts"`
	ClaimedUntil   *time.Time `json:"claimed_until,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	// ProviderStatus is the last delivery state the provider reported
	// after accepting the message (Twilio: delivered, undelivered,
	// no-answer, ...); DeliveredAt is when it reported delivery.
	ProviderStatus string     `json:"provider_status,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	// Body carries what the message says (subject, text, links), fixed
	// when the notification is made.
	Body json.RawMessage `json:"body,omitempty"`

	// More and MoreServices are set by the dispatcher when this message
	// stands for others to the same person and method (a storm): they are
	// never stored.
	More         int      `json:"-"`
	MoreServices []string `json:"-"`
}

// Attempt records one delivery attempt, kept for reports.
type Attempt struct {
	ID             int64     `json:"id"`
	NotificationID int64     `json:"notification_id"`
	IncidentID     int64     `json:"incident_id,omitempty"`
	UserID         string    `json:"user_id"`
	MethodType     string    `json:"method_type"`
	ContactMethod  string    `json:"contact_method"`
	At             time.Time `json:"at"`
	TimeZone       string    `json:"time_zone"`
	Outcome        string    `json:"outcome"` // sent, failed, retry
	Error          string    `json:"error,omitempty"`
}

// Message is what a channel delivers: built from the incident when the
// notification is sent.
type Message struct {
	IdempotencyKey string
	Kind           string
	IncidentID     int64
	Title          string
	Summary        string
	Service        string
	Severity       string
	Urgency        string
	Status         string
	// Links to act on the incident: signed, expiring, single-use URLs.
	AcknowledgeURL string
	ResolveURL     string
	IncidentURL    string
	// MoreAlerts counts alerts batched into this message (storms).
	MoreAlerts int

	// NotificationID and UserID say which outbox row this is and whom it
	// pages (0 and "" for messages sent outside the outbox).
	NotificationID int64
	UserID         string
	// PublicURL is where providers reach this server for callbacks
	// (Twilio, Mattermost); CallbackToken authenticates those callbacks,
	// binding NotificationID, IncidentID and UserID (see CallbackToken).
	PublicURL     string
	CallbackToken string
	// VerificationCode is the code a KindVerification message reads out.
	VerificationCode string
}

// Destination is where a channel sends: the contact method's address
// fields, with secrets already read from the environment.
type Destination struct {
	UserID     string
	UserName   string
	Type       string
	URL        string
	Address    string
	Number     string
	WebhookURL string
	Topic      string
	Secret     string
}

// Channel sends messages of one contact method type. Implementations are
// safe for concurrent use. A returned error means the message may not have
// arrived; Permanent errors are not retried.
type Channel interface {
	Type() string
	Send(ctx context.Context, to Destination, m Message) error
}

// PermanentError marks a failure that retrying cannot fix (an address the
// provider refuses, a 4xx answer other than 408/429).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }
