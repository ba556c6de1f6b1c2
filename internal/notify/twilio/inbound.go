package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/internal/provider"
)

// HeaderSignature is the header Twilio signs its webhook requests in.
const HeaderSignature = "X-Twilio-Signature"

// Signature computes the X-Twilio-Signature of a request: base64 of the
// HMAC-SHA1, keyed with the auth token, of the full URL Twilio requested
// (scheme, host, path and query) followed by each POST parameter's name and
// value, sorted by name (a name's several values sorted too).
func Signature(authToken, fullURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	io.WriteString(mac, fullURL)
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		values := append([]string(nil), params[name]...)
		sort.Strings(values)
		for i, v := range values {
			if i > 0 && v == values[i-1] {
				continue // repeated values count once, as in Twilio's own libraries
			}
			io.WriteString(mac, name)
			io.WriteString(mac, v)
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header is the signature of the request,
// comparing in constant time. An empty token verifies nothing.
func VerifySignature(authToken, fullURL string, params url.Values, header string) bool {
	if authToken == "" || header == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	want, _ := base64.StdEncoding.DecodeString(Signature(authToken, fullURL, params))
	return hmac.Equal(got, want)
}

// VerifyRequest checks a webhook request from Twilio and returns its
// parameters. body is the raw form body and signature the
// X-Twilio-Signature, which must be the account's over fullURL: the URL
// Twilio was given, this server's public URL with the request's path and
// query. Its errors are notify.ErrForbidden (no auth token configured, a
// wrong signature, another account) and notify.ErrMalformed.
func VerifyRequest(acct Account, fullURL string, body []byte, signature string) (url.Values, error) {
	if acct.AuthToken == "" {
		return nil, provider.Refuse(notify.ErrForbidden, "Twilio is not configured on this server")
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, provider.Refuse(notify.ErrMalformed, "malformed form body: %v", err)
	}
	if !VerifySignature(acct.AuthToken, fullURL, params, signature) {
		return nil, provider.Refuse(notify.ErrForbidden, "missing or wrong %s", HeaderSignature)
	}
	if sid := params.Get("AccountSid"); sid != "" && sid != acct.AccountSID {
		return nil, provider.Refuse(notify.ErrForbidden, "request for another Twilio account")
	}
	return params, nil
}

// Nonce is the key that makes a message or call Twilio sends again act
// once: "" without its sid.
func Nonce(sid string) string {
	if sid == "" {
		return ""
	}
	return "twilio:" + sid
}

// Callback is what Vigil put in the URL of a key press or a delivery
// report: the ids it concerns and the token that binds them
// (notify.CallbackToken).
type Callback struct {
	IncidentID, NotificationID int64
	UserID, Token              string
}

// ParseVoiceCallback reads the query of a call's key press URL; ok is
// false when an id is missing or not a number.
func ParseVoiceCallback(q url.Values) (c Callback, ok bool) {
	ids, ok := callbackIDs(q, "incident", "notification")
	if !ok || q.Get("user") == "" {
		return Callback{}, false
	}
	return Callback{IncidentID: ids[0], NotificationID: ids[1], UserID: q.Get("user"), Token: q.Get("sig")}, true
}

// ParseStatusCallback reads the query of a delivery report's URL.
func ParseStatusCallback(q url.Values) (c Callback, ok bool) {
	ids, ok := callbackIDs(q, "notification")
	if !ok {
		return Callback{}, false
	}
	return Callback{NotificationID: ids[0], Token: q.Get("sig")}, true
}

func callbackIDs(q url.Values, names ...string) ([]int64, bool) {
	ids := make([]int64, len(names))
	for i, name := range names {
		id, err := strconv.ParseInt(q.Get(name), 10, 64)
		if err != nil || id < 0 {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

// DeliveryState reads a delivery report's parameters: the message's or
// call's state (delivered, undelivered, no-answer...) and Twilio's error
// code.
func DeliveryState(params url.Values) (state, errorCode string) {
	state = params.Get("MessageStatus")
	if state == "" {
		state = params.Get("CallStatus")
	}
	return state, params.Get("ErrorCode")
}

// MaxSMSReply is the longest SMS reply ParseSMSReply reads.
const MaxSMSReply = 160

// ErrUnknownReply is returned for an SMS reply that is not a command.
var ErrUnknownReply = errors.New("not a command: reply 4 (or ack) to acknowledge, 6 (or resolve) to resolve, optionally with the incident number, as in \"ack 12\"")

// SMSReply is a parsed SMS command. IncidentID is 0 when the reply named
// none: it means the person's latest open incident.
type SMSReply struct {
	Verb       string
	IncidentID int64
}

var replyVerbs = map[string]string{
	"4": notify.VerbAcknowledge, "ack": notify.VerbAcknowledge, "acknowledge": notify.VerbAcknowledge,
	"6": notify.VerbResolve, "res": notify.VerbResolve, "resolve": notify.VerbResolve,
}

// ParseSMSReply reads the commands PagerDuty users are used to: "4" or
// "ack" acknowledges, "6" or "resolve" resolves, each optionally followed
// by an incident number ("ack 12", "6 #12"). Case, surrounding space and a
// final full stop or exclamation mark do not matter.
func ParseSMSReply(body string) (SMSReply, error) {
	if len(body) > MaxSMSReply {
		return SMSReply{}, fmt.Errorf("%w (reply longer than %d bytes)", ErrUnknownReply, MaxSMSReply)
	}
	words := strings.Fields(strings.ToLower(strings.TrimRight(strings.TrimSpace(body), ".!")))
	if len(words) == 0 || len(words) > 2 {
		return SMSReply{}, ErrUnknownReply
	}
	verb, ok := replyVerbs[words[0]]
	if !ok {
		return SMSReply{}, ErrUnknownReply
	}
	reply := SMSReply{Verb: verb}
	if len(words) == 2 {
		id, ok := provider.IncidentNumber(words[1])
		if !ok {
			return SMSReply{}, fmt.Errorf("%w (incident number %q)", ErrUnknownReply, provider.Truncate(words[1], 20))
		}
		reply.IncidentID = id
	}
	return reply, nil
}

// VoiceDigits maps a key pressed during a call to a verb: "4"
// acknowledges, "6" resolves; anything else is "".
func VoiceDigits(digits string) string {
	switch digits {
	case "4":
		return notify.VerbAcknowledge
	case "6":
		return notify.VerbResolve
	}
	return ""
}

// TwiMLMessage answers an incoming SMS with one reply; empty text answers
// with no reply at all.
func TwiMLMessage(text string) string {
	if text == "" {
		return xml.Header + "<Response></Response>"
	}
	var b strings.Builder
	b.WriteString(xml.Header + "<Response><Message>")
	_ = xml.EscapeText(&b, []byte(provider.CutRunes(text, maxSMS)))
	b.WriteString("</Message></Response>")
	return b.String()
}

// TwiMLSay answers a call's key press by reading text out and hanging up.
func TwiMLSay(text string) string {
	var b strings.Builder
	b.WriteString(xml.Header + "<Response>")
	say(&b, "", text)
	b.WriteString("<Hangup/></Response>")
	return b.String()
}
