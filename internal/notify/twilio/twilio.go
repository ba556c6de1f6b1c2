// Package twilio is the SMS and voice channels, types "sms" and "voice",
// through a Twilio-compatible REST API, and the webhooks Twilio calls
// back: SMS replies, key presses during a call and delivery reports.
package twilio

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// Paths of Vigil's Twilio webhooks (relative to the public URL).
const (
	SMSPath    = "/api/v1/twilio/sms"
	VoicePath  = "/api/v1/twilio/voice"
	StatusPath = "/api/v1/twilio/status"
)

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// maxSMS is the longest SMS body sent: two concatenated segments.
const maxSMS = 320

// Account is the org's Twilio provider (org.providers.twilio), with the
// auth token already read from its environment variable.
type Account struct {
	AccountSID string
	AuthToken  string
	From       string
	// BaseURL lets any Twilio-compatible provider, or a test server,
	// stand in; empty means DefaultBaseURL.
	BaseURL string
}

// AccountFrom reads p with getenv; a nil p is no provider at all.
func AccountFrom(p *catalog.TwilioProvider, getenv func(string) string) (Account, error) {
	if p == nil {
		return Account{}, errors.New("no Twilio provider configured (org.providers.twilio)")
	}
	return Account{AccountSID: p.AccountSID, AuthToken: provider.Secret(getenv, p.AuthTokenEnv), From: p.From, BaseURL: p.BaseURL}, nil
}

var (
	e164       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	accountSID = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
)

// Channel is the SMS channel or, with Voice, the voice channel: a
// form-encoded POST with basic auth (account SID, auth token) to
// {base}/2010-04-01/Accounts/{sid}/Messages.json with To, From, Body and
// StatusCallback, or to .../Calls.json with To, From, Twiml and
// StatusCallback.
//
// An SMS reads "Vigil #12 SEV2 checkout: Checkout latency high. Reply 4 to
// ack, 6 to resolve" (at most 320 characters). A call reads the incident out
// in a <Gather> whose key presses (4 acknowledge, 6 resolve) go to
// {public}/api/v1/twilio/voice?incident=12&user=alice&notification=7&sig=<token>.
// Delivery reports go to {public}/api/v1/twilio/status?notification=7&sig=<token>.
type Channel struct {
	Voice bool
	// Client sends the requests (nil: one with a 10s timeout).
	Client *http.Client
	// Account returns the provider settings at each send.
	Account func() (Account, error)
}

// NewSMS returns the SMS channel.
func NewSMS(client *http.Client, account func() (Account, error)) notify.Channel {
	return &Channel{Client: client, Account: account}
}

// NewVoice returns the voice channel.
func NewVoice(client *http.Client, account func() (Account, error)) notify.Channel {
	return &Channel{Voice: true, Client: client, Account: account}
}

// Type implements notify.Channel.
func (t *Channel) Type() string {
	if t.Voice {
		return "voice"
	}
	return "sms"
}

// Send implements notify.Channel.
func (t *Channel) Send(ctx context.Context, to notify.Destination, m notify.Message) error {
	if t.Account == nil {
		return &notify.PermanentError{Err: errors.New("no Twilio provider configured (org.providers.twilio)")}
	}
	acct, err := t.Account()
	if err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("twilio provider: %w", err)}
	}
	switch {
	case !accountSID.MatchString(acct.AccountSID):
		return &notify.PermanentError{Err: errors.New("twilio account_sid: want letters and digits")}
	case acct.AuthToken == "":
		return &notify.PermanentError{Err: errors.New("twilio auth token is empty: set the variable org.providers.twilio.auth_token_env names")}
	case !e164.MatchString(acct.From):
		return &notify.PermanentError{Err: fmt.Errorf("twilio from number %q: want E.164 such as +15550000000", provider.Truncate(provider.HeaderSafe(acct.From), 20))}
	case !e164.MatchString(to.Number):
		return &notify.PermanentError{Err: fmt.Errorf("phone number %q: want E.164 such as +4915100000001", provider.Truncate(provider.HeaderSafe(to.Number), 20))}
	}
	base := acct.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	target, err := provider.TargetURL("twilio base", base)
	if err != nil {
		return err
	}
	resource := "Messages.json"
	form := url.Values{"To": {to.Number}, "From": {acct.From}}
	if t.Voice {
		resource = "Calls.json"
		form.Set("Twiml", VoiceTwiML(m))
	} else {
		form.Set("Body", SMSBody(m))
	}
	if cb := statusCallback(m); cb != "" {
		form.Set("StatusCallback", cb)
	}
	endpoint := *target
	endpoint.Path = strings.TrimRight(target.Path, "/") + "/2010-04-01/Accounts/" + acct.AccountSID + "/" + resource
	endpoint.RawPath = ""
	req, err := provider.NewPost(ctx, &endpoint, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.SetBasicAuth(acct.AccountSID, acct.AuthToken)
	req.Header.Set("Accept", "application/json")
	_, err = provider.Post(t.Client, req, "twilio "+t.Type())
	return err
}

