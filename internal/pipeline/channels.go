package pipeline

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
)

// DefaultChannels returns the channels Vigil delivers through. Channels
// that need a provider (email through SMTP, SMS and voice through Twilio,
// ntfy's default server) read it from the running configuration at each
// send, so a configuration change applies at once; secrets come from the
// environment variables the configuration names.
func DefaultChannels(m *org.Manager, getenv func(string) string) []notify.Channel {
	client := &http.Client{Timeout: 10 * time.Second}
	twilio := func() (notify.TwilioAccount, error) {
		p := m.Snapshot().Bundle.Org.Providers.Twilio
		if p == nil {
			return notify.TwilioAccount{}, errors.New("no Twilio provider configured (org.providers.twilio)")
		}
		a := notify.TwilioAccount{AccountSID: p.AccountSID, From: p.From, BaseURL: p.BaseURL}
		if p.AuthTokenEnv != "" {
			a.AuthToken = getenv(p.AuthTokenEnv)
		}
		return a, nil
	}
	ntfy := func() (notify.NtfyServer, error) {
		p := m.Snapshot().Bundle.Org.Providers.Ntfy
		if p == nil {
			return notify.NtfyServer{}, nil
		}
		s := notify.NtfyServer{URL: p.URL}
		if p.TokenEnv != "" {
			s.Token = getenv(p.TokenEnv)
		}
		return s, nil
	}
	return []notify.Channel{
		notify.NewWebhook(client),
		&emailChannel{org: m, getenv: getenv},
		notify.NewSlack(client),
		notify.NewTeams(client),
		notify.NewMattermost(client),
		notify.NewNtfy(client, ntfy),
		notify.NewSMS(client, twilio),
		notify.NewVoice(client, twilio),
	}
}

type emailChannel struct {
	org    *org.Manager
	getenv func(string) string
}

func (e *emailChannel) Type() string { return "email" }

func (e *emailChannel) Send(ctx context.Context, to notify.Destination, m notify.Message) error {
	p := e.org.Snapshot().Bundle.Org.Providers.SMTP
	if p == nil {
		return &notify.PermanentError{Err: errors.New("no SMTP provider configured (org.providers.smtp)")}
	}
	cfg := notify.SMTPConfig{Host: p.Host, Port: p.Port, From: p.From, Username: p.Username, StartTLS: p.StartTLS, ImplicitTLS: p.TLS}
	if p.PasswordEnv != "" {
		cfg.Password = e.getenv(p.PasswordEnv)
	}
	return notify.NewEmail(cfg).Send(ctx, to, m)
}
