package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest/testdb"

	"github.com/vigil-oncall/vigil/internal/vigiltest"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oncall/vigil/internal/api"
	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
)

// inProcess is a pipeline and its API in the test process, on a fresh
// SQLite file, with a hand-moved clock. Nothing runs by itself: the test
// calls the pipeline's steps.
type inProcess struct {
	ctx      context.Context
	clock    *vigiltest.ManualClock
	store    *sqlite.Store
	org      *org.Manager
	pipe     *pipeline.Pipeline
	api      *httptest.Server
	registry *prometheus.Registry
	base     pipeline.Options // what the pipeline was built from
}

// anotherPipeline builds a second pipeline on the same store and clock,
// as another replica would run, without metrics.
func (h *inProcess) anotherPipeline(channels []notify.Channel, adjust func(*pipeline.Options)) *pipeline.Pipeline {
	o := h.base
	o.Channels, o.Registry = channels, nil
	if adjust != nil {
		adjust(&o)
	}
	return pipeline.New(o)
}

// newInProcess applies the YAML configuration and builds the pipeline
// with the channels given; adjust may change the pipeline options.
func newInProcess(t testing.TB, yaml string, channels []notify.Channel, adjust func(*pipeline.Options)) *inProcess {
	t.Helper()
	ctx := context.Background()
	st := testdb.SQLite(t)
	clock := vigiltest.NewManualClock(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)) // a Tuesday, in business hours
	tok := store.Token{ID: "admin", Name: "admin", Hash: auth.Hash(adminToken), Role: auth.RoleAdmin, CreatedAt: clock.Now()}
	if err := st.CreateToken(ctx, tok, store.AuditEntry{At: clock.Now(), Actor: "test", Action: "token.create", Kind: "token", ObjID: tok.ID}); err != nil {
		t.Fatal(err)
	}
	m := testdb.Org(t, st, clock.Now, yaml)
	signer, err := links.NewSigner([]byte("reliability-link-key-0123456789ab"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	registry := prometheus.NewRegistry()
	opts := pipeline.Options{Store: st, Org: m, Now: clock.Now, Logger: logger, Channels: channels,
		Signer: signer, PublicURL: "http://vigil.test", Registry: registry}
	if adjust != nil {
		adjust(&opts)
	}
	pipe := pipeline.New(opts)
	schema, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Options{Store: st, Pipeline: pipe, Signer: signer, Org: m, Logger: logger, Now: clock.Now,
		Version: "test", SchemaVersion: schema, Registry: registry})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &inProcess{ctx: ctx, clock: clock, store: st, org: m, pipe: pipe, api: hs, registry: registry, base: opts}
}

// trigger stores a PagerDuty-style trigger as ingest would and processes
// the inbox.
func (h *inProcess) trigger(t testing.TB, key, dedupKey, summary string) {
	t.Helper()
	svc, _ := h.org.Snapshot().Integration(key)
	if svc == nil {
		t.Fatalf("no integration %q", key)
	}
	body, err := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: dedupKey, Summary: summary, Source: "test", Severity: "critical"})
	if err != nil {
		t.Fatal(err)
	}
	ev := store.InboxEvent{ReceivedAt: h.clock.Now(), Kind: store.InboxAlert, IntegrationKey: key, Service: svc.ID, Payload: body}
	if err := h.store.AppendInbox(h.ctx, []store.InboxEvent{ev}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pipe.Processor.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
}

