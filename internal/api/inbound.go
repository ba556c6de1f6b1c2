package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/notify"
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
	provider := s.org.Snapshot().Bundle.Org.Providers.Twilio
	token := ""
	if provider != nil && provider.AuthTokenEnv != "" {
		token = s.getenv(provider.AuthTokenEnv)
	}
	if token == "" {
		writeError(w, http.StatusForbidden, "forbidden", "Twilio is not configured on this server")
		return nil, false
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "malformed form body: %v", err)
		return nil, false
	}
	full := strings.TrimRight(s.publicURL, "/") + r.URL.RequestURI()
	if !notify.VerifyTwilioSignature(token, full, params, r.Header.Get(notify.HeaderTwilioSignature)) {
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong %s", notify.HeaderTwilioSignature)
		return nil, false
	}
	if sid := params.Get("AccountSid"); sid != "" && sid != provider.AccountSID {
		writeError(w, http.StatusForbidden, "forbidden", "request for another Twilio account")
		return nil, false
	}
	return params, true
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
	userID, err := s.pipeline.UserByNumber(ctx, params.Get("From"))
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		// Strangers get no answer: every reply costs, and could be abused.
		s.log.Warn("SMS from a number no user may act from", "message_sid", params.Get("MessageSid"))
		writeTwiML(w, notify.TwiMLMessage(""))
		return
	case errors.Is(err, pipeline.ErrAmbiguous):
		writeTwiML(w, notify.TwiMLMessage("Vigil: this number belongs to several people. Use the links in the message instead."))
		return
	case err != nil:
		s.internalError(w, "look up the sender", err)
		return
	}
	reply, err := notify.ParseSMSReply(params.Get("Body"))
	if err != nil {
		writeTwiML(w, notify.TwiMLMessage("Vigil: reply 4 to acknowledge or 6 to resolve your latest incident, or \"ack 12\" / \"resolve 12\" for incident #12."))
		return
	}
	id := reply.IncidentID
	if id == 0 {
		inc, err := s.pipeline.LatestOpenIncident(ctx, userID)
		if errors.Is(err, pipeline.ErrNotFound) {
			writeTwiML(w, notify.TwiMLMessage("Vigil: you have no open incident."))
			return
		}
		if err != nil {
			s.internalError(w, "find the latest incident", err)
			return
		}
		id = inc.ID
	} else if !s.wasNotified(ctx, userID, id) {
		writeTwiML(w, notify.TwiMLMessage(fmt.Sprintf("Vigil: incident #%d was not sent to you.", id)))
		return
	}
	nonce := ""
	if sid := params.Get("MessageSid"); sid != "" {
		nonce = "twilio:" + sid
	}
	_, err = s.pipeline.ActOnce(ctx, nonce, id, reply.Verb, pipeline.Actor{Name: "user:" + userID, Channel: "sms"})
	text, status := inboundOutcome(id, reply.Verb, err)
	if status == http.StatusInternalServerError {
		s.internalError(w, reply.Verb+" incident", err)
		return
	}
	if errors.Is(err, pipeline.ErrReplayed) {
		text = "" // answered the first time
	}
	writeTwiML(w, notify.TwiMLMessage(text))
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

// callbackIDs reads the ids Vigil put in a callback URL's query.
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

// twilioVoice serves POST /api/v1/twilio/voice: a key pressed during a
// call, at the Gather action URL Vigil signed.
func (s *Server) twilioVoice(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	params, ok := s.twilioRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	ids, ok := callbackIDs(q, "incident", "notification")
	user := q.Get("user")
	if !ok || user == "" || !s.pipeline.CheckCallback(q.Get("sig"), ids[1], ids[0], user) {
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong callback signature")
		return
	}
	verb := notify.VoiceDigits(params.Get("Digits"))
	if verb == "" {
		writeTwiML(w, notify.TwiMLSay("That key does nothing. Goodbye."))
		return
	}
	nonce := ""
	if sid := params.Get("CallSid"); sid != "" {
		nonce = "twilio:" + sid
	}
	_, err := s.pipeline.ActOnce(r.Context(), nonce, ids[0], verb, pipeline.Actor{Name: "user:" + user, Channel: "voice"})
	text, status := inboundOutcome(ids[0], verb, err)
	if status == http.StatusInternalServerError {
		s.internalError(w, verb+" incident", err)
		return
	}
	writeTwiML(w, notify.TwiMLSay(text+". Goodbye."))
}

