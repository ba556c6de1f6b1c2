package pipeline

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
	"github.com/vigil-oncall/vigil/internal/postmortem"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// withOverdueItem opens and resolves an incident of checkout (team shop,
// Berlin, DE holidays) and stores its post-mortem with one action item
// due at due; the deliveries so far are forgotten.
func (h *harness) withOverdueItem(due time.Time) postmortem.ActionItem {
	h.t.Helper()
	h.trigger("broken", alert.SeverityCritical)
	h.tick()
	inc := h.onlyIncident()
	if _, err := h.p.Incidents.Resolve(h.ctx, inc.ID, Actor{Name: "user:alice", Channel: "api"}, ""); err != nil {
		h.t.Fatal(err)
	}
	h.recv.mu.Lock()
	h.recv.got = nil
	h.recv.mu.Unlock()
	now := h.clock.Now()
	pm := &postmortem.Postmortem{ID: inc.ID, IncidentID: inc.ID, Title: inc.Title, Status: postmortem.StatusDraft, Version: 1,
		OwnerTeam: "shop", CreatedAt: now, CreatedBy: "user:alice", UpdatedAt: now, UpdatedBy: "user:alice",
		ActionItems: []postmortem.ActionItem{{Title: "Alert on the queue's age", OwnerTeam: "shop", Due: due,
			Status: postmortem.ItemOpen, CreatedAt: now, UpdatedAt: now}}}
	if err := h.store.Update(h.ctx, func(tx store.Tx) error { return tx.InsertPostmortem(pm) }); err != nil {
		h.t.Fatal(err)
	}
	it := pm.ActionItems[0]
	it.IncidentID = inc.ID
	return it
}

// remind runs the reminders of p at the harness's clock and sends what
// they queued.
func (h *harness) remind(p *Pipeline) int {
	h.t.Helper()
	n, err := p.Reminders.RunOnce(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	h.tick()
	return n
}

func TestOverdueActionItemRemindsItsTeamOnceInBusinessHours(t *testing.T) {
	berlin := vigiltest.Zone(t, "Europe/Berlin")
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, opened, due string
		// quiet are instants at which the item is overdue and nobody is
		// reminded; then at reminds is the first that reminds.
		quiet     []string
		remindsAt string
	}{
		{name: "overdue at night, reminded next business morning", opened: "2026-11-26 11:00", due: "2026-11-26 21:00",
			quiet: []string{"2026-11-26 23:30", "2026-11-27 03:00", "2026-11-27 07:59"}, remindsAt: "2026-11-27 08:00"},
		{name: "overdue on Friday evening, reminded on Monday", opened: "2026-11-27 11:00", due: "2026-11-27 19:00",
			quiet: []string{"2026-11-28 10:00", "2026-11-29 12:00", "2026-11-30 07:30"}, remindsAt: "2026-11-30 08:00"},
		{name: "overdue before Christmas, reminded after the holidays", opened: "2026-12-24 09:00", due: "2026-12-24 17:00",
			quiet: []string{"2026-12-25 09:00", "2026-12-26 09:00", "2026-12-28 07:00"}, remindsAt: "2026-12-28 08:00"},
		{name: "overdue in business hours, reminded at once", opened: "2026-11-26 09:00", due: "2026-11-26 10:00",
			quiet: []string{"2026-11-26 09:59"}, remindsAt: "2026-11-26 10:01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, at(tc.opened))
			item := h.withOverdueItem(at(tc.due))
			for _, q := range tc.quiet {
				h.clock.t = at(q)
				if n := h.remind(h.p); n != 0 {
					t.Fatalf("at %s: %d reminded, want none outside business hours", q, n)
				}
				h.expectPaths()
			}
			h.clock.t = at(tc.remindsAt)
			// Two replicas look at once; one reminds.
			replica := New(Options{Store: h.store, Org: h.org, Now: h.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Channels: []notify.Channel{webhook.New(h.recv.srv.Client())}, PublicURL: "http://vigil.test"})
			var wg sync.WaitGroup
			counts := make([]int, 2)
			for i, p := range []*Pipeline{h.p, replica} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					counts[i], _ = p.Reminders.RunOnce(h.ctx)
				}()
			}
			wg.Wait()
			if counts[0]+counts[1] != 1 {
				t.Fatalf("at %s: reminded %v times by the two replicas, want once", tc.remindsAt, counts)
			}
			h.tick()
			// The shop's on-call that week is alice; the reminder goes to
			// her first method once, as a low-urgency notice.
			h.expectPaths("/alice")
			got := h.recv.got[0]
			if k := got.Body["kind"]; k != notify.KindReminder {
				t.Errorf("kind %v, want %s", k, notify.KindReminder)
			}
			inc, _ := got.Body["incident"].(map[string]any)
			if s, _ := inc["summary"].(string); !strings.Contains(s, "was due") || !strings.Contains(fmt.Sprint(inc["title"]), item.Title) {
				t.Errorf("reminder says %v", got.Body)
			}
			if inc["urgency"] != "low" || !strings.HasSuffix(fmt.Sprint(inc["url"]), fmt.Sprintf("/postmortems/%d", item.IncidentID)) {
				t.Errorf("reminder %v: want low urgency and the post-mortem's page", inc)
			}
			if actions, _ := got.Body["actions"].(map[string]any); actions["acknowledge"] != "" || actions["resolve"] != "" {
				t.Errorf("a reminder carries actions %v", actions)
			}
			// Later, after a restart (a new pipeline on the same store):
			// never again.
			h.clock.Add(3 * time.Hour)
			restarted := New(Options{Store: h.store, Org: h.org, Now: h.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Channels: []notify.Channel{webhook.New(h.recv.srv.Client())}, PublicURL: "http://vigil.test"})
			if n := h.remind(restarted) + h.remind(h.p); n != 0 {
				t.Fatalf("reminded %d more times", n)
			}
			h.expectPaths("/alice")
			stored, err := h.store.ListActionItems(h.ctx, store.ActionItemQuery{ID: item.ID})
			if err != nil || len(stored) != 1 || stored[0].RemindedAt == nil || !stored[0].RemindedAt.Equal(at(tc.remindsAt)) {
				t.Fatalf("stored item %+v, %v: want reminded at %s", stored, err, tc.remindsAt)
			}
		})
	}
}
