// Package ntfy is the ntfy push channel, type "ntfy": a publish to
// {server}/{topic} with the message in the body and its facts in headers.
package ntfy

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// Server is the org's default ntfy server (org.providers.ntfy), with the
// access token already read from its environment variable.
type Server struct {
	URL   string
	Token string
}

// ServerFrom reads p, which may be nil (no default server), with getenv.
func ServerFrom(p *catalog.NtfyProvider, getenv func(string) string) Server {
	if p == nil {
		return Server{}
	}
	return Server{URL: p.URL, Token: provider.Secret(getenv, p.TokenEnv)}
}

// topicName is what ntfy accepts as a topic name.
var topicName = regexp.MustCompile(`^[-_A-Za-z0-9]{1,64}$`)

// Channel publishes to {server}/{topic}, the server being the contact
// method's url or else the org default, with the message as the body and
// these headers:
//
//	Title: [SEV2] #12 checkout: Checkout latency high
//	Priority: urgent            (high urgency; "default" otherwise)
//	Tags: rotating_light,sev2
//	Click: https://vigil.example.com/incidents/12
//	Actions: http, Acknowledge, <signed link>, method=POST, clear=true; http, Resolve, <signed link>, method=POST, clear=true
//	Authorization: Bearer <token>   (only to the org default server)
//
// The action buttons POST to the signed links, which act at once.
type Channel struct {
	// Client sends the requests (nil: one with a 10s timeout).
	Client *http.Client
	// Default returns the org's default server; nil or an empty URL means
	// there is none and every contact method must name its server.
	Default func() (Server, error)
}

// New returns the ntfy channel sending with client, reading the default
// server from def at each send.
func New(client *http.Client, def func() (Server, error)) notify.Channel {
	return &Channel{Client: client, Default: def}
}

// Type implements notify.Channel.
func (n *Channel) Type() string { return "ntfy" }

// Send implements notify.Channel.
func (n *Channel) Send(ctx context.Context, to notify.Destination, m notify.Message) error {
	if !topicName.MatchString(to.Topic) {
		return &notify.PermanentError{Err: fmt.Errorf("ntfy topic %q: use 1 to 64 letters, digits, '-' and '_'", provider.Truncate(provider.HeaderSafe(to.Topic), 70))}
	}
	var def Server
	if n.Default != nil {
		var err error
		if def, err = n.Default(); err != nil {
			return &notify.PermanentError{Err: fmt.Errorf("ntfy provider: %w", err)}
		}
	}
	server, token := to.URL, ""
	if server == "" || sameServer(server, def.URL) {
		server, token = def.URL, def.Token
	}
	if server == "" {
		return &notify.PermanentError{Err: errors.New("no ntfy server: set the contact method's url or org.providers.ntfy")}
	}
	base, err := provider.TargetURL("ntfy server", server)
	if err != nil {
		return err
	}
	target := *base
	target.Path = strings.TrimRight(base.Path, "/") + "/" + to.Topic
	target.RawPath = ""

	req, err := provider.NewPost(ctx, &target, "text/plain; charset=utf-8", strings.NewReader(body(m)))
	if err != nil {
		return err
	}
	for name, value := range Headers(m) {
		req.Header.Set(name, value)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+provider.HeaderSafe(token))
	}
	_, err = provider.Post(n.Client, req, "ntfy")
	return err
}

// Headers returns the publish headers for m.
func Headers(m notify.Message) map[string]string {
	h := map[string]string{}
	// ntfy reads RFC 2047 encoded words, so a title need not be ASCII.
	h["Title"] = mime.QEncoding.Encode("utf-8", provider.Cut(provider.Headline(m), 250))
	h["Priority"] = "default"
	tags := []string{"warning"}
	switch {
	case m.Kind == notify.KindTest:
		tags = []string{"white_check_mark"}
	case m.Urgency == "high":
		h["Priority"] = "urgent"
		tags = []string{"rotating_light"}
	}
	if sev := strings.ToLower(provider.OneLine(m.Severity)); sev != "" && !strings.ContainsAny(sev, ", ") {
		tags = append(tags, sev)
	}
	h["Tags"] = provider.HeaderSafe(strings.Join(tags, ","))
	if m.IncidentURL != "" {
		h["Click"] = provider.HeaderSafe(m.IncidentURL)
	}
	var actions []string
	if provider.CanAcknowledge(m) && m.AcknowledgeURL != "" {
		actions = append(actions, "http, Acknowledge, "+quote(m.AcknowledgeURL)+", method=POST, clear=true")
	}
	if provider.CanResolve(m) && m.ResolveURL != "" {
		actions = append(actions, "http, Resolve, "+quote(m.ResolveURL)+", method=POST, clear=true")
	}
	if len(actions) > 0 {
		h["Actions"] = provider.HeaderSafe(strings.Join(actions, "; "))
	}
	return h
}

func body(m notify.Message) string {
	var b strings.Builder
	b.WriteString(provider.OrDash(m.Summary))
	var facts []string
	for _, f := range provider.Facts(m, "Status", "Urgency") {
		facts = append(facts, f[0]+": "+f[1])
	}
	if m.MoreAlerts > 0 {
		facts = append(facts, fmt.Sprintf("+%d more alerts", m.MoreAlerts))
	}
	if len(facts) > 0 {
		b.WriteString("\n" + strings.Join(facts, " · "))
	}
	return b.String()
}

// quote quotes a value of the Actions header that holds a separator.
func quote(s string) string {
	if strings.ContainsAny(s, ",;\"'") {
		return `"` + strings.ReplaceAll(s, `"`, `%22`) + `"`
	}
	return s
}

// sameServer compares two server URLs ignoring a trailing slash and the
// case of the scheme and host.
func sameServer(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.TrimRight(s, "/")) }
	return a != "" && b != "" && norm(a) == norm(b)
}
