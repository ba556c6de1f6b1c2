package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// Request signing headers.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
)

// MaxAge is how old a signed Slack request may be.
const MaxAge = 5 * time.Minute

// MaxPayload bounds the interaction payload ParseAction reads.
const MaxPayload = 256 << 10

// Settings is the org's Slack app (org.providers.slack), with the secrets
// read from the environment variables it names.
type Settings struct {
	SigningSecret string
	BotToken      string
	// APIURL is the Web API base as configured: empty means
	// DefaultAPIURL.
	APIURL string
}

// SettingsFrom reads p, which may be nil (no Slack app), with getenv.
func SettingsFrom(p *catalog.SlackProvider, getenv func(string) string) Settings {
	if p == nil {
		return Settings{}
	}
	return Settings{APIURL: p.APIURL, SigningSecret: provider.Secret(getenv, p.SigningSecretEnv), BotToken: provider.Secret(getenv, p.BotTokenEnv)}
}

// Sign returns the X-Slack-Signature of body sent at timestamp: "v0=" and
// the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:{timestamp}:{body}".
func Sign(secret, timestamp string, body []byte) string {
	return "v0=" + provider.HMACSHA256Hex(secret, []byte("v0:"+timestamp+":"), body)
}

// VerifySignature checks a request from Slack: header is the
// X-Slack-Signature value, timestamp the X-Slack-Request-Timestamp value
// and body the raw body. A timestamp more than maxAge from now, either
// way, is refused, so that a captured request cannot be replayed later.
func VerifySignature(secret, timestamp string, body []byte, header string, now time.Time, maxAge time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: no signing secret configured", notify.ErrSignatureMismatch)
	}
	return provider.VerifyTimestamped("v0=", timestamp, header, now, maxAge, func() string {
		return Sign(secret, timestamp, body)
	})
}

// ReadAction checks a request to the interactivity Request URL, signed
// with secret at most MaxAge before now, and returns the Vigil button it
// presses. Its errors are notify.ErrForbidden (no secret configured), the
// notify.ErrSignature errors, notify.ErrMalformed, or
// notify.ErrNotVigilAction for another app's button.
func ReadAction(secret string, header http.Header, body []byte, now time.Time) (Action, error) {
	if secret == "" {
		return Action{}, provider.Refuse(notify.ErrForbidden, "Slack is not configured on this server")
	}
	if err := VerifySignature(secret, header.Get(HeaderTimestamp), body, header.Get(HeaderSignature), now, MaxAge); err != nil {
		return Action{}, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Action{}, provider.Refuse(notify.ErrMalformed, "malformed form body: %v", err)
	}
	a, err := ParseAction(form.Get("payload"))
	if err != nil && !errors.Is(err, notify.ErrNotVigilAction) {
		return Action{}, provider.Refuse(notify.ErrMalformed, "%w", err)
	}
	return a, err
}

// Action is a press of one of Vigil's buttons, read from a Slack
// block_actions interaction payload.
type Action struct {
	Verb       string // notify.VerbAcknowledge or notify.VerbResolve
	IncidentID int64
	// The Slack user who pressed the button.
	UserID, UserName, TeamID string
	// ResponseURL takes a replacement message; TriggerID is unique to the
	// press and serves to refuse replays.
	ResponseURL, TriggerID string
}

// Nonce is the key that makes a press act once: "" when Slack sent no
// trigger id.
func (a Action) Nonce() string {
	if a.TriggerID == "" {
		return ""
	}
	return "slack:" + a.TriggerID
}

type interaction struct {
	Type string `json:"type"`
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
		TeamID   string `json:"team_id"`
	} `json:"user"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	ResponseURL string `json:"response_url"`
	TriggerID   string `json:"trigger_id"`
	Actions     []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// ParseAction reads the payload form field of a Slack interaction request
// and returns the first Vigil button pressed in it.
func ParseAction(payload string) (Action, error) {
	if len(payload) > MaxPayload {
		return Action{}, fmt.Errorf("slack payload: %d bytes, at most %d", len(payload), MaxPayload)
	}
	var in interaction
	if err := json.Unmarshal([]byte(payload), &in); err != nil {
		return Action{}, fmt.Errorf("slack payload: %w", err)
	}
	if in.Type != "block_actions" {
		return Action{}, fmt.Errorf("%w: interaction type %q", notify.ErrNotVigilAction, provider.Truncate(in.Type, 40))
	}
	for _, a := range in.Actions {
		var verb string
		switch a.ActionID {
		case ActionAcknowledge:
			verb = notify.VerbAcknowledge
		case ActionResolve:
			verb = notify.VerbResolve
		default:
			continue
		}
		id, ok := provider.IncidentNumber(a.Value)
		if !ok {
			return Action{}, fmt.Errorf("slack action %s: incident %q is not a number", a.ActionID, provider.Truncate(a.Value, 20))
		}
		act := Action{Verb: verb, IncidentID: id, UserID: in.User.ID, UserName: in.User.Username,
			TeamID: in.User.TeamID, ResponseURL: in.ResponseURL, TriggerID: in.TriggerID}
		if act.UserName == "" {
			act.UserName = in.User.Name
		}
		if act.TeamID == "" {
			act.TeamID = in.Team.ID
		}
		if act.UserID == "" {
			return Action{}, errors.New("slack payload: no user")
		}
		return act, nil
	}
	return Action{}, fmt.Errorf("%w: no vigil_ack or vigil_resolve action", notify.ErrNotVigilAction)
}

// Reply is the replacement message for a press: outcome, and who acted
// when actor is not "" (the press acted).
func Reply(outcome, actor string) Message {
	text := outcome
	if actor != "" {
		text += " by " + strings.TrimPrefix(strings.TrimPrefix(actor, "user:"), "slack:")
	}
	return Message{Text: text, ReplaceOriginal: true, Blocks: []Block{
		{Type: "section", Text: &Text{Type: "mrkdwn", Text: text}},
	}}
}

// ResponseURLAllowed keeps the server from posting to whatever URL a
// (signed) payload names: Slack's hooks host over https, or the host of
// the configured Web API URL (a stand-in).
func ResponseURLAllowed(raw, apiURL string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" && u.Host == "hooks.slack.com" {
		return true
	}
	if apiURL == "" {
		return false
	}
	api, err := url.Parse(apiURL)
	return err == nil && api.Host != "" && u.Scheme == api.Scheme && u.Host == api.Host
}
