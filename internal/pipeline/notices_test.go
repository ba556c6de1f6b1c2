package pipeline

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/ingest"
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

func (h *harness) incidentOn(service string) int64 {
	h.t.Helper()
	incs, err := h.store.ListIncidents(h.ctx, store.IncidentQuery{Service: service})
	if err != nil || len(incs) == 0 {
		h.t.Fatalf("incidents on %s: %d, %v", service, len(incs), err)
	}
	return incs[0].ID
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
			tt.act(h, h.incidentOn("checkout"))
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
