package notify

import (
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
	"strings"
	"time"
)

// Slack request signing headers.
const (
	HeaderSlackSignature = "X-Slack-Signature"
	HeaderSlackTimestamp = "X-Slack-Request-Timestamp"
)

// SlackMaxAge is how old a signed Slack request may be.
const SlackMaxAge = 5 * time.Minute

// MaxSlackPayload bounds the interaction payload ParseSlackAction reads.
const MaxSlackPayload = 256 << 10

// SignSlack returns the X-Slack-Signature of body sent at timestamp: "v0="
// and the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:{timestamp}:{body}".
func SignSlack(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySlackSignature checks a request from Slack: header is the
// X-Slack-Signature value, timestamp the X-Slack-Request-Timestamp value
// and body the raw body. A timestamp more than maxAge from now, either
// way, is refused, so that a captured request cannot be replayed later.
func VerifySlackSignature(secret, timestamp string, body []byte, header string, now time.Time, maxAge time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: no signing secret configured", ErrSignatureMismatch)
	}
	return verifyTimestamped("v0=", timestamp, header, now, maxAge, func() string {
		return SignSlack(secret, timestamp, body)
	})
}

// SlackAction is a press of one of Vigil's buttons, read from a Slack
// block_actions interaction payload.
type SlackAction struct {
	Verb       string // VerbAcknowledge or VerbResolve
	IncidentID int64
	// The Slack user who pressed the button.
	UserID, UserName, TeamID string
	// ResponseURL takes a replacement message; TriggerID is unique to the
	// press and serves to refuse replays.
	ResponseURL, TriggerID string
}

// ErrNotVigilAction is returned for a Slack interaction that is not a
// press of one of Vigil's buttons.
var ErrNotVigilAction = errors.New("not a Vigil button press")

type slackInteraction struct {
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

// ParseSlackAction reads the payload form field of a Slack interaction
// request and returns the first Vigil button pressed in it.
func ParseSlackAction(payload string) (SlackAction, error) {
	if len(payload) > MaxSlackPayload {
		return SlackAction{}, fmt.Errorf("slack payload: %d bytes, at most %d", len(payload), MaxSlackPayload)
	}
	var in slackInteraction
	if err := json.Unmarshal([]byte(payload), &in); err != nil {
		return SlackAction{}, fmt.Errorf("slack payload: %w", err)
	}
	if in.Type != "block_actions" {
		return SlackAction{}, fmt.Errorf("%w: interaction type %q", ErrNotVigilAction, truncate(in.Type, 40))
	}
	for _, a := range in.Actions {
		var verb string
		switch a.ActionID {
		case SlackActionAcknowledge:
			verb = VerbAcknowledge
		case SlackActionResolve:
			verb = VerbResolve
		default:
			continue
		}
		id, err := parseIncidentNumber(a.Value)
		if err != nil {
			return SlackAction{}, fmt.Errorf("slack action %s: incident %q is not a number", a.ActionID, truncate(a.Value, 20))
		}
		act := SlackAction{Verb: verb, IncidentID: id, UserID: in.User.ID, UserName: in.User.Username,
			TeamID: in.User.TeamID, ResponseURL: in.ResponseURL, TriggerID: in.TriggerID}
		if act.UserName == "" {
			act.UserName = in.User.Name
		}
		if act.TeamID == "" {
			act.TeamID = in.Team.ID
		}
		if act.UserID == "" {
			return SlackAction{}, errors.New("slack payload: no user")
		}
		return act, nil
	}
	return SlackAction{}, fmt.Errorf("%w: no vigil_ack or vigil_resolve action", ErrNotVigilAction)
}

// DefaultSlackAPIURL is Slack's Web API.
const DefaultSlackAPIURL = "https://slack.com/api"

// SlackUserEmail asks Slack's users.info for a user's email address, with
// a bot token that has the users:read.email scope. apiURL is the Web API
// base (DefaultSlackAPIURL, or a stand-in).
func SlackUserEmail(ctx context.Context, client *http.Client, apiURL, botToken, userID string) (string, error) {
	base, err := targetURL("slack api", strings.TrimRight(apiURL, "/")+"/users.info")
	if err != nil {
		return "", err
	}
	base.RawQuery = url.Values{"user": {userID}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String(), nil)
	if err != nil {
		return "", fmt.Errorf("slack users.info: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+headerSafe(botToken))
	req.Header.Set("User-Agent", "Vigil")
	resp, err := defaultClient(client).Do(req)
	if err != nil {
		return "", fmt.Errorf("slack users.info: %w", err)
	}
	defer resp.Body.Close()
	var answer struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		User  struct {
			Profile struct {
				Email string `json:"email"`
			} `json:"profile"`
		} `json:"user"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("slack users.info: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxProviderAnswer)).Decode(&answer); err != nil {
		return "", fmt.Errorf("slack users.info: %w", err)
	}
	if !answer.OK {
		return "", fmt.Errorf("slack users.info: %s", truncate(printable([]byte(answer.Error)), 80))
	}
	return answer.User.Profile.Email, nil
}

// PostSlackResponse sends a replacement message to an interaction's
// response_url.
func PostSlackResponse(ctx context.Context, client *http.Client, responseURL string, m SlackMessage) error {
	return postJSON(ctx, client, "slack response", responseURL, m)
}
