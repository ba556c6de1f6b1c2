package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxMattermostAction bounds the action request ParseMattermostAction reads.
const MaxMattermostAction = 64 << 10

// MattermostActionRequest is what Mattermost posts when a button is pressed.
type MattermostActionRequest struct {
	UserID    string            `json:"user_id"`
	UserName  string            `json:"user_name"`
	ChannelID string            `json:"channel_id"`
	PostID    string            `json:"post_id"`
	TriggerID string            `json:"trigger_id"`
	Context   MattermostContext `json:"context"`
}

// MattermostActionResponse updates the post the button was on.
type MattermostActionResponse struct {
	Update        *MattermostUpdate `json:"update,omitempty"`
	EphemeralText string            `json:"ephemeral_text,omitempty"`
}

// MattermostUpdate replaces the post's message and attachments.
type MattermostUpdate struct {
	Message string         `json:"message"`
	Props   map[string]any `json:"props"`
}

// ParseMattermostAction reads a button press. It checks the shape only:
// the caller checks the context's token.
func ParseMattermostAction(body []byte) (MattermostActionRequest, error) {
	if len(body) > MaxMattermostAction {
		return MattermostActionRequest{}, fmt.Errorf("mattermost action: %d bytes, at most %d", len(body), MaxMattermostAction)
	}
	var req MattermostActionRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return MattermostActionRequest{}, fmt.Errorf("mattermost action: %w", err)
	}
	if dec.More() {
		return MattermostActionRequest{}, errors.New("mattermost action: data after the JSON object")
	}
	c := req.Context
	switch {
	case c.Verb != VerbAcknowledge && c.Verb != VerbResolve:
		return MattermostActionRequest{}, fmt.Errorf("%w: verb %q", ErrNotVigilAction, truncate(c.Verb, 20))
	case c.IncidentID <= 0 || c.NotificationID < 0:
		return MattermostActionRequest{}, fmt.Errorf("%w: incident %d", ErrNotVigilAction, c.IncidentID)
	case c.Token == "":
		return MattermostActionRequest{}, fmt.Errorf("%w: no token", ErrNotVigilAction)
	}
	return req, nil
}
