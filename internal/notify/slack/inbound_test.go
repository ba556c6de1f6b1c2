package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

// Slack's documented example of request signing.
const (
	docSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	docTS     = "1531420618"
	docBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSignature(t *testing.T) {
	if got := Sign(docSecret, docTS, []byte(docBody)); got != docSig {
		t.Fatalf("Sign = %q, want %q", got, docSig)
	}
	sent := time.Unix(1531420618, 0)
	tests := []struct {
		name                  string
		secret, ts, body, sig string
		now                   time.Time
		want                  error
	}{
		{"documented", docSecret, docTS, docBody, docSig, sent.Add(time.Minute), nil},
		{"4m59s old", docSecret, docTS, docBody, docSig, sent.Add(5*time.Minute - time.Second), nil},
		{"5m01s old", docSecret, docTS, docBody, docSig, sent.Add(5*time.Minute + time.Second), notify.ErrSignatureStale},
		{"from the future", docSecret, docTS, docBody, docSig, sent.Add(-6 * time.Minute), notify.ErrSignatureStale},
		{"other secret", "other", docTS, docBody, docSig, sent, notify.ErrSignatureMismatch},
		{"no secret", "", docTS, docBody, docSig, sent, notify.ErrSignatureMismatch},
		{"body changed", docSecret, docTS, docBody + "x", docSig, sent, notify.ErrSignatureMismatch},
		{"timestamp changed", docSecret, "1531420619", docBody, docSig, sent, notify.ErrSignatureMismatch},
		{"upper-case hex", docSecret, docTS, docBody, strings.ToUpper(docSig), sent, notify.ErrSignatureMalformed},
		{"no prefix", docSecret, docTS, docBody, docSig[3:], sent, notify.ErrSignatureMalformed},
		{"v1 prefix", docSecret, docTS, docBody, "v1=" + docSig[3:], sent, notify.ErrSignatureMalformed},
		{"not hex", docSecret, docTS, docBody, "v0=" + strings.Repeat("zz", 32), sent, notify.ErrSignatureMalformed},
		{"empty timestamp", docSecret, "", docBody, docSig, sent, notify.ErrSignatureMalformed},
		{"negative timestamp", docSecret, "-1", docBody, docSig, sent, notify.ErrSignatureMalformed},
		{"huge timestamp", docSecret, strings.Repeat("9", 30), docBody, docSig, sent, notify.ErrSignatureMalformed},
		{"overflowing timestamp", docSecret, "9999999999999999999", docBody, docSig, sent, notify.ErrSignatureMalformed},
	}
	for _, tt := range tests {
		err := VerifySignature(tt.secret, tt.ts, []byte(tt.body), tt.sig, tt.now, MaxAge)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifySignature = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add(docTS, docBody, docSig)
	f.Add("", "", "")
	f.Add("-1", "x", "v0=")
	f.Add("99999999999999999999", "x", "v0=zz")
	sent := time.Unix(1531420618, 0)
	f.Fuzz(func(t *testing.T, ts, body, header string) {
		err := VerifySignature(docSecret, ts, []byte(body), header, sent, MaxAge)
		if err == nil && header != Sign(docSecret, ts, []byte(body)) {
			t.Fatalf("accepted %q for ts %q body %q", header, ts, body)
		}
	})
}

func payload(t testing.TB, v any) string {
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

func TestParseAction(t *testing.T) {
	ack := Action{Verb: notify.VerbAcknowledge, IncidentID: 12, UserID: "U123", UserName: "alice.m", TeamID: "T9",
		ResponseURL: "https://hooks.slack.com/actions/T9/1/xyz", TriggerID: "111.222.abc"}
	resolve := ack
	resolve.Verb = notify.VerbResolve
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
		want    Action
		wantErr bool
	}{
		{"acknowledge", payload(t, blockActions("vigil_ack", "12")), ack, false},
		{"resolve", payload(t, blockActions("vigil_resolve", "12")), resolve, false},
		{"user name only", payload(t, nameOnly), withName, false},
		{"first vigil action wins", payload(t, other), resolve, false},
		{"foreign action", payload(t, blockActions("approve", "12")), Action{}, true},
		{"value not a number", payload(t, blockActions("vigil_ack", "twelve")), Action{}, true},
		{"value zero", payload(t, blockActions("vigil_ack", "0")), Action{}, true},
		{"value negative", payload(t, blockActions("vigil_ack", "-12")), Action{}, true},
		{"no user", payload(t, noUser), Action{}, true},
		{"view submission", `{"type":"view_submission","user":{"id":"U1"}}`, Action{}, true},
		{"legacy interactive message", `{"type":"interactive_message","actions":[{"name":"vigil_ack","value":"12"}]}`, Action{}, true},
		{"not JSON", "payload=%7B", Action{}, true},
		{"empty", "", Action{}, true},
		{"JSON array", "[]", Action{}, true},
		{"actions not a list", `{"type":"block_actions","actions":{"action_id":"vigil_ack"}}`, Action{}, true},
		{"oversized", `{"type":"block_actions","x":"` + strings.Repeat("a", MaxPayload) + `"}`, Action{}, true},
		{"deeply nested", strings.Repeat("[", 100000), Action{}, true},
	}
	for _, tt := range tests {
		got, err := ParseAction(tt.payload)
		if tt.wantErr != (err != nil) || got != tt.want {
			t.Errorf("%s: ParseAction = %+v, %v; want %+v (error %v)", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseAction(f *testing.F) {
	f.Add(payload(f, blockActions("vigil_ack", "12")))
	f.Add(payload(f, blockActions("vigil_resolve", "#3")))
	f.Add(`{"type":"block_actions","user":{"id":"U"},"actions":[{"action_id":"vigil_ack","value":"1"}]}`)
	f.Add(`{"type":"block_actions","actions":[null]}`)
	f.Add("")
	f.Fuzz(func(t *testing.T, payload string) {
		a, err := ParseAction(payload)
		if err != nil {
			return
		}
		if a.Verb != notify.VerbAcknowledge && a.Verb != notify.VerbResolve || a.IncidentID <= 0 || a.UserID == "" {
			t.Errorf("ParseAction(%q) = %+v", payload, a)
		}
	})
}

// signedRequest is an interactivity request with payload, signed with
// secret at ts.
func signedRequest(secret, ts, payload string) (http.Header, []byte) {
	body := []byte(url.Values{"payload": {payload}}.Encode())
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(secret, ts, body))
	return h, body
}

func TestReadAction(t *testing.T) {
	now := time.Unix(1700000000, 0)
	const ts = "1700000000"
	good := payload(t, blockActions("vigil_ack", "12"))
	sign := func(secret, ts, payload string) func() (http.Header, []byte) {
		return func() (http.Header, []byte) { return signedRequest(secret, ts, payload) }
	}
	tests := []struct {
		name    string
		secret  string
		request func() (http.Header, []byte)
		want    error // the kind of error; nil for a press
		wantMsg string
	}{
		{"no secret configured", "", sign("s3cret", ts, good), notify.ErrForbidden, "Slack is not configured on this server"},
		{"signed with another secret", "s3cret", sign("other", ts, good), notify.ErrSignatureMismatch, ""},
		{"unsigned", "s3cret", func() (http.Header, []byte) { return http.Header{}, []byte("payload=x") }, notify.ErrSignatureMalformed, ""},
		{"stale", "s3cret", sign("s3cret", "1699999000", good), notify.ErrSignatureStale, ""},
		{"form does not parse", "s3cret", func() (http.Header, []byte) {
			h := http.Header{HeaderTimestamp: {ts}, HeaderSignature: {Sign("s3cret", ts, []byte("payload=%zz"))}}
			return h, []byte("payload=%zz")
		}, notify.ErrMalformed, "malformed form body"},
		{"payload does not parse", "s3cret", sign("s3cret", ts, "{"), notify.ErrMalformed, "slack payload"},
		{"another app's button", "s3cret", sign("s3cret", ts, payload(t, blockActions("approve", "12"))), notify.ErrNotVigilAction, ""},
		{"a press", "s3cret", sign("s3cret", ts, good), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := tt.request()
			a, err := ReadAction(tt.secret, h, body, now)
			if tt.want == nil {
				if err != nil || a.Verb != notify.VerbAcknowledge || a.IncidentID != 12 || a.Nonce() != "slack:111.222.abc" {
					t.Fatalf("ReadAction = %+v, %v; want an acknowledgement of #12", a, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("ReadAction error %v, want %v saying %q", err, tt.want, tt.wantMsg)
			}
		})
	}
}

func TestActor(t *testing.T) {
	api := notifytest.NewServer(t)
	users := map[string]string{"alice@example.com": "alice"}
	byEmail := func(email string) (string, bool) { id, ok := users[strings.ToLower(email)]; return id, ok }
	press := Action{UserID: "U123", UserName: "alice.m"}
	tests := []struct {
		name     string
		settings Settings
		action   Action
		answer   string
		want     string
		wantErr  bool
	}{
		{"no bot token", Settings{APIURL: api.URL()}, press, "", "slack:alice.m", false},
		{"no user name", Settings{APIURL: api.URL()}, Action{UserID: "U123"}, "", "slack:U123", false},
		{"email of a Vigil user", Settings{BotToken: "xoxb", APIURL: api.URL()}, press, `{"ok":true,"user":{"profile":{"email":"Alice@example.com"}}}`, "user:alice", false},
		{"email of nobody", Settings{BotToken: "xoxb", APIURL: api.URL()}, press, `{"ok":true,"user":{"profile":{"email":"eve@example.com"}}}`, "slack:alice.m", false},
		{"no email", Settings{BotToken: "xoxb", APIURL: api.URL()}, press, `{"ok":true,"user":{"profile":{}}}`, "slack:alice.m", false},
		{"users.info refuses", Settings{BotToken: "xoxb", APIURL: api.URL()}, press, `{"ok":false,"error":"missing_scope"}`, "slack:alice.m", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api.Reset()
			api.Answer(http.StatusOK, tt.answer)
			got, err := Actor(context.Background(), api.Client(), tt.settings, tt.action, byEmail)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("Actor = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
			if tt.settings.BotToken == "" {
				return
			}
			r := api.Only(t)
			if r.Path != "/users.info" || r.Query != "user=U123" || r.Header.Get("Authorization") != "Bearer xoxb" {
				t.Errorf("users.info request %s?%s with %q", r.Path, r.Query, r.Header.Get("Authorization"))
			}
		})
	}
}

func TestSettingsFrom(t *testing.T) {
	env := map[string]string{"SIGN": "s3cret", "BOT": "xoxb"}
	got := SettingsFrom(&catalog.SlackProvider{SigningSecretEnv: "SIGN", BotTokenEnv: "BOT", APIURL: "http://slack.test/api"}, func(k string) string { return env[k] })
	if got != (Settings{SigningSecret: "s3cret", BotToken: "xoxb", APIURL: "http://slack.test/api"}) {
		t.Errorf("SettingsFrom = %+v", got)
	}
	if got := SettingsFrom(nil, func(string) string { return "x" }); got != (Settings{}) {
		t.Errorf("SettingsFrom(nil) = %+v, want nothing configured", got)
	}
}

func TestReply(t *testing.T) {
	tests := []struct{ outcome, actor, want string }{
		{"Incident #12 acknowledged", "user:alice", "Incident #12 acknowledged by alice"},
		{"Incident #12 resolved", "slack:alice.m", "Incident #12 resolved by alice.m"},
		{"Incident #12: this was already handled", "", "Incident #12: this was already handled"},
	}
	for _, tt := range tests {
		got := Reply(tt.outcome, tt.actor)
		if got.Text != tt.want || !got.ReplaceOriginal || len(got.Blocks) != 1 || got.Blocks[0].Text.Text != tt.want {
			t.Errorf("Reply(%q, %q) = %+v, want the text %q", tt.outcome, tt.actor, got, tt.want)
		}
	}
}

func TestResponseURLAllowed(t *testing.T) {
	// Slack's hooks host over https, or the configured stand-in's host.
	const standIn = "http://127.0.0.1:9000/api"
	for raw, want := range map[string]bool{
		"https://hooks.slack.com/actions/T9/1/xyz":   true,
		"http://hooks.slack.com/actions/T9/1/xyz":    false,
		"https://evil.example.com/actions":           false,
		"https://hooks.slack.com.evil.example.com/x": false,
		"https://169.254.169.254/latest/meta-data":   false,
		"http://127.0.0.1:9000/actions/1":            true,
		"https://127.0.0.1:9000/actions/1":           false,
		"http://127.0.0.1:9001/actions/1":            false,
		"":                                           false,
		"/relative":                                  false,
		"not a url":                                  false,
		"http://%zz":                                 false,
	} {
		if got := ResponseURLAllowed(raw, standIn); got != want {
			t.Errorf("ResponseURLAllowed(%q) with a stand-in = %v, want %v", raw, got, want)
		}
		hooks := strings.HasPrefix(raw, "https://hooks.slack.com/")
		if got := ResponseURLAllowed(raw, ""); got != hooks {
			t.Errorf("ResponseURLAllowed(%q) = %v, want %v", raw, got, hooks)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	now := time.Unix(1531420618, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifySignature(docSecret, docTS, []byte(docBody), docSig, now, MaxAge); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAction(b *testing.B) {
	p := payload(b, blockActions("vigil_ack", "12"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAction(p); err != nil {
			b.Fatal(err)
		}
	}
}
