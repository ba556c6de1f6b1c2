package api

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/mattermost"
	"github.com/vigil-oncall/vigil/internal/notify/slack"
	"github.com/vigil-oncall/vigil/internal/notify/twilio"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// The public URL providers call: the test server sits behind it, as
// behind a proxy, and Twilio signs over it.
const publicURL = "https://vigil.example.com"

const (
	twilioToken   = "twilio-auth-token"
	slackSecret   = "slack-signing-secret"
	slackBotToken = "xoxb-bot-token"
	aliceNumber   = "+4915100000001"
	checkoutKey   = "0123456789abcdef0123456789abcdef"
)

// providers stands in for Twilio, Slack, Mattermost and webhook receivers:
// it records every request.
type providers struct {
	mu   sync.Mutex
	got  []providerCall
	srv  *httptest.Server
	fail map[string]int // path -> status to answer
}

type providerCall struct {
	Method, Path string
	Header       http.Header
	Form         url.Values
	JSON         map[string]any
}

func newProviders(t *testing.T) *providers {
	p := &providers{fail: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		call := providerCall{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			call.Form, _ = url.ParseQuery(string(body))
		} else {
			_ = json.Unmarshal(body, &call.JSON)
		}
		p.mu.Lock()
		p.got = append(p.got, call)
		status := p.fail[r.URL.Path]
		p.mu.Unlock()
		switch {
		case status != 0:
			w.WriteHeader(status)
		case r.URL.Path == "/slack/api/users.info":
			if r.Header.Get("Authorization") != "Bearer "+slackBotToken || r.URL.Query().Get("user") != "U123" {
				io.WriteString(w, `{"ok":false,"error":"user_not_found"}`)
				return
			}
			io.WriteString(w, `{"ok":true,"user":{"id":"U123","profile":{"email":"Alice@Example.com"}}}`)
		case strings.HasPrefix(r.URL.Path, "/2010-04-01/"):
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"sid":"SM1","status":"queued"}`)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// calls returns the requests to paths starting with prefix.
func (p *providers) calls(prefix string) []providerCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []providerCall
	for _, c := range p.got {
		if strings.HasPrefix(c.Path, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// onlyCall returns the one request to a path starting with prefix; the
// test ends unless there is exactly one.
func (p *providers) onlyCall(t *testing.T, prefix string) providerCall {
	t.Helper()
	got := p.calls(prefix)
	if len(got) != 1 {
		t.Fatalf("%s got %d requests, want 1", prefix, len(got))
	}
	return got[0]
}

// channelFixture is a server with every channel wired to local stand-ins,
// and a pipeline driven by hand.
type channelFixture struct {
	*fixture
	prov *providers
	ctx  context.Context
}

func mustDuration(s string) duration.Duration {
	d, err := duration.Parse(s)
	if err != nil {
		panic(err)
	}
	return duration.Duration(d)
}

// channelBundle: alice is paged for checkout through the methods named in
// rules (the first at once, each next one 5 minutes later).
func channelBundle(prov string, rules ...string) *config.Bundle {
	var nr []catalog.NotificationRule
	for i, r := range rules {
		nr = append(nr, catalog.NotificationRule{ContactMethod: r, Delay: mustDuration(strconv.Itoa(5*i) + "m")})
	}
	return &config.Bundle{
		Org: catalog.Org{Providers: catalog.Providers{
			Twilio: &catalog.TwilioProvider{AccountSID: "AC123", AuthTokenEnv: "VIGIL_TWILIO_TOKEN", From: "+15550000000", BaseURL: prov},
			Slack:  &catalog.SlackProvider{SigningSecretEnv: "VIGIL_SLACK_SECRET", BotTokenEnv: "VIGIL_SLACK_BOT", APIURL: prov + "/slack/api"},
		}},
		Users: []catalog.User{
			{ID: "alice", Name: "Alice", Email: "alice@example.com", TimeZone: "Europe/Berlin", ContactMethods: []catalog.ContactMethod{
				{ID: "alice-sms", Type: "sms", Number: aliceNumber},
				{ID: "alice-voice", Type: "voice", Number: aliceNumber},
				{ID: "alice-hook", Type: "webhook", URL: prov + "/hook/alice"},
				{ID: "alice-slack", Type: "slack", WebhookURL: prov + "/slack/hook"},
				{ID: "alice-mm", Type: "mattermost", WebhookURL: prov + "/mattermost/hook"},
			}, NotificationRules: nr},
			{ID: "bob", Name: "Bob", TimeZone: "Europe/Berlin", ContactMethods: []catalog.ContactMethod{
				{ID: "bob-hook", Type: "webhook", URL: prov + "/hook/bob"},
			}},
		},
		Teams: []catalog.Team{
			{ID: "shop", Kind: "dev", TimeZone: "Europe/Berlin", Country: "DE", Members: []string{"alice", "bob"}, EscalationPolicy: "shop-default"},
			{ID: "irt", Kind: "global-irt", Members: []string{"bob"}},
		},
		EscalationPolicies: []escalation.Policy{{ID: "shop-default", Steps: []escalation.Step{
			{Targets: []escalation.Target{{User: "alice"}}, EscalateAfter: mustDuration("30m")},
		}}},
		Services: []catalog.Service{{ID: "checkout", Owner: "shop", Integrations: []catalog.Integration{{Type: "pagerduty", Key: checkoutKey}}}},
	}
}

func newChannelFixture(t *testing.T, rules ...string) *channelFixture {
	t.Helper()
	prov := newProviders(t)
	env := map[string]string{"VIGIL_TWILIO_TOKEN": twilioToken, "VIGIL_SLACK_SECRET": slackSecret, "VIGIL_SLACK_BOT": slackBotToken}
	f := startFixture(t, fixtureOptions{
		start: vigiltest.Clock(t)().UTC().Truncate(time.Second), users: []string{"alice", "bob"},
		bundle: channelBundle(prov.srv.URL, rules...), getenv: func(k string) string { return env[k] },
		publicURL: publicURL, byHand: true,
	})
	return &channelFixture{fixture: f, prov: prov, ctx: context.Background()}
}

// page opens an incident on checkout and runs the pipeline until idle.
func (f *channelFixture) page(dedup string) incident.Incident {
	f.t.Helper()
	body, _ := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: dedup, Summary: "checkout down " + dedup, Source: "web-1", Severity: alert.SeverityCritical})
	if err := f.store.AppendInbox(f.ctx, []store.InboxEvent{{ReceivedAt: f.clock.Now(), Kind: store.InboxAlert, IntegrationKey: checkoutKey, Service: "checkout", Payload: body}}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.pipe.Processor.RunOnce(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	f.tick()
	incs, err := f.store.ListIncidents(f.ctx, store.IncidentQuery{})
	if err != nil || len(incs) == 0 {
		f.t.Fatalf("incidents %v, %v", incs, err)
	}
	return incs[0]
}

func (f *channelFixture) tick() { f.t.Helper(); f.settle() }

func (f *channelFixture) incident(id int64) (incident.Incident, []incident.TimelineEntry) {
	f.t.Helper()
	inc, err := f.store.GetIncident(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	tl, err := f.store.Timeline(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return inc, tl
}

// wantActedBy checks that the timeline holds one entry of kind, made by
// who: its actor and channel, as "user:alice via sms".
func wantActedBy(t *testing.T, tl []incident.TimelineEntry, kind, who string) {
	t.Helper()
	var acts []string
	for _, e := range tl {
		if e.Kind == kind {
			acts = append(acts, e.Actor+" via "+e.Channel)
		}
	}
	if len(acts) != 1 || acts[0] != who {
		t.Errorf("%s entries by %v, want [%s]", kind, acts, who)
	}
}

// post sends a request to the server and returns the status and body.
func (f *channelFixture) post(path string, header http.Header, body []byte) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest("POST", f.http.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// twilio posts form to path as Twilio would, signed with token over the
// public URL (token "" leaves the signature out).
func (f *channelFixture) twilio(path string, form url.Values, token string) (int, string) {
	f.t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if token != "" {
		h.Set("X-Twilio-Signature", twilio.Signature(token, publicURL+path, form))
	}
	return f.post(path, h, []byte(form.Encode()))
}

func smsForm(from, body, sid string) url.Values {
	return url.Values{"From": {from}, "To": {"+15550000000"}, "Body": {body}, "MessageSid": {sid}, "AccountSid": {"AC123"}}
}

func twimlMessage(t *testing.T, body string) string {
	t.Helper()
	var doc struct {
		Message string `xml:"Message"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("answer is not TwiML: %v\n%s", err, body)
	}
	return doc.Message
}

