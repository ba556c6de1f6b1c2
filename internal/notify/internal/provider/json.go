package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/vigil-oncall/vigil/internal/notify"
)

// PostJSON sends payload as JSON to rawURL: the whole of a Send for the
// channels whose provider takes one JSON document.
func PostJSON(ctx context.Context, client *http.Client, what, rawURL string, payload any) error {
	target, err := TargetURL(what, rawURL)
	if err != nil {
		return err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("encode %s payload: %w", what, err)}
	}
	req, err := NewPost(ctx, target, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	_, err = Post(client, req, what)
	return err
}

// JSONWebhook is a channel whose provider takes one JSON document at the
// contact method's webhook URL (Slack, Teams, Mattermost).
type JSONWebhook struct {
	// Kind is the contact method type; What names the provider in errors.
	Kind, What string
	// Client sends the requests (nil: one with a 10s timeout).
	Client *http.Client
	// Payload builds the document for a message.
	Payload func(notify.Message) any
}

// Type implements notify.Channel.
func (c *JSONWebhook) Type() string { return c.Kind }

// Send implements notify.Channel.
func (c *JSONWebhook) Send(ctx context.Context, to notify.Destination, m notify.Message) error {
	return PostJSON(ctx, c.Client, c.What, to.WebhookURL, c.Payload(m))
}
