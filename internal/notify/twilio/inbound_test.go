package twilio

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/notify"
)

// Twilio's documented example of request validation: this URL, token and
// these parameters sign to this value.
func TestSignatureKnownAnswer(t *testing.T) {
	const (
		token  = "12345"
		target = "https://mycompany.com/myapp.php?foo=1&bar=2"
		want   = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
	)
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	if got := Signature(token, target, params); got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
	tampered := url.Values{}
	for k, v := range params {
		tampered[k] = v
	}
	tampered.Set("Digits", "6")
	tests := []struct {
		name          string
		token, target string
		params        url.Values
		header        string
		want          bool
	}{
		{"documented", token, target, params, want, true},
		{"other token", "54321", target, params, want, false},
		{"empty token", "", target, params, Signature("", target, params), false},
		{"other URL", token, "https://mycompany.com/myapp.php?foo=1&bar=3", params, want, false},
		{"http instead of https", token, "http://mycompany.com/myapp.php?foo=1&bar=2", params, want, false},
		{"changed parameter", token, target, tampered, want, false},
		{"no header", token, target, params, "", false},
		{"not base64", token, target, params, "%%%", false},
		{"truncated", token, target, params, want[:10], false},
	}
	for _, tt := range tests {
		if got := VerifySignature(tt.token, tt.target, tt.params, tt.header); got != tt.want {
			t.Errorf("%s: VerifySignature = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestVerifyRequest(t *testing.T) {
	const full = "https://vigil.example.com/api/v1/twilio/sms"
	acct := Account{AccountSID: "AC123", AuthToken: "tok"}
	form := url.Values{"From": {"+4915100000001"}, "Body": {"4"}, "MessageSid": {"SM1"}, "AccountSid": {"AC123"}}
	other := url.Values{"From": {"+4915100000001"}, "Body": {"4"}, "AccountSid": {"AC999"}}
	tests := []struct {
		name      string
		acct      Account
		url, body string
		signature string
		want      error // the kind of error; nil for a request that passes
		wantMsg   string
	}{
		{"signed", acct, full, form.Encode(), Signature("tok", full, form), nil, ""},
		{"no account sid sent", acct, full, "Body=4", Signature("tok", full, url.Values{"Body": {"4"}}), nil, ""},
		{"no auth token configured", Account{AccountSID: "AC123"}, full, form.Encode(), Signature("", full, form), notify.ErrForbidden, "Twilio is not configured on this server"},
		{"unsigned", acct, full, form.Encode(), "", notify.ErrForbidden, "missing or wrong X-Twilio-Signature"},
		{"signed with another token", acct, full, form.Encode(), Signature("other", full, form), notify.ErrForbidden, "missing or wrong X-Twilio-Signature"},
		{"signed over another URL", acct, full, form.Encode(), Signature("tok", "http://127.0.0.1:8080/api/v1/twilio/sms", form), notify.ErrForbidden, "missing or wrong"},
		{"another account", acct, full, other.Encode(), Signature("tok", full, other), notify.ErrForbidden, "request for another Twilio account"},
		{"form does not parse", acct, full, "Body=%zz", "x", notify.ErrMalformed, "malformed form body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params, err := VerifyRequest(tt.acct, tt.url, []byte(tt.body), tt.signature)
			if tt.want == nil {
				if err != nil || params.Get("Body") != "4" {
					t.Fatalf("VerifyRequest = %v, %v; want the parameters", params, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) || params != nil {
				t.Fatalf("VerifyRequest = %v, %v; want %v saying %q", params, err, tt.want, tt.wantMsg)
			}
		})
	}
}

func TestCallbacks(t *testing.T) {
	voice, status := ParseVoiceCallback, ParseStatusCallback
	tests := []struct {
		parse func(url.Values) (Callback, bool)
		query string
		want  Callback
		ok    bool
	}{
		{voice, "incident=12&user=alice&notification=7&sig=TOKEN", Callback{IncidentID: 12, NotificationID: 7, UserID: "alice", Token: "TOKEN"}, true},
		{voice, "incident=12&user=alice&notification=0", Callback{IncidentID: 12, UserID: "alice"}, true},
		{voice, "incident=12&notification=7&sig=TOKEN", Callback{}, false},
		{voice, "incident=x&user=alice&notification=7", Callback{}, false},
		{voice, "incident=-1&user=alice&notification=7", Callback{}, false},
		{voice, "incident=12&user=alice", Callback{}, false},
		{voice, "", Callback{}, false},
		{status, "notification=7&sig=TOKEN", Callback{NotificationID: 7, Token: "TOKEN"}, true},
		{status, "notification=7", Callback{NotificationID: 7}, true},
		{status, "notification=99999999999999999999&sig=T", Callback{}, false},
		{status, "sig=TOKEN", Callback{}, false},
	}
	for i, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		if got, ok := tt.parse(q); got != tt.want || ok != tt.ok {
			t.Errorf("case %d, %q: %+v, %v; want %+v, %v", i, tt.query, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct{ params, state, code string }{
		{"MessageStatus=undelivered&ErrorCode=30003", "undelivered", "30003"},
		{"CallStatus=no-answer", "no-answer", ""},
		{"MessageStatus=delivered&CallStatus=completed", "delivered", ""},
		{"", "", ""},
	} {
		p, _ := url.ParseQuery(tt.params)
		if state, code := DeliveryState(p); state != tt.state || code != tt.code {
			t.Errorf("DeliveryState(%q) = %q, %q; want %q, %q", tt.params, state, code, tt.state, tt.code)
		}
	}
	if Nonce("SM1") != "twilio:SM1" || Nonce("") != "" {
		t.Errorf("Nonce = %q, %q", Nonce("SM1"), Nonce(""))
	}
}

func TestParseSMSReply(t *testing.T) {
	tests := []struct {
		body string
		want SMSReply
		ok   bool
	}{
		{"4", SMSReply{notify.VerbAcknowledge, 0}, true},
		{"6", SMSReply{notify.VerbResolve, 0}, true},
		{"ack", SMSReply{notify.VerbAcknowledge, 0}, true},
		{"  ACK 12 ", SMSReply{notify.VerbAcknowledge, 12}, true},
		{"Ack #12.", SMSReply{notify.VerbAcknowledge, 12}, true},
		{"acknowledge 7", SMSReply{notify.VerbAcknowledge, 7}, true},
		{"resolve 12", SMSReply{notify.VerbResolve, 12}, true},
		{"Resolve!", SMSReply{notify.VerbResolve, 0}, true},
		{"6 12", SMSReply{notify.VerbResolve, 12}, true},
		{"res 999999999999999", SMSReply{notify.VerbResolve, 999999999999999}, true},
		{"4\n", SMSReply{notify.VerbAcknowledge, 0}, true},
		{"", SMSReply{}, false},
		{"   ", SMSReply{}, false},
		{"5", SMSReply{}, false},
		{"44", SMSReply{}, false},
		{"ok", SMSReply{}, false},
		{"ack 12 please", SMSReply{}, false},
		{"ack twelve", SMSReply{}, false},
		{"ack 0", SMSReply{}, false},
		{"ack -3", SMSReply{}, false},
		{"ack #", SMSReply{}, false},
		{"ack 1e3", SMSReply{}, false},
		{"ack 1234567890123456", SMSReply{}, false},
		{"ack 99999999999999999999999", SMSReply{}, false},
		{"ack\x0012", SMSReply{}, false},
		{"ack 12" + strings.Repeat(" ", 200), SMSReply{}, false},
		{"STOP", SMSReply{}, false},
		{"ａｃｋ", SMSReply{}, false},
		{"\xff\xfe", SMSReply{}, false},
	}
	for _, tt := range tests {
		got, err := ParseSMSReply(tt.body)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("ParseSMSReply(%q) = %+v, %v; want %+v", tt.body, got, err, tt.want)
		}
		if !tt.ok && (err == nil || !errors.Is(err, ErrUnknownReply)) {
			t.Errorf("ParseSMSReply(%q) = %+v, %v; want ErrUnknownReply", tt.body, got, err)
		}
	}
}

func FuzzParseSMSReply(f *testing.F) {
	for _, s := range []string{"4", "6", "ack 12", "resolve #9", "6 12.", "", "ack 0", "ack 99999999999999999999", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r, err := ParseSMSReply(body)
		if err != nil {
			if r != (SMSReply{}) {
				t.Errorf("error %v with a result %+v", err, r)
			}
			return
		}
		if r.Verb != notify.VerbAcknowledge && r.Verb != notify.VerbResolve || r.IncidentID < 0 {
			t.Errorf("ParseSMSReply(%q) = %+v", body, r)
		}
		if len(body) > MaxSMSReply {
			t.Errorf("read a %d-byte reply", len(body))
		}
	})
}

func TestTwiMLAnswers(t *testing.T) {
	tests := []struct{ got, want string }{
		{TwiMLMessage("Incident #12 acknowledged"), `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Message>Incident #12 acknowledged</Message></Response>`},
		{TwiMLMessage(""), `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response></Response>`},
		{TwiMLMessage("a <b> & c"), `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Message>a &lt;b&gt; &amp; c</Message></Response>`},
		{TwiMLSay("Incident 12 resolved."), `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Say>Incident 12 resolved.</Say><Hangup/></Response>`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got\n%s\nwant\n%s", tt.got, tt.want)
		}
	}
	for digits, want := range map[string]string{"4": notify.VerbAcknowledge, "6": notify.VerbResolve, "": "", "5": "", "44": "", "#": ""} {
		if got := VoiceDigits(digits); got != want {
			t.Errorf("VoiceDigits(%q) = %q, want %q", digits, got, want)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	params := url.Values{"From": {"+4915100000001"}, "To": {"+15550000000"}, "Body": {"ack 12"}, "MessageSid": {"SM0123456789"}, "AccountSid": {"AC123"}}
	full := "https://vigil.example.com/api/v1/twilio/sms"
	sig := Signature("token", full, params)
	b.ReportAllocs()
	for b.Loop() {
		if !VerifySignature("token", full, params, sig) {
			b.Fatal("signature does not verify")
		}
	}
}

func BenchmarkParseSMSReply(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSMSReply("Ack #12."); err != nil {
			b.Fatal(err)
		}
	}
}