func TestSMSReplyAcknowledgesAndResolves(t *testing.T) {
	f := newChannelFixture(t, "alice-sms")
	inc := f.page("disk")
	sent := f.prov.onlyCall(t, "/2010-04-01/Accounts/AC123/Messages.json")
	if got := sent.Form.Get("Body"); got != "Vigil #"+strconv.FormatInt(inc.ID, 10)+" SEV2 checkout: checkout down disk. Reply 4 to ack, 6 to resolve" {
		t.Errorf("SMS body %q", got)
	}
	id := strconv.FormatInt(inc.ID, 10)

	refused := []struct {
		name  string
		path  string
		form  url.Values
		token string
		want  int
	}{
		{"unsigned", "/api/v1/twilio/sms", smsForm(aliceNumber, "4", "SMa"), "", 403},
		{"wrong token", "/api/v1/twilio/sms", smsForm(aliceNumber, "4", "SMb"), "not-the-token", 403},
		{"other account", "/api/v1/twilio/sms", url.Values{"From": {aliceNumber}, "Body": {"4"}, "AccountSid": {"AC999"}}, twilioToken, 403},
	}
	for _, tt := range refused {
		if code, _ := f.twilio(tt.path, tt.form, tt.token); code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.want)
		}
	}
	// Signed over another URL than the one Twilio was given.
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"X-Twilio-Signature": {twilio.Signature(twilioToken, f.http.URL+"/api/v1/twilio/sms", smsForm(aliceNumber, "4", "SMc"))}}
	if code, _ := f.post("/api/v1/twilio/sms", h, []byte(smsForm(aliceNumber, "4", "SMc").Encode())); code != 403 {
		t.Errorf("signed over the internal URL: %d, want 403", code)
	}
	// A stranger gets no answer at all.
	code, body := f.twilio("/api/v1/twilio/sms", smsForm("+4915199999999", "4", "SMd"), twilioToken)
	if code != 200 || twimlMessage(t, body) != "" {
		t.Errorf("stranger: %d %q, want 200 and no message", code, body)
	}
	if got, _ := f.incident(inc.ID); got.Status != alert.StatusTriggered {
		t.Fatalf("refused requests changed the incident: %s", got.Status)
	}

	code, body = f.twilio("/api/v1/twilio/sms", smsForm(aliceNumber, "hello?", "SMe"), twilioToken)
	if code != 200 || !strings.Contains(twimlMessage(t, body), "reply 4 to acknowledge") {
		t.Errorf("unknown reply: %d %q", code, body)
	}
	code, body = f.twilio("/api/v1/twilio/sms", smsForm(aliceNumber, "ack 999", "SMf"), twilioToken)
	if code != 200 || twimlMessage(t, body) != "Vigil: incident #999 was not sent to you." {
		t.Errorf("someone else's incident: %d %q", code, body)
	}

	code, body = f.twilio("/api/v1/twilio/sms", smsForm(aliceNumber, "4", "SM1"), twilioToken)
	if code != 200 || twimlMessage(t, body) != "Incident #"+id+" acknowledged" {
		t.Fatalf("ack: %d %q", code, body)
	}
	got, tl := f.incident(inc.ID)
	if got.Status != alert.StatusAcknowledged || got.AcknowledgedBy != "user:alice" {
		t.Errorf("incident %s by %q, want acknowledged by user:alice", got.Status, got.AcknowledgedBy)
	}
	wantActedBy(t, tl, incident.EntryAcknowledged, "user:alice via sms")
	// Twilio retries a webhook it thinks failed: the same message acts once.
	code, body = f.twilio("/api/v1/twilio/sms", smsForm(aliceNumber, "4", "SM1"), twilioToken)
	if code != 200 || twimlMessage(t, body) != "" {
		t.Errorf("replay: %d %q, want no second answer", code, body)
	}
	code, body = f.twilio("/api/v1/twilio/sms", smsForm(aliceNumber, "resolve "+id, "SM2"), twilioToken)
	if code != 200 || twimlMessage(t, body) != "Incident #"+id+" resolved" {
		t.Fatalf("resolve: %d %q", code, body)
	}
	_, tl = f.incident(inc.ID)
	wantActedBy(t, tl, incident.EntryResolved, "user:alice via sms")
	code, body = f.twilio("/api/v1/twilio/sms", smsForm(aliceNumber, "6", "SM3"), twilioToken)
	if code != 200 || twimlMessage(t, body) != "Vigil: you have no open incident." {
		t.Errorf("nothing open: %d %q", code, body)
	}
}

