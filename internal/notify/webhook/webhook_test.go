package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/notifytest"
)

var sendTime = notifytest.SendTime

const pageJSON = `{"version":1,"idempotency_key":"n-42-1","kind":"page",` +
	`"incident":{"id":12,"title":"Checkout latency high","summary":"p99 over 2s for 10m","service":"checkout",` +
	`"severity":"SEV2","urgency":"high","status":"triggered","url":"https://vigil.example.com/incidents/12"},` +
	`"actions":{"acknowledge":"https://vigil.example.com/a/ACK.TOKEN","resolve":"https://vigil.example.com/a/RES.TOKEN"},` +
	`"more_alerts":3,"sent_at":"2025-03-14T09:26:53Z"}`

func testWebhook(client *http.Client) *Channel {
	return &Channel{Client: client, Now: func() time.Time { return sendTime }}
}

// target sends to base with a secret, and a token in the URL's query.
var target = notifytest.Target{
	New: func(base string) (notify.Channel, notify.Destination) {
		return testWebhook(nil), notify.Destination{Type: "webhook", URL: base + "/hook?token=SECRET", Secret: "s3cret"}
	},
	Secrets: []string{"SECRET", "s3cret"},
}

func TestKit(t *testing.T) { notifytest.Run(t, target) }

func TestWebhookSendsSignedPayload(t *testing.T) {
	p := notifytest.NewServer(t)
	p.Answer(http.StatusNoContent, "")
	err := testWebhook(p.Client()).Send(context.Background(), notify.Destination{Type: "webhook", URL: p.URL() + "/hook", Secret: "s3cret"}, notifytest.Page())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := p.Only(t)
	if r.Method != http.MethodPost {
		t.Errorf("method %s, want POST", r.Method)
	}
	if r.Body != pageJSON {
		t.Errorf("body\n%s\nwant\n%s", r.Body, pageJSON)
	}
	wantHeaders := map[string]string{
		"Content-Type":      "application/json",
		"Idempotency-Key":   "n-42-1",
		"User-Agent":        "Vigil",
		"X-Vigil-Timestamp": "1741944413",
	}
	notifytest.CheckHeaders(t, r, wantHeaders)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte("1741944413." + pageJSON))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); r.Header.Get("X-Vigil-Signature") != want {
		t.Errorf("signature %q, want %q", r.Header.Get("X-Vigil-Signature"), want)
	}
	if err := VerifySignature("s3cret", r.Header.Get("X-Vigil-Timestamp"), r.Body, r.Header.Get("X-Vigil-Signature"), sendTime.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("receiver-side verification: %v", err)
	}
}

func TestWebhookWithoutSecretIsUnsigned(t *testing.T) {
	p := notifytest.NewServer(t)
	m := notifytest.Page()
	m.IdempotencyKey = "key\r\nX-Injected: 1"
	if err := testWebhook(p.Client()).Send(context.Background(), notify.Destination{URL: p.URL()}, m); err != nil {
		t.Fatal(err)
	}
	h := p.Only(t).Header
	for _, k := range []string{"X-Vigil-Signature", "X-Vigil-Timestamp", "X-Injected"} {
		if v, ok := h[k]; ok {
			t.Errorf("unexpected header %s: %q", k, v)
		}
	}
	if got := h.Get("Idempotency-Key"); got != "keyX-Injected: 1" {
		t.Errorf("Idempotency-Key %q", got)
	}
}

func TestNewWebhook(t *testing.T) {
	ch := New(nil)
	if ch.Type() != "webhook" {
		t.Fatalf("Type %q", ch.Type())
	}
	if w := ch.(*Channel); w.Client == nil || w.Client.Timeout != 10*time.Second || w.Now == nil {
		t.Fatalf("New(nil) = %+v, want a client with a 10s timeout and a clock", w)
	}
}

