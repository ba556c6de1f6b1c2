package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
	"github.com/vigil-oncall/vigil/internal/phone"
	"github.com/vigil-oncall/vigil/internal/store"
)

// fakePhone is a stand-in sms or voice channel: it records what it is given
// and answers with fail (nil: delivered). During delivers runs during a
// send, before the dispatcher records it.
type fakePhone struct {
	typ    string
	mu     sync.Mutex
	sent   []notify.Message
	to     []notify.Destination
	fail   error
	during func(m notify.Message)
}

func (f *fakePhone) Type() string { return f.typ }

func (f *fakePhone) Send(_ context.Context, to notify.Destination, m notify.Message) error {
	f.mu.Lock()
	f.sent = append(f.sent, m)
	f.to = append(f.to, to)
	fail, during := f.fail, f.during
	f.mu.Unlock()
	if during != nil {
		during(m)
	}
	return fail
}

func (f *fakePhone) messages() []notify.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]notify.Message(nil), f.sent...)
}

var callbackKey = []byte("test-callback-key-0123456789abcdef")

// phoneHarness is the pipeline harness with alice paged first by SMS,
// then (5 minutes later, or at once on failover) by webhook. verify sets
// the SMS method's verify flag.
func phoneHarness(t *testing.T, verify bool) (*harness, *fakePhone) {
	t.Helper()
	h := newHarness(t, thursdayNoon)
	b := testBundle(h.recv.srv.URL)
	b.Org.Providers.Twilio = &catalog.TwilioProvider{AccountSID: "AC1", AuthTokenEnv: "TWILIO_TOKEN", From: "+15550000000"}
	alice := &b.Users[0]
	alice.ContactMethods = append(alice.ContactMethods, catalog.ContactMethod{ID: "alice-sms", Type: "sms", Number: "+4915100000001", Verify: verify})
	alice.NotificationRules = []catalog.NotificationRule{{ContactMethod: "alice-sms"}, {ContactMethod: "alice-hook", Delay: mustDur("5m")}}
	if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
		t.Fatal(err)
	}
	sms := &fakePhone{typ: "sms"}
	signer, err := links.NewSigner([]byte("0123456789abcdef0123456789abcdef"), h.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	h.p = New(Options{Store: h.store, Org: h.org, Now: h.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Channels: []notify.Channel{webhook.New(h.recv.srv.Client()), sms}, Signer: signer,
		PublicURL: "https://vigil.test/", CallbackKey: callbackKey})
	return h, sms
}

