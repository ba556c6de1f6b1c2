package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

// paymentsKey is the PagerDuty key of lanesBundle's revenue-critical
// service.
const paymentsKey = "fedcba9876543210fedcba9876543210"

// TestCriticalPageIsNotQueuedBehindAStorm queues a storm of low- and
// high-urgency triggers on checkout, then one critical trigger on
// payments, a revenue-critical service: the first processing batch opens
// payments' incident, before the storm's low-urgency alerts, and its page
// is claimed ahead of the storm's pages waiting in the outbox.
func TestCriticalPageIsNotQueuedBehindAStorm(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	b := testBundle(h.recv.srv.URL)
	b.Services = append(b.Services, catalog.Service{ID: "payments", Owner: "shop", RevenueCritical: true,
		Integrations: []catalog.Integration{{Type: "pagerduty", Key: paymentsKey}}})
	h.apply(b)
	snap := h.org.Snapshot()
	event := func(key, dedup string, severity alert.Severity) store.InboxEvent {
		svc, _ := snap.Integration(key)
		e := AlertEvent(snap, key, svc, ingest.Event{Action: ingest.ActionTrigger, DedupKey: dedup, Summary: dedup, Severity: severity})
		e.ReceivedAt = h.clock.Now()
		return e
	}
	const storm = 3 * processBatch
	var events []store.InboxEvent
	for i := range storm {
		severity := alert.SeverityWarning
		if i%2 == 1 {
			severity = alert.SeverityCritical
		}
		events = append(events, event(pdKey, fmt.Sprintf("noise-%d", i), severity))
	}
	events = append(events, event(paymentsKey, "card-payments-failing", alert.SeverityCritical))
	if got := []int{events[0].Lane, events[1].Lane, events[storm].Lane}; got[0] != alert.LaneNormal || got[1] != alert.LaneUrgent || got[2] != alert.LaneCritical {
		t.Fatalf("lanes of a warning, a critical trigger and a critical trigger on payments = %v, want 0 1 2", got)
	}
	if err := h.store.AppendInbox(h.ctx, events); err != nil {
		t.Fatal(err)
	}

	// Batches as while senders wait: with nobody waiting, one would take
	// the whole storm.
	h.p.Processor.batch = processBatch
	if _, err := h.p.Processor.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	incs, err := h.store.ListIncidents(h.ctx, store.IncidentQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != processBatch {
		t.Fatalf("%d incidents after one batch, want %d", len(incs), processBatch)
	}
	first := incs[len(incs)-1] // newest first
	if first.Service != "payments" {
		t.Errorf("the first incident of the batch is on %s (%s), want payments'", first.Service, first.Title)
	}
	lanes := map[string]int{}
	for _, inc := range incs {
		if inc.Service == "checkout" {
			lanes[string(inc.Urgency)]++
		}
	}
	if lanes["low"] != 0 || lanes["high"] != processBatch-1 {
		t.Errorf("checkout incidents of the first batch by urgency = %v, want only high (the urgent lane before the normal one)", lanes)
	}

	processAll := func() {
		for n := 1; n > 0; {
			var err error
			if n, err = h.p.Processor.RunOnce(h.ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	processAll()

	// Another critical alert on payments, once the storm's pages wait in
	// the outbox: the dispatcher claims the payments pages first.
	if err := h.store.AppendInbox(h.ctx, []store.InboxEvent{event(paymentsKey, "card-refunds-failing", alert.SeverityCritical)}); err != nil {
		t.Fatal(err)
	}
	processAll()
	var claimed []notify.Notification
	if err := h.store.Update(h.ctx, func(tx store.Tx) error {
		var err error
		claimed, err = tx.ClaimNotifications(h.clock.Now(), time.Minute, 5)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, n := range claimed {
		inc, err := h.store.GetIncident(h.ctx, n.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		services = append(services, inc.Service)
	}
	// Each payments incident pages alice and the IRT's gina (a critical
	// service engages its IRT).
	if got := strings.Join(services, " "); got != "payments payments payments payments checkout" {
		t.Errorf("the first five pages claimed are about %q, want payments' four, then the storm's oldest", got)
	}
}

// TestACriticalCommitWakesARestingProcessor: a commit that stores an event
// of the critical lane signals the processor (which cuts a storm's rest
// short); urgent and normal events do not.
func TestACriticalCommitWakesARestingProcessor(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { // owner: this test; ends with ctx
		defer close(done)
		h.p.Inbox.run(ctx)
	}()
	defer func() { cancel(); <-done }()
	critical := h.p.Processor.queue.critical
	accept := func(dedup string, lane int) {
		t.Helper()
		if err := h.p.Accept(h.ctx, store.InboxEvent{ReceivedAt: h.clock.Now(), Kind: store.InboxAlert, IntegrationKey: pdKey,
			Service: "checkout", Payload: []byte(`{"event_action":"trigger","dedup_key":"` + dedup + `"}`), DedupKey: dedup, Lane: lane}); err != nil {
			t.Fatal(err)
		}
	}
	accept("normal", alert.LaneNormal)
	accept("urgent", alert.LaneUrgent)
	// Accept returns once its commit is durable; the signal follows the
	// commit, so the next commit shows whether the last one signalled.
	accept("normal-again", alert.LaneNormal)
	if len(critical) != 0 {
		t.Fatal("a commit of normal and urgent events signalled the critical lane")
	}
	accept("critical", alert.LaneCritical)
	select {
	case <-critical:
	case <-time.After(20 * time.Second):
		t.Fatal("a commit of a critical event did not signal the processor")
	}
}