func TestTwilioNotConfigured(t *testing.T) {
	f := newChannelFixture(t, "alice-sms")
	b := f.org.Snapshot().Bundle
	b.Org.Providers.Twilio.AuthTokenEnv = "UNSET_VARIABLE"
	if _, err := f.org.Apply(f.ctx, b, "test", false); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/twilio/sms", "/api/v1/twilio/voice", "/api/v1/twilio/status"} {
		// Signed with the empty token an unset variable would give.
		form := smsForm(aliceNumber, "4", "SM1")
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {twilio.Signature("", publicURL+path, form)}}
		if code, _ := f.post(path, h, []byte(form.Encode())); code != 403 {
			t.Errorf("%s without a token configured: %d, want 403", path, code)
		}
	}
}

func TestVoiceKeyPress(t *testing.T) {
	f := newChannelFixture(t, "alice-voice")
	inc := f.page("disk")
	call := f.prov.onlyCall(t, "/2010-04-01/Accounts/AC123/Calls.json")
	var doc struct {
		Gather struct {
			Action string `xml:"action,attr"`
		} `xml:"Gather"`
	}
	if err := xml.Unmarshal([]byte(call.Form.Get("Twiml")), &doc); err != nil {
		t.Fatal(err)
	}
	action, err := url.Parse(doc.Gather.Action)
	if err != nil || !strings.HasPrefix(doc.Gather.Action, publicURL+"/api/v1/twilio/voice?") {
		t.Fatalf("Gather action %q", doc.Gather.Action)
	}
	path := action.RequestURI()
	press := func(path, digits, callSid string) (int, string) {
		return f.twilio(path, url.Values{"Digits": {digits}, "CallSid": {callSid}, "AccountSid": {"AC123"}}, twilioToken)
	}
	q := action.Query()
	forged := url.Values{"incident": {q.Get("incident")}, "user": {"bob"}, "notification": {q.Get("notification")}, "sig": {q.Get("sig")}}
	if code, _ := press("/api/v1/twilio/voice?"+forged.Encode(), "6", "CA0"); code != 403 {
		t.Errorf("another user in the URL: %d, want 403", code)
	}
	if code, _ := press("/api/v1/twilio/voice?incident=1", "6", "CA0"); code != 403 {
		t.Errorf("no signature in the URL: %d, want 403", code)
	}
	if code, _ := f.twilio(path, url.Values{"Digits": {"6"}, "CallSid": {"CA0"}}, "wrong"); code != 403 {
		t.Errorf("wrong Twilio signature: %d, want 403", code)
	}
	if code, body := press(path, "9", "CA0"); code != 200 || !strings.Contains(body, "That key does nothing") {
		t.Errorf("key 9: %d %q", code, body)
	}
	if got, _ := f.incident(inc.ID); got.Status != alert.StatusTriggered {
		t.Fatalf("refused presses changed the incident: %s", got.Status)
	}
	code, body := press(path, "6", "CA1")
	if code != 200 || !strings.Contains(body, "<Say>Incident #"+strconv.FormatInt(inc.ID, 10)+" resolved. Goodbye.</Say>") {
		t.Fatalf("key 6: %d %q", code, body)
	}
	got, tl := f.incident(inc.ID)
	if got.Status != alert.StatusResolved {
		t.Errorf("incident %s, want resolved", got.Status)
	}
	wantActedBy(t, tl, incident.EntryResolved, "user:alice via voice")
}