// SMSBody is the text of an SMS.
func SMSBody(m notify.Message) string {
	switch m.Kind {
	case notify.KindVerification:
		return "Your Vigil verification code is " + m.VerificationCode + ". It expires in 10 minutes."
	case notify.KindTest:
		return "Vigil test notification: this number receives your pages. Nothing to do."
	}
	prefix := "Vigil"
	if m.IncidentID != 0 {
		prefix += " #" + strconv.FormatInt(m.IncidentID, 10)
	}
	if s := provider.OneLine(m.Severity); s != "" {
		prefix += " " + s
	}
	if s := provider.OneLine(m.Service); s != "" {
		prefix += " " + s
	}
	prefix += ": "
	var suffix string
	if m.MoreAlerts > 0 {
		suffix = fmt.Sprintf(" (+%d more)", m.MoreAlerts)
	}
	if m.Kind == notify.KindUpdate && m.Status != "" {
		suffix += " is " + provider.OneLine(m.Status)
	}
	switch {
	case provider.CanAcknowledge(m):
		suffix += ". Reply 4 to ack, 6 to resolve"
	case provider.CanResolve(m):
		suffix += ". Reply 6 to resolve"
	}
	room := maxSMS - utf8.RuneCountInString(prefix) - utf8.RuneCountInString(suffix)
	return prefix + provider.CutRunes(provider.OneLine(provider.OrDash(m.Title)), max(room, 1)) + suffix
}

// VoiceTwiML is the TwiML a call runs.
func VoiceTwiML(m notify.Message) string {
	var b strings.Builder
	b.WriteString("<Response>")
	switch m.Kind {
	case notify.KindVerification:
		digits := strings.Join(strings.Split(m.VerificationCode, ""), ", ")
		say(&b, `loop="3"`, "Your Vigil verification code is "+digits+".")
	case notify.KindTest:
		say(&b, "", "This is a test call from Vigil. This number receives your pages. Goodbye.")
	default:
		text := "This is Vigil. "
		if m.IncidentID != 0 {
			text += "Incident " + strconv.FormatInt(m.IncidentID, 10) + ", "
		}
		if s := provider.OneLine(m.Severity); s != "" {
			text += s + ", "
		}
		if s := provider.OneLine(m.Service); s != "" {
			text += "on " + s + ": "
		}
		text += provider.CutRunes(provider.OneLine(provider.OrDash(m.Title)), 300) + "."
		if m.Kind == notify.KindUpdate && m.Status != "" {
			text += " It is " + provider.OneLine(m.Status) + "."
		}
		action := voiceAction(m)
		if action == "" || !provider.CanResolve(m) {
			say(&b, `loop="2"`, text)
			break
		}
		prompt := " Press 6 to resolve."
		if provider.CanAcknowledge(m) {
			prompt = " Press 4 to acknowledge, 6 to resolve."
		}
		b.WriteString(`<Gather numDigits="1" timeout="10" method="POST" action="`)
		_ = xml.EscapeText(&b, []byte(action))
		b.WriteString(`">`)
		say(&b, `loop="2"`, text+prompt)
		b.WriteString("</Gather>")
		say(&b, "", "No key pressed. Goodbye.")
	}
	b.WriteString("</Response>")
	return b.String()
}

func say(b *strings.Builder, attrs, text string) {
	b.WriteString("<Say")
	if attrs != "" {
		b.WriteString(" " + attrs)
	}
	b.WriteString(">")
	_ = xml.EscapeText(b, []byte(text))
	b.WriteString("</Say>")
}

// voiceAction is the URL key presses go to, or "" when the message cannot
// carry callbacks.
func voiceAction(m notify.Message) string {
	if m.PublicURL == "" || m.CallbackToken == "" || m.IncidentID == 0 {
		return ""
	}
	q := url.Values{
		"incident":     {strconv.FormatInt(m.IncidentID, 10)},
		"user":         {m.UserID},
		"notification": {strconv.FormatInt(m.NotificationID, 10)},
		"sig":          {m.CallbackToken},
	}
	return strings.TrimRight(m.PublicURL, "/") + VoicePath + "?" + q.Encode()
}

// statusCallback is the URL delivery reports go to, or "" for a message
// outside the outbox.
func statusCallback(m notify.Message) string {
	if m.PublicURL == "" || m.CallbackToken == "" || m.NotificationID == 0 {
		return ""
	}
	q := url.Values{"notification": {strconv.FormatInt(m.NotificationID, 10)}, "sig": {m.CallbackToken}}
	return strings.TrimRight(m.PublicURL, "/") + StatusPath + "?" + q.Encode()
}
