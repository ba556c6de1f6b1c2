package twilio

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

func account(base string) func() (Account, error) {
	return func() (Account, error) {
		return Account{AccountSID: "AC0123", AuthToken: "twilio-token", From: "+15550000000", BaseURL: base}, nil
	}
}

var (
	smsTarget = notifytest.Target{
		New: func(base string) (notify.Channel, notify.Destination) {
			return NewSMS(nil, account(base)), notify.Destination{Number: "+4915100000001"}
		},
		Secrets: []string{"twilio-token"},
		Dir:     "sms",
	}
	voiceTarget = notifytest.Target{
		New: func(base string) (notify.Channel, notify.Destination) {
			return NewVoice(nil, account(base)), notify.Destination{Number: "+4915100000001"}
		},
		Secrets: []string{"twilio-token"},
		Dir:     "voice",
	}
)

func TestKit(t *testing.T) {
	t.Run("sms", func(t *testing.T) { notifytest.Run(t, smsTarget) })
	t.Run("voice", func(t *testing.T) { notifytest.Run(t, voiceTarget) })
}

func expectPost(t *testing.T, r notifytest.Request, resource string) url.Values {
	t.Helper()
	if want := "/2010-04-01/Accounts/AC0123/" + resource; r.Method != http.MethodPost || r.Path != want {
		t.Errorf("request %s %s, want POST %s", r.Method, r.Path, want)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	if !r.HasAuth || r.User != "AC0123" || r.Pass != "twilio-token" {
		t.Errorf("basic auth %v %q:%q, want AC0123:twilio-token", r.HasAuth, r.User, r.Pass)
	}
	form, err := url.ParseQuery(r.Body)
	if err != nil {
		t.Fatalf("body is not a form: %v", err)
	}
	return form
}

func TestTwilioSendsSMS(t *testing.T) {
	p := notifytest.NewServer(t)
	p.Answer(http.StatusCreated, `{"sid":"SM1","status":"queued"}`)
	err := NewSMS(p.Client(), account(p.URL())).Send(context.Background(), notify.Destination{Number: "+4915100000001"}, notifytest.Interactive())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	form := expectPost(t, p.Only(t), "Messages.json")
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
	p := notifytest.NewServer(t)
	p.Answer(http.StatusCreated, `{"sid":"CA1","status":"queued"}`)
	m := notifytest.Interactive()
	m.Title = "Latency & <errors>"
	err := NewVoice(p.Client(), account(p.URL()+"/")).Send(context.Background(), notify.Destination{Number: "+4915100000001"}, m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	form := expectPost(t, p.Only(t), "Calls.json")
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
		m    notify.Message
		want string
	}{
		{"page", notify.Message{Kind: notify.KindPage, IncidentID: 12, Severity: "SEV2", Service: "checkout", Title: "Checkout down", Status: "triggered"},
			"Vigil #12 SEV2 checkout: Checkout down. Reply 4 to ack, 6 to resolve"},
		{"acknowledged update", notify.Message{Kind: notify.KindUpdate, IncidentID: 12, Severity: "SEV2", Service: "checkout", Title: "Checkout down", Status: "acknowledged"},
			"Vigil #12 SEV2 checkout: Checkout down is acknowledged. Reply 6 to resolve"},
		{"resolved update", notify.Message{Kind: notify.KindUpdate, IncidentID: 12, Severity: "SEV2", Service: "checkout", Title: "Checkout down", Status: "resolved"},
			"Vigil #12 SEV2 checkout: Checkout down is resolved"},
		{"line breaks", notify.Message{Kind: notify.KindPage, IncidentID: 3, Title: "a\nb\r\nc", Status: "triggered"},
			"Vigil #3: a b c. Reply 4 to ack, 6 to resolve"},
		{"verification", notify.Message{Kind: notify.KindVerification, VerificationCode: "042137"},
			"Your Vigil verification code is 042137. It expires in 10 minutes."},
		{"long title", notify.Message{Kind: notify.KindPage, IncidentID: 12, Severity: "SEV2", Service: "checkout", Title: long, Status: "triggered"},
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
	m := notifytest.Interactive()
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
	m = notify.Message{Kind: notify.KindVerification, VerificationCode: "123456"}
	doc = twiml{}
	if err := xml.Unmarshal([]byte(VoiceTwiML(m)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Say) != 1 || doc.Say[0] != "Your Vigil verification code is 1, 2, 3, 4, 5, 6." {
		t.Errorf("verification Say %q", doc.Say)
	}
}

func TestTwilioRefusesBadSettings(t *testing.T) {
	p := notifytest.NewServer(t)
	good := Account{AccountSID: "AC0123", AuthToken: "tok", From: "+15550000000", BaseURL: p.URL()}
	tests := []struct {
		name string
		edit func(*Account)
		to   string
	}{
		{"no token", func(a *Account) { a.AuthToken = "" }, "+4915100000001"},
		{"sid with a slash", func(a *Account) { a.AccountSID = "AC/../x" }, "+4915100000001"},
		{"bad from", func(a *Account) { a.From = "5550000000" }, "+4915100000001"},
		{"bad number", func(*Account) {}, "0151 000"},
		{"number with a newline", func(*Account) {}, "+4915100000001\n"},
		{"base not http", func(a *Account) { a.BaseURL = "file:///etc" }, "+4915100000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := good
			tt.edit(&acct)
			err := NewSMS(nil, func() (Account, error) { return acct, nil }).Send(context.Background(), notify.Destination{Number: tt.to}, notifytest.Interactive())
			notifytest.CheckErr(t, err, true, true)
		})
	}
	if n := len(p.Requests()); n != 0 {
		t.Errorf("provider got %d requests for settings that cannot work", n)
	}
	if err := (&Channel{}).Send(context.Background(), notify.Destination{Number: "+4915100000001"}, notifytest.Interactive()); err == nil {
		t.Error("Send without an account func succeeded")
	}
}

func TestAccountFrom(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"TWILIO_TOKEN": "tok"}[k] }
	got, err := AccountFrom(&catalog.TwilioProvider{AccountSID: "AC1", AuthTokenEnv: "TWILIO_TOKEN", From: "+15550000000", BaseURL: "http://twilio.test"}, getenv)
	if err != nil || got != (Account{AccountSID: "AC1", AuthToken: "tok", From: "+15550000000", BaseURL: "http://twilio.test"}) {
		t.Errorf("AccountFrom = %+v, %v", got, err)
	}
	if got, err := AccountFrom(&catalog.TwilioProvider{AccountSID: "AC1"}, getenv); err != nil || got.AuthToken != "" {
		t.Errorf("AccountFrom without a token variable = %+v, %v", got, err)
	}
	if _, err := AccountFrom(nil, getenv); err == nil || !strings.Contains(err.Error(), "org.providers.twilio") {
		t.Errorf("AccountFrom(nil) error %v, want one naming org.providers.twilio", err)
	}
	err = NewSMS(nil, func() (Account, error) { return AccountFrom(nil, getenv) }).Send(context.Background(), notify.Destination{Number: "+4915100000001"}, notifytest.Page())
	var perm *notify.PermanentError
	if !errors.As(err, &perm) {
		t.Errorf("Send without a provider = %v, want a permanent error", err)
	}
}

func BenchmarkSMSBody(b *testing.B) {
	notifytest.BenchmarkPayload(b, func(m notify.Message) any { return SMSBody(m) })
}

func BenchmarkVoiceTwiML(b *testing.B) {
	notifytest.BenchmarkPayload(b, func(m notify.Message) any { return VoiceTwiML(m) })
}

func BenchmarkSend(b *testing.B) { notifytest.BenchmarkSend(b, smsTarget) }