func TestVerifySignature(t *testing.T) {
	const (
		secret = "s3cret"
		ts     = "1741944413"
		body   = `{"a":1}`
		// HMAC-SHA256("s3cret", `1741944413.{"a":1}`), computed elsewhere.
		sig = "sha256=2f40a6ce2e57b811a1a2b21dc501d94795eb5853207eda9893eb02fee0b78c05"
	)
	maxAge := 5 * time.Minute
	tests := []struct {
		name                  string
		secret, ts, body, sig string
		now                   time.Time
		wantErr               error
	}{
		{name: "valid", secret: secret, ts: ts, body: body, sig: sig, now: sendTime},
		{name: "valid, upper-case hex", secret: secret, ts: ts, body: body, sig: "sha256=" + strings.ToUpper(sig[7:]), now: sendTime},
		{name: "valid at the edge of the window", secret: secret, ts: ts, body: body, sig: sig, now: sendTime.Add(maxAge)},
		{name: "receiver clock behind", secret: secret, ts: ts, body: body, sig: sig, now: sendTime.Add(-maxAge)},
		{name: "stale", secret: secret, ts: ts, body: body, sig: sig, now: sendTime.Add(maxAge + time.Second), wantErr: notify.ErrSignatureStale},
		{name: "from the future", secret: secret, ts: ts, body: body, sig: sig, now: sendTime.Add(-maxAge - time.Second), wantErr: notify.ErrSignatureStale},
		{name: "wrong secret", secret: "other", ts: ts, body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMismatch},
		{name: "body changed", secret: secret, ts: ts, body: `{"a":2}`, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMismatch},
		{name: "body with trailing newline", secret: secret, ts: ts, body: body + "\n", sig: sig, now: sendTime, wantErr: notify.ErrSignatureMismatch},
		{name: "timestamp changed", secret: secret, ts: "1741944414", body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMismatch},
		{name: "timestamp with leading zero", secret: secret, ts: "0" + ts, body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMismatch},
		{name: "no prefix", secret: secret, ts: ts, body: body, sig: sig[7:], now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "other algorithm", secret: secret, ts: ts, body: body, sig: "sha1=" + sig[7:], now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "short", secret: secret, ts: ts, body: body, sig: sig[:len(sig)-2], now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "long", secret: secret, ts: ts, body: body, sig: sig + "00", now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "not hex", secret: secret, ts: ts, body: body, sig: "sha256=" + strings.Repeat("zz", 32), now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "empty header", secret: secret, ts: ts, body: body, sig: "", now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "empty timestamp", secret: secret, ts: "", body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "negative timestamp", secret: secret, ts: "-1", body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "timestamp with sign", secret: secret, ts: "+" + ts, body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "timestamp with space", secret: secret, ts: ts + " ", body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "timestamp overflows", secret: secret, ts: "9999999999999999999", body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMalformed},
		{name: "timestamp oversized", secret: secret, ts: strings.Repeat("1", 10000), body: body, sig: sig, now: sendTime, wantErr: notify.ErrSignatureMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.secret, tt.ts, tt.body, tt.sig, tt.now, maxAge)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifySignature: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifySignature error = %v, want %v", err, tt.wantErr)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error message of %d bytes", len(err.Error()))
			}
		})
	}
}

func FuzzVerifySignature(f *testing.F) {
	const secret = "s3cret"
	f.Add("1741944413", `{"a":1}`, "sha256=2f40a6ce2e57b811a1a2b21dc501d94795eb5853207eda9893eb02fee0b78c05")
	f.Add("", "", "")
	f.Add("-1", "{}", "sha256=")
	f.Add("99999999999999999999", "x", "sha256=zz")
	f.Fuzz(func(t *testing.T, ts, body, header string) {
		err := VerifySignature(secret, ts, body, header, sendTime, 5*time.Minute)
		if err == nil && !strings.EqualFold(header, Sign(secret, ts, []byte(body))) {
			t.Fatalf("accepted %q for ts %q body %q", header, ts, body)
		}
	})
}

func BenchmarkPayload(b *testing.B) {
	notifytest.BenchmarkPayload(b, func(m notify.Message) any { return NewPayload(m, sendTime) })
}

func BenchmarkSend(b *testing.B) { notifytest.BenchmarkSend(b, target) }
