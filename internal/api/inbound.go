package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-oncall/vigil/internal/auth"
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
// the error itself.
func (s *Server) twilioRequest(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	body, ok := readBody(w, r, maxInboundBody)
	if !ok {
		return nil, false
	}
	acct, _ := twilio.AccountFrom(s.org.Snapshot().Bundle.Org.Providers.Twilio, s.getenv)
	full := strings.TrimRight(s.publicURL, "/") + r.URL.RequestURI()
	params, err := twilio.VerifyRequest(acct, full, body, r.Header.Get(twilio.HeaderSignature))
	if err != nil {
		writeRefusal(w, err)
		return nil, false
	}
	return params, true
}

// writeRefusal answers a callback its provider's checks refused: 400 for
// one that does not parse, 401 for a bad timestamped signature, 403 for
// any other.
func writeRefusal(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, notify.ErrMalformed):
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
	case errors.Is(err, notify.ErrSignatureMalformed), errors.Is(err, notify.ErrSignatureMismatch), errors.Is(err, notify.ErrSignatureStale):
		writeError(w, http.StatusUnauthorized, "unauthorized", "%v", err)
	default:
		writeError(w, http.StatusForbidden, "forbidden", "%v", err)
	}
}

func writeTwiML(w http.ResponseWriter, twiml string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, twiml)
}

// twilioSMS serves POST /api/v1/twilio/sms: a reply to a page, from a
// number of a user's sms contact method.
func (s *Server) twilioSMS(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	params, ok := s.twilioRequest(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	userID, err := s.pipeline.Phones.UserByNumber(ctx, params.Get("From"))
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		// Strangers get no answer: every reply costs, and could be abused.
		s.log.Warn("SMS from a number no user may act from", "message_sid", params.Get("MessageSid"))
		writeTwiML(w, twilio.TwiMLMessage(""))
		return
	case errors.Is(err, phone.ErrAmbiguous):
		writeTwiML(w, twilio.TwiMLMessage("Vigil: this number belongs to several people. Use the links in the message instead."))
		return
	case err != nil:
		s.internalError(w, "look up the sender", err)
		return
	}
	reply, err := twilio.ParseSMSReply(params.Get("Body"))
	if err != nil {
		writeTwiML(w, twilio.TwiMLMessage("Vigil: reply 4 to acknowledge or 6 to resolve your latest incident, or \"ack 12\" / \"resolve 12\" for incident #12."))
		return
	}
	id := reply.IncidentID
	if id == 0 {
		inc, err := s.pipeline.Inbound.LatestOpenIncident(ctx, userID)
		if errors.Is(err, pipeline.ErrNotFound) {
			writeTwiML(w, twilio.TwiMLMessage("Vigil: you have no open incident."))
			return
		}
		if err != nil {
			s.internalError(w, "find the latest incident", err)
			return
		}
		id = inc.ID
	} else if !s.wasNotified(ctx, userID, id) {
		writeTwiML(w, twilio.TwiMLMessage(fmt.Sprintf("Vigil: incident #%d was not sent to you.", id)))
		return
	}
	_, err = s.pipeline.Inbound.ActOnce(ctx, twilio.Nonce(params.Get("MessageSid")), id, reply.Verb, pipeline.Actor{Name: "user:" + userID, Channel: "sms"})
	text, status := inboundOutcome(id, reply.Verb, err)
	if status == http.StatusInternalServerError {
		s.internalError(w, reply.Verb+" incident", err)
		return
	}
	if errors.Is(err, pipeline.ErrReplayed) {
		text = "" // answered the first time
	}
	writeTwiML(w, twilio.TwiMLMessage(text))
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

// inboundOutcome turns the result of an inbound act into the words sent
// back and a status: 200, or 500 for an unexpected error.
func inboundOutcome(id int64, verb string, err error) (string, int) {
	done := "acknowledged"
	if verb == notify.VerbResolve {
		done = "resolved"
	}
	switch {
	case err == nil:
		return fmt.Sprintf("Incident #%d %s", id, done), http.StatusOK
	case errors.Is(err, pipeline.ErrReplayed):
		return fmt.Sprintf("Incident #%d: this was already handled", id), http.StatusOK
	case errors.Is(err, pipeline.ErrIncidentClosed):
		return fmt.Sprintf("Incident #%d is already resolved", id), http.StatusOK
	case errors.Is(err, pipeline.ErrNotFound):
		return fmt.Sprintf("Incident #%d does not exist", id), http.StatusOK
	}
	return "", http.StatusInternalServerError
}

// twilioVoice serves POST /api/v1/twilio/voice: a key pressed during a
// call, at the Gather action URL Vigil signed.
func (s *Server) twilioVoice(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	params, ok := s.twilioRequest(w, r)
	if !ok {
		return
	}
	cb, ok := twilio.ParseVoiceCallback(r.URL.Query())
	if !ok || !s.pipeline.Inbound.CheckCallback(cb.Token, cb.NotificationID, cb.IncidentID, cb.UserID) {
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong callback signature")
		return
	}
	verb := twilio.VoiceDigits(params.Get("Digits"))
	if verb == "" {
		writeTwiML(w, twilio.TwiMLSay("That key does nothing. Goodbye."))
		return
	}
	_, err := s.pipeline.Inbound.ActOnce(r.Context(), twilio.Nonce(params.Get("CallSid")), cb.IncidentID, verb, pipeline.Actor{Name: "user:" + cb.UserID, Channel: "voice"})
	text, status := inboundOutcome(cb.IncidentID, verb, err)
	if status == http.StatusInternalServerError {
		s.internalError(w, verb+" incident", err)
		return
	}
	writeTwiML(w, twilio.TwiMLSay(text+". Goodbye."))
}

// twilioStatus serves POST /api/v1/twilio/status: a delivery report for a
// message or call.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	params, ok := s.twilioRequest(w, r)
	if !ok {
		return
	}
	cb, ok := twilio.ParseStatusCallback(r.URL.Query())
	if !ok {
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong callback signature")
		return
	}
	state, code := twilio.DeliveryState(params)
	err := s.pipeline.Dispatcher.DeliveryReport(r.Context(), cb.NotificationID, cb.Token, state, code)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, pipeline.ErrBadCallback):
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong callback signature")
	case errors.Is(err, pipeline.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "notification %d not found", cb.NotificationID)
	case errors.Is(err, pipeline.ErrInvalid):
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
	default:
		s.internalError(w, "delivery report", err)
	}
}

