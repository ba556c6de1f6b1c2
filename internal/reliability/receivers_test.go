package reliability

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
	"github.com/vigil-oncall/vigil/internal/pipeline"
)

// hangingWebhook accepts requests and never answers them; it counts them.
type hangingWebhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits int
}

func newHangingWebhook(t testing.TB) *hangingWebhook {
	h := &hangingWebhook{}
	stop := make(chan struct{})
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.hits++
		h.mu.Unlock()
		// Reading the body lets the server notice when the sender hangs up.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done(): // the sender gave up
		case <-stop:
		}
	}))
	t.Cleanup(h.srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first
	return h
}

func (h *hangingWebhook) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits
}

// refusingSMTP greets every connection with 554 and hangs up, as a mail
// server that refuses service does.
func refusingSMTP(t testing.TB) (port int, connections func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	done := make(chan struct{})
	go func() { // owner: this test; ends when the listener closes
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			_, _ = conn.Write([]byte("554 5.3.2 no service for you\r\n"))
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).Port, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// failingTwilio answers every request with 500, as a Twilio-compatible API
// having an outage.
func failingTwilio(t testing.TB) (url string, requests func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"code": 20500, "message": "Internal Server Error", "status": 500}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// failingConfig pages alice (a webhook that hangs, then by failover an
// email server that refuses and an SMS provider answering 500) and, when
// she has not acknowledged after 12s, bob on a working webhook. Alice's
// retries take at least 14s, so step 2 falls due while they go on.
func failingConfig(hang, smtpPort, twilio, receiver string) string {
	r := strings.NewReplacer("{hang}", hang, "{smtp_port}", smtpPort, "{twilio}", twilio, "{receiver}", receiver)
	return r.Replace(`
org:
  providers:
    smtp: {host: 127.0.0.1, port: {smtp_port}, from: "vigil@example.com"}
    twilio: {account_sid: AC00000000000000000000000000000000, auth_token_env: RELIABILITY_TWILIO_TOKEN, from: "+15550000000", base_url: "{twilio}"}
users:
  - id: alice
    name: Alice
    time_zone: UTC
    action_notices: false          # only pages reach the failing receivers
    contact_methods:
      - {id: alice-hook, type: webhook, url: "{hang}/alice"}
      - {id: alice-mail, type: email, address: alice@example.com}
      - {id: alice-sms, type: sms, number: "+4915100000001"}
    notification_rules:
      - {contact_method: alice-hook, delay: 0m}
  - id: bob
    name: Bob
    time_zone: UTC
    action_notices: false
    contact_methods:
      - {id: bob-hook, type: webhook, url: "{receiver}/bob"}
  - {id: gina, name: Gina, time_zone: UTC}
teams:
  - {id: ops, name: Ops, kind: dev, time_zone: UTC, country: DE, members: [alice, bob], escalation_policy: failing}
  - {id: irt, name: IRT, kind: global-irt, members: [gina]}
escalation_policies:
  - id: failing
    steps:
      - {targets: [{user: alice}], escalate_after: 12s}
      - {targets: [{user: bob}], escalate_after: 1h}
services:
  - id: svc
    name: Service
    owner: ops
    integrations:
      - {type: pagerduty, key: "5e7f5e7f5e7f5e7f5e7f5e7f5e7f5e7f"}
`)
}

// TestFailingReceivers pages a person whose every contact method fails in
// its own way, on a hand-moved clock: each retryable failure is retried
// with growing backoff, a permanent one fails over at once, the next
// method follows each failure, the next escalation step runs on time all
// the same, and every failure shows on the incident and in /metrics.
func TestFailingReceivers(t *testing.T) {
	hang := newHangingWebhook(t)
	smtpPort, smtpConnections := refusingSMTP(t)
	twilioURL, twilioRequests := failingTwilio(t)
	recv := newPageReceiver(t)
	getenv := func(name string) string {
		if name == "RELIABILITY_TWILIO_TOKEN" {
			return "twilio-test-token"
		}
		return ""
	}
	const sendTimeout = 300 * time.Millisecond // the webhook client's; real time
	h := newInProcess(t, failingConfig(hang.srv.URL, strconv.Itoa(smtpPort), twilioURL, recv.URL()), nil, func(o *pipeline.Options) {
		o.Getenv = getenv
		o.Channels = append(pipeline.DefaultChannels(o.Org, getenv), webhook.New(&http.Client{Timeout: sendTimeout}))
	})
	start := h.clock.Now()
	h.trigger(t, "5e7f5e7f5e7f5e7f5e7f5e7f5e7f5e7f", "failing", "everything fails")
	const tick = 250 * time.Millisecond
	for h.clock.Now().Before(start.Add(45 * time.Second)) {
		h.step(t)
		h.clock.Add(tick)
	}

	var list struct {
		Notifications []notify.Notification `json:"notifications"`
	}
	h.get(t, "/api/v1/incidents/1/notifications", &list)
	byMethod := map[string]notify.Notification{}
	for _, n := range list.Notifications {
		if _, dup := byMethod[n.ContactMethod]; dup {
			t.Errorf("two notifications for %s: %+v", n.ContactMethod, list.Notifications)
		}
		byMethod[n.ContactMethod] = n
	}

	// Attempt k+1 follows attempt k after Backoff(k), drawn from
	// [2^k, 2^(k+1)] seconds; the clock moves in ticks, so a gap may be one
	// tick longer.
	backoffRange := func(k int) (time.Duration, time.Duration) {
		ceiling := notify.BackoffBase << (k - 1)
		return ceiling / 2, ceiling + tick
	}
	attemptsOf := func(method string) []notify.Attempt {
		n, ok := byMethod[method]
		if !ok {
			t.Fatalf("no notification for %s: %+v", method, list.Notifications)
		}
		as, err := h.store.ListAttempts(h.ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		return as
	}
	checkRetried := func(method, wantError string) []notify.Attempt {
		t.Helper()
		as := attemptsOf(method)
		if len(as) != notify.MaxAttemptsPerMethod {
			t.Fatalf("%s: %d attempts, want %d: %+v", method, len(as), notify.MaxAttemptsPerMethod, as)
		}
		for i, a := range as {
			want := "retry"
			if i == len(as)-1 {
				want = "failed"
			}
			if a.Outcome != want || !strings.Contains(a.Error, wantError) {
				t.Errorf("%s attempt %d: outcome %q error %q, want %q with %q", method, i+1, a.Outcome, a.Error, want, wantError)
			}
			if i == 0 {
				continue
			}
			gap := a.At.Sub(as[i-1].At)
			lo, hi := backoffRange(i)
			if gap < lo || gap > hi {
				t.Errorf("%s: attempt %d came %s after attempt %d, want %s to %s", method, i+1, gap, i, lo, hi)
			}
		}
		return as
	}
	hook := checkRetried("alice-hook", "Timeout")
	mail := attemptsOf("alice-mail")
	if len(mail) != 1 || mail[0].Outcome != "failed" || !strings.Contains(mail[0].Error, "554") {
		t.Errorf("alice-mail: attempts %+v, want one failed with the server's 554 (permanent: no retry)", mail)
	}
	sms := checkRetried("alice-sms", "500")

	// Failover: each method starts when the one before has failed.
	if len(mail) == 1 && !mail[0].At.Equal(hook[len(hook)-1].At) {
		t.Errorf("email tried at %s, want at once when the webhook failed at %s", mail[0].At, hook[len(hook)-1].At)
	}
	if len(mail) == 1 && !sms[0].At.Equal(mail[0].At) {
		t.Errorf("sms tried at %s, want at once when email failed at %s", sms[0].At, mail[0].At)
	}
	for _, m := range []string{"alice-hook", "alice-mail", "alice-sms"} {
		if n := byMethod[m]; n.Status != notify.StatusFailed || n.LastError == "" {
			t.Errorf("%s: status %q last_error %q, want failed with the error", m, n.Status, n.LastError)
		}
	}

	// Step 2 runs on time: 12s after step 1, within one tick, while
	// alice's sms was still being retried.
	var inc apiIncident
	h.get(t, "/api/v1/incidents/1", &inc)
	var step2 time.Time
	var failures []string
	for _, e := range inc.Timeline {
		if strings.HasPrefix(e.Message, "escalation policy failing step 2:") {
			step2 = e.At
		}
		if strings.Contains(e.Message, "failed after") {
			failures = append(failures, e.Message)
		}
	}
	due := start.Add(12 * time.Second)
	if step2.Before(due) || step2.After(due.Add(tick)) {
		t.Errorf("step 2 ran at %s, want at %s (+%s)", step2.Sub(start), due.Sub(start), tick)
	}
	if last := sms[len(sms)-1].At; !last.After(step2) {
		t.Errorf("the sms retries ended at %s, before step 2 at %s: the test does not show step 2 running during retries", last.Sub(start), step2.Sub(start))
	}
	bobPages := 0
	for _, p := range recv.snapshot() {
		if p.Path == "/bob" && p.Kind == "page" {
			bobPages++
		}
	}
	if bobPages != 1 {
		t.Errorf("bob got %d pages, want 1", bobPages)
	}
	wantTimeline := []string{
		"notification to alice via webhook (alice-hook) failed after 4 attempt(s)",
		"failing over to alice-mail",
		"notification to alice via email (alice-mail) failed after 1 attempt(s)",
		"failing over to alice-sms",
		"notification to alice via sms (alice-sms) failed after 4 attempt(s)",
	}
	joined := strings.Join(failures, "\n")
	for _, want := range wantTimeline {
		if !strings.Contains(joined, want) {
			t.Errorf("the timeline does not say %q; its failures:\n%s", want, joined)
		}
	}

	// Every failed attempt is counted; bob's page is the one sent.
	failed := h.metricValue(t, "vigil_notification_failures_total")
	sent := h.metricValue(t, "vigil_notifications_sent_total")
	if failed != 9 || sent != 1 {
		t.Errorf("/metrics: %v failures and %v sent, want 9 (4 webhook, 1 email, 4 sms) and 1", failed, sent)
	}
	if hang.requests() != 4 || smtpConnections() != 1 || twilioRequests() != 4 {
		t.Errorf("the receivers saw %d webhook requests, %d SMTP connections, %d Twilio requests; want 4, 1, 4", hang.requests(), smtpConnections(), twilioRequests())
	}
	gaps := func(as []notify.Attempt) string {
		var out []string
		for i := 1; i < len(as); i++ {
			out = append(out, as[i].At.Sub(as[i-1].At).String())
		}
		return strings.Join(out, " ")
	}
	recordFigures(t,
		"webhook send timeout (hangs)", sendTimeout,
		"webhook retry gaps", gaps(hook),
		"email (554) attempts", len(mail),
		"sms (500) retry gaps", gaps(sms),
		"step 2 ran after", step2.Sub(start),
		"alice's last failure after", sms[len(sms)-1].At.Sub(start),
		"vigil_notification_failures_total", failed,
		"timeline failure entries", fmt.Sprint(len(failures)),
	)
}