func (h *harness) timeline(id int64) []incident.TimelineEntry {
	h.t.Helper()
	entries, err := h.store.Timeline(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return entries
}

func (h *harness) notifications(method string) []notify.Notification {
	h.t.Helper()
	ns, err := h.store.ListNotifications(h.ctx, store.NotificationQuery{Limit: 100})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []notify.Notification
	for _, n := range ns {
		if n.ContactMethod == method {
			out = append(out, n)
		}
	}
	return out
}

func hasEntry(entries []incident.TimelineEntry, kind, actor, channel, text string) bool {
	for _, e := range entries {
		if e.Kind == kind && e.Actor == actor && e.Channel == channel && strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

func TestMessagesCarryCallbackFields(t *testing.T) {
	h, sms := phoneHarness(t, false)
	h.trigger("disk", alert.SeverityCritical)
	h.tick()
	got := sms.messages()
	if len(got) != 1 {
		t.Fatalf("sms messages %d, want 1", len(got))
	}
	m := got[0]
	n := h.notifications("alice-sms")[0]
	if m.NotificationID != n.ID || m.UserID != "alice" || m.PublicURL != "https://vigil.test" || m.IncidentID != n.IncidentID {
		t.Errorf("message ids %d %q %q %d, want %d alice https://vigil.test %d", m.NotificationID, m.UserID, m.PublicURL, m.IncidentID, n.ID, n.IncidentID)
	}
	if !notify.CheckCallbackToken(callbackKey, m.CallbackToken, n.ID, n.IncidentID, "alice") {
		t.Errorf("callback token %q does not check out", m.CallbackToken)
	}
	if sms.to[0].Number != "+4915100000001" {
		t.Errorf("sent to %q", sms.to[0].Number)
	}
}

func TestUnverifiedNumberFailsOver(t *testing.T) {
	h, sms := phoneHarness(t, true)
	h.trigger("disk", alert.SeverityCritical)
	h.tick()
	if n := len(sms.messages()); n != 0 {
		t.Fatalf("an unverified number got %d messages", n)
	}
	h.expectPaths("/alice") // the next method at once, not after 5m
	n := h.notifications("alice-sms")[0]
	if n.Status != notify.StatusFailed || !strings.Contains(n.LastError, "not verified") {
		t.Errorf("sms notification %s: %q, want failed as not verified", n.Status, n.LastError)
	}
	if !hasEntry(h.timeline(n.IncidentID), incident.EntryNotified, "system", "sms", "failing over to alice-hook") {
		t.Errorf("timeline does not say it failed over: %+v", h.timeline(n.IncidentID))
	}
}

func TestPhoneVerification(t *testing.T) {
	h, sms := phoneHarness(t, true)
	by := Actor{Name: "user:alice", Channel: "api"}
	code := func() string {
		t.Helper()
		ms := sms.messages()
		last := ms[len(ms)-1]
		if last.Kind != notify.KindVerification || len(last.VerificationCode) != 6 {
			t.Fatalf("last message %+v, want a verification code", last)
		}
		return last.VerificationCode
	}
	wrongOf := func(c string) string {
		if c == "000000" {
			return "111111"
		}
		return "000000"
	}

	if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", "123456", by.Name); !errors.Is(err, phone.ErrNoCode) {
		t.Fatalf("confirm before any code = %v, want phone.ErrNoCode", err)
	}
	expires, err := h.p.Phones.Start(h.ctx, "alice", "alice-sms", by.Name)
	if err != nil {
		t.Fatal(err)
	}
	if want := thursdayNoon.Add(10 * time.Minute); !expires.Equal(want) {
		t.Errorf("expires %s, want %s", expires, want)
	}
	first := code()
	if _, err := h.p.Phones.Start(h.ctx, "alice", "alice-sms", by.Name); !errors.Is(err, phone.ErrResendTooSoon) {
		t.Errorf("second code within a minute = %v, want phone.ErrResendTooSoon", err)
	}
	h.clock.Add(11 * time.Minute)
	if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", first, by.Name); !errors.Is(err, phone.ErrCodeExpired) {
		t.Errorf("confirm after 11 minutes = %v, want phone.ErrCodeExpired", err)
	}

	if _, err := h.p.Phones.Start(h.ctx, "alice", "alice-sms", by.Name); err != nil {
		t.Fatal(err)
	}
	second := code()
	for i := range phone.VerificationAttempts {
		if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", wrongOf(second), by.Name); !errors.Is(err, phone.ErrCodeWrong) {
			t.Fatalf("wrong code %d = %v, want phone.ErrCodeWrong", i+1, err)
		}
	}
	if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", second, by.Name); !errors.Is(err, phone.ErrTooManyAttempts) {
		t.Errorf("right code after %d wrong ones = %v, want phone.ErrTooManyAttempts", phone.VerificationAttempts, err)
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "１２３４５６"} {
		if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", bad, by.Name); !errors.Is(err, ErrInvalid) {
			t.Errorf("code %q = %v, want ErrInvalid", bad, err)
		}
	}

	h.clock.Add(2 * time.Minute)
	if _, err := h.p.Phones.Start(h.ctx, "alice", "alice-sms", by.Name); err != nil {
		t.Fatal(err)
	}
	third := code()
	if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", wrongOf(third), by.Name); !errors.Is(err, phone.ErrCodeWrong) {
		t.Fatalf("wrong code = %v", err)
	}
	if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", third, by.Name); err != nil {
		t.Fatalf("right code = %v", err)
	}
	if needed, verified, err := h.p.Phones.Reachable(h.ctx, "alice", "alice-sms"); err != nil || !needed || !verified {
		t.Errorf("Reachable = %v %v %v, want needed and verified", needed, verified, err)
	}
	if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", third, by.Name); !errors.Is(err, phone.ErrNoCode) {
		t.Errorf("the used code again = %v, want phone.ErrNoCode", err)
	}

	// Verified, the number is paged.
	h.trigger("disk", alert.SeverityCritical)
	h.tick()
	if last := sms.messages()[len(sms.messages())-1]; last.Kind != notify.KindPage {
		t.Errorf("last sms %+v, want the page", last)
	}
	h.expectPaths()

	// The stored state holds a hash, never the code.
	vs, err := h.store.PhoneVerifications(h.ctx, "alice")
	if err != nil || len(vs) != 1 || vs[0].CodeHash != nil || vs[0].VerifiedAt == nil || vs[0].Number != "+4915100000001" {
		t.Errorf("stored verifications %+v, %v", vs, err)
	}

	for _, tt := range []struct{ user, method string }{{"nobody", "alice-sms"}, {"alice", "nothing"}} {
		if _, err := h.p.Phones.Start(h.ctx, tt.user, tt.method, by.Name); !errors.Is(err, ErrNotFound) {
			t.Errorf("StartVerification(%s, %s) = %v, want ErrNotFound", tt.user, tt.method, err)
		}
	}
	if _, err := h.p.Phones.Start(h.ctx, "alice", "alice-hook", by.Name); !errors.Is(err, ErrInvalid) {
		t.Errorf("verifying a webhook = %v, want ErrInvalid", err)
	}
}

