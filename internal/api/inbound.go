package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/mattermost"
	"github.com/vigil-oncall/vigil/internal/notify/slack"
	"github.com/vigil-oncall/vigil/internal/notify/twilio"
	"github.com/vigil-oncall/vigil/internal/phone"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/store"
)

// maxInboundBody bounds what a provider may post to the inbound endpoints.
const maxInboundBody = 512 << 10

// Inbound endpoints: providers calling back when people answer a page
// (SMS replies, key presses, chat buttons) or when a message was or was
// not delivered. Each checks the provider's own credential: a request
// that fails is answered 401 or 403 and changes nothing.

// twilioRequest reads a Twilio webhook request and checks its signature
// with the configured auth token over the URL the request was sent to
// (this server's public URL and the request's path and query). It answers
// the refusal.
func (s *Server) twilioRequest(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	body, err := readInboundBody(w, r)
	if err != nil {
		return nil, err
	}
	acct, _ := twilio.AccountFrom(s.org.Snapshot().Bundle.Org.Providers.Twilio, s.getenv)
	full := strings.TrimRight(s.publicURL, "/") + r.URL.RequestURI()
	params, err := twilio.VerifyRequest(acct, full, body, r.Header.Get(twilio.HeaderSignature))
	if err != nil {
		return nil, providerRefusal(err)
	}
	return params, nil
}

// readInboundBody reads what a provider posted and holds it to the text
// rule: a JSON document's keys and strings, a form's fields, and a JSON
// document inside a form field (as Slack sends its payload) carry no
// invalid UTF-8 and no NUL character.
func readInboundBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := readBody(w, r, maxInboundBody)
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		if err := ingest.CheckText(body); err != nil {
			return nil, textError("body", err)
		}
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest("malformed form body: %v", err)
	}
	if err := checkFields("form field", form); err != nil {
		return nil, err
	}
	for name, values := range form {
		for _, v := range values {
			if strings.HasPrefix(strings.TrimSpace(v), "{") {
				if err := ingest.CheckText([]byte(v)); err != nil {
					return nil, textError("form field "+name, err)
				}
			}
		}
	}
	return body, nil
}

// providerRefusal refuses a callback its provider's checks refused: 400
// for one that does not parse, 401 for a bad timestamped signature, 403
// for any other.
func providerRefusal(err error) error {
	switch {
	case errors.Is(err, notify.ErrMalformed):
		return badRequest("%v", err)
	case errors.Is(err, notify.ErrSignatureMalformed), errors.Is(err, notify.ErrSignatureMismatch), errors.Is(err, notify.ErrSignatureStale):
		return refusal(http.StatusUnauthorized, "unauthorized", "%v", err)
	}
	return forbidden("%v", err)
}

func writeTwiML(w http.ResponseWriter, twiml string) error {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, twiml)
	return nil
}