// slackActions serves POST /api/v1/integrations/slack/actions, a Slack
// app's interactivity Request URL: a press of an Acknowledge or Resolve
// button. The request must carry Slack's signature, made at most five
// minutes ago.
func (s *Server) slackActions(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	body, ok := readBody(w, r, maxInboundBody)
	if !ok {
		return
	}
	settings := slack.SettingsFrom(s.org.Snapshot().Bundle.Org.Providers.Slack, s.getenv)
	action, err := slack.ReadAction(settings.SigningSecret, r.Header, body, s.now())
	if errors.Is(err, notify.ErrNotVigilAction) {
		w.WriteHeader(http.StatusOK) // another app's button: nothing to do
		return
	}
	if err != nil {
		writeRefusal(w, err)
		return
	}
	actor, err := slack.Actor(r.Context(), s.client, settings, action, s.userByEmail)
	if err != nil {
		s.log.Warn("slack users.info", "err", err)
	}
	_, err = s.pipeline.Inbound.ActOnce(r.Context(), action.Nonce(), action.IncidentID, action.Verb, pipeline.Actor{Name: actor, Channel: "slack"})
	text, status := inboundOutcome(action.IncidentID, action.Verb, err)
	if status == http.StatusInternalServerError {
		s.internalError(w, action.Verb+" incident", err)
		return
	}
	if err != nil {
		actor = "" // the press did nothing
	}
	reply := slack.Reply(text, actor)
	// Block Kit interactions ignore the answer's body: the replacement
	// goes to the response URL; legacy ones take it from the body.
	if slack.ResponseURLAllowed(action.ResponseURL, settings.APIURL) {
		if err := slack.PostResponse(r.Context(), s.client, action.ResponseURL, reply); err != nil {
			s.log.Warn("slack response URL", "err", err)
		}
	}
	writeJSON(w, http.StatusOK, reply)
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
func (s *Server) mattermostActions(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	body, ok := readBody(w, r, maxInboundBody)
	if !ok {
		return
	}
	req, err := mattermost.ParseAction(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	c := req.Context
	if !s.pipeline.Inbound.CheckCallback(c.Token, c.NotificationID, c.IncidentID, c.User) {
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong callback token")
		return
	}
	actor := req.Actor()
	_, err = s.pipeline.Inbound.ActOnce(r.Context(), req.Nonce(), c.IncidentID, c.Verb, pipeline.Actor{Name: actor, Channel: "mattermost"})
	text, status := inboundOutcome(c.IncidentID, c.Verb, err)
	if status == http.StatusInternalServerError {
		s.internalError(w, c.Verb+" incident", err)
		return
	}
	if err != nil {
		actor = "" // the press did nothing
	}
	writeJSON(w, http.StatusOK, mattermost.Reply(text, actor))
}