func TestChangedNumberNeedsVerificationAgain(t *testing.T) {
	h, sms := phoneHarness(t, true)
	by := Actor{Name: "user:alice", Channel: "api"}
	if _, err := h.p.Phones.Start(h.ctx, "alice", "alice-sms", by.Name); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Phones.Confirm(h.ctx, "alice", "alice-sms", sms.messages()[0].VerificationCode, by.Name); err != nil {
		t.Fatal(err)
	}
	b := h.org.Snapshot().Bundle
	b.Users[0].ContactMethods[2].Number = "+4915100000009"
	if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
		t.Fatal(err)
	}
	if _, verified, err := h.p.Phones.Reachable(h.ctx, "alice", "alice-sms"); err != nil || verified {
		t.Errorf("after a number change: verified %v, %v; want not verified", verified, err)
	}
}

func TestFailedCodeDeliveryAllowsAnotherAtOnce(t *testing.T) {
	h, sms := phoneHarness(t, true)
	by := Actor{Name: "user:alice", Channel: "api"}
	sms.fail = errors.New("provider down")
	if _, err := h.p.Phones.Start(h.ctx, "alice", "alice-sms", by.Name); !errors.Is(err, phone.ErrDeliveryFailed) {
		t.Fatalf("StartVerification with a failing provider = %v, want phone.ErrDeliveryFailed", err)
	}
	sms.fail = nil
	if _, err := h.p.Phones.Start(h.ctx, "alice", "alice-sms", by.Name); err != nil {
		t.Errorf("a second try right after a failed send = %v, want a code sent", err)
	}
}