// twilioSMS serves POST /api/v1/twilio/sms: a reply to a page, from a
// number of a user's sms contact method.
func (s *Server) twilioSMS(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	params, err := s.twilioRequest(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	userID, err := s.pipeline.Phones.UserByNumber(ctx, params.Get("From"))
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		// Strangers get no answer: every reply costs, and could be abused.
		s.log.Warn("SMS from a number no user may act from", "message_sid", params.Get("MessageSid"))
		return writeTwiML(w, twilio.TwiMLMessage(""))
	case errors.Is(err, phone.ErrAmbiguous):
		return writeTwiML(w, twilio.TwiMLMessage("Vigil: this number belongs to several people. Use the links in the message instead."))
	case err != nil:
		return fmt.Errorf("look up the sender: %w", err)
	}
	reply, err := twilio.ParseSMSReply(params.Get("Body"))
	if err != nil {
		return writeTwiML(w, twilio.TwiMLMessage("Vigil: reply 4 to acknowledge or 6 to resolve your latest incident, or \"ack 12\" / \"resolve 12\" for incident #12."))
	}
	id := reply.IncidentID
	if id == 0 {
		inc, err := s.pipeline.Inbound.LatestOpenIncident(ctx, userID)
		if errors.Is(err, pipeline.ErrNotFound) {
			return writeTwiML(w, twilio.TwiMLMessage("Vigil: you have no open incident."))
		}
		if err != nil {
			return fmt.Errorf("find the latest incident: %w", err)
		}
		id = inc.ID
	} else if !s.wasNotified(ctx, userID, id) {
		return writeTwiML(w, twilio.TwiMLMessage(fmt.Sprintf("Vigil: incident #%d was not sent to you.", id)))
	}
	text, acted, err := s.actInbound(ctx, twilio.Nonce(params.Get("MessageSid")), id, reply.Verb, pipeline.Actor{Name: "user:" + userID, Channel: "sms"})
	if err != nil {
		return err
	}
	if errors.Is(acted, pipeline.ErrReplayed) {
		text = "" // answered the first time
	}
	return writeTwiML(w, twilio.TwiMLMessage(text))
}

// wasNotified reports whether the user was sent anything about the
// incident: an SMS reply acts only on those.
func (s *Server) wasNotified(ctx context.Context, userID string, incidentID int64) bool {
	ns, err := s.store.ListNotifications(ctx, store.NotificationQuery{IncidentID: incidentID, UserID: userID, Limit: 1})
	if err != nil {
		s.log.Error("notifications of an incident", "err", err)
	}
	return len(ns) > 0
}

// actInbound acts once on an incident for a reply, a key or a button
// pressed, and turns what came of it into the words sent back: acted is
// the act's own error (nil when it took effect), err is set only when the
// act failed unexpectedly.
func (s *Server) actInbound(ctx context.Context, nonce string, id int64, verb string, actor pipeline.Actor) (text string, acted, err error) {
	_, acted = s.pipeline.Inbound.ActOnce(ctx, nonce, id, verb, actor)
	done := "acknowledged"
	if verb == notify.VerbResolve {
		done = "resolved"
	}
	switch {
	case acted == nil:
		return fmt.Sprintf("Incident #%d %s", id, done), nil, nil
	case errors.Is(acted, pipeline.ErrReplayed):
		return fmt.Sprintf("Incident #%d: this was already handled", id), acted, nil
	case errors.Is(acted, pipeline.ErrIncidentClosed):
		return fmt.Sprintf("Incident #%d is already resolved", id), acted, nil
	case errors.Is(acted, pipeline.ErrNotFound):
		return fmt.Sprintf("Incident #%d does not exist", id), acted, nil
	}
	return "", acted, fmt.Errorf("%s incident %d: %w", verb, id, acted)
}

// pressButton acts on the press of a chat message's button: the words
// that replace the message, and whom they credit ("" when the press did
// nothing).
func (s *Server) pressButton(ctx context.Context, nonce string, id int64, verb string, actor pipeline.Actor) (text, by string, err error) {
	text, acted, err := s.actInbound(ctx, nonce, id, verb, actor)
	if err != nil || acted != nil {
		return text, "", err
	}
	return text, actor.Name, nil
}

// twilioVoice serves POST /api/v1/twilio/voice: a key pressed during a
// call, at the Gather action URL Vigil signed.
func (s *Server) twilioVoice(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	params, err := s.twilioRequest(w, r)
	if err != nil {
		return err
	}
	cb, ok := twilio.ParseVoiceCallback(r.URL.Query())
	if !ok || !s.pipeline.Inbound.CheckCallback(cb.Token, cb.NotificationID, cb.IncidentID, cb.UserID) {
		return errBadCallback
	}
	verb := twilio.VoiceDigits(params.Get("Digits"))
	if verb == "" {
		return writeTwiML(w, twilio.TwiMLSay("That key does nothing. Goodbye."))
	}
	text, _, err := s.actInbound(r.Context(), twilio.Nonce(params.Get("CallSid")), cb.IncidentID, verb, pipeline.Actor{Name: "user:" + cb.UserID, Channel: "voice"})
	if err != nil {
		return err
	}
	return writeTwiML(w, twilio.TwiMLSay(text+". Goodbye."))
}

