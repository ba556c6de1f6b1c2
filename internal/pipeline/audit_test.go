package pipeline

import (
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/store"
)

// People's actions are audited whatever the channel; the pipeline's own
// (an integration resolving its alert) are only on the timeline.
func TestActionsOfPeopleAreAudited(t *testing.T) {
	h := newHarness(t, thursdayNoon)
	h.trigger("x", alert.SeverityCritical)
	h.tick()
	if _, _, err := h.p.Inbound.UseLink(h.ctx, h.ackToken()); err != nil {
		t.Fatal(err)
	}
	inc := h.onlyIncident()
	// "note: " and 165 three-byte characters make 501 bytes: the cut at 500
	// falls inside the last character, which goes whole.
	if _, err := h.p.Incidents.AddNote(h.ctx, inc.ID, strings.Repeat("€", 165)+strings.Repeat("n", 1000), Actor{Name: "token:ci", Channel: "api"}); err != nil {
		t.Fatal(err)
	}
	h.send(pdKey, ingest.Event{Action: ingest.ActionResolve, DedupKey: "x"})
	if got := h.onlyIncident().Status; got != alert.StatusResolved {
		t.Fatalf("status = %s", got)
	}
	entries, err := h.store.ListAudit(h.ctx, store.AuditQuery{Kind: "incident"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Actor+" "+e.Action)
	}
	if want := "token:ci incident.note,user:alice incident.acknowledge"; strings.Join(got, ",") != want {
		t.Fatalf("audit = %s, want %s", strings.Join(got, ","), want)
	}
	if d := entries[1].Details; d != "acknowledged (via link)" {
		t.Errorf("link acknowledgement details = %q", d)
	}
	// A long note is cut in the audit entry (the timeline keeps it whole).
	if want := "note: " + strings.Repeat("€", 164) + "… (via api)"; entries[0].Details != want {
		t.Errorf("note details = %q, want %q", entries[0].Details, want)
	}
}
