package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

func TestStormIsBatchedPerPersonAndMethod(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	b := testBundle(h.recv.srv.URL)
	b.Org.NotificationLimits = map[string]duration.Duration{"webhook": mustDur("1m")}
	b.Users[0].NotificationRules = b.Users[0].NotificationRules[:1] // alice: her hook only
	h.apply(b)
	for i := 0; i < 38; i++ {
		h.trigger(fmt.Sprintf("storm-%d", i), "critical")
	}
	h.tick()
	h.expectPaths("/alice") // one message for 38 alerts
	if more := h.recv.got[0].Body["more_alerts"]; more != float64(37) {
		t.Fatalf("more_alerts = %v, want 37", more)
	}
	h.clock.Add(10 * time.Second)
	h.trigger("late", "critical")
	h.tick()
	h.expectPaths("/alice") // within the minute: it waits
	h.clock.Add(50 * time.Second)
	h.tick()
	h.expectPaths("/alice", "/alice")

	ns, _ := h.store.ListNotifications(h.ctx, store.NotificationQuery{UserID: "alice", Limit: 1000})
	sent, batched := 0, 0
	for _, n := range ns {
		if n.Status == notify.StatusSent {
			sent++
			if n.LastError != "" {
				batched++
			}
		}
	}
	if sent != 39 || batched != 37 {
		t.Fatalf("sent %d (batched %d), want 39 (37)", sent, batched)
	}
}

func TestLimitsDoNotHoldBackOtherPeopleOrMethods(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	b := testBundle(h.recv.srv.URL)
	b.Org.NotificationLimits = map[string]duration.Duration{"webhook": mustDur("1m")}
	h.apply(b)
	h.trigger("a", "critical")
	h.tick()
	h.clock.Add(5 * time.Minute) // alice's second method, a different contact method
	h.tick()
	h.clock.Add(5 * time.Minute) // bob, another person
	h.tick()
	h.expectPaths("/alice", "/alice-backup", "/bob")
}

// countingStore counts incident reads outside transactions.
type countingStore struct {
	store.Pipeline
	mu    sync.Mutex
	reads int
}

func (s *countingStore) GetIncident(ctx context.Context, id int64) (incident.Incident, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Pipeline.GetIncident(ctx, id)
}

func TestDispatchReadsEachIncidentOnce(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.trigger("a", "critical")
	cs := &countingStore{Pipeline: h.p.env.store}
	h.p.env.store = cs
	if n, err := h.p.Dispatcher.RunOnce(h.ctx); err != nil || n != 1 {
		t.Fatalf("DispatchDue = %d, %v; want 1 notification", n, err)
	}
	h.expectPaths("/alice")
	if cs.reads != 1 {
		t.Fatalf("incident read %d times to send one page, want once", cs.reads)
	}
}
