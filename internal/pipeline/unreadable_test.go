package pipeline

import (
	"encoding/json"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/store"
)

// An inbox event no version of processing can apply must not hold up the
// events behind it, and must not be lost: it is set aside, whole, in the
// audit log.
func TestUnreadableInboxEventsAreSetAsideNotRetriedForever(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	good, _ := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: "after-the-bad-ones", Summary: "checkout is down", Source: "web-1", Severity: "critical"})
	at := h.clock.Now()
	bad := []store.InboxEvent{
		{Kind: store.InboxAlert, Payload: []byte(`{"action":5}`)},
		{Kind: store.InboxAlert, Payload: []byte(`{"action":"escalate","dedup_key":"x"}`)},
		{Kind: store.InboxChange, Payload: []byte(`{"summary":["not","a","string"]}`)},
		{Kind: "telemetry", Payload: []byte(`{"from":"a newer replica"}`)},
	}
	events := make([]store.InboxEvent, 0, len(bad)+1)
	for _, ev := range bad {
		ev.ReceivedAt, ev.IntegrationKey, ev.Service = at, pdKey, "checkout"
		events = append(events, ev)
	}
	events = append(events, store.InboxEvent{ReceivedAt: at, Kind: store.InboxAlert, IntegrationKey: pdKey, Service: "checkout", Payload: good})
	if err := h.store.AppendInbox(h.ctx, events); err != nil {
		t.Fatal(err)
	}
	n, err := h.p.Processor.RunOnce(h.ctx)
	if err != nil || n != len(events) {
		t.Fatalf("ProcessInbox = %d, %v; want %d taken and no error", n, err, len(events))
	}
	if backlog, _ := h.store.InboxBacklog(h.ctx); backlog != 0 {
		t.Fatalf("%d events left in the inbox, want 0", backlog)
	}
	if inc := h.onlyIncident(); inc.Title != "checkout is down" {
		t.Fatalf("the good event behind the bad ones made %q", inc.Title)
	}
	entries, err := h.store.ListAudit(h.ctx, store.AuditQuery{Kind: "inbox", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(bad) {
		t.Fatalf("%d events set aside, want %d: %+v", len(entries), len(bad), entries)
	}
	// Newest first: the audit log lists them in the reverse of arrival.
	wantWhy := []string{`unknown inbox kind "telemetry"`, "decode change event", `unknown action "escalate"`, "decode alert event"}
	for i, e := range entries {
		src := bad[len(bad)-1-i]
		if e.Action != "inbox.unreadable" || e.Actor != "system" || string(e.After) != string(src.Payload) {
			t.Errorf("entry %d = %s by %s with %s, want inbox.unreadable by system with the payload %s", i, e.Action, e.Actor, e.After, src.Payload)
		}
		if !strings.Contains(e.Details, wantWhy[i]) || !strings.Contains(e.Details, "service checkout") {
			t.Errorf("entry %d details %q do not say %q and the service", i, e.Details, wantWhy[i])
		}
	}
	var m dto.Metric
	if err := h.p.env.metrics.unreadable.Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != float64(len(bad)) {
		t.Errorf("vigil_inbox_unreadable_total = %g, want %d", got, len(bad))
	}
}
