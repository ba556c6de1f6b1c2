package notify

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Twilio's documented example of request validation: this URL, token and
// these parameters sign to this value.
func TestTwilioSignatureKnownAnswer(t *testing.T) {
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
	if got := TwilioSignature(token, target, params); got != want {
		t.Errorf("TwilioSignature = %q, want %q", got, want)
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
		{"empty token", "", target, params, TwilioSignature("", target, params), false},
		{"other URL", token, "https://mycompany.com/myapp.php?foo=1&bar=3", params, want, false},
		{"http instead of https", token, "http://mycompany.com/myapp.php?foo=1&bar=2", params, want, false},
		{"changed parameter", token, target, tampered, want, false},
		{"no header", token, target, params, "", false},
		{"not base64", token, target, params, "%%%", false},
		{"truncated", token, target, params, want[:10], false},
	}
	for _, tt := range tests {
		if got := VerifyTwilioSignature(tt.token, tt.target, tt.params, tt.header); got != tt.want {
			t.Errorf("%s: VerifyTwilioSignature = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Slack's documented example of request signing.
const (
	slackDocSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocTS     = "1531420618"
	slackDocBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackDocSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSlackSignature(t *testing.T) {
	if got := SignSlack(slackDocSecret, slackDocTS, []byte(slackDocBody)); got != slackDocSig {
		t.Fatalf("SignSlack = %q, want %q", got, slackDocSig)
	}
	sent := time.Unix(1531420618, 0)
	tests := []struct {
		name                  string
		secret, ts, body, sig string
		now                   time.Time
		want                  error
	}{
		{"documented", slackDocSecret, slackDocTS, slackDocBody, slackDocSig, sent.Add(time.Minute), nil},
		{"4m59s old", slackDocSecret, slackDocTS, slackDocBody, slackDocSig, sent.Add(5*time.Minute - time.Second), nil},
		{"5m01s old", slackDocSecret, slackDocTS, slackDocBody, slackDocSig, sent.Add(5*time.Minute + time.Second), ErrSignatureStale},
		{"from the future", slackDocSecret, slackDocTS, slackDocBody, slackDocSig, sent.Add(-6 * time.Minute), ErrSignatureStale},
		{"other secret", "other", slackDocTS, slackDocBody, slackDocSig, sent, ErrSignatureMismatch},
		{"no secret", "", slackDocTS, slackDocBody, slackDocSig, sent, ErrSignatureMismatch},
		{"body changed", slackDocSecret, slackDocTS, slackDocBody + "x", slackDocSig, sent, ErrSignatureMismatch},
		{"timestamp changed", slackDocSecret, "1531420619", slackDocBody, slackDocSig, sent, ErrSignatureMismatch},
		{"upper-case hex", slackDocSecret, slackDocTS, slackDocBody, strings.ToUpper(slackDocSig), sent, ErrSignatureMalformed},
		{"no prefix", slackDocSecret, slackDocTS, slackDocBody, slackDocSig[3:], sent, ErrSignatureMalformed},
		{"v1 prefix", slackDocSecret, slackDocTS, slackDocBody, "v1=" + slackDocSig[3:], sent, ErrSignatureMalformed},
		{"not hex", slackDocSecret, slackDocTS, slackDocBody, "v0=" + strings.Repeat("zz", 32), sent, ErrSignatureMalformed},
		{"empty timestamp", slackDocSecret, "", slackDocBody, slackDocSig, sent, ErrSignatureMalformed},
		{"negative timestamp", slackDocSecret, "-1", slackDocBody, slackDocSig, sent, ErrSignatureMalformed},
		{"huge timestamp", slackDocSecret, strings.Repeat("9", 30), slackDocBody, slackDocSig, sent, ErrSignatureMalformed},
		{"overflowing timestamp", slackDocSecret, "9999999999999999999", slackDocBody, slackDocSig, sent, ErrSignatureMalformed},
	}
	for _, tt := range tests {
		err := VerifySlackSignature(tt.secret, tt.ts, []byte(tt.body), tt.sig, tt.now, SlackMaxAge)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifySlackSignature = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func FuzzVerifySlackSignature(f *testing.F) {
	f.Add(slackDocTS, slackDocBody, slackDocSig)
	f.Add("", "", "")
	f.Add("-1", "x", "v0=")
	f.Add("99999999999999999999", "x", "v0=zz")
	sent := time.Unix(1531420618, 0)
	f.Fuzz(func(t *testing.T, ts, body, header string) {
		err := VerifySlackSignature(slackDocSecret, ts, []byte(body), header, sent, SlackMaxAge)
		if err == nil && header != SignSlack(slackDocSecret, ts, []byte(body)) {
			t.Fatalf("accepted %q for ts %q body %q", header, ts, body)
		}
	})
}

func TestParseSMSReply(t *testing.T) {
	tests := []struct {
		body string
		want SMSReply
		ok   bool
	}{
		{"4", SMSReply{VerbAcknowledge, 0}, true},
		{"6", SMSReply{VerbResolve, 0}, true},
		{"ack", SMSReply{VerbAcknowledge, 0}, true},
		{"  ACK 12 ", SMSReply{VerbAcknowledge, 12}, true},
		{"Ack #12.", SMSReply{VerbAcknowledge, 12}, true},
		{"acknowledge 7", SMSReply{VerbAcknowledge, 7}, true},
		{"resolve 12", SMSReply{VerbResolve, 12}, true},
		{"Resolve!", SMSReply{VerbResolve, 0}, true},
		{"6 12", SMSReply{VerbResolve, 12}, true},
		{"res 999999999999999", SMSReply{VerbResolve, 999999999999999}, true},
		{"4\n", SMSReply{VerbAcknowledge, 0}, true},
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
		if r.Verb != VerbAcknowledge && r.Verb != VerbResolve || r.IncidentID < 0 {
			t.Errorf("ParseSMSReply(%q) = %+v", body, r)
		}
		if len(body) > MaxSMSReply {
			t.Errorf("read a %d-byte reply", len(body))
		}
	})
}

func slackPayload(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func blockActions(actionID, value string) map[string]any {
	return map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": "U123", "username": "alice.m", "name": "alice.m", "team_id": "T9"},
		"team":         map[string]any{"id": "T9", "domain": "shop"},
		"api_app_id":   "A1",
		"trigger_id":   "111.222.abc",
		"response_url": "https://hooks.slack.com/actions/T9/1/xyz",
		"container":    map[string]any{"type": "message"},
		"actions": []any{
			map[string]any{"action_id": actionID, "block_id": "vigil_incident_12", "value": value, "type": "button", "action_ts": "1700000000.1"},
		},
	}
}

func TestParseSlackAction(t *testing.T) {
	ack := SlackAction{Verb: VerbAcknowledge, IncidentID: 12, UserID: "U123", UserName: "alice.m", TeamID: "T9",
		ResponseURL: "https://hooks.slack.com/actions/T9/1/xyz", TriggerID: "111.222.abc"}
	resolve := ack
	resolve.Verb = VerbResolve
	nameOnly := blockActions("vigil_ack", "12")
	nameOnly["user"] = map[string]any{"id": "U123", "name": "alice.n"}
	withName := ack
	withName.UserName, withName.TeamID = "alice.n", "T9"
	other := blockActions("approve", "12")
	other["actions"] = append(other["actions"].([]any), map[string]any{"action_id": "vigil_resolve", "value": "12"})
	noUser := blockActions("vigil_ack", "12")
	delete(noUser, "user")
	tests := []struct {
		name    string
		payload string
		want    SlackAction
		wantErr bool
	}{
		{"acknowledge", slackPayload(t, blockActions("vigil_ack", "12")), ack, false},
		{"resolve", slackPayload(t, blockActions("vigil_resolve", "12")), resolve, false},
		{"user name only", slackPayload(t, nameOnly), withName, false},
		{"first vigil action wins", slackPayload(t, other), resolve, false},
		{"foreign action", slackPayload(t, blockActions("approve", "12")), SlackAction{}, true},
		{"value not a number", slackPayload(t, blockActions("vigil_ack", "twelve")), SlackAction{}, true},
		{"value zero", slackPayload(t, blockActions("vigil_ack", "0")), SlackAction{}, true},
		{"value negative", slackPayload(t, blockActions("vigil_ack", "-12")), SlackAction{}, true},
		{"no user", slackPayload(t, noUser), SlackAction{}, true},
		{"view submission", `{"type":"view_submission","user":{"id":"U1"}}`, SlackAction{}, true},
		{"legacy interactive message", `{"type":"interactive_message","actions":[{"name":"vigil_ack","value":"12"}]}`, SlackAction{}, true},
		{"not JSON", "payload=%7B", SlackAction{}, true},
		{"empty", "", SlackAction{}, true},
		{"JSON array", "[]", SlackAction{}, true},
		{"actions not a list", `{"type":"block_actions","actions":{"action_id":"vigil_ack"}}`, SlackAction{}, true},
		{"oversized", `{"type":"block_actions","x":"` + strings.Repeat("a", MaxSlackPayload) + `"}`, SlackAction{}, true},
		{"deeply nested", strings.Repeat("[", 100000), SlackAction{}, true},
	}
	for _, tt := range tests {
		got, err := ParseSlackAction(tt.payload)
		if tt.wantErr != (err != nil) || got != tt.want {
			t.Errorf("%s: ParseSlackAction = %+v, %v; want %+v (error %v)", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseSlackAction(f *testing.F) {
	f.Add(slackPayload(f, blockActions("vigil_ack", "12")))
	f.Add(slackPayload(f, blockActions("vigil_resolve", "#3")))
	f.Add(`{"type":"block_actions","user":{"id":"U"},"actions":[{"action_id":"vigil_ack","value":"1"}]}`)
	f.Add(`{"type":"block_actions","actions":[null]}`)
	f.Add("")
	f.Fuzz(func(t *testing.T, payload string) {
		a, err := ParseSlackAction(payload)
		if err != nil {
			return
		}
		if a.Verb != VerbAcknowledge && a.Verb != VerbResolve || a.IncidentID <= 0 || a.UserID == "" {
			t.Errorf("ParseSlackAction(%q) = %+v", payload, a)
		}
	})
}

func TestParseMattermostAction(t *testing.T) {
	good := `{"user_id":"u1","user_name":"alice","channel_id":"c1","post_id":"p1","trigger_id":"t1",` +
		`"context":{"incident_id":12,"verb":"acknowledge","user":"alice","notification":7,"token":"TOKEN"}}`
	got, err := ParseMattermostAction([]byte(good))
	want := MattermostActionRequest{UserID: "u1", UserName: "alice", ChannelID: "c1", PostID: "p1", TriggerID: "t1",
		Context: MattermostContext{IncidentID: 12, Verb: "acknowledge", User: "alice", NotificationID: 7, Token: "TOKEN"}}
	if err != nil || got != want {
		t.Fatalf("ParseMattermostAction = %+v, %v; want %+v", got, err, want)
	}
	bad := []string{
		``,
		`{`,
		`[]`,
		`{"context":{"incident_id":12,"verb":"delete","token":"T"}}`,
		`{"context":{"incident_id":0,"verb":"resolve","token":"T"}}`,
		`{"context":{"incident_id":-1,"verb":"resolve","token":"T"}}`,
		`{"context":{"incident_id":12,"verb":"resolve","token":""}}`,
		`{"context":{"incident_id":"12","verb":"resolve","token":"T"}}`,
		`{"context":{"incident_id":1e400,"verb":"resolve","token":"T"}}`,
		`{"context":{"incident_id":12,"verb":"resolve","token":"T"}} {}`,
		`{"context":{"incident_id":12,"verb":"resolve","token":"T","notification":-5}}`,
		`{"user_name":"` + strings.Repeat("a", MaxMattermostAction) + `"}`,
	}
	for _, b := range bad {
		if got, err := ParseMattermostAction([]byte(b)); err == nil {
			t.Errorf("ParseMattermostAction(%.60q) = %+v, want an error", b, got)
		}
	}
}

func FuzzParseMattermostAction(f *testing.F) {
	f.Add([]byte(`{"user_id":"u1","context":{"incident_id":12,"verb":"acknowledge","notification":7,"token":"T"}}`))
	f.Add([]byte(`{"context":{"incident_id":-1,"verb":"resolve","token":"T"}}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseMattermostAction(body)
		if err != nil {
			return
		}
		c := req.Context
		if c.Verb != VerbAcknowledge && c.Verb != VerbResolve || c.IncidentID <= 0 || c.NotificationID < 0 || c.Token == "" || len(body) > MaxMattermostAction {
			t.Fatalf("accepted %q as %+v", body, req)
		}
	})
}

func TestCallbackToken(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	tok := CallbackToken(key, 7, 12, "alice")
	if len(tok) != 43 {
		t.Fatalf("token %q: want 43 base64url characters", tok)
	}
	tests := []struct {
		name  string
		key   []byte
		token string
		n, i  int64
		user  string
		want  bool
	}{
		{"same", key, tok, 7, 12, "alice", true},
		{"other notification", key, tok, 8, 12, "alice", false},
		{"other incident", key, tok, 7, 13, "alice", false},
		{"other user", key, tok, 7, 12, "bob", false},
		{"ids shifted into the user", key, tok, 7, 1, "2alice", false},
		{"other key", []byte("another key of sufficient length"), tok, 7, 12, "alice", false},
		{"no key", nil, CallbackToken(nil, 7, 12, "alice"), 7, 12, "alice", false},
		{"empty token", key, "", 7, 12, "alice", false},
		{"padded token", key, tok + "=", 7, 12, "alice", false},
		{"not base64", key, strings.Repeat("*", 43), 7, 12, "alice", false},
	}
	for _, tt := range tests {
		if got := CheckCallbackToken(tt.key, tt.token, tt.n, tt.i, tt.user); got != tt.want {
			t.Errorf("%s: CheckCallbackToken = %v, want %v", tt.name, got, tt.want)
		}
	}
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
	for digits, want := range map[string]string{"4": VerbAcknowledge, "6": VerbResolve, "": "", "5": "", "44": "", "#": ""} {
		if got := VoiceDigits(digits); got != want {
			t.Errorf("VoiceDigits(%q) = %q, want %q", digits, got, want)
		}
	}
}
