package mattermost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// MaxActionRequest bounds the action request ParseAction reads.
const MaxActionRequest = 64 << 10

// ActionRequest is what Mattermost posts when a button is pressed.
type ActionRequest struct {
	UserID    string  `json:"user_id"`
	UserName  string  `json:"user_name"`
	ChannelID string  `json:"channel_id"`
	PostID    string  `json:"post_id"`
	TriggerID string  `json:"trigger_id"`
	Context   Context `json:"context"`
}

// ActionResponse updates the post the button was on.
type ActionResponse struct {
	Update        *Update `json:"update,omitempty"`
	EphemeralText string  `json:"ephemeral_text,omitempty"`
}

// Update replaces the post's message and attachments.
type Update struct {
	Message string         `json:"message"`
	Props   map[string]any `json:"props"`
}

// ParseAction reads a button press. It checks the shape only: the caller
// checks the context's token (notify.CheckCallbackToken).
func ParseAction(body []byte) (ActionRequest, error) {
	if len(body) > MaxActionRequest {
		return ActionRequest{}, fmt.Errorf("mattermost action: %d bytes, at most %d", len(body), MaxActionRequest)
	}
	var req ActionRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return ActionRequest{}, fmt.Errorf("mattermost action: %w", err)
	}
	if dec.More() {
		return ActionRequest{}, errors.New("mattermost action: data after the JSON object")
	}
	c := req.Context
	switch {
	case c.Verb != notify.VerbAcknowledge && c.Verb != notify.VerbResolve:
		return ActionRequest{}, fmt.Errorf("%w: verb %q", notify.ErrNotVigilAction, provider.Truncate(c.Verb, 20))
	case c.IncidentID <= 0 || c.NotificationID < 0:
		return ActionRequest{}, fmt.Errorf("%w: incident %d", notify.ErrNotVigilAction, c.IncidentID)
	case c.Token == "":
		return ActionRequest{}, fmt.Errorf("%w: no token", notify.ErrNotVigilAction)
	}
	return req, nil
}

// Actor names who pressed: the paged person ("user:<id>") when their
// Mattermost name is their Vigil id, otherwise "mattermost:<username>"
// (or the Mattermost user id).
func (r ActionRequest) Actor() string {
	switch {
	case r.UserName == r.Context.User:
		return "user:" + r.Context.User
	case r.UserName == "":
		return "mattermost:" + r.UserID
	}
	return "mattermost:" + r.UserName
}

// Nonce is the key that makes a press act once: "" when Mattermost sent
// no trigger id.
func (r ActionRequest) Nonce() string {
	if r.TriggerID == "" {
		return ""
	}
	return "mattermost:" + r.TriggerID
}

// Reply answers a press: the post updated to say who acted when actor is
// not "" (the press acted), otherwise outcome shown to the presser alone.
func Reply(outcome, actor string) ActionResponse {
	if actor == "" {
		return ActionResponse{EphemeralText: outcome}
	}
	who := strings.TrimPrefix(strings.TrimPrefix(actor, "user:"), "mattermost:")
	return ActionResponse{Update: &Update{Message: outcome + " by @" + who, Props: map[string]any{}}}
}
