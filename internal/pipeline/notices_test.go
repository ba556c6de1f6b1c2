package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
	"github.com/vigil-oncall/vigil/internal/store"
)

// notices lists the notices each path received so far, by their text.
func (h *harness) notices() map[string][]string {
	h.recv.mu.Lock()
	defer h.recv.mu.Unlock()
	out := map[string][]string{}
	for _, d := range h.recv.notices {
		inc, _ := d.Body["incident"].(map[string]any)
		actions, _ := d.Body["actions"].(map[string]any)
		if actions["acknowledge"] != "" || actions["resolve"] != "" || inc["urgency"] != "low" {
			h.t.Errorf("notice to %s offers actions %v or is not low urgency (%v)", d.Path, actions, inc["urgency"])
		}
		out[d.Path] = append(out[d.Path], fmt.Sprint(inc["summary"]))
	}
	return out
}

func TestRespondersAreToldWhenOthersAct(t *testing.T) {
	off := false
	tests := []struct {
		name string
		// optOut users want no notices; act runs on the checkout incident,
		// which pages alice and ivan (irt-core covers checkout in parallel).
		optOut []string
		act    func(h *harness, id int64)
		want   map[string][]string
	}{
		{"acknowledged by alice: ivan is told, not alice", nil, func(h *harness, id int64) {
			if _, err := h.p.Incidents.Acknowledge(h.ctx, id, Actor{Name: "user:alice", Channel: "api"}); err != nil {
				h.t.Fatal(err)
			}
		}, map[string][]string{"/ivan": {"Incident #1 acknowledged by alice: checkout a"}}},
		{"resolved by ivan: alice is told", nil, func(h *harness, id int64) {
			if _, err := h.p.Incidents.Resolve(h.ctx, id, Actor{Name: "user:ivan", Channel: "api"}, ""); err != nil {
				h.t.Fatal(err)
			}
		}, map[string][]string{"/alice": {"Incident #1 resolved by ivan: checkout a"}}},
		{"acknowledged then resolved by a third person: one notice each time", nil, func(h *harness, id int64) {
			by := Actor{Name: "user:gina", Channel: "api"}
			if _, err := h.p.Incidents.Acknowledge(h.ctx, id, by); err != nil {
				h.t.Fatal(err)
			}
			if _, err := h.p.Incidents.Acknowledge(h.ctx, id, by); err != nil { // again: nothing new
				h.t.Fatal(err)
			}
			h.tick()
			if _, err := h.p.Incidents.Resolve(h.ctx, id, by, ""); err != nil {
				h.t.Fatal(err)
			}
		}, map[string][]string{
			"/alice": {"Incident #1 acknowledged by gina: checkout a", "Incident #1 resolved by gina: checkout a"},
			"/ivan":  {"Incident #1 acknowledged by gina: checkout a", "Incident #1 resolved by gina: checkout a"},
		}},
		{"resolved by its source: everyone is told", nil, func(h *harness, id int64) {
			h.send("gen-checkout", ingest.Event{Action: ingest.ActionResolve, DedupKey: "a"})
		}, map[string][]string{
			"/alice": {"Incident #1 resolved by integration:gen-checkout: checkout a"},
			"/ivan":  {"Incident #1 resolved by integration:gen-checkout: checkout a"},
		}},
		{"ivan opted out", []string{"ivan"}, func(h *harness, id int64) {
			if _, err := h.p.Incidents.Acknowledge(h.ctx, id, Actor{Name: "user:alice", Channel: "api"}); err != nil {
				h.t.Fatal(err)
			}
		}, map[string][]string{}},
		{"reassigned to bob by alice: ivan is told, bob is paged", nil, func(h *harness, id int64) {
			if _, err := h.p.Incidents.Reassign(h.ctx, id, "bob", "", Actor{Name: "user:alice", Channel: "api"}); err != nil {
				h.t.Fatal(err)
			}
		}, map[string][]string{"/ivan": {"Incident #1 reassigned to user bob by alice: checkout a"}}},
		{"escalated past alice and ivan to zed", nil, func(h *harness, id int64) {
			h.clock.Add(10 * time.Minute)
		}, map[string][]string{
			"/alice": {"Incident #1 escalated past you to zed: checkout a"},
			"/ivan":  {"Incident #1 escalated past you to zed: checkout a"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, thursdayNoon)
			b := irtBundle(h.recv.srv.URL, nil)
			for i := range b.Users {
				if contains(tt.optOut, b.Users[i].ID) {
					b.Users[i].ActionNotices = &off
				}
			}
			h.apply(b)
			h.alertOn("checkout", "a")
			h.tick()
			h.expectPaths("/alice", "/ivan")
			tt.act(h, h.onlyIncident().ID)
			h.tick()
			got := h.notices()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("notices = %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestNoticesBatchInAStorm: a storm's notices to one person go as pages
// do, one message within the method's limit that says how many more it
// stands for; a notice never holds back a page.
func TestNoticesBatchInAStorm(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	b := irtBundle(h.recv.srv.URL, nil)
	b.Org.NotificationLimits = map[string]duration.Duration{"webhook": mustDur("1m")}
	// search pages alice and, on every step, carl too.
	for i := range b.EscalationPolicies {
		if b.EscalationPolicies[i].ID == "shop-policy" {
			b.EscalationPolicies[i].Steps[0].Targets = append(b.EscalationPolicies[i].Steps[0].Targets, b.EscalationPolicies[i].Steps[0].Targets[0])
			b.EscalationPolicies[i].Steps[0].Targets[1].User = "carl"
		}
	}
	h.apply(b)
	const storm = 5
	for i := range storm {
		h.alertOn("search", fmt.Sprintf("s%d", i))
	}
	h.tick()
	incs, err := h.store.ListIncidents(h.ctx, store.IncidentQuery{Service: "search"})
	if err != nil || len(incs) != storm {
		t.Fatalf("incidents = %d, %v; want %d", len(incs), err, storm)
	}
	h.clock.Add(time.Minute)
	h.tick()
	for _, inc := range incs {
		if _, err := h.p.Incidents.Acknowledge(h.ctx, inc.ID, Actor{Name: "user:alice", Channel: "api"}); err != nil {
			t.Fatal(err)
		}
	}
	h.tick()
	got := h.notices()
	if len(got["/carl"]) != 1 || !strings.HasSuffix(got["/carl"][0], fmt.Sprintf("— and %d more updates on search", storm-1)) || len(got["/alice"]) != 0 {
		t.Fatalf("notices = %v, want one to carl standing for %d", got, storm)
	}
	// The notice to carl was just sent: a new page goes out at once anyway.
	before := len(h.recv.paths())
	if _, err := h.p.Incidents.Reassign(h.ctx, incs[0].ID, "carl", "", Actor{Name: "user:alice", Channel: "api"}); err != nil {
		t.Fatal(err)
	}
	h.tick()
	if paths := h.recv.paths()[before:]; !contains(paths, "/carl") {
		t.Fatalf("deliveries after a new page = %v, want carl paged at once", paths)
	}
}

// eventReceiver stands in for a chat-ops or ticket system on loopback: it
// checks each request's signature and records the events; failNext
// answers the next request 500.
type eventReceiver struct {
	mu       sync.Mutex
	srv      *httptest.Server
	got      map[string][]EventPayload // path -> events
	keys     map[string]int            // idempotency key -> requests
	failNext int
}

func newEventReceiver(t *testing.T, secret string) *eventReceiver {
	r := &eventReceiver{got: map[string][]EventPayload{}, keys: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.keys[req.Header.Get(webhook.HeaderIdempotencyKey)]++
		if r.failNext > 0 {
			r.failNext--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if err := webhook.VerifySignature(secret, req.Header.Get(webhook.HeaderTimestamp), string(body), req.Header.Get(webhook.HeaderSignature), time.Now(), 5*time.Minute); err != nil {
			t.Errorf("event to %s: signature: %v", req.URL.Path, err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p EventPayload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("event to %s: %v", req.URL.Path, err)
		}
		r.got[req.URL.Path] = append(r.got[req.URL.Path], p)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *eventReceiver) events(path string) []string {
	r.mu.Lock()
	got := r.got[path]
	r.mu.Unlock()
	out := make([]string, len(got))
	for i, p := range got {
		out[i] = p.Event
	}
	return out
}

func TestEventWebhooks(t *testing.T) {
	const secret = "event-hook-secret"
	t.Setenv("VIGIL_TEST_EVENT_SECRET", secret)
	h := newHarness(t, thursdayNoon)
	recv := newEventReceiver(t, secret)
	b := irtBundle(h.recv.srv.URL, nil)
	b.Org.EventWebhooks = []catalog.EventWebhook{
		{ID: "org-hook", URL: recv.srv.URL + "/org", SecretEnv: "VIGIL_TEST_EVENT_SECRET"},
		// pay's incidents only, and only when resolved.
		{ID: "pay-hook", URL: recv.srv.URL + "/pay", SecretEnv: "VIGIL_TEST_EVENT_SECRET", Team: "pay", Events: []string{catalog.EventResolved}},
	}
	h.apply(b)
	recv.failNext = 1 // the first event is answered 500 and retried
	h.alertOn("checkout", "a")
	h.tick()
	if got := recv.events("/org"); len(got) != 0 {
		t.Fatalf("events after a 500 = %v, want none yet", got)
	}
	h.clock.Add(time.Minute) // past the retry's backoff
	h.tick()
	id := h.onlyIncident().ID
	by := Actor{Name: "user:alice", Channel: "api"}
	if _, err := h.p.Incidents.MakeMajor(h.ctx, id, "customers cannot pay", by); err != nil {
		t.Fatal(err)
	}
	h.tick() // events queued together are sent concurrently: one at a time here, for their order
	if _, err := h.p.Incidents.AddNote(h.ctx, id, "rolling back 4.2", by); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.clock.Add(10 * time.Minute) // step 2 pages zed
	h.tick()
	if _, err := h.p.Incidents.Acknowledge(h.ctx, id, by); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.send("gen-checkout", ingest.Event{Action: ingest.ActionResolve, DedupKey: "a"})
	h.tick()
	want := []string{catalog.EventTriggered, catalog.EventMajor, catalog.EventNote, catalog.EventEscalated, catalog.EventAcknowledged, catalog.EventResolved}
	if got := recv.events("/org"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("org events = %v\nwant %v", got, want)
	}
	recv.mu.Lock()
	events := recv.got["/org"]
	retried := 0
	for key, n := range recv.keys {
		if strings.Contains(key, catalog.EventTriggered) && n == 2 {
			retried++
		}
	}
	recv.mu.Unlock()
	if retried != 1 {
		t.Errorf("idempotency keys = %v, want the triggered event's sent twice under one key", recv.keys)
	}
	byEvent := map[string]EventPayload{}
	for _, p := range events {
		byEvent[p.Event] = p
		if p.Version != EventPayloadVersion || p.Incident.ID != id || p.Incident.Service != "checkout" || p.At.IsZero() {
			t.Errorf("event %s = %+v", p.Event, p)
		}
	}
	checks := []struct {
		event, actor, text, status string
		major                      bool
	}{
		{catalog.EventTriggered, "system", "", "triggered", false},
		{catalog.EventMajor, "system", "declared major by user:alice: customers cannot pay", "triggered", true},
		{catalog.EventNote, "user:alice", "rolling back 4.2", "triggered", true},
		{catalog.EventEscalated, "system", "zed (", "triggered", true},
		{catalog.EventAcknowledged, "user:alice", "", "acknowledged", true},
		{catalog.EventResolved, "integration:gen-checkout", "", "resolved", true},
	}
	for _, c := range checks {
		p := byEvent[c.event]
		if p.Actor != c.actor || !strings.HasPrefix(p.Text, c.text) || p.Incident.Status != c.status || p.Incident.Major != c.major {
			t.Errorf("%s = actor %q text %q status %q major %v; want %q, %q..., %q, %v", c.event, p.Actor, p.Text, p.Incident.Status, p.Incident.Major, c.actor, c.text, c.status, c.major)
		}
	}
	if got := recv.events("/pay"); len(got) != 0 {
		t.Fatalf("pay's hook got %v about checkout, want nothing", got)
	}
	h.alertOn("mail", "m") // owned by pay
	h.tick()
	h.send("gen-mail", ingest.Event{Action: ingest.ActionResolve, DedupKey: "m"})
	h.tick()
	if got := recv.events("/pay"); strings.Join(got, " ") != catalog.EventResolved {
		t.Fatalf("pay's hook got %v, want only the resolution", got)
	}
}
