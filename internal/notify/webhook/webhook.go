// Package webhook is the generic webhook channel, type "webhook": a
// signed JSON POST to the contact method's URL.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// Request headers.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderSignature      = "X-Vigil-Signature"
	HeaderTimestamp      = "X-Vigil-Timestamp"
)

// PayloadVersion is the "version" of the payload below; it changes only
// when a field changes meaning or goes away.
const PayloadVersion = 1

// Payload is the JSON body that the webhook channel POSTs:
//
//	{
//	  "version": 1,
//	  "idempotency_key": "n-42-1",
//	  "kind": "page",
//	  "incident": {
//	    "id": 12,
//	    "title": "Checkout latency high",
//	    "summary": "p99 over 2s for 10m",
//	    "service": "checkout",
//	    "severity": "SEV2",
//	    "urgency": "high",
//	    "status": "triggered",
//	    "url": "https://vigil.example.com/incidents/12"
//	  },
//	  "actions": {
//	    "acknowledge": "https://vigil.example.com/a/<signed token>",
//	    "resolve": "https://vigil.example.com/a/<signed token>"
//	  },
//	  "more_alerts": 0,
//	  "sent_at": "2025-03-14T09:26:53Z"
//	}
//
// kind is page, low_urgency, status_update or test. The same notification
// keeps its idempotency_key on every attempt (also in the Idempotency-Key
// header): receivers drop repeats. The action URLs are single-use and
// expire; a GET shows a confirmation page, a POST acts. Receivers must
// ignore fields they do not know.
//
// Headers: Content-Type: application/json, Idempotency-Key, User-Agent:
// Vigil, and, when the contact method has a secret, X-Vigil-Timestamp (Unix
// seconds) and X-Vigil-Signature: "sha256=" followed by the hex HMAC-SHA256,
// keyed with the secret, of the timestamp, a ".", and the raw body. To
// verify, a receiver recomputes that HMAC over the exact bytes received,
// compares it in constant time, and refuses timestamps more than a few
// minutes from its clock, which stops replays (VerifySignature does all of
// this).
//
// A 2xx answer means delivered; 408, 429, 5xx, timeouts and network errors
// are retried; any other answer is a permanent failure.
type Payload struct {
	Version        int      `json:"version"`
	IdempotencyKey string   `json:"idempotency_key"`
	Kind           string   `json:"kind"`
	Incident       Incident `json:"incident"`
	Actions        Actions  `json:"actions"`
	MoreAlerts     int      `json:"more_alerts"`
	SentAt         string   `json:"sent_at"`
}

// Incident is the "incident" object of Payload.
type Incident struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Summary  string `json:"summary"`
	Service  string `json:"service"`
	Severity string `json:"severity"`
	Urgency  string `json:"urgency"`
	Status   string `json:"status"`
	URL      string `json:"url"`
}

// Actions is the "actions" object of Payload.
type Actions struct {
	Acknowledge string `json:"acknowledge"`
	Resolve     string `json:"resolve"`
}

// Channel is the webhook channel.
type Channel struct {
	// Client sends the requests (nil: one with a 10s timeout); its
	// redirect policy is replaced by one that only follows 307/308 to
	// http(s) URLs.
	Client *http.Client
	// Now stamps sent_at and the signature timestamp (nil: time.Now).
	Now func() time.Time
}

// New returns the webhook channel sending with client, or with a client
// with a 10s timeout when client is nil.
func New(client *http.Client) notify.Channel {
	return &Channel{Client: provider.Client(client), Now: time.Now}
}

// Type implements notify.Channel.
func (w *Channel) Type() string { return "webhook" }

// Send implements notify.Channel.
func (w *Channel) Send(ctx context.Context, to notify.Destination, m notify.Message) error {
	now := w.now()
	body, err := json.Marshal(NewPayload(m, now))
	if err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("encode webhook payload: %w", err)}
	}
	return w.post(ctx, to.URL, to.Secret, m.IdempotencyKey, body, now)
}

// PostSigned posts body to rawURL as Send posts a payload: with the
// idempotency key, signed with secret when there is one; the error is
// classified for retries as Send's is. Event webhooks go through it.
func (w *Channel) PostSigned(ctx context.Context, rawURL, secret, idempotencyKey string, body []byte) error {
	return w.post(ctx, rawURL, secret, idempotencyKey, body, w.now())
}

func (w *Channel) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Channel) post(ctx context.Context, rawURL, secret, idempotencyKey string, body []byte, now time.Time) error {
	target, err := provider.TargetURL("webhook", rawURL)
	if err != nil {
		return err
	}
	req, err := provider.NewPost(ctx, target, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	if idempotencyKey != "" {
		req.Header.Set(HeaderIdempotencyKey, provider.HeaderSafe(idempotencyKey))
	}
	if secret != "" {
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	}
	_, err = provider.Post(w.Client, req, "webhook")
	return err
}

// NewPayload is the payload of m sent at now.
func NewPayload(m notify.Message, now time.Time) Payload {
	return Payload{
		Version:        PayloadVersion,
		IdempotencyKey: m.IdempotencyKey,
		Kind:           m.Kind,
		Incident: Incident{
			ID:       m.IncidentID,
			Title:    m.Title,
			Summary:  m.Summary,
			Service:  m.Service,
			Severity: m.Severity,
			Urgency:  m.Urgency,
			Status:   m.Status,
			URL:      m.IncidentURL,
		},
		Actions:    Actions{Acknowledge: m.AcknowledgeURL, Resolve: m.ResolveURL},
		MoreAlerts: m.MoreAlerts,
		SentAt:     now.UTC().Format(time.RFC3339),
	}
}

// Sign returns the X-Vigil-Signature value for body sent with timestamp
// (Unix seconds, as in X-Vigil-Timestamp).
func Sign(secret, timestamp string, body []byte) string {
	return "sha256=" + provider.HMACSHA256Hex(secret, []byte(timestamp), []byte("."), body)
}

// VerifySignature checks a received webhook: header is the
// X-Vigil-Signature value, timestamp the X-Vigil-Timestamp value and body
// the raw request body. The timestamp must be within maxAge of now, either
// way, so that a captured request cannot be replayed later. Its errors are
// notify.ErrSignatureMalformed, ErrSignatureMismatch and ErrSignatureStale.
func VerifySignature(secret, timestamp, body, header string, now time.Time, maxAge time.Duration) error {
	return provider.VerifyTimestamped("sha256=", timestamp, header, now, maxAge, func() string {
		return Sign(secret, timestamp, []byte(body))
	})
}
