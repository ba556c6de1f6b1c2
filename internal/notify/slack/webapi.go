package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api"

// Actor names who pressed a button: "user:<id>" when the bot token reads
// the presser's email and userByEmail finds the Vigil user with it,
// otherwise "slack:<username>" (or the Slack user id). err says why the
// email could not be read; the name returned with it is the fallback.
func Actor(ctx context.Context, client *http.Client, s Settings, a Action, userByEmail func(email string) (id string, ok bool)) (string, error) {
	fallback := "slack:" + a.UserName
	if a.UserName == "" {
		fallback = "slack:" + a.UserID
	}
	if s.BotToken == "" {
		return fallback, nil
	}
	apiURL := s.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	email, err := UserEmail(ctx, client, apiURL, s.BotToken, a.UserID)
	if err != nil {
		return fallback, err
	}
	if email == "" {
		return fallback, nil
	}
	if id, ok := userByEmail(email); ok {
		return "user:" + id, nil
	}
	return fallback, nil
}

// UserEmail asks Slack's users.info for a user's email address, with a
// bot token that has the users:read.email scope. apiURL is the Web API
// base (DefaultAPIURL, or a stand-in).
func UserEmail(ctx context.Context, client *http.Client, apiURL, botToken, userID string) (string, error) {
	base, err := provider.TargetURL("slack api", strings.TrimRight(apiURL, "/")+"/users.info")
	if err != nil {
		return "", err
	}
	base.RawQuery = url.Values{"user": {userID}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String(), nil)
	if err != nil {
		return "", fmt.Errorf("slack users.info: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+provider.HeaderSafe(botToken))
	req.Header.Set("User-Agent", "Vigil")
	resp, err := provider.Client(client).Do(req)
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
	if err := json.NewDecoder(io.LimitReader(resp.Body, provider.MaxAnswer)).Decode(&answer); err != nil {
		return "", fmt.Errorf("slack users.info: %w", err)
	}
	if !answer.OK {
		return "", fmt.Errorf("slack users.info: %s", provider.Truncate(provider.Printable([]byte(answer.Error)), 80))
	}
	return answer.User.Profile.Email, nil
}

// PostResponse sends a replacement message to an interaction's
// response_url.
func PostResponse(ctx context.Context, client *http.Client, responseURL string, m Message) error {
	return provider.PostJSON(ctx, client, "slack response", responseURL, m)
}
