package notify

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
)

// Paths of Vigil's Twilio webhooks (relative to the public URL).
const (
	TwilioSMSPath    = "/api/v1/twilio/sms"
	TwilioVoicePath  = "/api/v1/twilio/voice"
	TwilioStatusPath = "/api/v1/twilio/status"
)

// DefaultTwilioBaseURL is Twilio's REST API.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// maxSMS is the longest SMS body sent: two concatenated segments.
const maxSMS = 320

// TwilioAccount is the org's Twilio provider (org.providers.twilio), with
// the auth token already read from its environment variable.
type TwilioAccount struct {
	AccountSID string
	AuthToken  string
	From       string
	// BaseURL lets any Twilio-compatible provider, or a test server,
	// stand in; empty means DefaultTwilioBaseURL.
	BaseURL string
}

var (
	e164       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	accountSID = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
)

// Twilio is the SMS channel (type "sms") or, with Voice, the voice channel
// (type "voice"), through a Twilio-compatible REST API: a form-encoded
// POST with basic auth (account SID, auth token) to
// {base}/2010-04-01/Accounts/{sid}/Messages.json with To, From, Body and
// StatusCallback, or to .../Calls.json with To, From, Twiml and
// StatusCallback.
//
// An SMS reads "Vigil #12 SEV2 checkout: Checkout latency high. Reply 4 to
// ack, 6 to resolve" (at most 320 characters). A call reads the incident out
// in a <Gather> whose key presses (4 acknowledge, 6 resolve) go to
// {public}/api/v1/twilio/voice?incident=12&user=alice&notification=7&sig=<token>.
// Delivery reports go to {public}/api/v1/twilio/status?notification=7&sig=<token>.
type Twilio struct {
	Voice bool
	// Client sends the requests (nil: one with a 10s timeout).
	Client *http.Client
	// Account returns the provider settings at each send.
	Account func() (TwilioAccount, error)
}

// NewSMS returns the SMS channel.
func NewSMS(client *http.Client, account func() (TwilioAccount, error)) Channel {
	return &Twilio{Client: client, Account: account}
}

// NewVoice returns the voice channel.
func NewVoice(client *http.Client, account func() (TwilioAccount, error)) Channel {
	return &Twilio{Voice: true, Client: client, Account: account}
}

// Type implements Channel.
func (t *Twilio) Type() string {
	if t.Voice {
		return "voice"
	}
	return "sms"
}

// Send implements Channel.
func (t *Twilio) Send(ctx context.Context, to Destination, m Message) error {
	if t.Account == nil {
		return &PermanentError{Err: errors.New("no Twilio provider configured (org.providers.twilio)")}
	}
	acct, err := t.Account()
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("twilio provider: %w", err)}
	}
	switch {
	case !accountSID.MatchString(acct.AccountSID):
		return &PermanentError{Err: errors.New("twilio account_sid: want letters and digits")}
	case acct.AuthToken == "":
		return &PermanentError{Err: errors.New("twilio auth token is empty: set the variable org.providers.twilio.auth_token_env names")}
	case !e164.MatchString(acct.From):
		return &PermanentError{Err: fmt.Errorf("twilio from number %q: want E.164 such as +15550000000", truncate(headerSafe(acct.From), 20))}
	case !e164.MatchString(to.Number):
		return &PermanentError{Err: fmt.Errorf("phone number %q: want E.164 such as +4915100000001", truncate(headerSafe(to.Number), 20))}
	}
	base := acct.BaseURL
	if base == "" {
		base = DefaultTwilioBaseURL
	}
	target, err := targetURL("twilio base", base)
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
	req, err := newPost(ctx, &endpoint, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.SetBasicAuth(acct.AccountSID, acct.AuthToken)
	req.Header.Set("Accept", "application/json")
	_, err = post(t.Client, req, "twilio "+t.Type())
	return err
}

// SMSBody is the text of an SMS.
func SMSBody(m Message) string {
	switch m.Kind {
	case KindVerification:
		return "Your Vigil verification code is " + m.VerificationCode + ". It expires in 10 minutes."
	case KindTest:
		return "Vigil test notification: this number receives your pages. Nothing to do."
	}
	prefix := "Vigil"
	if m.IncidentID != 0 {
		prefix += " #" + strconv.FormatInt(m.IncidentID, 10)
	}
	if s := oneLine(m.Severity); s != "" {
		prefix += " " + s
	}
	if s := oneLine(m.Service); s != "" {
		prefix += " " + s
	}
	prefix += ": "
	var suffix string
	if m.MoreAlerts > 0 {
		suffix = fmt.Sprintf(" (+%d more)", m.MoreAlerts)
	}
	if m.Kind == KindUpdate && m.Status != "" {
		suffix += " is " + oneLine(m.Status)
	}
	switch {
	case canAcknowledge(m):
		suffix += ". Reply 4 to ack, 6 to resolve"
	case canResolve(m):
		suffix += ". Reply 6 to resolve"
	}
	room := maxSMS - utf8.RuneCountInString(prefix) - utf8.RuneCountInString(suffix)
	return prefix + truncateRunes(oneLine(orDash(m.Title)), max(room, 1)) + suffix
}

// VoiceTwiML is the TwiML a call runs.
func VoiceTwiML(m Message) string {
	var b strings.Builder
	b.WriteString("<Response>")
	switch m.Kind {
	case KindVerification:
		digits := strings.Join(strings.Split(m.VerificationCode, ""), ", ")
		say(&b, `loop="3"`, "Your Vigil verification code is "+digits+".")
	case KindTest:
		say(&b, "", "This is a test call from Vigil. This number receives your pages. Goodbye.")
	default:
		text := "This is Vigil. "
		if m.IncidentID != 0 {
			text += "Incident " + strconv.FormatInt(m.IncidentID, 10) + ", "
		}
		if s := oneLine(m.Severity); s != "" {
			text += s + ", "
		}
		if s := oneLine(m.Service); s != "" {
			text += "on " + s + ": "
		}
		text += truncateRunes(oneLine(orDash(m.Title)), 300) + "."
		if m.Kind == KindUpdate && m.Status != "" {
			text += " It is " + oneLine(m.Status) + "."
		}
		action := voiceAction(m)
		if action == "" || !canResolve(m) {
			say(&b, `loop="2"`, text)
			break
		}
		prompt := " Press 6 to resolve."
		if canAcknowledge(m) {
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
func voiceAction(m Message) string {
	if m.PublicURL == "" || m.CallbackToken == "" || m.IncidentID == 0 {
		return ""
	}
	q := url.Values{
		"incident":     {strconv.FormatInt(m.IncidentID, 10)},
		"user":         {m.UserID},
		"notification": {strconv.FormatInt(m.NotificationID, 10)},
		"sig":          {m.CallbackToken},
	}
	return strings.TrimRight(m.PublicURL, "/") + TwilioVoicePath + "?" + q.Encode()
}

// statusCallback is the URL delivery reports go to, or "" for a message
// outside the outbox.
func statusCallback(m Message) string {
	if m.PublicURL == "" || m.CallbackToken == "" || m.NotificationID == 0 {
		return ""
	}
	q := url.Values{"notification": {strconv.FormatInt(m.NotificationID, 10)}, "sig": {m.CallbackToken}}
	return strings.TrimRight(m.PublicURL, "/") + TwilioStatusPath + "?" + q.Encode()
}
