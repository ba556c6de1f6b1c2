package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// 2025-03-14T09:26:53Z
var sendTime = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func pageMessage() Message {
	return Message{
		IdempotencyKey: "n-42-1",
		Kind:           KindPage,
		IncidentID:     12,
		Title:          "Checkout latency high",
		Summary:        "p99 over 2s for 10m",
		Service:        "checkout",
		Severity:       "SEV2",
		Urgency:        "high",
		Status:         "triggered",
		AcknowledgeURL: "https://vigil.example.com/a/ACK.TOKEN",
		ResolveURL:     "https://vigil.example.com/a/RES.TOKEN",
		IncidentURL:    "https://vigil.example.com/incidents/12",
		MoreAlerts:     3,
	}
}

const pageJSON = `{"version":1,"idempotency_key":"n-42-1","kind":"page",` +
	`"incident":{"id":12,"title":"Checkout latency high","summary":"p99 over 2s for 10m","service":"checkout",` +
	`"severity":"SEV2","urgency":"high","status":"triggered","url":"https://vigil.example.com/incidents/12"},` +
	`"actions":{"acknowledge":"https://vigil.example.com/a/ACK.TOKEN","resolve":"https://vigil.example.com/a/RES.TOKEN"},` +
	`"more_alerts":3,"sent_at":"2025-03-14T09:26:53Z"}`

type receivedRequest struct {
	method string
	header http.Header
	body   string
}

// recorder is a webhook receiver that answers with status and remembers
// what it got.
type recorder struct {
	mu     sync.Mutex
	got    []receivedRequest
	status int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, receivedRequest{method: req.Method, header: req.Header.Clone(), body: string(body)})
	r.mu.Unlock()
	w.WriteHeader(r.status)
}

func (r *recorder) requests() []receivedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedRequest(nil), r.got...)
}

func testWebhook(client *http.Client) *Webhook {
	return &Webhook{Client: client, Now: func() time.Time { return sendTime }}
}

func TestWebhookSendsSignedPayload(t *testing.T) {
	rec := &recorder{status: http.StatusNoContent}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	err := testWebhook(srv.Client()).Send(context.Background(), Destination{Type: "webhook", URL: srv.URL + "/hook", Secret: "s3cret"}, pageMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost {
		t.Errorf("method %s, want POST", r.method)
	}
	if r.body != pageJSON {
		t.Errorf("body\n%s\nwant\n%s", r.body, pageJSON)
	}
	wantHeaders := map[string]string{
		"Content-Type":      "application/json",
		"Idempotency-Key":   "n-42-1",
		"User-Agent":        "Vigil",
		"X-Vigil-Timestamp": "1741944413",
	}
	for k, v := range wantHeaders {
		if got := r.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte("1741944413." + pageJSON))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); r.header.Get("X-Vigil-Signature") != want {
		t.Errorf("signature %q, want %q", r.header.Get("X-Vigil-Signature"), want)
	}
	if err := VerifyWebhookSignature("s3cret", r.header.Get("X-Vigil-Timestamp"), r.body, r.header.Get("X-Vigil-Signature"), sendTime.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("receiver-side verification: %v", err)
	}
}

func TestWebhookWithoutSecretIsUnsigned(t *testing.T) {
	rec := &recorder{status: http.StatusOK}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	m := pageMessage()
	m.IdempotencyKey = "key\r\nX-Injected: 1"
	if err := testWebhook(srv.Client()).Send(context.Background(), Destination{URL: srv.URL}, m); err != nil {
		t.Fatal(err)
	}
	h := rec.requests()[0].header
	for _, k := range []string{"X-Vigil-Signature", "X-Vigil-Timestamp", "X-Injected"} {
		if v, ok := h[k]; ok {
			t.Errorf("unexpected header %s: %q", k, v)
		}
	}
	if got := h.Get("Idempotency-Key"); got != "keyX-Injected: 1" {
		t.Errorf("Idempotency-Key %q", got)
	}
}