func TestDeliveryReports(t *testing.T) {
	h, sms := phoneHarness(t, false)
	h.trigger("disk", alert.SeverityCritical)
	h.tick()
	m := sms.messages()[0]
	id := m.NotificationID

	if err := h.p.Dispatcher.DeliveryReport(h.ctx, id, "forged", "undelivered", ""); !errors.Is(err, ErrBadCallback) {
		t.Fatalf("report with a forged token = %v, want ErrBadCallback", err)
	}
	if err := h.p.Dispatcher.DeliveryReport(h.ctx, id+100, m.CallbackToken, "undelivered", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("report on an unknown notification = %v, want ErrNotFound", err)
	}
	if err := h.p.Dispatcher.DeliveryReport(h.ctx, id, m.CallbackToken, "under\nlivered", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("report with a malformed state = %v, want ErrInvalid", err)
	}
	if n := h.notifications("alice-sms")[0]; n.Status != notify.StatusSent || n.ProviderStatus != "" {
		t.Fatalf("after refused reports: %s %q, want sent and no provider state", n.Status, n.ProviderStatus)
	}
	h.expectPaths()

	if err := h.p.Dispatcher.DeliveryReport(h.ctx, id, m.CallbackToken, "sent", ""); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Dispatcher.DeliveryReport(h.ctx, id, m.CallbackToken, "undelivered", "30003"); err != nil {
		t.Fatal(err)
	}
	n := h.notifications("alice-sms")[0]
	if n.Status != notify.StatusFailed || n.ProviderStatus != "undelivered" || n.LastError != "provider reported undelivered (30003)" {
		t.Errorf("after undelivered: %s %q %q", n.Status, n.ProviderStatus, n.LastError)
	}
	h.tick()
	h.expectPaths("/alice") // failed over at once
	if !hasEntry(h.timeline(n.IncidentID), incident.EntryNotified, "system", "sms", "not delivered: provider reported undelivered (30003); failing over to alice-hook") {
		t.Errorf("timeline: %+v", h.timeline(n.IncidentID))
	}
	// A repeated report changes nothing, and pages no one again.
	if err := h.p.Dispatcher.DeliveryReport(h.ctx, id, m.CallbackToken, "undelivered", "30003"); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.expectPaths("/alice")
}

func TestDeliveredReport(t *testing.T) {
	h, sms := phoneHarness(t, false)
	h.trigger("disk", alert.SeverityCritical)
	h.tick()
	m := sms.messages()[0]
	h.clock.Add(3 * time.Second)
	if err := h.p.Dispatcher.DeliveryReport(h.ctx, m.NotificationID, m.CallbackToken, "Delivered", ""); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(3 * time.Second)
	if err := h.p.Dispatcher.DeliveryReport(h.ctx, m.NotificationID, m.CallbackToken, "sent", ""); err != nil { // late, out of order
		t.Fatal(err)
	}
	n := h.notifications("alice-sms")[0]
	want := thursdayNoon.Add(3 * time.Second)
	if n.Status != notify.StatusSent || n.ProviderStatus != "delivered" || n.DeliveredAt == nil || !n.DeliveredAt.Equal(want) {
		t.Errorf("after delivered: %s %q %v, want sent, delivered at %s", n.Status, n.ProviderStatus, n.DeliveredAt, want)
	}
}

// A failure reported while the dispatcher still records the send (the
// provider answered, then reported at once) fails the send over as well.
func TestFailureReportedDuringSend(t *testing.T) {
	h, sms := phoneHarness(t, false)
	sms.during = func(m notify.Message) {
		if err := h.p.Dispatcher.DeliveryReport(context.Background(), m.NotificationID, m.CallbackToken, "failed", "30006"); err != nil {
			t.Errorf("report during the send: %v", err)
		}
	}
	h.trigger("disk", alert.SeverityCritical)
	h.tick()
	n := h.notifications("alice-sms")[0]
	if n.Status != notify.StatusFailed || n.ProviderStatus != "failed" {
		t.Errorf("notification %s %q, want failed by the provider's report", n.Status, n.ProviderStatus)
	}
	h.expectPaths("/alice")
}

