package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/store"
)

// One transaction reads once which of its alerts are open: what it opens,
// repeats and resolves itself must still be seen by the events behind.
func TestBatchSeesTheAlertsItOpensAndResolves(t *testing.T) {
	h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	h.trigger("before", "critical") // open before the batch

	svc, _ := h.org.Snapshot().Integration(pdKey)
	var events []store.InboxEvent
	for _, e := range []ingest.Event{
		{Action: ingest.ActionTrigger, DedupKey: "a", Summary: "a opens"},
		{Action: ingest.ActionTrigger, DedupKey: "a", Summary: "a repeats"},
		{Action: ingest.ActionResolve, DedupKey: "a"},
		{Action: ingest.ActionTrigger, DedupKey: "a", Summary: "a opens again"},
		{Action: ingest.ActionTrigger, DedupKey: "before", Summary: "before repeats"},
		{Action: ingest.ActionAcknowledge, DedupKey: "never"},
	} {
		e.Severity = "critical"
		body, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, store.InboxEvent{ReceivedAt: h.clock.Now(), Kind: store.InboxAlert, IntegrationKey: pdKey,
			Service: svc.ID, Payload: body, DedupKey: e.DedupKey})
	}
	if err := h.store.AppendInbox(h.ctx, events); err != nil {
		t.Fatal(err)
	}
	if n, err := h.p.Processor.RunOnce(h.ctx); err != nil || n != len(events) {
		t.Fatalf("RunOnce = %d, %v; want all %d events in one batch", n, err, len(events))
	}

	alerts, err := h.store.ListAlerts(h.ctx, store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(alerts) - 1; i >= 0; i-- { // oldest first
		a := alerts[i]
		got = append(got, fmt.Sprintf("%s:%s:%d", a.DedupKey, a.Status, a.Count))
	}
	want := "before:triggered:2 a:resolved:2 a:triggered:1"
	if strings.Join(got, " ") != want {
		t.Errorf("alerts = %q, want %q", strings.Join(got, " "), want)
	}
}