func TestWebhookAnswerClasses(t *testing.T) {
	tests := []struct {
		status    int
		wantErr   bool
		permanent bool
	}{
		{status: 200}, {status: 201}, {status: 202}, {status: 204},
		{status: 408, wantErr: true},
		{status: 429, wantErr: true},
		{status: 500, wantErr: true},
		{status: 502, wantErr: true},
		{status: 503, wantErr: true},
		{status: 400, wantErr: true, permanent: true},
		{status: 401, wantErr: true, permanent: true},
		{status: 403, wantErr: true, permanent: true},
		{status: 404, wantErr: true, permanent: true},
		{status: 410, wantErr: true, permanent: true},
		{status: 413, wantErr: true, permanent: true},
		{status: 302, wantErr: true, permanent: true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, "answer body")
			}))
			defer srv.Close()
			err := testWebhook(srv.Client()).Send(context.Background(), Destination{URL: srv.URL}, pageMessage())
			checkErrClass(t, err, tt.wantErr, tt.permanent)
			if tt.wantErr && !strings.Contains(err.Error(), "answer body") {
				t.Errorf("error %q does not quote the answer", err)
			}
		})
	}
}

func checkErrClass(t *testing.T, err error, wantErr, permanent bool) {
	t.Helper()
	if !wantErr {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	var perm *PermanentError
	if got := errors.As(err, &perm); got != permanent {
		t.Fatalf("error %q: permanent=%v, want %v", err, got, permanent)
	}
	if Retryable(err) == permanent {
		t.Fatalf("Retryable(%q) = %v", err, !permanent)
	}
}

func TestWebhookRedirects(t *testing.T) {
	rec := &recorder{status: http.StatusOK}
	final := httptest.NewServer(rec)
	defer final.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/temporary", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL+"/moved", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/permanent", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL+"/moved", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/found", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL+"/moved", http.StatusFound)
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "file:///etc/passwd")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		path      string
		wantErr   bool
		wantMoved int
	}{
		{path: "/temporary", wantMoved: 1},
		{path: "/permanent", wantMoved: 1},
		{path: "/found", wantErr: true},
		{path: "/file", wantErr: true},
		{path: "/loop", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			before := len(rec.requests())
			err := testWebhook(&http.Client{}).Send(context.Background(), Destination{URL: srv.URL + tt.path}, pageMessage())
			checkErrClass(t, err, tt.wantErr, true)
			moved := rec.requests()[before:]
			if len(moved) != tt.wantMoved {
				t.Fatalf("target got %d requests, want %d", len(moved), tt.wantMoved)
			}
			for _, r := range moved {
				if r.method != http.MethodPost || r.body != pageJSON {
					t.Errorf("redirected request %s with body %q, want the POST and its body", r.method, r.body)
				}
			}
		})
	}
}

func TestWebhookRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "/relative", "http://", "http://%zz", "gopher://x", "http://h/%zz?token=SECRET"} {
		t.Run(u, func(t *testing.T) {
			err := testWebhook(&http.Client{}).Send(context.Background(), Destination{URL: u}, pageMessage())
			checkErrClass(t, err, true, true)
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q shows the URL's query", err)
			}
		})
	}
}

func TestWebhookNetworkFailuresAreRetryable(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		err = testWebhook(&http.Client{}).Send(context.Background(), Destination{URL: "http://" + addr + "/x?token=SECRET"}, pageMessage())
		checkErrClass(t, err, true, false)
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error %q shows the URL's query", err)
		}
	})
	t.Run("context deadline while the receiver hangs", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := testWebhook(srv.Client()).Send(ctx, Destination{URL: srv.URL}, pageMessage())
		checkErrClass(t, err, true, false)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %q does not wrap the deadline", err)
		}
	})
	t.Run("connection dropped without an answer", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}))
		defer srv.Close()
		err := testWebhook(srv.Client()).Send(context.Background(), Destination{URL: srv.URL}, pageMessage())
		checkErrClass(t, err, true, false)
	})
}

