package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// EventPayloadVersion is the version of the event webhooks' payload.
const EventPayloadVersion = 1

// EventPayload is what an event webhook (org.event_webhooks) receives: one
// incident event, as the incident was when it happened.
type EventPayload struct {
	Version int       `json:"version"`
	Event   string    `json:"event"` // incident.triggered, .acknowledged, ...
	At      time.Time `json:"at"`
	Actor   string    `json:"actor,omitempty"` // "user:alice", "system", ...
	Text    string    `json:"text,omitempty"`  // the note; who an escalation paged
	// Incident is the incident after the event.
	Incident EventIncident `json:"incident"`
}

// EventIncident is the incident in an EventPayload.
type EventIncident struct {
	ID       int64    `json:"id"`
	Title    string   `json:"title"`
	Service  string   `json:"service"`
	Services []string `json:"services,omitempty"`
	Severity string   `json:"severity"`
	Urgency  string   `json:"urgency"`
	Status   string   `json:"status"`
	Major    bool     `json:"major"`
}

// emitEvent queues the event for every event webhook that wants it. It goes
// through the outbox in the transaction that made it happen: claimed,
// retried and kept across restarts as notifications are.
func emitEvent(tx store.Tx, snap *org.Snapshot, inc *incident.Incident, event, actor, text string, now time.Time) error {
	hooks := snap.Bundle.Org.EventWebhooks
	if len(hooks) == 0 {
		return nil
	}
	owner := ""
	if svc := snap.Service(inc.Service); svc != nil {
		owner = svc.Owner
	}
	var body []byte
	var out []*notify.Notification
	for _, h := range hooks {
		if !h.Wants(event, owner) {
			continue
		}
		if body == nil {
			var err error
			body, err = json.Marshal(EventPayload{Version: EventPayloadVersion, Event: event, At: now, Actor: actor, Text: text,
				Incident: EventIncident{ID: inc.ID, Title: inc.Title, Service: inc.Service, Services: inc.Services,
					Severity: string(inc.Severity), Urgency: string(inc.Urgency), Status: string(inc.Status), Major: inc.Major}})
			if err != nil {
				return fmt.Errorf("event %s: %w", event, err)
			}
		}
		out = append(out, &notify.Notification{
			IncidentID: inc.ID, Kind: notify.KindEvent, ContactMethod: h.ID, MethodType: "webhook", RuleIndex: -1,
			IdempotencyKey: fmt.Sprintf("vigil-%d-%s-%d-%s", inc.ID, event, now.UnixNano(), h.ID),
			Status:         notify.StatusPending, DueAt: now, CreatedAt: now, Body: body,
		})
	}
	if len(out) == 0 {
		return nil
	}
	return tx.InsertNotifications(out...)
}

// signedPoster is the webhook channel's signed post, which event webhooks
// share with the webhook contact method.
type signedPoster interface {
	PostSigned(ctx context.Context, rawURL, secret, idempotencyKey string, body []byte) error
}

// sendEvent delivers one queued event to its webhook.
func (d *Dispatcher) sendEvent(ctx context.Context, snap *org.Snapshot, n notify.Notification) outcome {
	out := outcome{n: n}
	var url, secretEnv string
	for _, h := range snap.Bundle.Org.EventWebhooks {
		if h.ID == n.ContactMethod {
			url, secretEnv = h.URL, h.SecretEnv
		}
	}
	ch, ok := d.channels["webhook"].(signedPoster)
	switch {
	case url == "":
		out.err = &notify.PermanentError{Err: fmt.Errorf("event webhook %s no longer exists", n.ContactMethod)}
	case !ok:
		out.err = &notify.PermanentError{Err: fmt.Errorf("no channel delivers event webhooks")}
	default:
		secret := ""
		if secretEnv != "" {
			secret = d.getenv(secretEnv)
		}
		ctx, cancel := context.WithTimeout(ctx, sendTimeout)
		defer cancel()
		out.err = ch.PostSigned(ctx, url, secret, n.IdempotencyKey, n.Body)
	}
	out.at = d.now().UTC()
	return out
}
