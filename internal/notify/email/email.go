// Package email is the email channel, type "email": one multipart text
// and HTML message per notification over SMTP.
package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// HeaderIdempotencyKey carries the notification's idempotency key in
// every mail; the Message-ID is derived from it as well.
const HeaderIdempotencyKey = "X-Vigil-Idempotency-Key"

const (
	defaultSMTPTimeout = 30 * time.Second
	maxSubjectRunes    = 200
	headerLineWidth    = 78
)

// Config is the org's SMTP provider (org.providers.smtp), with the
// password already read from its environment variable.
type Config struct {
	Host     string
	Port     int
	From     string // "vigil@example.com" or "Vigil <vigil@example.com>"
	Username string // PLAIN auth when set
	Password string
	// StartTLS requires the STARTTLS upgrade before anything else is sent;
	// a server that does not offer it is an error.
	StartTLS bool
	// ImplicitTLS speaks TLS from the first byte (SMTPS, usually port
	// 465) instead of upgrading with STARTTLS.
	ImplicitTLS bool
	// TLSConfig for STARTTLS and implicit TLS; nil verifies the server's
	// certificate for Host with the system roots.
	TLSConfig *tls.Config
	// Timeout bounds one whole send; 0 means 30s.
	Timeout time.Duration
	// Hostname is the name given in EHLO; empty sends "localhost".
	Hostname string
	// AllowInsecureAuth lets the password go over a connection without
	// TLS to a host that is not loopback. Off, such a send fails
	// permanently rather than leak the password.
	AllowInsecureAuth bool
	// Now stamps the Date header; nil means time.Now.
	Now func() time.Time
}

// ConfigFrom reads p with getenv; a nil p is no provider at all.
func ConfigFrom(p *catalog.SMTPProvider, getenv func(string) string) (Config, error) {
	if p == nil {
		return Config{}, errors.New("no SMTP provider configured (org.providers.smtp)")
	}
	return Config{Host: p.Host, Port: p.Port, From: p.From, Username: p.Username, Password: provider.Secret(getenv, p.PasswordEnv),
		StartTLS: p.StartTLS, ImplicitTLS: p.TLS}, nil
}

// Channel is the email channel, sending one message per notification
// over SMTP.
type Channel struct {
	config func() (Config, error)
}

// New returns the email channel for the SMTP provider cfg.
func New(cfg Config) notify.Channel {
	return &Channel{config: func() (Config, error) { return cfg, nil }}
}

// Configured returns the email channel that reads its SMTP provider from
// config at each send, so that a configuration change applies at once; an
// error from config fails the send permanently.
func Configured(config func() (Config, error)) notify.Channel {
	return &Channel{config: config}
}

// Type implements notify.Channel.
func (e *Channel) Type() string { return "email" }

// Send implements notify.Channel. 5xx SMTP answers, addresses that do not
// parse and configuration that cannot work are permanent failures; 4xx
// answers, timeouts and connection errors may be retried.
func (e *Channel) Send(ctx context.Context, to notify.Destination, m notify.Message) error {
	cfg, err := e.config()
	if err != nil {
		return &notify.PermanentError{Err: err}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultSMTPTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("smtp from address %q: %w", provider.HeaderSafe(cfg.From), err)}
	}
	rcpt, err := mail.ParseAddress(to.Address)
	if err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("email address %q: %w", provider.HeaderSafe(to.Address), err)}
	}
	if cfg.StartTLS && cfg.ImplicitTLS {
		return &notify.PermanentError{Err: fmt.Errorf("smtp %s: starttls and implicit tls exclude each other", cfg.Host)}
	}
	if cfg.Username != "" && !cfg.StartTLS && !cfg.ImplicitTLS && !cfg.AllowInsecureAuth && !isLoopbackHost(cfg.Host) {
		return &notify.PermanentError{Err: fmt.Errorf("smtp %s: refusing to send the password without TLS; enable starttls or tls", cfg.Host)}
	}
	msg, err := compose(from, rcpt, to.UserName, m, cfg.Now())
	if err != nil {
		return &notify.PermanentError{Err: err}
	}

	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	dialer := net.Dialer{Timeout: cfg.Timeout}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp connect %s: %w", addr, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(cfg.Timeout)); err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	// net/smtp knows no context: when ctx ends (cancelled or past its
	// deadline) the connection's deadline expires, which unblocks it.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if cfg.ImplicitTLS {
		tlsConn := tls.Client(conn, tlsConfig(cfg))
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp %s: %w", addr, classifySMTP("TLS handshake", err))
		}
		// net/smtp sees a *tls.Conn and treats the session as encrypted.
		conn = tlsConn
	}

	if err := converse(cfg, conn, from.Address, rcpt.Address, msg); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("smtp %s: %w: %w", addr, ctxErr, err)
		}
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	return nil
}

