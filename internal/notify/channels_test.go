package notify

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// provider is a local stand-in for a chat, push or SMS provider: it
// records every request and answers with status and body.
type provider struct {
	mu     sync.Mutex
	got    []providerRequest
	status int
	answer string
	srv    *httptest.Server
}

type providerRequest struct {
	method, path, query string
	header              http.Header
	body                string
	user, pass          string
	hasAuth             bool
}

func newProvider(t *testing.T, status int, answer string) *provider {
	t.Helper()
	p := &provider{status: status, answer: answer}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, pass, ok := r.BasicAuth()
		p.mu.Lock()
		p.got = append(p.got, providerRequest{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(),
			body: string(body), user: user, pass: pass, hasAuth: ok})
		status, answer := p.status, p.answer
		p.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// only returns the one request the provider got.
func (p *provider) only(t *testing.T) providerRequest {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.got) != 1 {
		t.Fatalf("provider got %d requests, want 1", len(p.got))
	}
	return p.got[0]
}

// channelMessage is a page with everything a channel may show, and the
// callback fields the pipeline fills in.
func channelMessage() Message {
	m := pageMessage()
	m.NotificationID = 7
	m.UserID = "alice"
	m.PublicURL = "https://vigil.example.com/"
	m.CallbackToken = "TOKEN"
	return m
}

func decodeJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return v
}

// at walks a decoded JSON value by object keys and array indexes.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, step := range path {
		switch k := step.(type) {
		case string:
			obj, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %v is not an object", path, v)
			}
			v = obj[k]
		case int:
			arr, ok := v.([]any)
			if !ok || k >= len(arr) {
				t.Fatalf("at %v: %v has no element %d", path, v, k)
			}
			v = arr[k]
		}
	}
	return v
}

func expectJSONPost(t *testing.T, r providerRequest, path string) map[string]any {
	t.Helper()
	if r.method != http.MethodPost || r.path != path {
		t.Errorf("request %s %s, want POST %s", r.method, r.path, path)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if ua := r.header.Get("User-Agent"); ua != "Vigil" {
		t.Errorf("User-Agent %q, want Vigil", ua)
	}
	if r.hasAuth || r.header.Get("Authorization") != "" {
		t.Errorf("chat webhook got an Authorization header: %q", r.header.Get("Authorization"))
	}
	return decodeJSON(t, r.body)
}

func TestSlackPostsBlockKit(t *testing.T) {
	p := newProvider(t, http.StatusOK, "ok")
	m := channelMessage()
	m.Summary = "p99 <over> 2s & rising"
	err := NewSlack(p.srv.Client()).Send(context.Background(), Destination{WebhookURL: p.srv.URL + "/services/T0/B0/secret"}, m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	body := expectJSONPost(t, p.only(t), "/services/T0/B0/secret")
	if got := at(t, body, "text"); got != "[SEV2] #12 checkout: Checkout latency high" {
		t.Errorf("text = %q", got)
	}
	var types []string
	for _, b := range at(t, body, "blocks").([]any) {
		types = append(types, at(t, b, "type").(string))
	}
	if got := strings.Join(types, ","); got != "header,section,actions,context" {
		t.Fatalf("block types %s, want header,section,actions,context", got)
	}
	if got := at(t, body, "blocks", 0, "text", "type"); got != "plain_text" {
		t.Errorf("header text type %v", got)
	}
	if got := at(t, body, "blocks", 1, "text", "text"); got != "p99 &lt;over&gt; 2s &amp; rising" {
		t.Errorf("section text %q: mrkdwn must be escaped", got)
	}
	if got := at(t, body, "blocks", 1, "fields", 0, "text"); got != "*Status*\ntriggered" {
		t.Errorf("first field %q", got)
	}
	if got := at(t, body, "blocks", 2, "block_id"); got != "vigil_incident_12" {
		t.Errorf("actions block_id %v", got)
	}
	buttons := []struct{ actionID, label, url, style string }{
		{"vigil_ack", "Acknowledge", "https://vigil.example.com/a/ACK.TOKEN", "primary"},
		{"vigil_resolve", "Resolve", "https://vigil.example.com/a/RES.TOKEN", "danger"},
	}
	for i, want := range buttons {
		b := at(t, body, "blocks", 2, "elements", i)
		if at(t, b, "type") != "button" || at(t, b, "action_id") != want.actionID || at(t, b, "value") != "12" ||
			at(t, b, "url") != want.url || at(t, b, "style") != want.style || at(t, b, "text", "text") != want.label {
			t.Errorf("button %d = %v, want %+v", i, b, want)
		}
	}
	if got := at(t, body, "blocks", 3, "elements", 0, "text"); got != "<https://vigil.example.com/incidents/12|Open in Vigil>" {
		t.Errorf("context %q", got)
	}
}

func TestSlackButtonsFollowStatus(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Message)
		actions string
	}{
		{"triggered", func(*Message) {}, "vigil_ack,vigil_resolve"},
		{"acknowledged", func(m *Message) { m.Kind, m.Status = KindUpdate, "acknowledged" }, "vigil_resolve"},
		{"resolved", func(m *Message) { m.Kind, m.Status = KindUpdate, "resolved" }, ""},
		{"test", func(m *Message) { *m = Message{Kind: KindTest, Title: "Test notification from Vigil"} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := channelMessage()
			tt.edit(&m)
			var ids []string
			for _, b := range SlackPayload(m).Blocks {
				for _, e := range b.Elements {
					if e.ActionID != "" {
						ids = append(ids, e.ActionID)
					}
				}
			}
			if got := strings.Join(ids, ","); got != tt.actions {
				t.Errorf("action ids %q, want %q", got, tt.actions)
			}
		})
	}
}