func TestWebhookCapsTheAnswerItReads(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		chunk := strings.Repeat("x", 1<<10)
		for range 10 << 10 { // 10 MiB, unless the client stops reading
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	err := testWebhook(srv.Client()).Send(context.Background(), Destination{URL: srv.URL}, pageMessage())
	checkErrClass(t, err, true, false)
	if len(err.Error()) > 400 {
		t.Fatalf("error message of %d bytes, want the answer cut to a snippet", len(err.Error()))
	}
}

func TestNewWebhook(t *testing.T) {
	ch := NewWebhook(nil)
	if ch.Type() != "webhook" {
		t.Fatalf("Type %q", ch.Type())
	}
	if w := ch.(*Webhook); w.Client == nil || w.Client.Timeout != 10*time.Second || w.Now == nil {
		t.Fatalf("NewWebhook(nil) = %+v, want a client with a 10s timeout and a clock", w)
	}
}

func TestVerifyWebhookSignature(t *testing.T) {
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
		{name: "stale", secret: secret, ts: ts, body: body, sig: sig, now: sendTime.Add(maxAge + time.Second), wantErr: ErrSignatureStale},
		{name: "from the future", secret: secret, ts: ts, body: body, sig: sig, now: sendTime.Add(-maxAge - time.Second), wantErr: ErrSignatureStale},
		{name: "wrong secret", secret: "other", ts: ts, body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMismatch},
		{name: "body changed", secret: secret, ts: ts, body: `{"a":2}`, sig: sig, now: sendTime, wantErr: ErrSignatureMismatch},
		{name: "body with trailing newline", secret: secret, ts: ts, body: body + "\n", sig: sig, now: sendTime, wantErr: ErrSignatureMismatch},
		{name: "timestamp changed", secret: secret, ts: "1741944414", body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMismatch},
		{name: "timestamp with leading zero", secret: secret, ts: "0" + ts, body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMismatch},
		{name: "no prefix", secret: secret, ts: ts, body: body, sig: sig[7:], now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "other algorithm", secret: secret, ts: ts, body: body, sig: "sha1=" + sig[7:], now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "short", secret: secret, ts: ts, body: body, sig: sig[:len(sig)-2], now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "long", secret: secret, ts: ts, body: body, sig: sig + "00", now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "not hex", secret: secret, ts: ts, body: body, sig: "sha256=" + strings.Repeat("zz", 32), now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "empty header", secret: secret, ts: ts, body: body, sig: "", now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "empty timestamp", secret: secret, ts: "", body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "negative timestamp", secret: secret, ts: "-1", body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "timestamp with sign", secret: secret, ts: "+" + ts, body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "timestamp with space", secret: secret, ts: ts + " ", body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "timestamp overflows", secret: secret, ts: "9999999999999999999", body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMalformed},
		{name: "timestamp oversized", secret: secret, ts: strings.Repeat("1", 10000), body: body, sig: sig, now: sendTime, wantErr: ErrSignatureMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyWebhookSignature(tt.secret, tt.ts, tt.body, tt.sig, tt.now, maxAge)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifyWebhookSignature: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyWebhookSignature error = %v, want %v", err, tt.wantErr)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error message of %d bytes", len(err.Error()))
			}
		})
	}
}

func FuzzVerifyWebhookSignature(f *testing.F) {
	const secret = "s3cret"
	f.Add("1741944413", `{"a":1}`, "sha256=2f40a6ce2e57b811a1a2b21dc501d94795eb5853207eda9893eb02fee0b78c05")
	f.Add("", "", "")
	f.Add("-1", "{}", "sha256=")
	f.Add("99999999999999999999", "x", "sha256=zz")
	f.Fuzz(func(t *testing.T, ts, body, header string) {
		err := VerifyWebhookSignature(secret, ts, body, header, sendTime, 5*time.Minute)
		if err == nil && !strings.EqualFold(header, SignWebhook(secret, ts, []byte(body))) {
			t.Fatalf("accepted %q for ts %q body %q", header, ts, body)
		}
	})
}

func BenchmarkWebhookPayload(b *testing.B) {
	m := pageMessage()
	for b.Loop() {
		p := webhookPayload(m, sendTime)
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}
