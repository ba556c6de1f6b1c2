package notify

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
)

// HeaderTwilioSignature is the header Twilio signs its webhook requests in.
const HeaderTwilioSignature = "X-Twilio-Signature"

// TwilioSignature computes the X-Twilio-Signature of a request: base64 of
// the HMAC-SHA1, keyed with the auth token, of the full URL Twilio requested
// (scheme, host, path and query) followed by each POST parameter's name and
// value, sorted by name (a name's several values sorted too).
func TwilioSignature(authToken, fullURL string, params url.Values) string {
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

// VerifyTwilioSignature reports whether header is the signature of the
// request, comparing in constant time. An empty token verifies nothing.
func VerifyTwilioSignature(authToken, fullURL string, params url.Values, header string) bool {
	if authToken == "" || header == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	want, _ := base64.StdEncoding.DecodeString(TwilioSignature(authToken, fullURL, params))
	return hmac.Equal(got, want)
}

// Verbs a reply or key press asks for.
const (
	VerbAcknowledge = "acknowledge"
	VerbResolve     = "resolve"
)

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
	"4": VerbAcknowledge, "ack": VerbAcknowledge, "acknowledge": VerbAcknowledge,
	"6": VerbResolve, "res": VerbResolve, "resolve": VerbResolve,
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
		id, err := parseIncidentNumber(words[1])
		if err != nil {
			return SMSReply{}, err
		}
		reply.IncidentID = id
	}
	return reply, nil
}

// parseIncidentNumber reads "12" or "#12".
func parseIncidentNumber(s string) (int64, error) {
	digits := strings.TrimPrefix(s, "#")
	if digits == "" || len(digits) > 15 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, fmt.Errorf("%w (incident number %q)", ErrUnknownReply, truncate(s, 20))
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w (incident number %q)", ErrUnknownReply, truncate(s, 20))
	}
	return id, nil
}

// VoiceDigits maps a key pressed during a call to a verb: "4"
// acknowledges, "6" resolves; anything else is "".
func VoiceDigits(digits string) string {
	switch digits {
	case "4":
		return VerbAcknowledge
	case "6":
		return VerbResolve
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
	_ = xml.EscapeText(&b, []byte(truncateRunes(text, maxSMS)))
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
