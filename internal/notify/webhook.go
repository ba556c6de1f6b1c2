package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Webhook request headers.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderSignature      = "X-Vigil-Signature"
	HeaderTimestamp      = "X-Vigil-Timestamp"
)

// WebhookPayloadVersion is the "version" of the payload below; it changes
// only when a field changes meaning or goes away.
const WebhookPayloadVersion = 1

const (
	webhookMaxRedirects  = 3
	webhookMaxBodyDrain  = 64 << 10 // read to reuse the connection, then give up
	webhookMaxBodyInLogs = 256
)

// WebhookPayload is the JSON body that the webhook channel POSTs:
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
// minutes from its clock, which stops replays (VerifyWebhookSignature does
// all of this).
//
// A 2xx answer means delivered; 408, 429, 5xx, timeouts and network errors
// are retried; any other answer is a permanent failure.
type WebhookPayload struct {
	Version        int             `json:"version"`
	IdempotencyKey string          `json:"idempotency_key"`
	Kind           string          `json:"kind"`
	Incident       WebhookIncident `json:"incident"`
	Actions        WebhookActions  `json:"actions"`
	MoreAlerts     int             `json:"more_alerts"`
	SentAt         string          `json:"sent_at"`
}

// WebhookIncident is the "incident" object of WebhookPayload.
type WebhookIncident struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Summary  string `json:"summary"`
	Service  string `json:"service"`
	Severity string `json:"severity"`
	Urgency  string `json:"urgency"`
	Status   string `json:"status"`
	URL      string `json:"url"`
}

// WebhookActions is the "actions" object of WebhookPayload.
type WebhookActions struct {
	Acknowledge string `json:"acknowledge"`
	Resolve     string `json:"resolve"`
}

// Webhook is the generic webhook channel, type "webhook".
type Webhook struct {
	// Client sends the requests (nil: one with a 10s timeout); its
	// redirect policy is replaced by one that only follows 307/308 to
	// http(s) URLs.
	Client *http.Client
	// Now stamps sent_at and the signature timestamp (nil: time.Now).
	Now func() time.Time
}

// NewWebhook returns the webhook channel sending with client, or with a
// client with a 10s timeout when client is nil.
func NewWebhook(client *http.Client) Channel {
	return &Webhook{Client: defaultClient(client), Now: time.Now}
}

// Type implements Channel.
func (w *Webhook) Type() string { return "webhook" }

// Send implements Channel.
func (w *Webhook) Send(ctx context.Context, to Destination, m Message) error {
	target, err := targetURL("webhook", to.URL)
	if err != nil {
		return err
	}
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	body, err := json.Marshal(webhookPayload(m, now))
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("encode webhook payload: %w", err)}
	}
	req, err := newPost(ctx, target, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	if m.IdempotencyKey != "" {
		req.Header.Set(HeaderIdempotencyKey, headerSafe(m.IdempotencyKey))
	}
	if to.Secret != "" {
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, SignWebhook(to.Secret, ts, body))
	}
	_, err = post(w.Client, req, "webhook")
	return err
}

func webhookPayload(m Message, now time.Time) WebhookPayload {
	return WebhookPayload{
		Version:        WebhookPayloadVersion,
		IdempotencyKey: m.IdempotencyKey,
		Kind:           m.Kind,
		Incident: WebhookIncident{
			ID:       m.IncidentID,
			Title:    m.Title,
			Summary:  m.Summary,
			Service:  m.Service,
			Severity: m.Severity,
			Urgency:  m.Urgency,
			Status:   m.Status,
			URL:      m.IncidentURL,
		},
		Actions:    WebhookActions{Acknowledge: m.AcknowledgeURL, Resolve: m.ResolveURL},
		MoreAlerts: m.MoreAlerts,
		SentAt:     now.UTC().Format(time.RFC3339),
	}
}

// checkWebhookRedirect follows only redirects that keep the POST and its
// body (307, 308) to http(s) URLs; any other redirect is returned to Send
// as the answer, which makes it a permanent failure.
func checkWebhookRedirect(req *http.Request, via []*http.Request) error {
	if req.Response == nil || (req.Response.StatusCode != http.StatusTemporaryRedirect && req.Response.StatusCode != http.StatusPermanentRedirect) {
		return http.ErrUseLastResponse
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return http.ErrUseLastResponse
	}
	if len(via) > webhookMaxRedirects {
		return http.ErrUseLastResponse
	}
	return nil
}

// SignWebhook returns the X-Vigil-Signature value for body sent with
// timestamp (Unix seconds, as in X-Vigil-Timestamp).
func SignWebhook(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, timestamp)
	io.WriteString(mac, ".")
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors of VerifyWebhookSignature.
var (
	ErrSignatureMalformed = errors.New("webhook signature malformed")
	ErrSignatureMismatch  = errors.New("webhook signature does not match")
	ErrSignatureStale     = errors.New("webhook timestamp outside the allowed window")
)

// VerifyWebhookSignature checks a received webhook: header is the
// X-Vigil-Signature value, timestamp the X-Vigil-Timestamp value and body
// the raw request body. The timestamp must be within maxAge of now, either
// way, so that a captured request cannot be replayed later.
func VerifyWebhookSignature(secret, timestamp, body, header string, now time.Time, maxAge time.Duration) error {
	return verifyTimestamped("sha256=", timestamp, header, now, maxAge, func() string {
		return SignWebhook(secret, timestamp, []byte(body))
	})
}

// verifyTimestamped checks a signature header of the form prefix and 64
// hex digits against sign's answer, in constant time, and then that the
// Unix-seconds timestamp it covers is within maxAge of now. Vigil's
// webhooks and Slack's requests differ only in prefix and in what is
// signed.
func verifyTimestamped(prefix, timestamp, header string, now time.Time, maxAge time.Duration, sign func() string) error {
	if len(timestamp) == 0 || len(timestamp) > 19 || strings.TrimLeft(timestamp, "0123456789") != "" {
		return fmt.Errorf("%w: timestamp %q", ErrSignatureMalformed, truncate(timestamp, 32))
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp: %v", ErrSignatureMalformed, err)
	}
	if !strings.HasPrefix(header, prefix) || len(header) != len(prefix)+2*sha256.Size {
		return fmt.Errorf("%w: want %s<64 hex digits>", ErrSignatureMalformed, prefix)
	}
	got, err := hex.DecodeString(header[len(prefix):])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSignatureMalformed, err)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(sign(), prefix))
	if !hmac.Equal(got, want) {
		return ErrSignatureMismatch
	}
	sent := time.Unix(ts, 0)
	if age := now.Sub(sent); age > maxAge || age < -maxAge {
		return fmt.Errorf("%w: sent %s, now %s", ErrSignatureStale, sent.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// redactURL keeps scheme, host and path: user info and query strings of
// webhook URLs often hold tokens that must not reach logs.
func redactURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}

// headerSafe drops control characters, so that a value cannot start a new
// header line.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// printable turns a response body snippet into one line for an error.
func printable(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, string(b))
	return strings.TrimSpace(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