func TestStatusCallbackFailsOver(t *testing.T) {
	f := newChannelFixture(t, "alice-sms", "alice-hook")
	inc := f.page("disk")
	sent := f.prov.onlyCall(t, "/2010-04-01/")
	cb, err := url.Parse(sent.Form.Get("StatusCallback"))
	if err != nil || cb.Scheme+"://"+cb.Host+cb.Path != publicURL+"/api/v1/twilio/status" {
		t.Fatalf("StatusCallback %q", sent.Form.Get("StatusCallback"))
	}
	path := cb.RequestURI()
	report := func(path, status, token string) int {
		code, _ := f.twilio(path, url.Values{"MessageStatus": {status}, "ErrorCode": {"30003"}, "MessageSid": {"SM1"}, "AccountSid": {"AC123"}}, token)
		return code
	}
	q := cb.Query()
	if code := report("/api/v1/twilio/status?notification="+q.Get("notification")+"&sig=forged", "undelivered", twilioToken); code != 403 {
		t.Errorf("forged callback token: %d, want 403", code)
	}
	if code := report(path, "undelivered", "wrong"); code != 403 {
		t.Errorf("wrong Twilio signature: %d, want 403", code)
	}
	if code := report("/api/v1/twilio/status?sig=x", "undelivered", twilioToken); code != 403 {
		t.Errorf("no notification: %d, want 403", code)
	}
	if n := len(f.prov.calls("/hook/alice")); n != 0 {
		t.Fatalf("refused reports paged alice's next method %d times", n)
	}
	if code := report(path, "sent", twilioToken); code != 204 {
		t.Errorf("sent: %d, want 204", code)
	}
	if code := report(path, "undelivered", twilioToken); code != 204 {
		t.Fatalf("undelivered: %d, want 204", code)
	}
	f.tick()
	if n := len(f.prov.calls("/hook/alice")); n != 1 {
		t.Errorf("after undelivered, alice's webhook got %d pages, want 1 at once", n)
	}
	var ns struct {
		Notifications []notify.Notification `json:"notifications"`
	}
	f.call("GET", "/api/v1/incidents/"+strconv.FormatInt(inc.ID, 10)+"/notifications", adminSecret, nil, &ns)
	for _, n := range ns.Notifications {
		if n.ContactMethod == "alice-sms" && (n.Status != notify.StatusFailed || n.ProviderStatus != "undelivered") {
			t.Errorf("sms notification %s %q, want failed, undelivered", n.Status, n.ProviderStatus)
		}
	}
}

