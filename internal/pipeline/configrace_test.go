package pipeline

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// beforeUpdate runs first once, at the next Update, before its
// transaction begins.
type beforeUpdate struct {
	store.Pipeline
	first func()
}

func (s *beforeUpdate) Update(ctx context.Context, fn func(store.Tx) error) error {
	if f := s.first; f != nil {
		s.first = nil
		f()
	}
	return s.Pipeline.Update(ctx, fn)
}

// TestEventOfANewServiceTakenByARoundThatBeganBefore: a processing round
// waits for the store's writer while the configuration gains a service and
// an event of it is accepted; the round takes that event and opens its
// incident, rather than dropping it as of a service deleted since.
func TestEventOfANewServiceTakenByARoundThatBeganBefore(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	const searchKey = "fedcba9876543210fedcba9876543210"
	st := &beforeUpdate{Pipeline: h.store, first: func() {
		b := testBundle(h.recv.srv.URL)
		b.Services = append(b.Services, catalog.Service{ID: "search", Owner: "shop",
			Integrations: []catalog.Integration{{Type: "pagerduty", Key: searchKey}}})
		if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: "down", Summary: "search is down", Source: "web-1", Severity: alert.SeverityCritical})
		if err := h.store.AppendInbox(h.ctx, []store.InboxEvent{{ReceivedAt: h.clock.Now(), Kind: store.InboxAlert,
			IntegrationKey: searchKey, Service: "search", Payload: body}}); err != nil {
			t.Fatal(err)
		}
	}}
	p := New(Options{Store: st, Org: h.org, Now: h.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Channels: []notify.Channel{webhook.New(h.recv.srv.Client())}})
	if n, err := p.Processor.RunOnce(h.ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v; want the one event", n, err)
	}
	if inc := h.onlyIncident(); inc.Service != "search" {
		t.Errorf("incident on %s, want search", inc.Service)
	}
}

// TestEventOfAServiceCreatedOnAnotherReplica: the API of one replica
// creates a service and accepts an event of it; another replica, whose
// configuration has not yet caught up, takes the event and opens its
// incident rather than dropping it as of a deleted service. An event of a
// service really deleted is still dropped.
func TestEventOfAServiceCreatedOnAnotherReplica(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	// The lagging replica reads the configuration only outside its
	// processing transactions: within one it holds the writer, which a
	// configuration change waits for while holding the configuration's
	// lock.
	guarded := &outsideWrites{Store: h.store, t: t}
	lagging := org.NewManager(guarded, h.clock.Now)
	if err := lagging.Load(h.ctx); err != nil {
		t.Fatal(err)
	}
	const searchKey = "fedcba9876543210fedcba9876543210"
	b := testBundle(h.recv.srv.URL)
	b.Services = append(b.Services, catalog.Service{ID: "search", Owner: "shop",
		Integrations: []catalog.Integration{{Type: "pagerduty", Key: searchKey}}})
	if _, err := h.org.Apply(h.ctx, b, "test", false); err != nil {
		t.Fatal(err)
	}
	if lagging.Snapshot().Service("search") != nil {
		t.Fatal("the lagging replica already knows search: the test proves nothing")
	}
	body, _ := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: "down", Summary: "search is down", Source: "web-1", Severity: alert.SeverityCritical})
	gone, _ := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: "old", Summary: "a deleted service", Source: "web-1", Severity: alert.SeverityCritical})
	if err := h.store.AppendInbox(h.ctx, []store.InboxEvent{
		{ReceivedAt: h.clock.Now(), Kind: store.InboxAlert, IntegrationKey: searchKey, Service: "search", Payload: body},
		{ReceivedAt: h.clock.Now(), Kind: store.InboxAlert, IntegrationKey: "0000000000000000000000000000dead", Service: "deleted", Payload: gone},
	}); err != nil {
		t.Fatal(err)
	}
	p := New(Options{Store: guarded, Org: lagging, Now: h.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Channels: []notify.Channel{webhook.New(h.recv.srv.Client())}})
	if n, err := p.Processor.RunOnce(h.ctx); err != nil || n != 2 {
		t.Fatalf("RunOnce = %d, %v; want both events", n, err)
	}
	if inc := h.onlyIncident(); inc.Service != "search" {
		t.Errorf("incident on %s, want search", inc.Service)
	}
	if lagging.Snapshot().Service("search") == nil {
		t.Error("the lagging replica's configuration was not refreshed")
	}
}

// outsideWrites is a store whose configuration reads fail the test when
// they happen within a write transaction.
type outsideWrites struct {
	store.Store
	t       *testing.T
	writing atomic.Bool
}

func (s *outsideWrites) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.writing.Store(true)
	defer s.writing.Store(false)
	return s.Store.Update(ctx, fn)
}

func (s *outsideWrites) ConfigVersion(ctx context.Context) (int64, error) {
	if s.writing.Load() {
		s.t.Error("configuration version read within a write transaction")
	}
	return s.Store.ConfigVersion(ctx)
}