// twilioStatus serves POST /api/v1/twilio/status: a delivery report for a
// message or call.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	params, ok := s.twilioRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	ids, ok := callbackIDs(q, "notification")
	if !ok {
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong callback signature")
		return
	}
	state := params.Get("MessageStatus")
	if state == "" {
		state = params.Get("CallStatus")
	}
	err := s.pipeline.DeliveryReport(r.Context(), ids[0], q.Get("sig"), state, params.Get("ErrorCode"))
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, pipeline.ErrBadCallback):
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong callback signature")
	case errors.Is(err, pipeline.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "notification %d not found", ids[0])
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
	provider := s.org.Snapshot().Bundle.Org.Providers.Slack
	secret := ""
	if provider != nil && provider.SigningSecretEnv != "" {
		secret = s.getenv(provider.SigningSecretEnv)
	}
	if secret == "" {
		writeError(w, http.StatusForbidden, "forbidden", "Slack is not configured on this server")
		return
	}
	err := notify.VerifySlackSignature(secret, r.Header.Get(notify.HeaderSlackTimestamp), body,
		r.Header.Get(notify.HeaderSlackSignature), s.now(), notify.SlackMaxAge)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthorized", "%v", err)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "malformed form body: %v", err)
		return
	}
	action, err := notify.ParseSlackAction(form.Get("payload"))
	if errors.Is(err, notify.ErrNotVigilAction) {
		w.WriteHeader(http.StatusOK) // another app's button: nothing to do
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	actor := s.slackActor(r.Context(), action)
	nonce := ""
	if action.TriggerID != "" {
		nonce = "slack:" + action.TriggerID
	}
	_, err = s.pipeline.ActOnce(r.Context(), nonce, action.IncidentID, action.Verb, pipeline.Actor{Name: actor, Channel: "slack"})
	text, status := inboundOutcome(action.IncidentID, action.Verb, err)
	if status == http.StatusInternalServerError {
		s.internalError(w, action.Verb+" incident", err)
		return
	}
	if err == nil {
		text += " by " + strings.TrimPrefix(strings.TrimPrefix(actor, "user:"), "slack:")
	}
	reply := notify.SlackMessage{Text: text, ReplaceOriginal: true, Blocks: []notify.SlackBlock{
		{Type: "section", Text: &notify.SlackText{Type: "mrkdwn", Text: text}},
	}}
	// Block Kit interactions ignore the answer's body: the replacement
	// goes to the response URL; legacy ones take it from the body.
	if s.slackResponseURLAllowed(action.ResponseURL, provider.APIURL) {
		if err := notify.PostSlackResponse(r.Context(), s.client, action.ResponseURL, reply); err != nil {
			s.log.Warn("slack response URL", "err", err)
		}
	}
	writeJSON(w, http.StatusOK, reply)
}

// slackActor names who pressed a Slack button: the Vigil user with the
// Slack user's email when a bot token can read it, else "slack:<name>".
func (s *Server) slackActor(ctx context.Context, a notify.SlackAction) string {
	fallback := "slack:" + a.UserName
	if a.UserName == "" {
		fallback = "slack:" + a.UserID
	}
	provider := s.org.Snapshot().Bundle.Org.Providers.Slack
	if provider == nil || provider.BotTokenEnv == "" {
		return fallback
	}
	token := s.getenv(provider.BotTokenEnv)
	if token == "" {
		return fallback
	}
	apiURL := provider.APIURL
	if apiURL == "" {
		apiURL = notify.DefaultSlackAPIURL
	}
	email, err := notify.SlackUserEmail(ctx, s.client, apiURL, token, a.UserID)
	if err != nil {
		s.log.Warn("slack users.info", "err", err)
		return fallback
	}
	if email == "" {
		return fallback
	}
	for _, u := range s.org.Snapshot().Bundle.Users {
		if u.Email != "" && strings.EqualFold(u.Email, email) {
			return "user:" + u.ID
		}
	}
	return fallback
}

// slackResponseURLAllowed keeps the server from posting to whatever URL a
// (signed) payload names: Slack's hooks host over https, or the host of
// the configured Slack API URL (a stand-in).
func (s *Server) slackResponseURLAllowed(raw, apiURL string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" && u.Host == "hooks.slack.com" {
		return true
	}
	if apiURL == "" {
		return false
	}
	api, err := url.Parse(apiURL)
	return err == nil && api.Host != "" && u.Scheme == api.Scheme && u.Host == api.Host
}

// mattermostActions serves POST /api/v1/integrations/mattermost/actions: a
// press of a button Vigil posted, whose context carries the callback token
// Vigil made for it.
func (s *Server) mattermostActions(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	body, ok := readBody(w, r, maxInboundBody)
	if !ok {
		return
	}
	req, err := notify.ParseMattermostAction(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	c := req.Context
	if !s.pipeline.CheckCallback(c.Token, c.NotificationID, c.IncidentID, c.User) {
		writeError(w, http.StatusForbidden, "forbidden", "missing or wrong callback token")
		return
	}
	// The paged person, when their Mattermost name is their Vigil id;
	// otherwise whoever pressed, by Mattermost name.
	actor := "mattermost:" + req.UserName
	switch {
	case req.UserName == c.User:
		actor = "user:" + c.User
	case req.UserName == "":
		actor = "mattermost:" + req.UserID
	}
	nonce := ""
	if req.TriggerID != "" {
		nonce = "mattermost:" + req.TriggerID
	}
	_, err = s.pipeline.ActOnce(r.Context(), nonce, c.IncidentID, c.Verb, pipeline.Actor{Name: actor, Channel: "mattermost"})
	text, status := inboundOutcome(c.IncidentID, c.Verb, err)
	if status == http.StatusInternalServerError {
		s.internalError(w, c.Verb+" incident", err)
		return
	}
	if err != nil {
		writeJSON(w, http.StatusOK, notify.MattermostActionResponse{EphemeralText: text})
		return
	}
	who := strings.TrimPrefix(strings.TrimPrefix(actor, "user:"), "mattermost:")
	writeJSON(w, http.StatusOK, notify.MattermostActionResponse{
		Update: &notify.MattermostUpdate{Message: text + " by @" + who, Props: map[string]any{}},
	})
}