// slackRequest is a Slack interaction request, signed at the fixture's
// clock moved by age.
func (f *channelFixture) slack(payload string, age time.Duration, secret string) (int, string) {
	f.t.Helper()
	body := []byte(url.Values{"payload": {payload}}.Encode())
	ts := strconv.FormatInt(f.clock.Now().Add(-age).Unix(), 10)
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Slack-Request-Timestamp": {ts},
		"X-Slack-Signature": {slack.Sign(secret, ts, body)}}
	return f.post("/api/v1/integrations/slack/actions", h, body)
}

func (f *channelFixture) slackPayload(actionID string, incidentID int64, trigger, user string) string {
	b, _ := json.Marshal(map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user, "username": "alice.m", "team_id": "T1"},
		"trigger_id":   trigger,
		"response_url": f.prov.srv.URL + "/slack/response/1",
		"actions":      []any{map[string]any{"action_id": actionID, "value": strconv.FormatInt(incidentID, 10), "type": "button"}},
	})
	return string(b)
}

func TestSlackButtons(t *testing.T) {
	f := newChannelFixture(t, "alice-slack")
	inc := f.page("disk")
	f.prov.onlyCall(t, "/slack/hook")
	payload := f.slackPayload("vigil_ack", inc.ID, "T-1", "U123")
	refused := []struct {
		name   string
		age    time.Duration
		secret string
		want   int
	}{
		{"wrong secret", 0, "not-the-secret", 401},
		{"six minutes old", 6 * time.Minute, slackSecret, 401},
		{"six minutes ahead", -6 * time.Minute, slackSecret, 401},
	}
	for _, tt := range refused {
		if code, _ := f.slack(payload, tt.age, tt.secret); code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.want)
		}
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if code, _ := f.post("/api/v1/integrations/slack/actions", h, []byte("payload="+url.QueryEscape(payload))); code != 401 {
		t.Errorf("unsigned: %d, want 401", code)
	}
	if got, _ := f.incident(inc.ID); got.Status != alert.StatusTriggered {
		t.Fatalf("refused requests changed the incident: %s", got.Status)
	}
	if code, body := f.slack(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"approve","value":"1"}]}`, 0, slackSecret); code != 200 || body != "" {
		t.Errorf("another app's button: %d %q, want 200 and nothing", code, body)
	}

	code, body := f.slack(payload, 4*time.Minute, slackSecret)
	if code != 200 {
		t.Fatalf("ack: %d %s", code, body)
	}
	var reply slack.Message
	if err := json.Unmarshal([]byte(body), &reply); err != nil {
		t.Fatal(err)
	}
	want := "Incident #" + strconv.FormatInt(inc.ID, 10) + " acknowledged by alice"
	if !reply.ReplaceOriginal || reply.Text != want {
		t.Errorf("reply %+v, want a replacement saying %q", reply, want)
	}
	responses := f.prov.calls("/slack/response/1")
	if len(responses) != 1 || responses[0].JSON["text"] != want || responses[0].JSON["replace_original"] != true {
		t.Errorf("response_url got %+v", responses)
	}
	got, tl := f.incident(inc.ID)
	if got.Status != alert.StatusAcknowledged {
		t.Errorf("incident %s, want acknowledged", got.Status)
	}
	// U123's email (in another case) is alice's.
	wantActedBy(t, tl, incident.EntryAcknowledged, "user:alice via slack")
	if code, body := f.slack(payload, 0, slackSecret); code != 200 || !strings.Contains(body, "already handled") {
		t.Errorf("replayed press: %d %s", code, body)
	}

	// Someone whose email Vigil does not know acts under their Slack name.
	code, _ = f.slack(f.slackPayload("vigil_resolve", inc.ID, "T-2", "U999"), 0, slackSecret)
	if code != 200 {
		t.Fatalf("resolve: %d", code)
	}
	_, tl = f.incident(inc.ID)
	wantActedBy(t, tl, incident.EntryResolved, "slack:alice.m via slack")
}

func TestMattermostButtons(t *testing.T) {
	f := newChannelFixture(t, "alice-mm")
	inc := f.page("disk")
	posted := f.prov.onlyCall(t, "/mattermost/hook")
	var msg mattermost.Message
	raw, _ := json.Marshal(posted.JSON)
	if err := json.Unmarshal(raw, &msg); err != nil || len(msg.Attachments) != 1 || len(msg.Attachments[0].Actions) != 2 {
		t.Fatalf("posted %s", raw)
	}
	ack := msg.Attachments[0].Actions[0].Integration
	if ack.URL != publicURL+"/api/v1/integrations/mattermost/actions" {
		t.Errorf("action URL %q", ack.URL)
	}
	press := func(ctx mattermost.Context, user string) (int, string) {
		body, _ := json.Marshal(map[string]any{"user_id": "mm-" + user, "user_name": user, "trigger_id": "", "context": ctx})
		return f.post("/api/v1/integrations/mattermost/actions", http.Header{"Content-Type": {"application/json"}}, body)
	}
	forged := ack.Context
	forged.Token = "forged"
	if code, _ := press(forged, "alice"); code != 403 {
		t.Errorf("forged token: %d, want 403", code)
	}
	other := ack.Context
	other.IncidentID++
	if code, _ := press(other, "alice"); code != 403 {
		t.Errorf("token of another incident: %d, want 403", code)
	}
	if code, _ := f.post("/api/v1/integrations/mattermost/actions", http.Header{"Content-Type": {"application/json"}}, []byte(`{"context":{}}`)); code != 400 {
		t.Errorf("empty context: %d, want 400", code)
	}
	if got, _ := f.incident(inc.ID); got.Status != alert.StatusTriggered {
		t.Fatalf("refused presses changed the incident: %s", got.Status)
	}
	code, body := press(ack.Context, "alice")
	if code != 200 {
		t.Fatalf("ack: %d %s", code, body)
	}
	var resp mattermost.ActionResponse
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Update == nil ||
		resp.Update.Message != "Incident #"+strconv.FormatInt(inc.ID, 10)+" acknowledged by @alice" {
		t.Errorf("answer %s", body)
	}
	code, _ = press(msg.Attachments[0].Actions[1].Integration.Context, "carol")
	if code != 200 {
		t.Fatalf("resolve: %d", code)
	}
	got, tl := f.incident(inc.ID)
	if got.Status != alert.StatusResolved {
		t.Errorf("incident %s, want resolved", got.Status)
	}
	wantActedBy(t, tl, incident.EntryAcknowledged, "user:alice via mattermost")
	wantActedBy(t, tl, incident.EntryResolved, "mattermost:carol via mattermost")
}

func TestTestNotification(t *testing.T) {
	f := newChannelFixture(t, "alice-hook")
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"viewer", "/api/v1/users/alice/contact_methods/alice-hook/test", f.viewer, 403},
		{"another user", "/api/v1/users/alice/contact_methods/alice-hook/test", bobToken, 403},
		{"no token", "/api/v1/users/alice/contact_methods/alice-hook/test", "", 401},
		{"unknown user", "/api/v1/users/nobody/contact_methods/alice-hook/test", adminSecret, 404},
		{"unknown method", "/api/v1/users/alice/contact_methods/nothing/test", adminSecret, 404},
		{"someone else's method", "/api/v1/users/alice/contact_methods/bob-hook/test", adminSecret, 404},
	}
	for _, tt := range tests {
		if code := f.call("POST", tt.path, tt.token, nil, nil); code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.want)
		}
	}
	for _, token := range []string{aliceToken, adminSecret} {
		var queued struct {
			NotificationID int64  `json:"notification_id"`
			Status         string `json:"status"`
		}
		if code := f.call("POST", "/api/v1/users/alice/contact_methods/alice-hook/test", token, nil, &queued); code != 202 || queued.NotificationID == 0 || queued.Status != "pending" {
			t.Fatalf("test notification: %d %+v", code, queued)
		}
	}
	f.tick()
	got := f.prov.calls("/hook/alice")
	if len(got) != 2 {
		t.Fatalf("webhook got %d test notifications, want 2", len(got))
	}
	if got[0].JSON["kind"] != "test" {
		t.Errorf("kind %v, want test", got[0].JSON["kind"])
	}
}

func TestPhoneVerificationEndpoints(t *testing.T) {
	f := newChannelFixture(t, "alice-hook")
	// carol adds her own number through the API: it must be verified.
	carol := map[string]any{"id": "carol", "name": "Carol", "time_zone": "Europe/Berlin",
		"contact_methods":    []any{map[string]any{"id": "carol-sms", "type": "sms", "number": "+4915100000003"}, map[string]any{"id": "carol-hook", "type": "webhook", "url": f.prov.srv.URL + "/hook/carol"}},
		"notification_rules": []any{map[string]any{"contact_method": "carol-sms", "delay": "0m"}, map[string]any{"contact_method": "carol-hook", "delay": "5m"}}}
	if code := f.call("POST", "/api/v1/users", adminSecret, carol, nil); code != 201 {
		t.Fatalf("create carol = %d", code)
	}
	var view verificationView
	base := "/api/v1/users/carol/contact_methods/carol-sms/verification"
	if code := f.call("GET", base, adminSecret, nil, &view); code != 200 || !view.NeedsVerification || view.Verified {
		t.Fatalf("before: %d %+v", code, view)
	}
	if code := f.call("GET", "/api/v1/users/alice/contact_methods/alice-sms/verification", adminSecret, nil, &view); code != 200 || view.NeedsVerification || !view.Verified {
		t.Errorf("alice's number from the files: %d %+v, want trusted", code, view)
	}
	if code := f.call("POST", base, bobToken, nil, nil); code != 403 {
		t.Errorf("bob starts carol's verification: %d, want 403", code)
	}
	if code := f.call("POST", "/api/v1/users/carol/contact_methods/carol-hook/verification", adminSecret, nil, nil); code != 400 {
		t.Errorf("verifying a webhook: %d, want 400", code)
	}
	if code := f.call("POST", base, adminSecret, nil, &view); code != 202 || view.ExpiresAt == nil || !view.ExpiresAt.Equal(f.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("start: %d %+v", code, view)
	}
	if code := f.call("POST", base, adminSecret, nil, nil); code != 429 {
		t.Errorf("a second code at once: %d, want 429", code)
	}
	sms := f.prov.calls("/2010-04-01/Accounts/AC123/Messages.json")
	if len(sms) != 1 || sms[0].Form.Get("To") != "+4915100000003" {
		t.Fatalf("Twilio got %+v", sms)
	}
	text := sms[0].Form.Get("Body")
	code := strings.TrimSuffix(strings.TrimPrefix(text, "Your Vigil verification code is "), ". It expires in 10 minutes.")
	if len(code) != 6 {
		t.Fatalf("SMS %q holds no code", text)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	confirm := base + "/confirm"
	if status := f.call("POST", confirm, adminSecret, map[string]string{"code": wrong}, nil); status != 422 {
		t.Errorf("wrong code: %d, want 422", status)
	}
	if status := f.call("POST", confirm, adminSecret, map[string]string{"code": "12ab56"}, nil); status != 400 {
		t.Errorf("malformed code: %d, want 400", status)
	}
	if status := f.call("POST", confirm, adminSecret, map[string]string{"code": code}, &view); status != 200 || !view.Verified {
		t.Fatalf("right code: %d %+v", status, view)
	}
	if status := f.call("GET", base, adminSecret, nil, &view); status != 200 || !view.Verified {
		t.Errorf("after: %d %+v", status, view)
	}
	if status := f.call("POST", confirm, adminSecret, map[string]string{"code": code}, nil); status != 409 {
		t.Errorf("the code again: %d, want 409", status)
	}
}

func TestUnverifiedAPINumberIsNotPaged(t *testing.T) {
	f := newChannelFixture(t, "alice-hook")
	b := f.org.Snapshot().Bundle
	// alice's policy pages carol, whose API-made number is not verified.
	carol := map[string]any{"id": "carol", "name": "Carol", "time_zone": "Europe/Berlin",
		"contact_methods":    []any{map[string]any{"id": "carol-sms", "type": "sms", "number": "+4915100000003"}, map[string]any{"id": "carol-hook", "type": "webhook", "url": f.prov.srv.URL + "/hook/carol"}},
		"notification_rules": []any{map[string]any{"contact_method": "carol-sms", "delay": "0m"}, map[string]any{"contact_method": "carol-hook", "delay": "5m"}}}
	if code := f.call("POST", "/api/v1/users", adminSecret, carol, nil); code != 201 {
		t.Fatalf("create carol = %d", code)
	}
	policy := b.EscalationPolicies[0]
	policy.Steps[0].Targets = []escalation.Target{{User: "carol"}}
	if code := f.call("PUT", "/api/v1/escalation_policies/shop-default", adminSecret, policy, nil); code != 200 {
		t.Fatalf("replace policy = %d", code)
	}
	f.page("disk")
	if n := len(f.prov.calls("/2010-04-01/")); n != 0 {
		t.Errorf("Twilio got %d requests for an unverified number", n)
	}
	if n := len(f.prov.calls("/hook/carol")); n != 1 {
		t.Errorf("carol's webhook got %d pages, want 1 at once", n)
	}
}