func TestTeamsPostsAdaptiveCard(t *testing.T) {
	p := newProvider(t, http.StatusAccepted, "")
	err := NewTeams(p.srv.Client()).Send(context.Background(), Destination{WebhookURL: p.srv.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=s3cret"}, channelMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := p.only(t)
	body := expectJSONPost(t, r, "/workflows/abc/triggers/manual/paths/invoke")
	if r.query != "sig=s3cret" {
		t.Errorf("query %q: the webhook URL's query must be kept", r.query)
	}
	if at(t, body, "type") != "message" {
		t.Errorf("type %v, want message", at(t, body, "type"))
	}
	att := at(t, body, "attachments", 0)
	if at(t, att, "contentType") != "application/vnd.microsoft.card.adaptive" {
		t.Errorf("contentType %v", at(t, att, "contentType"))
	}
	card := at(t, att, "content")
	if at(t, card, "type") != "AdaptiveCard" || at(t, card, "version") != "1.4" || at(t, card, "$schema") != "http://adaptivecards.io/schemas/adaptive-card.json" {
		t.Errorf("card header %v %v %v", at(t, card, "type"), at(t, card, "version"), at(t, card, "$schema"))
	}
	if got := at(t, card, "body", 0, "text"); got != "[SEV2] #12 checkout: Checkout latency high" {
		t.Errorf("title %q", got)
	}
	if got := at(t, card, "body", 2, "facts", 0); at(t, got, "title") != "Incident" || at(t, got, "value") != "#12" {
		t.Errorf("first fact %v", got)
	}
	want := [][2]string{
		{"Acknowledge", "https://vigil.example.com/a/ACK.TOKEN"},
		{"Resolve", "https://vigil.example.com/a/RES.TOKEN"},
		{"Open in Vigil", "https://vigil.example.com/incidents/12"},
	}
	actions := at(t, card, "actions").([]any)
	if len(actions) != len(want) {
		t.Fatalf("actions %v, want %d", actions, len(want))
	}
	for i, w := range want {
		a := actions[i]
		if at(t, a, "type") != "Action.OpenUrl" || at(t, a, "title") != w[0] || at(t, a, "url") != w[1] {
			t.Errorf("action %d = %v, want Action.OpenUrl %v", i, a, w)
		}
	}
}

func TestMattermostPostsInteractiveActions(t *testing.T) {
	p := newProvider(t, http.StatusOK, "ok")
	err := NewMattermost(p.srv.Client()).Send(context.Background(), Destination{WebhookURL: p.srv.URL + "/hooks/xyz"}, channelMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	body := expectJSONPost(t, p.only(t), "/hooks/xyz")
	att := at(t, body, "attachments", 0)
	if at(t, att, "title") != "[SEV2] #12 checkout: Checkout latency high" || at(t, att, "title_link") != "https://vigil.example.com/incidents/12" ||
		at(t, att, "color") != "#d0021b" {
		t.Errorf("attachment %v", att)
	}
	for i, want := range []struct{ id, name, verb string }{{"ack", "Acknowledge", "acknowledge"}, {"resolve", "Resolve", "resolve"}} {
		a := at(t, att, "actions", i)
		if at(t, a, "id") != want.id || at(t, a, "name") != want.name {
			t.Errorf("action %d = %v", i, a)
		}
		if got := at(t, a, "integration", "url"); got != "https://vigil.example.com/api/v1/integrations/mattermost/actions" {
			t.Errorf("action %d url %v", i, got)
		}
		ctx := at(t, a, "integration", "context")
		if at(t, ctx, "incident_id") != 12.0 || at(t, ctx, "verb") != want.verb || at(t, ctx, "user") != "alice" ||
			at(t, ctx, "notification") != 7.0 || at(t, ctx, "token") != "TOKEN" {
			t.Errorf("action %d context %v", i, ctx)
		}
	}
}

func TestMattermostWithoutCallbacksLinks(t *testing.T) {
	m := channelMessage()
	m.CallbackToken = ""
	att := MattermostPayload(m).Attachments[0]
	if len(att.Actions) != 0 {
		t.Errorf("actions %v without a callback token", att.Actions)
	}
	want := "p99 over 2s for 10m\n\n[Acknowledge](https://vigil.example.com/a/ACK.TOKEN) · [Resolve](https://vigil.example.com/a/RES.TOKEN)"
	if att.Text != want {
		t.Errorf("text %q, want %q", att.Text, want)
	}
}

func ntfyDefault(url, token string) func() (NtfyServer, error) {
	return func() (NtfyServer, error) { return NtfyServer{URL: url, Token: token}, nil }
}

func TestNtfyPublishesWithHeaders(t *testing.T) {
	p := newProvider(t, http.StatusOK, `{"id":"abc"}`)
	ch := NewNtfy(p.srv.Client(), ntfyDefault(p.srv.URL+"/", "tk_secret"))
	if err := ch.Send(context.Background(), Destination{Topic: "vigil-alice"}, channelMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := p.only(t)
	if r.method != http.MethodPost || r.path != "/vigil-alice" {
		t.Errorf("request %s %s, want POST /vigil-alice", r.method, r.path)
	}
	want := map[string]string{
		"Title":         "[SEV2] #12 checkout: Checkout latency high",
		"Priority":      "urgent",
		"Tags":          "rotating_light,sev2",
		"Click":         "https://vigil.example.com/incidents/12",
		"Actions":       "http, Acknowledge, https://vigil.example.com/a/ACK.TOKEN, method=POST, clear=true; http, Resolve, https://vigil.example.com/a/RES.TOKEN, method=POST, clear=true",
		"Authorization": "Bearer tk_secret",
		"Content-Type":  "text/plain; charset=utf-8",
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if r.body != "p99 over 2s for 10m\nStatus: triggered · Urgency: high · +3 more alerts" {
		t.Errorf("body %q", r.body)
	}
}

func TestNtfyServerAndToken(t *testing.T) {
	orgServer := newProvider(t, http.StatusOK, "{}")
	ownServer := newProvider(t, http.StatusOK, "{}")
	tests := []struct {
		name      string
		def       func() (NtfyServer, error)
		to        Destination
		urgency   string
		wantSrv   *provider
		wantAuth  string
		wantPrio  string
		permanent bool
	}{
		{"org default", ntfyDefault(orgServer.srv.URL, "tk_org"), Destination{Topic: "t1"}, "high", orgServer, "Bearer tk_org", "urgent", false},
		{"low urgency", ntfyDefault(orgServer.srv.URL, ""), Destination{Topic: "t1"}, "low", orgServer, "", "default", false},
		{"own server gets no org token", ntfyDefault(orgServer.srv.URL, "tk_org"), Destination{Topic: "t1", URL: ownServer.srv.URL}, "high", ownServer, "", "urgent", false},
		{"own server equal to the default", ntfyDefault(orgServer.srv.URL, "tk_org"), Destination{Topic: "t1", URL: orgServer.srv.URL + "/"}, "high", orgServer, "Bearer tk_org", "urgent", false},
		{"no server", ntfyDefault("", ""), Destination{Topic: "t1"}, "high", nil, "", "", true},
		{"nil default", nil, Destination{Topic: "t1"}, "high", nil, "", "", true},
		{"provider error", func() (NtfyServer, error) { return NtfyServer{}, errors.New("broken") }, Destination{Topic: "t1"}, "high", nil, "", "", true},
		{"topic with a slash", ntfyDefault(orgServer.srv.URL, ""), Destination{Topic: "a/b"}, "high", nil, "", "", true},
		{"empty topic", ntfyDefault(orgServer.srv.URL, ""), Destination{}, "high", nil, "", "", true},
		{"topic too long", ntfyDefault(orgServer.srv.URL, ""), Destination{Topic: strings.Repeat("t", 65)}, "high", nil, "", "", true},
		{"server not http", ntfyDefault("ftp://ntfy.example.com", ""), Destination{Topic: "t1"}, "high", nil, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range []*provider{orgServer, ownServer} {
				p.mu.Lock()
				p.got = nil
				p.mu.Unlock()
			}
			m := channelMessage()
			m.Urgency = tt.urgency
			err := (&Ntfy{Default: tt.def}).Send(context.Background(), tt.to, m)
			var perm *PermanentError
			if tt.permanent {
				if !errors.As(err, &perm) {
					t.Fatalf("Send = %v, want a permanent error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			r := tt.wantSrv.only(t)
			if got := r.header.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization %q, want %q", got, tt.wantAuth)
			}
			if got := r.header.Get("Priority"); got != tt.wantPrio {
				t.Errorf("Priority %q, want %q", got, tt.wantPrio)
			}
		})
	}
}

func TestNtfyHeadersResistInjection(t *testing.T) {
	m := channelMessage()
	m.Title = "evil\r\nX-Injected: 1"
	m.Severity = "SEV1\r\n"
	m.IncidentURL = "https://vigil.example.com/x\r\nX-Injected: 2"
	h := NtfyHeaders(m)
	for k, v := range h {
		if strings.ContainsAny(v, "\r\n") {
			t.Errorf("header %s = %q holds a line break", k, v)
		}
	}
	if h["Title"] != "[SEV1] #12 checkout: evil X-Injected: 1" {
		t.Errorf("Title %q", h["Title"])
	}
	m.Title = "Überlast im Zahlungsdienst"
	if got := NtfyHeaders(m)["Title"]; got != "=?utf-8?q?[SEV1]_#12_checkout:_=C3=9Cberlast_im_Zahlungsdienst?=" {
		t.Errorf("non-ASCII Title %q, want an RFC 2047 encoded word", got)
	}
}

func twilioAccount(base string) func() (TwilioAccount, error) {
	return func() (TwilioAccount, error) {
		return TwilioAccount{AccountSID: "AC0123", AuthToken: "twilio-token", From: "+15550000000", BaseURL: base}, nil
	}
}

func expectTwilioPost(t *testing.T, r providerRequest, resource string) url.Values {
	t.Helper()
	if want := "/2010-04-01/Accounts/AC0123/" + resource; r.method != http.MethodPost || r.path != want {
		t.Errorf("request %s %s, want POST %s", r.method, r.path, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	if !r.hasAuth || r.user != "AC0123" || r.pass != "twilio-token" {
		t.Errorf("basic auth %v %q:%q, want AC0123:twilio-token", r.hasAuth, r.user, r.pass)
	}
	form, err := url.ParseQuery(r.body)
	if err != nil {
		t.Fatalf("body is not a form: %v", err)
	}
	return form
}

func TestTwilioSendsSMS(t *testing.T) {
	p := newProvider(t, http.StatusCreated, `{"sid":"SM1","status":"queued"}`)
	err := NewSMS(p.srv.Client(), twilioAccount(p.srv.URL)).Send(context.Background(), Destination{Number: "+4915100000001"}, channelMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	form := expectTwilioPost(t, p.only(t), "Messages.json")
	want := url.Values{
		"To":             {"+4915100000001"},
		"From":           {"+15550000000"},
		"Body":           {"Vigil #12 SEV2 checkout: Checkout latency high (+3 more). Reply 4 to ack, 6 to resolve"},
		"StatusCallback": {"https://vigil.example.com/api/v1/twilio/status?notification=7&sig=TOKEN"},
	}
	if form.Encode() != want.Encode() {
		t.Errorf("form\n%s\nwant\n%s", form.Encode(), want.Encode())
	}
}

// twiml is the part of TwiML the voice tests read.
type twiml struct {
	Gather *struct {
		NumDigits string `xml:"numDigits,attr"`
		Action    string `xml:"action,attr"`
		Method    string `xml:"method,attr"`
		Say       string `xml:"Say"`
	} `xml:"Gather"`
	Say []string `xml:"Say"`
}

func TestTwilioPlacesCall(t *testing.T) {
	p := newProvider(t, http.StatusCreated, `{"sid":"CA1","status":"queued"}`)
	m := channelMessage()
	m.Title = "Latency & <errors>"
	err := NewVoice(p.srv.Client(), twilioAccount(p.srv.URL+"/")).Send(context.Background(), Destination{Number: "+4915100000001"}, m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	form := expectTwilioPost(t, p.only(t), "Calls.json")
	if form.Get("To") != "+4915100000001" || form.Get("From") != "+15550000000" || form.Get("Body") != "" {
		t.Errorf("form %v", form)
	}
	if got := form.Get("StatusCallback"); got != "https://vigil.example.com/api/v1/twilio/status?notification=7&sig=TOKEN" {
		t.Errorf("StatusCallback %q", got)
	}
	var doc twiml
	if err := xml.Unmarshal([]byte(form.Get("Twiml")), &doc); err != nil {
		t.Fatalf("Twiml is not XML: %v\n%s", err, form.Get("Twiml"))
	}
	if doc.Gather == nil || doc.Gather.NumDigits != "1" || doc.Gather.Method != "POST" {
		t.Fatalf("Gather %+v", doc.Gather)
	}
	action, err := url.Parse(doc.Gather.Action)
	if err != nil || action.Scheme+"://"+action.Host+action.Path != "https://vigil.example.com/api/v1/twilio/voice" {
		t.Errorf("Gather action %q", doc.Gather.Action)
	}
	if q := action.Query(); q.Get("incident") != "12" || q.Get("user") != "alice" || q.Get("notification") != "7" || q.Get("sig") != "TOKEN" {
		t.Errorf("Gather action query %v", q)
	}
	if want := "This is Vigil. Incident 12, SEV2, on checkout: Latency & <errors>. Press 4 to acknowledge, 6 to resolve."; doc.Gather.Say != want {
		t.Errorf("Say %q, want %q", doc.Gather.Say, want)
	}
}

func TestSMSBody(t *testing.T) {
	long := strings.Repeat("é", 400)
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"page", Message{Kind: KindPage, IncidentID: 12, Severity: "SEV2", Service: "checkout", Title: "Checkout down", Status: "triggered"},
			"Vigil #12 SEV2 checkout: Checkout down. Reply 4 to ack, 6 to resolve"},
		{"acknowledged update", Message{Kind: KindUpdate, IncidentID: 12, Severity: "SEV2", Service: "checkout", Title: "Checkout down", Status: "acknowledged"},
			"Vigil #12 SEV2 checkout: Checkout down is acknowledged. Reply 6 to resolve"},
		{"resolved update", Message{Kind: KindUpdate, IncidentID: 12, Severity: "SEV2", Service: "checkout", Title: "Checkout down", Status: "resolved"},
			"Vigil #12 SEV2 checkout: Checkout down is resolved"},
		{"line breaks", Message{Kind: KindPage, IncidentID: 3, Title: "a\nb\r\nc", Status: "triggered"},
			"Vigil #3: a b c. Reply 4 to ack, 6 to resolve"},
		{"verification", Message{Kind: KindVerification, VerificationCode: "042137"},
			"Your Vigil verification code is 042137. It expires in 10 minutes."},
		{"long title", Message{Kind: KindPage, IncidentID: 12, Severity: "SEV2", Service: "checkout", Title: long, Status: "triggered"},
			"Vigil #12 SEV2 checkout: " + strings.Repeat("é", 320-25-30-1) + "…. Reply 4 to ack, 6 to resolve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SMSBody(tt.m)
			if got != tt.want {
				t.Errorf("SMSBody =\n%q\nwant\n%q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > 320 {
				t.Errorf("%d characters, at most 320", n)
			}
		})
	}
}

func TestVoiceTwiMLWithoutCallbacks(t *testing.T) {
	m := channelMessage()
	m.PublicURL = ""
	var doc twiml
	if err := xml.Unmarshal([]byte(VoiceTwiML(m)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Gather != nil {
		t.Errorf("a Gather without a callback URL: %+v", doc.Gather)
	}
	if len(doc.Say) != 1 || doc.Say[0] != "This is Vigil. Incident 12, SEV2, on checkout: Checkout latency high." {
		t.Errorf("Say %q", doc.Say)
	}
	m = Message{Kind: KindVerification, VerificationCode: "123456"}
	doc = twiml{}
	if err := xml.Unmarshal([]byte(VoiceTwiML(m)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Say) != 1 || doc.Say[0] != "Your Vigil verification code is 1, 2, 3, 4, 5, 6." {
		t.Errorf("verification Say %q", doc.Say)
	}
}

func TestTwilioRefusesBadSettings(t *testing.T) {
	p := newProvider(t, http.StatusCreated, "{}")
	good := TwilioAccount{AccountSID: "AC0123", AuthToken: "tok", From: "+15550000000", BaseURL: p.srv.URL}
	tests := []struct {
		name string
		edit func(*TwilioAccount)
		to   string
	}{
		{"no token", func(a *TwilioAccount) { a.AuthToken = "" }, "+4915100000001"},
		{"sid with a slash", func(a *TwilioAccount) { a.AccountSID = "AC/../x" }, "+4915100000001"},
		{"bad from", func(a *TwilioAccount) { a.From = "5550000000" }, "+4915100000001"},
		{"bad number", func(*TwilioAccount) {}, "0151 000"},
		{"number with a newline", func(*TwilioAccount) {}, "+4915100000001\n"},
		{"base not http", func(a *TwilioAccount) { a.BaseURL = "file:///etc" }, "+4915100000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := good
			tt.edit(&acct)
			err := NewSMS(nil, func() (TwilioAccount, error) { return acct, nil }).Send(context.Background(), Destination{Number: tt.to}, channelMessage())
			var perm *PermanentError
			if !errors.As(err, &perm) {
				t.Errorf("Send = %v, want a permanent error", err)
			}
		})
	}
	if n := len(p.got); n != 0 {
		t.Errorf("provider got %d requests for settings that cannot work", n)
	}
	if err := (&Twilio{}).Send(context.Background(), Destination{Number: "+4915100000001"}, channelMessage()); err == nil {
		t.Error("Send without an account func succeeded")
	}
}

// TestChannelsClassifyAnswers: 2xx delivered; 408, 429 and 5xx retried;
// other answers permanent; for every HTTP channel.
func TestChannelsClassifyAnswers(t *testing.T) {
	answers := []struct {
		status    int
		ok        bool
		permanent bool
	}{
		{200, true, false}, {201, true, false}, {202, true, false}, {204, true, false},
		{400, false, true}, {401, false, true}, {403, false, true}, {404, false, true}, {410, false, true},
		{408, false, false}, {429, false, false}, {500, false, false}, {502, false, false}, {503, false, false},
		{301, false, true},
	}
	p := newProvider(t, 200, "")
	channels := []struct {
		ch Channel
		to Destination
	}{
		{NewSlack(nil), Destination{WebhookURL: p.srv.URL + "/s"}},
		{NewTeams(nil), Destination{WebhookURL: p.srv.URL + "/t"}},
		{NewMattermost(nil), Destination{WebhookURL: p.srv.URL + "/m"}},
		{NewNtfy(nil, ntfyDefault(p.srv.URL, "")), Destination{Topic: "topic"}},
		{NewSMS(nil, twilioAccount(p.srv.URL)), Destination{Number: "+4915100000001"}},
		{NewVoice(nil, twilioAccount(p.srv.URL)), Destination{Number: "+4915100000001"}},
	}
	for _, c := range channels {
		for _, a := range answers {
			p.mu.Lock()
			p.status, p.answer = a.status, `{"code":21211,"message":"The 'To' number is not valid"}`
			p.mu.Unlock()
			err := c.ch.Send(context.Background(), c.to, channelMessage())
			var perm *PermanentError
			switch {
			case a.ok && err != nil:
				t.Errorf("%s, HTTP %d: %v, want delivered", c.ch.Type(), a.status, err)
			case !a.ok && err == nil:
				t.Errorf("%s, HTTP %d: delivered, want an error", c.ch.Type(), a.status)
			case !a.ok && errors.As(err, &perm) != a.permanent:
				t.Errorf("%s, HTTP %d: %v, permanent %v, want %v", c.ch.Type(), a.status, err, !a.permanent, a.permanent)
			}
			if err != nil && strings.Contains(err.Error(), "twilio-token") {
				t.Errorf("%s: error shows the auth token: %v", c.ch.Type(), err)
			}
		}
	}
}

func TestChatWebhookURLsStayOutOfErrors(t *testing.T) {
	p := newProvider(t, 404, "no_service")
	for _, ch := range []Channel{NewSlack(nil), NewTeams(nil), NewMattermost(nil)} {
		err := ch.Send(context.Background(), Destination{WebhookURL: p.srv.URL + "/hooks/path?token=SECRET"}, channelMessage())
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: error %v must exist and leave the query out", ch.Type(), err)
		}
	}
	for _, ch := range []Channel{NewSlack(nil), NewTeams(nil), NewMattermost(nil)} {
		for _, bad := range []string{"", "not a url", "ftp://x/y", "http://", "://x"} {
			err := ch.Send(context.Background(), Destination{WebhookURL: bad}, channelMessage())
			var perm *PermanentError
			if !errors.As(err, &perm) {
				t.Errorf("%s with webhook URL %q: %v, want a permanent error", ch.Type(), bad, err)
			}
		}
	}
}
