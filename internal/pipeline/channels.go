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
// that need a provider (email through SMTP) read it from the running
// configuration at each send, so a configuration change applies at once;
// secrets come from the environment variables the configuration names.
func DefaultChannels(m *org.Manager, getenv func(string) string) []notify.Channel {
	return []notify.Channel{
		notify.NewWebhook(&http.Client{Timeout: 10 * time.Second}),
		&emailChannel{org: m, getenv: getenv},
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
	cfg := notify.SMTPConfig{Host: p.Host, Port: p.Port, From: p.From, Username: p.Username, StartTLS: p.StartTLS}
	if p.PasswordEnv != "" {
		cfg.Password = e.getenv(p.PasswordEnv)
	}
	return notify.NewEmail(cfg).Send(ctx, to, m)
}