// TestClaimIsRenewedWhileItsSendLasts holds a send open while the clock
// moves twice past the claim's lease: the dispatcher renews its claim each
// time, so no other dispatcher takes the notification and it is sent once.
func TestClaimIsRenewedWhileItsSendLasts(t *testing.T) {
	h, sms := phoneHarness(t, false)
	const lease = 30 * time.Millisecond
	h.p.Dispatcher.claimLease = lease
	claimedUntil := func() time.Time {
		ns := h.notifications("alice-sms")
		if len(ns) != 1 || ns[0].ClaimedUntil == nil {
			return time.Time{}
		}
		return *ns[0].ClaimedUntil
	}
	sms.during = func(notify.Message) {
		for range 3 {
			h.clock.Add(lease * 2 / 3)
			now := h.clock.Now()
			deadline := time.Now().Add(20 * time.Second)
			for claimedUntil().Before(now.Add(lease)) {
				if time.Now().After(deadline) {
					t.Errorf("claim not renewed past %s: it ends %s", now.Add(lease), claimedUntil())
					return
				}
				time.Sleep(time.Millisecond)
			}
			var taken []notify.Notification
			if err := h.store.Update(h.ctx, func(tx store.Tx) error {
				var err error
				taken, err = tx.ClaimNotifications(now, lease, 10)
				return err
			}); err != nil {
				t.Error(err)
			}
			if len(taken) != 0 {
				t.Errorf("another dispatcher claimed %d notifications during a renewed send", len(taken))
			}
		}
	}
	h.trigger("disk", alert.SeverityCritical)
	h.tick()
	if got := len(sms.messages()); got != 1 {
		t.Errorf("%d SMS sent, want 1", got)
	}
	if n := h.notifications("alice-sms")[0]; n.Status != notify.StatusSent || n.ClaimedUntil != nil {
		t.Errorf("notification %s, claimed until %v; want sent and no claim", n.Status, n.ClaimedUntil)
	}
}

func TestDeliveryFailed(t *testing.T) {
	h, sms := phoneHarness(t, false)
	h.trigger("disk", alert.SeverityCritical)
	h.tick()
	if err := h.p.Dispatcher.DeliveryFailed(h.ctx, sms.messages()[0].NotificationID, "carrier said no"); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.expectPaths("/alice")
	if n := h.notifications("alice-sms")[0]; n.LastError != "provider reported failed (carrier said no)" {
		t.Errorf("LastError %q", n.LastError)
	}
}

func TestActOnce(t *testing.T) {
	h, _ := phoneHarness(t, false)
	h.trigger("disk", alert.SeverityCritical)
	inc := h.onlyIncident()
	by := Actor{Name: "user:alice", Channel: "sms"}
	got, err := h.p.Inbound.ActOnce(h.ctx, "twilio:SM1", inc.ID, notify.VerbAcknowledge, by)
	if err != nil || got.Status != alert.StatusAcknowledged || got.AcknowledgedBy != "user:alice" {
		t.Fatalf("ActOnce = %s by %q, %v", got.Status, got.AcknowledgedBy, err)
	}
	if _, err := h.p.Inbound.ActOnce(h.ctx, "twilio:SM1", inc.ID, notify.VerbResolve, by); !errors.Is(err, ErrReplayed) {
		t.Errorf("replay = %v, want ErrReplayed", err)
	}
	if h.onlyIncident().Status != alert.StatusAcknowledged {
		t.Error("a replay changed the incident")
	}
	if !hasEntry(h.timeline(inc.ID), incident.EntryAcknowledged, "user:alice", "sms", "") {
		t.Errorf("timeline has no acknowledgement by user:alice via sms: %+v", h.timeline(inc.ID))
	}
	if _, err := h.p.Inbound.ActOnce(h.ctx, "", inc.ID, "delete", by); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown verb = %v, want ErrInvalid", err)
	}
	if _, err := h.p.Inbound.ActOnce(h.ctx, "", inc.ID+50, notify.VerbResolve, by); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown incident = %v, want ErrNotFound", err)
	}
	if _, err := h.p.Inbound.ActOnce(h.ctx, "twilio:SM2", inc.ID, notify.VerbResolve, Actor{Name: "user:alice", Channel: "voice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Inbound.ActOnce(h.ctx, "twilio:SM3", inc.ID, notify.VerbResolve, by); !errors.Is(err, ErrIncidentClosed) {
		t.Errorf("resolving twice = %v, want ErrIncidentClosed", err)
	}
}

