package pipeline

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// TestFailedDeliveryIsLoggedWithoutSecrets: every failed attempt is logged
// at WARN with its channel, person, incident and reason, and neither the
// log nor the timeline shows a credential, even when the provider's answer
// echoes everything it was sent.
func TestFailedDeliveryIsLoggedWithoutSecrets(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if strings.Contains(r.URL.Path, "/Accounts/") {
			w.WriteHeader(http.StatusCreated) // the provider takes the SMS, and reports later that it failed
			fmt.Fprint(w, `{"sid": "SM1"}`)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "refused %s?%s for %s:%s", r.URL.Path, r.URL.RawQuery, user, pass)
	}))
	t.Cleanup(echo.Close)
	host := strings.TrimPrefix(echo.URL, "http://")
	env := map[string]string{
		"TWILIO_TOKEN":  "twilio-auth-token-1",
		"HOOK_SECRET":   "hook-hmac-secret-2",
		"SMTP_PASSWORD": "smtp-password-3",
	}
	secrets := []string{"twilio-auth-token-1", "hook-hmac-secret-2", "smtp-password-3",
		"hook-password-4", "hook-token-5", "slack-key-6", url.QueryEscape("to+ken/7")}
	b := testBundle(h.recv.srv.URL)
	b.Org.Providers.Twilio = &catalog.TwilioProvider{AccountSID: "AC1", AuthTokenEnv: "TWILIO_TOKEN", From: "+15550000000", BaseURL: echo.URL}
	b.Org.Providers.SMTP = &catalog.SMTPProvider{Host: "127.0.0.1", Port: 1, From: "vigil@example.com", Username: "vigil", PasswordEnv: "SMTP_PASSWORD"}
	alice := &b.Users[0]
	alice.ContactMethods = []catalog.ContactMethod{
		{ID: "alice-hook", Type: "webhook", URL: "http://alice:hook-password-4@" + host + "/alice?token=hook-token-5&other=" + url.QueryEscape("to+ken/7"), SecretEnv: "HOOK_SECRET"},
		{ID: "alice-slack", Type: "slack", WebhookURL: echo.URL + "/services/T0001/B0002/slack-key-6"},
		{ID: "alice-sms", Type: "sms", Number: "+4915100000001"},
	}
	alice.NotificationRules = []catalog.NotificationRule{{ContactMethod: "alice-hook"}, {ContactMethod: "alice-slack"}, {ContactMethod: "alice-sms"}}
	h.apply(b)
	logs := &vigiltest.Buffer{}
	getenv := func(name string) string { return env[name] }
	h.p = New(Options{Store: h.store, Org: h.org, Now: h.clock.Now, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Channels: DefaultChannels(h.org, getenv), Getenv: getenv, CallbackKey: callbackKey})

	h.trigger("disk", alert.SeverityCritical)
	if _, err := h.p.Dispatcher.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	inc := h.onlyIncident()
	sms := h.notifications("alice-sms")
	if len(sms) != 1 {
		t.Fatalf("sms notifications = %d, want 1", len(sms))
	}
	// A provider's delivery report can carry whatever the provider says.
	if err := h.p.Dispatcher.DeliveryFailed(h.ctx, sms[0].ID, "rejected with token twilio-auth-token-1"); err != nil {
		t.Fatal(err)
	}

	type line struct {
		Level, Msg, Channel, User, Reason string
		ContactMethod                     string `json:"contact_method"`
		Incident                          int64
	}
	failed := map[string]line{}
	for _, raw := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l line
		if raw == "" {
			continue
		}
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if strings.HasPrefix(l.Msg, "notification") {
			failed[l.ContactMethod+" "+l.Msg] = l
		}
	}
	for _, want := range []struct{ method, channel, msg string }{
		{"alice-hook", "webhook", "notification attempt failed"},
		{"alice-slack", "slack", "notification attempt failed"},
		{"alice-sms", "sms", "notification not delivered, the provider reports"},
	} {
		l, ok := failed[want.method+" "+want.msg]
		if !ok {
			t.Errorf("no %q log line for %s; failures logged: %v", want.msg, want.method, failed)
			continue
		}
		if l.Level != "WARN" || l.Channel != want.channel || l.User != "alice" || l.Incident != inc.ID || l.Reason == "" {
			t.Errorf("%s: logged %+v, want WARN on channel %s for alice, incident %d, with a reason", want.method, l, want.channel, inc.ID)
		}
	}
	var recorded strings.Builder
	for _, e := range h.timeline(inc.ID) {
		recorded.WriteString(e.Message + "\n")
	}
	for _, n := range h.notifications("alice-hook") {
		recorded.WriteString(n.LastError + "\n")
	}
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log shows the secret %q:\n%s", s, logs.String())
		}
		if strings.Contains(recorded.String(), s) {
			t.Errorf("the timeline or a notification shows the secret %q:\n%s", s, recorded.String())
		}
	}
}

func TestRedact(t *testing.T) {
	secrets := []string{"/services/T1/B2/key", "abcd", "abcdef"}
	for in, want := range map[string]string{
		"no secret here":                        "no secret here",
		"POST to /services/T1/B2/key: refused":  "POST to [redacted]: refused",
		"token abcd and abcdef":                 "token [redacted] and [redacted]",
		"":                                      "",
		"key /services/T1/B2/keyabcdef is gone": "key [redacted][redacted] is gone",
	} {
		if got := redact(in, secrets); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
