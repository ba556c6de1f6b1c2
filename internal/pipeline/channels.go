package pipeline

import (
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/email"
	"github.com/vigil-oncall/vigil/internal/notify/mattermost"
	"github.com/vigil-oncall/vigil/internal/notify/ntfy"
	"github.com/vigil-oncall/vigil/internal/notify/slack"
	"github.com/vigil-oncall/vigil/internal/notify/teams"
	"github.com/vigil-oncall/vigil/internal/notify/twilio"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
	"github.com/vigil-oncall/vigil/internal/org"
)

// DefaultChannels returns the channels Vigil delivers through. Channels
// that need a provider (email through SMTP, SMS and voice through Twilio,
// ntfy's default server) read it from the running configuration at each
// send, so a configuration change applies at once; secrets come from the
// environment variables the configuration names.
func DefaultChannels(m *org.Manager, getenv func(string) string) []notify.Channel {
	client := &http.Client{Timeout: 10 * time.Second}
	providers := func() catalog.Providers { return m.Snapshot().Bundle.Org.Providers }
	account := func() (twilio.Account, error) { return twilio.AccountFrom(providers().Twilio, getenv) }
	return []notify.Channel{
		webhook.New(client),
		email.Configured(func() (email.Config, error) {
			return email.ConfigFrom(providers().SMTP, getenv)
		}),
		slack.New(client),
		teams.New(client),
		mattermost.New(client),
		ntfy.New(client, func() (ntfy.Server, error) {
			return ntfy.ServerFrom(providers().Ntfy, getenv), nil
		}),
		twilio.NewSMS(client, account),
		twilio.NewVoice(client, account),
	}
}
