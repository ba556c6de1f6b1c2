package notify

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
)

// NtfyServer is the org's default ntfy server (org.providers.ntfy), with
// the access token already read from its environment variable.
type NtfyServer struct {
	URL   string
	Token string
}

// ntfyTopic is what ntfy accepts as a topic name.
var ntfyTopic = regexp.MustCompile(`^[-_A-Za-z0-9]{1,64}$`)

// Ntfy is the ntfy push channel, type "ntfy". It publishes to
// {server}/{topic}, the server being the contact method's url or else the
// org default, with the message as the body and these headers:
//
//	Title: [SEV2] #12 checkout: Checkout latency high
//	Priority: urgent            (high urgency; "default" otherwise)
//	Tags: rotating_light,sev2
//	Click: https://vigil.example.com/incidents/12
//	Actions: http, Acknowledge, <signed link>, method=POST, clear=true; http, Resolve, <signed link>, method=POST, clear=true
//	Authorization: Bearer <token>   (only to the org default server)
//
// The action buttons POST to the signed links, which act at once.
type Ntfy struct {
	// Client sends the requests (nil: one with a 10s timeout).
	Client *http.Client
	// Default returns the org's default server; nil or an empty URL means
	// there is none and every contact method must name its server.
	Default func() (NtfyServer, error)
}

// NewNtfy returns the ntfy channel sending with client, reading the default
// server from def at each send.
func NewNtfy(client *http.Client, def func() (NtfyServer, error)) Channel {
	return &Ntfy{Client: client, Default: def}
}

// Type implements Channel.
func (n *Ntfy) Type() string { return "ntfy" }

// Send implements Channel.
func (n *Ntfy) Send(ctx context.Context, to Destination, m Message) error {
	if !ntfyTopic.MatchString(to.Topic) {
		return &PermanentError{Err: fmt.Errorf("ntfy topic %q: use 1 to 64 letters, digits, '-' and '_'", truncate(headerSafe(to.Topic), 70))}
	}
	var def NtfyServer
	if n.Default != nil {
		var err error
		if def, err = n.Default(); err != nil {
			return &PermanentError{Err: fmt.Errorf("ntfy provider: %w", err)}
		}
	}
	server, token := to.URL, ""
	if server == "" || sameServer(server, def.URL) {
		server, token = def.URL, def.Token
	}
	if server == "" {
		return &PermanentError{Err: errors.New("no ntfy server: set the contact method's url or org.providers.ntfy")}
	}
	base, err := targetURL("ntfy server", server)
	if err != nil {
		return err
	}
	target := *base
	target.Path = strings.TrimRight(base.Path, "/") + "/" + to.Topic
	target.RawPath = ""

	req, err := newPost(ctx, &target, "text/plain; charset=utf-8", strings.NewReader(ntfyBody(m)))
	if err != nil {
		return err
	}
	for name, value := range NtfyHeaders(m) {
		req.Header.Set(name, value)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+headerSafe(token))
	}
	_, err = post(n.Client, req, "ntfy")
	return err
}

// NtfyHeaders returns the publish headers for m.
func NtfyHeaders(m Message) map[string]string {
	h := map[string]string{}
	title := headline(m)
	if m.Kind == KindTest {
		title = "Test notification from Vigil"
	}
	// ntfy reads RFC 2047 encoded words, so a title need not be ASCII.
	h["Title"] = mime.QEncoding.Encode("utf-8", cut(title, 250))
	h["Priority"] = "default"
	tags := []string{"warning"}
	switch {
	case m.Kind == KindTest:
		tags = []string{"white_check_mark"}
	case m.Urgency == "high":
		h["Priority"] = "urgent"
		tags = []string{"rotating_light"}
	}
	if sev := strings.ToLower(oneLine(m.Severity)); sev != "" && !strings.ContainsAny(sev, ", ") {
		tags = append(tags, sev)
	}
	h["Tags"] = headerSafe(strings.Join(tags, ","))
	if m.IncidentURL != "" {
		h["Click"] = headerSafe(m.IncidentURL)
	}
	var actions []string
	if canAcknowledge(m) && m.AcknowledgeURL != "" {
		actions = append(actions, "http, Acknowledge, "+ntfyQuote(m.AcknowledgeURL)+", method=POST, clear=true")
	}
	if canResolve(m) && m.ResolveURL != "" {
		actions = append(actions, "http, Resolve, "+ntfyQuote(m.ResolveURL)+", method=POST, clear=true")
	}
	if len(actions) > 0 {
		h["Actions"] = headerSafe(strings.Join(actions, "; "))
	}
	return h
}

func ntfyBody(m Message) string {
	var b strings.Builder
	b.WriteString(orDash(m.Summary))
	var facts []string
	for _, f := range [][2]string{{"Status", m.Status}, {"Urgency", m.Urgency}} {
		if f[1] != "" {
			facts = append(facts, f[0]+": "+oneLine(f[1]))
		}
	}
	if m.MoreAlerts > 0 {
		facts = append(facts, fmt.Sprintf("+%d more alerts", m.MoreAlerts))
	}
	if len(facts) > 0 {
		b.WriteString("\n" + strings.Join(facts, " · "))
	}
	return b.String()
}

// ntfyQuote quotes a value of the Actions header that holds a separator.
func ntfyQuote(s string) string {
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