// errBadCallback refuses a callback whose signature Vigil did not make.
var errBadCallback = &httpError{status: http.StatusForbidden, code: "forbidden", message: "missing or wrong callback signature"}

// twilioStatus serves POST /api/v1/twilio/status: a delivery report for a
// message or call.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	params, err := s.twilioRequest(w, r)
	if err != nil {
		return err
	}
	cb, ok := twilio.ParseStatusCallback(r.URL.Query())
	if !ok {
		return errBadCallback
	}
	state, code := twilio.DeliveryState(params)
	err = s.pipeline.Dispatcher.DeliveryReport(r.Context(), cb.NotificationID, cb.Token, state, code)
	switch {
	case errors.Is(err, pipeline.ErrBadCallback):
		return errBadCallback
	case err != nil:
		return fmt.Errorf("delivery report of notification %d: %w", cb.NotificationID, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// slackActions serves POST /api/v1/integrations/slack/actions, a Slack
// app's interactivity Request URL: a press of an Acknowledge or Resolve
// button. The request must carry Slack's signature, made at most five
// minutes ago.
func (s *Server) slackActions(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	body, err := readInboundBody(w, r)
	if err != nil {
		return err
	}
	settings := slack.SettingsFrom(s.org.Snapshot().Bundle.Org.Providers.Slack, s.getenv)
	action, err := slack.ReadAction(settings.SigningSecret, r.Header, body, s.now())
	if errors.Is(err, notify.ErrNotVigilAction) {
		// Another app's button: nothing to do, and nothing to replace the
		// message with.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if err != nil {
		return providerRefusal(err)
	}
	actor, err := slack.Actor(r.Context(), s.client, settings, action, s.userByEmail)
	if err != nil {
		s.log.Warn("slack users.info", "err", err)
	}
	text, by, err := s.pressButton(r.Context(), action.Nonce(), action.IncidentID, action.Verb, pipeline.Actor{Name: actor, Channel: "slack"})
	if err != nil {
		return err
	}
	reply := slack.Reply(text, by)
	// Block Kit interactions ignore the answer's body: the replacement
	// goes to the response URL; legacy ones take it from the body.
	if slack.ResponseURLAllowed(action.ResponseURL, settings.APIURL) {
		if err := slack.PostResponse(r.Context(), s.client, action.ResponseURL, reply); err != nil {
			s.log.Warn("slack response URL", "err", err)
		}
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}

// userByEmail finds the Vigil user with an email address, in any case.
func (s *Server) userByEmail(email string) (string, bool) {
	for _, u := range s.org.Snapshot().Bundle.Users {
		if u.Email != "" && strings.EqualFold(u.Email, email) {
			return u.ID, true
		}
	}
	return "", false
}

// mattermostActions serves POST /api/v1/integrations/mattermost/actions: a
// press of a button Vigil posted, whose context carries the callback token
// Vigil made for it.
func (s *Server) mattermostActions(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	body, err := readInboundBody(w, r)
	if err != nil {
		return err
	}
	req, err := mattermost.ParseAction(body)
	if err != nil {
		return badRequest("%v", err)
	}
	c := req.Context
	if !s.pipeline.Inbound.CheckCallback(c.Token, c.NotificationID, c.IncidentID, c.User) {
		return forbidden("missing or wrong callback token")
	}
	text, by, err := s.pressButton(r.Context(), req.Nonce(), c.IncidentID, c.Verb, pipeline.Actor{Name: req.Actor(), Channel: "mattermost"})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mattermost.Reply(text, by))
	return nil
}