func TestUserByNumberAndLatestIncident(t *testing.T) {
	h, _ := phoneHarness(t, true)
	if _, err := h.p.Phones.UserByNumber(h.ctx, "+4915100000001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unverified number = %v, want ErrNotFound", err)
	}
	if _, err := h.p.Phones.UserByNumber(h.ctx, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty number = %v, want ErrNotFound", err)
	}
	b := h.org.Snapshot().Bundle
	b.Users[0].ContactMethods[2].Verify = false
	b.Users[1].ContactMethods = append(b.Users[1].ContactMethods, catalog.ContactMethod{ID: "bob-voice", Type: "voice", Number: "+15550000002"})
	if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
		t.Fatal(err)
	}
	for number, want := range map[string]string{"+4915100000001": "alice", "+15550000002": "bob"} {
		if got, err := h.p.Phones.UserByNumber(h.ctx, number); err != nil || got != want {
			t.Errorf("UserByNumber(%s) = %q, %v; want %s", number, got, err, want)
		}
	}
	b.Users[1].ContactMethods[2].Number = "+4915100000001"
	if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Phones.UserByNumber(h.ctx, "+4915100000001"); !errors.Is(err, phone.ErrAmbiguous) {
		t.Errorf("shared number = %v, want phone.ErrAmbiguous", err)
	}

	if _, err := h.p.Inbound.LatestOpenIncident(h.ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("no incident yet = %v, want ErrNotFound", err)
	}
	h.trigger("one", alert.SeverityCritical)
	h.tick()
	h.clock.Add(time.Minute)
	h.trigger("two", alert.SeverityCritical)
	h.tick()
	incs, _ := h.store.ListIncidents(h.ctx, store.IncidentQuery{})
	if len(incs) != 2 {
		t.Fatalf("%d incidents, want 2", len(incs))
	}
	newest, older := incs[0], incs[1]
	if got, err := h.p.Inbound.LatestOpenIncident(h.ctx, "alice"); err != nil || got.ID != newest.ID {
		t.Errorf("latest = %d, %v; want %d", got.ID, err, newest.ID)
	}
	if _, err := h.p.Incidents.Resolve(h.ctx, newest.ID, Actor{Name: "user:alice", Channel: "api"}, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := h.p.Inbound.LatestOpenIncident(h.ctx, "alice"); err != nil || got.ID != older.ID {
		t.Errorf("latest after resolving the newest = %d, %v; want %d", got.ID, err, older.ID)
	}
}

func TestSendTest(t *testing.T) {
	h, _ := phoneHarness(t, false)
	n, err := h.p.Dispatcher.SendTest(h.ctx, "alice", "alice-hook", Actor{Name: "user:alice", Channel: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if n.ID == 0 || n.Kind != notify.KindTest || n.Status != notify.StatusPending || !n.DueAt.Equal(thursdayNoon) {
		t.Errorf("queued %+v", n)
	}
	h.tick()
	h.expectPaths("/alice")
	if got := h.recv.got[0].Body["kind"]; got != "test" {
		t.Errorf("webhook kind %v, want test", got)
	}
	if _, err := h.p.Dispatcher.SendTest(h.ctx, "alice", "nothing", Actor{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown method = %v, want ErrNotFound", err)
	}
	audit, err := h.store.ListAudit(h.ctx, store.AuditQuery{Kind: store.KindUser, ObjID: "alice"})
	if err != nil || len(audit) == 0 || audit[0].Action != "contact_method.test" || audit[0].Actor != "user:alice" {
		t.Errorf("audit %+v, %v", audit, err)
	}
}