// step runs whatever is due now: escalations, then sends.
func (h *inProcess) step(t testing.TB) (escalated, dispatched int) {
	t.Helper()
	for range 100 {
		e, err := h.pipe.Escalator.RunOnce(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		d, err := h.pipe.Dispatcher.RunOnce(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		escalated, dispatched = escalated+e, dispatched+d
		if e == 0 && d == 0 {
			return escalated, dispatched
		}
	}
	t.Fatal("the pipeline keeps finding work")
	return
}

// get calls the in-process API as admin.
func (h *inProcess) get(t testing.TB, path string, out any) {
	t.Helper()
	mustGet(t, h.api.URL, path, out)
}

// metricValue reads a counter from the pipeline's registry; it fails the
// test when the metric is missing.
func (h *inProcess) metricValue(t testing.TB, name string) float64 {
	t.Helper()
	v, ok := metric(t, h.api.URL, name)
	if !ok {
		t.Fatalf("/metrics has no %s", name)
	}
	return v
}

// oneUserConfig pages alice on a webhook for service "svc".
func oneUserConfig(hook string) string {
	return strings.ReplaceAll(`
users:
  - id: alice
    name: Alice
    time_zone: UTC
    contact_methods:
      - {id: alice-hook, type: webhook, url: "HOOK/alice"}
  - {id: gina, name: Gina, time_zone: UTC}
teams:
  - {id: ops, name: Ops, kind: dev, time_zone: UTC, country: DE, members: [alice], escalation_policy: one}
  - {id: irt, name: IRT, kind: global-irt, members: [gina]}
escalation_policies:
  - id: one
    steps:
      - {targets: [{user: alice}], escalate_after: 1h}
services:
  - id: svc
    name: Service
    owner: ops
    integrations:
      - {type: pagerduty, key: "5e7f5e7f5e7f5e7f5e7f5e7f5e7f5e7f"}
`, "HOOK", hook)
}

// stuckChannel is a webhook channel whose sends hang until released, as
// those of a replica that stopped mid-send.
type stuckChannel struct {
	claimed chan struct{} // one value per send that started
	release chan struct{}
}

func (c *stuckChannel) Type() string { return "webhook" }

func (c *stuckChannel) Send(ctx context.Context, _ notify.Destination, _ notify.Message) error {
	c.claimed <- struct{}{}
	<-c.release
	return context.Canceled
}

// TestClaimLeaseBoundsAStrandedSend lets one pipeline claim a page and hang
// in the send, as a replica that died would, and checks that another
// pipeline sends the page once the first one's claim lease ends, not
// before.
func TestClaimLeaseBoundsAStrandedSend(t *testing.T) {
	for _, tc := range []struct {
		name          string
		lease         time.Duration // of the pipeline that hangs
		before, after time.Duration // still claimed; the lease ended
	}{
		{name: "default of ten seconds", lease: 0, before: 9 * time.Second, after: 11 * time.Second},
		{name: "configured", lease: 5 * time.Second, before: 4 * time.Second, after: 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := newPageReceiver(t)
			stuck := &stuckChannel{claimed: make(chan struct{}, 1), release: make(chan struct{})}
			h := newInProcess(t, oneUserConfig(recv.URL()), []notify.Channel{stuck},
				func(o *pipeline.Options) { o.ClaimLease = tc.lease })
			h.trigger(t, "5e7f5e7f5e7f5e7f5e7f5e7f5e7f5e7f", "stranded", "stranded page")
			dead := make(chan struct{})
			go func() { // owner: this test; ends when stuck is released
				defer close(dead)
				_, _ = h.pipe.Dispatcher.RunOnce(h.ctx)
			}()
			t.Cleanup(func() { close(stuck.release); <-dead })
			<-stuck.claimed

			other := h.anotherPipeline([]notify.Channel{webhook.New(nil)}, nil)
			dispatch := func() int {
				n, err := other.Dispatcher.RunOnce(h.ctx)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			h.clock.Add(tc.before)
			if n := dispatch(); n != 0 || len(recv.snapshot()) != 0 {
				t.Fatalf("%s after the claim: %d sends, %d pages; want none while the claim holds", tc.before, n, len(recv.snapshot()))
			}
			h.clock.Add(tc.after - tc.before)
			if n := dispatch(); n != 1 {
				t.Fatalf("%s after the claim: %d sends, want 1", tc.after, n)
			}
			if pages := recv.snapshot(); len(pages) != 1 || pages[0].Kind != "page" || pages[0].Path != "/alice" {
				t.Fatalf("pages %+v, want one page to /alice", pages)
			}
		})
	}
}

// TestListsPageBeyondTheLargestPage lists 1001 alerts and incidents with
// the largest page the API allows: the first page must say that a second
// one follows (the API asks the store for one row more than the page).
func TestListsPageBeyondTheLargestPage(t *testing.T) {
	h := newInProcess(t, oneUserConfig("http://127.0.0.1:9"), nil, nil)
	const key, total = "5e7f5e7f5e7f5e7f5e7f5e7f5e7f5e7f", 1001
	events := make([]store.InboxEvent, total)
	for i := range events {
		body, err := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: fmt.Sprintf("many-%d", i), Summary: "many", Severity: "critical"})
		if err != nil {
			t.Fatal(err)
		}
		events[i] = store.InboxEvent{ReceivedAt: h.clock.Now(), Kind: store.InboxAlert, IntegrationKey: key, Service: "svc", Payload: body}
	}
	if err := h.store.AppendInbox(h.ctx, events); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := h.pipe.Processor.RunOnce(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for _, kind := range []string{"alerts", "incidents"} {
		var first, second map[string]any
		h.get(t, "/api/v1/"+kind+"?status=all&limit=1000", &first)
		cursor, _ := first["next_cursor"].(string)
		if n := len(first[kind].([]any)); n != 1000 || cursor == "" {
			t.Fatalf("%s: first page has %d and next_cursor %v, want 1000 and a cursor", kind, n, first["next_cursor"])
		}
		h.get(t, "/api/v1/"+kind+"?status=all&limit=1000&cursor="+cursor, &second)
		if n := len(second[kind].([]any)); n != 1 || second["next_cursor"] != nil {
			t.Fatalf("%s: second page has %d and next_cursor %v, want 1 and null", kind, n, second["next_cursor"])
		}
	}
}