// converse runs one SMTP session on conn. Errors say which step failed and
// are permanent where retrying cannot help.
func converse(cfg Config, conn net.Conn, from, rcpt string, msg []byte) error {
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		return classifySMTP("greeting", err)
	}
	defer c.Close()
	if cfg.Hostname != "" {
		if err := c.Hello(cfg.Hostname); err != nil {
			return classifySMTP("EHLO", err)
		}
	}
	if cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &notify.PermanentError{Err: errors.New("STARTTLS required but the server does not offer it")}
		}
		if err := c.StartTLS(tlsConfig(cfg)); err != nil {
			return classifySMTP("STARTTLS", err)
		}
	}
	if cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return &notify.PermanentError{Err: errors.New("a username is configured but the server offers no AUTH")}
		}
		auth := &plainAuth{
			username: cfg.Username, password: cfg.Password, host: cfg.Host,
			allowInsecure: cfg.AllowInsecureAuth,
		}
		if err := c.Auth(auth); err != nil {
			return classifySMTP("AUTH", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return classifySMTP("MAIL FROM", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return classifySMTP("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classifySMTP("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return classifySMTP("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classifySMTP("end of DATA", err)
	}
	// The server has taken the message; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// tlsConfig is the configuration of the TLS session, for STARTTLS and
// implicit TLS alike: at least TLS 1.2, the server's certificate verified
// for Host.
func tlsConfig(cfg Config) *tls.Config {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsCfg = cfg.TLSConfig.Clone()
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = cfg.Host
	}
	return tlsCfg
}

// classifySMTP makes 5xx answers, refused credentials and certificates
// that do not verify permanent; the rest (4xx, I/O) stays retryable.
func classifySMTP(step string, err error) error {
	wrapped := fmt.Errorf("%s: %w", step, err)
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 && reply.Code < 600 {
		return &notify.PermanentError{Err: wrapped}
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) || errors.Is(err, errInsecureAuth) {
		return &notify.PermanentError{Err: wrapped}
	}
	return wrapped
}

var errInsecureAuth = errors.New("refusing to send the password over an unencrypted connection")

// plainAuth is SASL PLAIN. net/smtp.PlainAuth refuses connections without
// TLS except to "localhost" by name; this one also accepts any loopback
// address, and others when the configuration allows it explicitly.
type plainAuth struct {
	username, password, host string
	allowInsecure            bool
}

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if server.Name != a.host {
		return "", nil, fmt.Errorf("auth for %q offered to %q", a.host, server.Name)
	}
	if !server.TLS && !a.allowInsecure && !isLoopbackHost(server.Name) {
		return "", nil, errInsecureAuth
	}
	return "PLAIN", []byte("\x00" + a.username + "\x00" + a.password), nil
}

func (a *plainAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge during PLAIN auth")
	}
	return nil, nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// compose returns the RFC 5322 message: a multipart/alternative with a
// plain text and an HTML part, both quoted-printable so that every line is
// short and 7-bit.
func compose(from, rcpt *mail.Address, rcptName string, m notify.Message, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	toAddr := mail.Address{Name: provider.OneLine(rcptName), Address: rcpt.Address}
	fromAddr := mail.Address{Name: provider.OneLine(from.Name), Address: from.Address}
	writeHeader(&b, "From", fromAddr.String())
	writeHeader(&b, "To", toAddr.String())
	writeHeader(&b, "Subject", encodeHeaderText(subjectLine(m)))
	writeHeader(&b, "Date", now.Format(time.RFC1123Z))
	if m.IdempotencyKey != "" {
		writeHeader(&b, "Message-ID", messageID(m.IdempotencyKey))
		writeHeader(&b, HeaderIdempotencyKey, encodeHeaderText(m.IdempotencyKey))
	}
	// Stops vacation responders and ticket systems from answering pages.
	writeHeader(&b, "Auto-Submitted", "auto-generated")
	writeHeader(&b, "MIME-Version", "1.0")

	boundary := mimeBoundary(m.IdempotencyKey)
	writeHeader(&b, "Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
	b.WriteString("\r\n")

	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, fmt.Errorf("mime boundary: %w", err)
	}
	var text, html bytes.Buffer
	writeText(&text, m)
	if err := htmlTemplate.Execute(&html, view(m)); err != nil {
		return nil, fmt.Errorf("render email: %w", err)
	}
	for _, part := range []struct {
		contentType string
		body        []byte
	}{
		{"text/plain; charset=utf-8", text.Bytes()},
		{"text/html; charset=utf-8", html.Bytes()},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.contentType},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("email part: %w", err)
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write(part.body); err != nil {
			return nil, fmt.Errorf("email part: %w", err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("email part: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return b.Bytes(), nil
}

// subjectLine reads like "[Vigil] SEV2 triggered: Checkout latency high".
func subjectLine(m notify.Message) string {
	if m.Kind == notify.KindTest {
		return "[Vigil] Test notification"
	}
	var s strings.Builder
	s.WriteString("[Vigil]")
	for _, word := range []string{m.Severity, m.Status} {
		if word = provider.OneLine(word); word != "" {
			s.WriteString(" " + word)
		}
	}
	s.WriteString(": ")
	s.WriteString(provider.OneLine(m.Title))
	if m.MoreAlerts > 0 {
		fmt.Fprintf(&s, " (+%d more)", m.MoreAlerts)
	}
	return provider.CutRunes(provider.OneLine(s.String()), maxSubjectRunes)
}

func headline(m notify.Message) string {
	subject := subjectLine(m)
	return strings.TrimPrefix(subject, "[Vigil] ")
}

// encodeHeaderText makes an unstructured header value: one line, and
// RFC 2047 encoded words when it is not plain ASCII or holds "=?", which
// a mail reader would otherwise decode as an encoded word of its own.
func encodeHeaderText(s string) string {
	s = provider.OneLine(s)
	plain := !strings.Contains(s, "=?")
	for i := 0; plain && i < len(s); i++ {
		plain = s[i] >= 0x20 && s[i] < 0x7f
	}
	if plain {
		return s
	}
	// 45 bytes make a 75-character word, the most RFC 2047 allows; words
	// end on rune boundaries so that each decodes alone.
	const chunk = 45
	var words []string
	for len(s) > 0 {
		n := min(chunk, len(s))
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// writeHeader writes "Name: value", folded at spaces so that lines stay
// near 78 characters; value must already be one line.
func writeHeader(b *bytes.Buffer, name, value string) {
	line := len(name) + 1
	b.WriteString(name + ":")
	for _, word := range strings.Split(value, " ") {
		if line+1+len(word) > headerLineWidth && line > len(name)+1 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(" " + word)
		line += 1 + len(word)
	}
	b.WriteString("\r\n")
}

// messageID derives the Message-ID from the idempotency key, so that every
// attempt of one notification has the same one and mail systems drop
// repeats. Keys that are not plain dot-atom text are hashed.
func messageID(key string) string {
	local := key
	if !isDotAtom(key) || len(key) > 128 {
		sum := sha256.Sum256([]byte(key))
		local = "k" + hex.EncodeToString(sum[:16])
	}
	return "<" + local + "@vigil>"
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// mimeBoundary is stable per message and contains "=_", which
// quoted-printable text can never contain, so it cannot clash with a part.
func mimeBoundary(key string) string {
	sum := sha256.Sum256([]byte("boundary:" + key))
	return "=_vigil_" + hex.EncodeToString(sum[:12])
}

func writeText(b *bytes.Buffer, m notify.Message) {
	fmt.Fprintf(b, "%s\n\n", headline(m))
	for _, f := range fields(m) {
		fmt.Fprintf(b, "%s: %s\n", f[0], f[1])
	}
	if m.Summary != "" {
		fmt.Fprintf(b, "\n%s\n", strings.ToValidUTF8(m.Summary, "\uFFFD"))
	}
	if m.MoreAlerts > 0 {
		fmt.Fprintf(b, "\n%d more alerts are grouped into this incident.\n", m.MoreAlerts)
	}
	b.WriteString("\n")
	if m.AcknowledgeURL != "" {
		fmt.Fprintf(b, "Acknowledge: %s\n", m.AcknowledgeURL)
	}
	if m.ResolveURL != "" {
		fmt.Fprintf(b, "Resolve: %s\n", m.ResolveURL)
	}
	if m.IncidentURL != "" {
		fmt.Fprintf(b, "Incident #%d: %s\n", m.IncidentID, m.IncidentURL)
	}
	if m.AcknowledgeURL != "" || m.ResolveURL != "" {
		b.WriteString("\nEach action link opens a confirmation page; it works once and expires.\n")
	}
	b.WriteString("\n-- \nVigil\n")
}

type viewData struct {
	Headline, Summary                       string
	Fields                                  [][2]string
	MoreAlerts                              int
	IncidentID                              int64
	AcknowledgeURL, ResolveURL, IncidentURL string
}

// fields are the incident's facts a mail lists: those with more than
// white space.
func fields(m notify.Message) [][2]string {
	var out [][2]string
	for _, f := range provider.Facts(m, "Service", "Severity", "Urgency", "Status") {
		if f[1] != "" {
			out = append(out, f)
		}
	}
	return out
}

func view(m notify.Message) viewData {
	return viewData{
		Headline:       headline(m),
		Summary:        strings.ToValidUTF8(m.Summary, "\uFFFD"),
		Fields:         fields(m),
		MoreAlerts:     m.MoreAlerts,
		IncidentID:     m.IncidentID,
		AcknowledgeURL: m.AcknowledgeURL,
		ResolveURL:     m.ResolveURL,
		IncidentURL:    m.IncidentURL,
	}
}

// The buttons are plain links: they open the confirmation page, and only
// its POST acts, so mail scanners that follow links change nothing.
var htmlTemplate = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Headline}}</title></head>
<body style="font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;max-width:40em">
<h2 style="margin:0 0 .5em">{{.Headline}}</h2>
{{- if .Fields}}
<table style="border-collapse:collapse;margin:0 0 1em">
{{- range .Fields}}
<tr><td style="padding:2px 12px 2px 0;color:#59636e">{{index . 0}}</td><td style="padding:2px 0">{{index . 1}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Summary}}
<p style="white-space:pre-wrap">{{.Summary}}</p>
{{- end}}
{{- if .MoreAlerts}}
<p>{{.MoreAlerts}} more alerts are grouped into this incident.</p>
{{- end}}
<p style="margin:1.5em 0">
{{- if .AcknowledgeURL}}
<a href="{{.AcknowledgeURL}}" style="display:inline-block;padding:10px 18px;margin-right:8px;background:#0969da;color:#ffffff;text-decoration:none;border-radius:6px">Acknowledge</a>
{{- end}}
{{- if .ResolveURL}}
<a href="{{.ResolveURL}}" style="display:inline-block;padding:10px 18px;background:#1a7f37;color:#ffffff;text-decoration:none;border-radius:6px">Resolve</a>
{{- end}}
</p>
{{- if .IncidentURL}}
<p><a href="{{.IncidentURL}}">Incident #{{.IncidentID}}</a></p>
{{- end}}
{{- if or .AcknowledgeURL .ResolveURL}}
<p style="color:#59636e;font-size:90%">Each button opens a confirmation page; the links work once and expire.</p>
{{- end}}
</body>
</html>
`))
